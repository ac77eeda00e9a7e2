package profiles_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	profiles "github.com/tributary-iot/tributary/firmware-profiles"
)

// mustParse builds a profile with the given name and topic, and the keys in
// extra; without extra it is line protocol (JSON if the topic has {stream}),
// with a device_tag if the topic has no {device}.
func mustParse(t testing.TB, name, topic string, extra ...string) *profiles.Profile {
	t.Helper()
	src := fmt.Sprintf("name: %s\ntopic: %q\n", name, topic)
	if len(extra) == 0 {
		if strings.Contains(topic, "{stream}") {
			src += "encoding: json\n"
		} else {
			src += "encoding: line-protocol\n"
		}
		if !strings.Contains(topic, "{device}") {
			src += "device_tag: dev\n"
		}
	}
	src += strings.Join(extra, "\n")
	p, err := profiles.Parse(name+".yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMatchPrecedence(t *testing.T) {
	mk := func() []*profiles.Profile {
		return []*profiles.Profile{
			mustParse(t, "catch-all", "#"),
			mustParse(t, "vehicles-any", "vehicles/#", "encoding: json\nstream: misc\ndevice_tag: dev"),
			mustParse(t, "vehicle-stream", "vehicles/{device}/{stream}", "encoding: json"),
			mustParse(t, "vehicle-telemetry", "vehicles/{device}/telemetry"),
			mustParse(t, "vehicle-fleet-telemetry", "vehicles/fleet-a/{device}/telemetry"),
			mustParse(t, "tie-b", "site/{device}/y"),
			mustParse(t, "tie-a", "site/x/{device}"),
		}
	}
	tests := []struct {
		topic, want  string
		device, strm string
	}{
		{"vehicles/veh-1/telemetry", "vehicle-telemetry", "veh-1", ""},
		{"vehicles/veh-1/diag", "vehicle-stream", "veh-1", "diag"},
		{"vehicles/fleet-a/veh-2/telemetry", "vehicle-fleet-telemetry", "veh-2", ""},
		{"vehicles/fleet-a/veh-2/diag/x", "vehicles-any", "", ""},
		{"vehicles", "vehicles-any", "", ""},
		{"other/thing", "catch-all", "", ""},
		{"site/x/y", "tie-a", "y", ""}, // same rank: "site/x/{device}" sorts first
		{"site/z/y", "tie-b", "z", ""},
	}
	base := mk()
	// Every rotation and the reverse of the input order give the same answers.
	orders := [][]*profiles.Profile{base}
	for i := 1; i < len(base); i++ {
		orders = append(orders, append(slices.Clone(base[i:]), base[:i]...))
	}
	rev := slices.Clone(base)
	slices.Reverse(rev)
	orders = append(orders, rev)
	for _, order := range orders {
		set, err := profiles.NewSet(order...)
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range tests {
			p, m, ok := set.Match(tt.topic)
			if !ok {
				t.Errorf("%s: no match", tt.topic)
				continue
			}
			if p.Name != tt.want || m.Device != tt.device || m.Stream != tt.strm {
				t.Errorf("%s: matched %s %+v, want %s device %q stream %q", tt.topic, p.Name, m, tt.want, tt.device, tt.strm)
			}
		}
	}
}

func TestMatchBuiltin(t *testing.T) {
	set := builtinSet(t)
	tests := []struct{ topic, want string }{
		{"lp/gw-1", "line-protocol"},
		{"json/pump-17/pressure", "json"},
		{"vehicles/veh-0001/telemetry", "passenger-car"},
		{"vehicles/veh-0001/bms", "ev-battery"},
		{"trucks/trk-9/j1939", "heavy-truck"},
		{"vehicles/veh-0001/other", ""},
		{"lp/gw-1/extra", ""},
		{"", ""},
	}
	for _, tt := range tests {
		p, _, ok := set.Match(tt.topic)
		got := ""
		if ok {
			got = p.Name
		}
		if got != tt.want {
			t.Errorf("Match(%q) = %q, want %q", tt.topic, got, tt.want)
		}
	}
	want := []string{"json/+/+", "lp/+", "trucks/+/j1939", "vehicles/+/bms", "vehicles/+/telemetry"}
	if got := set.Filters(); !slices.Equal(got, want) {
		t.Errorf("Filters() = %q, want %q", got, want)
	}
	// No two built-in patterns overlap, so no topic is ever ambiguous
	// between them, and each built-in's own topic matches only itself.
	ps := set.Profiles()
	for _, p := range ps {
		topic, err := p.FormatTopic("dev-1", "")
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range ps {
			if _, ok := q.Pattern().Match(topic); ok != (p == q) {
				t.Errorf("topic %q of %s: matched by %s = %v", topic, p.Name, q.Name, ok)
			}
			if p != q && p.Pattern().Overlaps(q.Pattern()) {
				t.Errorf("built-in topics %s and %s overlap", p.Topic, q.Topic)
			}
		}
	}
}

func TestFilters(t *testing.T) {
	tests := []struct {
		topics []string
		want   []string
	}{
		{[]string{"a/{device}", "b/{device}/{stream}"}, []string{"a/+", "b/+/+"}},
		{[]string{"a/{device}/x", "a/#", "a/+/{device}"}, []string{"a/#"}},
		{[]string{"a/{device}/x", "a/+/{device}"}, []string{"a/+/+"}},
		{[]string{"a/{device}", "#"}, []string{"#"}},
		{[]string{"a/{device}/#", "a/{device}"}, []string{"a/+/#"}}, // "#" also matches the parent level
		{[]string{"a/{device}/#", "a/+/b/{device}"}, []string{"a/+/#"}},
		{[]string{"#", "$SYS/{device}", "$local/+/{device}"}, []string{"#", "$SYS/+", "$local/+/+"}}, // wildcards skip '$' topics
		{[]string{"$local/#", "$local/+/{device}"}, []string{"$local/#"}},
	}
	for _, tt := range tests {
		var ps []*profiles.Profile
		for i, topic := range tt.topics {
			ps = append(ps, mustParse(t, fmt.Sprintf("p%d", i), topic))
		}
		set, err := profiles.NewSet(ps...)
		if err != nil {
			t.Fatal(err)
		}
		want := slices.Sorted(slices.Values(tt.want))
		if got := set.Filters(); !slices.Equal(got, want) {
			t.Errorf("%q: Filters() = %q, want %q", tt.topics, got, want)
		}
	}
}

func TestNewSetDuplicates(t *testing.T) {
	builtin, err := profiles.Builtin()
	if err != nil {
		t.Fatal(err)
	}

	// A loaded profile replaces the built-in of the same name.
	own := mustParse(t, "passenger-car", "cars/{device}", "encoding: json\nstream: vehicle-telemetry")
	set, err := profiles.NewSet(append(slices.Clone(builtin), own)...)
	if err != nil {
		t.Fatalf("override: %v", err)
	}
	if p, _ := set.Get("passenger-car"); p != own {
		t.Errorf("Get(passenger-car) = %+v, want the override", p)
	}
	if p, _, ok := set.Match("cars/c-1"); !ok || p != own {
		t.Errorf("override's topic does not match it")
	}
	if _, _, ok := set.Match("vehicles/c-1/telemetry"); ok {
		t.Errorf("the replaced built-in's topic still matches")
	}
	if n := len(set.Profiles()); n != len(builtin) {
		t.Errorf("set has %d profiles, want %d", n, len(builtin))
	}
	// The order of the arguments does not matter.
	set, err = profiles.NewSet(append([]*profiles.Profile{own}, builtin...)...)
	if err != nil {
		t.Fatalf("override before built-ins: %v", err)
	}
	if p, _ := set.Get("passenger-car"); p != own || len(set.Profiles()) != len(builtin) {
		t.Errorf("override given first: Get(passenger-car) = %+v", p)
	}

	tests := []struct {
		name string
		ps   []*profiles.Profile
		want string
	}{
		{"same name twice", []*profiles.Profile{
			mustParse(t, "car", "a/{device}"), mustParse(t, "car", "b/{device}"),
		}, `duplicate profile: "car" in car.yaml and in car.yaml`},
		{"built-in twice", append(slices.Clone(builtin), builtin[0]),
			`duplicate profile: "ev-battery" in builtin/ev-battery.yaml and in builtin/ev-battery.yaml`},
		{"same topics", []*profiles.Profile{
			mustParse(t, "one", "a/{device}/{stream}", "encoding: json"), mustParse(t, "two", "a/+/{device}", "encoding: json\nstream: s"),
		}, `duplicate profile: "two" (a/+/{device}) and "one" (a/{device}/{stream}) match the same topics (a/+/+)`},
		{"override clashes", append(slices.Clone(builtin), mustParse(t, "mine", "lp/{device}")),
			`duplicate profile: "line-protocol" (lp/{device}) and "mine" (lp/{device}) match the same topics (lp/+)`},
		{"not parsed", []*profiles.Profile{{Name: "raw"}}, "profile was not made by Parse"},
	}
	for _, tt := range tests {
		_, err := profiles.NewSet(tt.ps...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want %q", tt.name, err, tt.want)
		}
		if tt.name != "not parsed" && !errors.Is(err, profiles.ErrDuplicateProfile) {
			t.Errorf("%s: error does not wrap ErrDuplicateProfile", tt.name)
		}
	}
}

func builtinSet(t testing.TB) *profiles.Set {
	t.Helper()
	ps, err := profiles.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	set, err := profiles.NewSet(ps...)
	if err != nil {
		t.Fatal(err)
	}
	return set
}
