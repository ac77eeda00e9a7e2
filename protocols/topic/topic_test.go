package topic_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/tributary-iot/tributary/protocols/topic"
)

func TestCompile(t *testing.T) {
	tests := []struct {
		pattern string
		filter  string
		ok      bool
	}{
		{"lp/{device}", "lp/+", true},
		{"fleet/+/{device}/{stream}/#", "fleet/+/+/+/#", true},
		{"{stream}/{device}", "+/+", true},
		{"#", "#", true},
		{"a//b", "a//b", true},
		{"/a", "/a", true},
		{"$SYS/x", "$SYS/x", true},
		{"", "", false},
		{"a/#/b", "", false},
		{"a#", "", false},
		{"a/b+", "", false},
		{"veh-{device}", "", false},
		{"{device}/{device}", "", false},
		{"{stream}/x/{stream}", "", false},
		{"{vehicle}", "", false},
		{"a/{device", "", false},
		{"a\x00b", "", false},
		{strings.Repeat("a", topic.MaxLen+1), "", false},
	}
	for _, tt := range tests {
		p, err := topic.Compile(tt.pattern)
		if tt.ok != (err == nil) {
			t.Errorf("Compile(%q): err = %v, want ok=%v", tt.pattern, err, tt.ok)
			continue
		}
		if err != nil {
			if !errors.Is(err, topic.ErrBadPattern) {
				t.Errorf("Compile(%q): err %v is not ErrBadPattern", tt.pattern, err)
			}
			continue
		}
		if p.Filter() != tt.filter || p.String() != tt.pattern {
			t.Errorf("Compile(%q): filter %q string %q, want filter %q", tt.pattern, p.Filter(), p.String(), tt.filter)
		}
	}
}

func TestMatch(t *testing.T) {
	tests := []struct {
		pattern, topic string
		ok             bool
		device, stream string
	}{
		{"lp/{device}", "lp/veh-1", true, "veh-1", ""},
		{"lp/{device}", "lp/veh-1/x", false, "", ""},
		{"lp/{device}", "lp", false, "", ""},
		{"lp/{device}", "lp/", false, "", ""},
		{"lp/{device}", "xp/veh-1", false, "", ""},
		{"fleet/+/{device}/{stream}/#", "fleet/eu/veh-1/can/a/b", true, "veh-1", "can"},
		{"fleet/+/{device}/{stream}/#", "fleet/eu/veh-1/can", true, "veh-1", "can"},
		{"fleet/+/{device}/{stream}/#", "fleet/eu/veh-1", false, "", ""},
		{"fleet/+/{device}", "fleet//veh-1", true, "veh-1", ""},
		{"{stream}/{device}", "gps/veh-2", true, "veh-2", "gps"},
		{"a/#", "a", true, "", ""},
		{"a/#", "a/", true, "", ""},
		{"a/#", "ab", false, "", ""},
		{"#", "anything/at/all", true, "", ""},
		{"#", "$SYS/broker", false, "", ""},
		{"+/x", "$SYS/x", false, "", ""},
		{"{device}/x", "$dev/x", false, "", ""},
		{"$SYS/#", "$SYS/broker", true, "", ""},
		{"a//b", "a//b", true, "", ""},
		{"a//b", "a/x/b", false, "", ""},
		{"a/+", "a/", true, "", ""},
		{"a/+", "a", false, "", ""},
	}
	for _, tt := range tests {
		p := topic.MustCompile(tt.pattern)
		m, ok := p.Match(tt.topic)
		if ok != tt.ok || ok && (m.Device != tt.device || m.Stream != tt.stream) {
			t.Errorf("%q.Match(%q) = %+v, %v; want {%s %s}, %v", tt.pattern, tt.topic, m, ok, tt.device, tt.stream, tt.ok)
		}
	}
}

func TestMatchAllocs(t *testing.T) {
	p := topic.MustCompile("fleet/+/{device}/{stream}/#")
	allocs := testing.AllocsPerRun(100, func() {
		if _, ok := p.Match("fleet/eu/veh-1/can/a/b"); !ok {
			t.Fatal("no match")
		}
	})
	if allocs != 0 {
		t.Errorf("Match allocates %v times", allocs)
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		pattern, device, stream, want string
		ok                            bool
	}{
		{"lp/{device}", "veh-1", "ignored", "lp/veh-1", true},
		{"t/{stream}/{device}", "veh-1", "can", "t/can/veh-1", true},
		{"fixed/topic", "", "", "fixed/topic", true},
		{"lp/{device}", "", "", "", false},
		{"lp/{device}", "a/b", "", "", false},
		{"lp/{device}", "a+", "", "", false},
		{"lp/{device}", "a#", "", "", false},
		{"t/{stream}", "d", "", "", false},
		{"lp/+", "veh-1", "", "", false},
		{"lp/#", "veh-1", "", "", false},
	}
	for _, tt := range tests {
		got, err := topic.MustCompile(tt.pattern).Format(tt.device, tt.stream)
		if tt.ok != (err == nil) || got != tt.want {
			t.Errorf("%q.Format(%q, %q) = %q, %v; want %q ok=%v", tt.pattern, tt.device, tt.stream, got, err, tt.want, tt.ok)
		}
		if err != nil && !errors.Is(err, topic.ErrNotConcrete) {
			t.Errorf("err %v is not ErrNotConcrete", err)
		}
	}
}

func TestCompareAndOverlaps(t *testing.T) {
	patterns := []string{"#", "a/#", "a/+", "a/{device}", "a/b", "a/b/#", "+/b", "a/+/c", "lp/{device}", "$SYS/#"}
	ps := make([]*topic.Pattern, len(patterns))
	for i, s := range patterns {
		ps[i] = topic.MustCompile(s)
	}
	slices.SortFunc(ps, topic.Compare)
	var got []string
	for _, p := range ps {
		got = append(got, p.String())
	}
	want := []string{"a/+/c", "a/b", "a/b/#", "+/b", "a/+", "a/{device}", "lp/{device}", "$SYS/#", "a/#", "#"}
	if !slices.Equal(got, want) {
		t.Errorf("sorted = %q\nwant     %q", got, want)
	}
	overlaps := []struct {
		a, b string
		want bool
	}{
		{"a/b", "a/b", true},
		{"a/b", "a/c", false},
		{"a/+", "a/b", true},
		{"a/{device}", "+/b", true},
		{"a/#", "a", true},
		{"a/#", "b", false},
		{"a/+", "a", false},
		{"a/+/c", "a/b/#", true},
		{"#", "$SYS/x", false},
		{"+/x", "$SYS/x", false},
		{"$SYS/#", "$SYS/x", true},
		{"a/{device}", "a//b", false},
		{"a/{device}/b", "a//b", false},
		{"a/+/b", "a//b", true},
		{"lp/{device}", "fleet/+/{device}", false},
	}
	for _, tt := range overlaps {
		a, b := topic.MustCompile(tt.a), topic.MustCompile(tt.b)
		if got := a.Overlaps(b); got != tt.want {
			t.Errorf("%q.Overlaps(%q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
		if got := b.Overlaps(a); got != tt.want {
			t.Errorf("%q.Overlaps(%q) = %v, want %v", tt.b, tt.a, got, tt.want)
		}
	}
}
