package topic_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/tributary-iot/tributary/protocols/topic"
)

// FuzzCompileMatch checks that Compile and Match never panic, that Match
// agrees with a plain MQTT filter matcher run on Filter(), that Format
// inverts Match, and that Overlaps never misses a topic two patterns share.
//
//	go test ./protocols/topic -run '^$' -fuzz FuzzCompileMatch -fuzztime 20s
func FuzzCompileMatch(f *testing.F) {
	f.Add("lp/{device}", "fleet/+/{device}/{stream}/#", "lp/veh-1")
	f.Add("fleet/+/{device}/{stream}/#", "fleet/#", "fleet/eu/veh-1/can/a")
	f.Add("#", "$SYS/#", "$SYS/x")
	f.Add("a//b", "a/+/b", "a//b")
	f.Add("{stream}/{device}", "+/+", "/x")
	f.Fuzz(func(t *testing.T, pattern, other, topicName string) {
		p, err := topic.Compile(pattern)
		if err != nil {
			if !errors.Is(err, topic.ErrBadPattern) {
				t.Fatalf("Compile(%q): %v is not ErrBadPattern", pattern, err)
			}
			return
		}
		if _, err := topic.Compile(p.Filter()); err != nil {
			t.Fatalf("filter %q of %q does not compile: %v", p.Filter(), pattern, err)
		}
		if !p.Overlaps(p) {
			t.Fatalf("%q does not overlap itself", pattern)
		}
		m, ok := p.Match(topicName)
		want := filterMatch(p.Filter(), topicName) && placeholdersFilled(pattern, topicName)
		if ok != want {
			t.Fatalf("%q.Match(%q) = %v, reference %v", pattern, topicName, ok, want)
		}
		if ok && !strings.ContainsAny(pattern, "+#") { // no wildcards: Format inverts Match
			got, err := p.Format(m.Device, m.Stream)
			if err == nil && got != topicName {
				t.Fatalf("%q.Format(%+v) = %q, want %q", pattern, m, got, topicName)
			}
			if err != nil && !strings.ContainsAny(m.Device+m.Stream, "+#\x00") {
				t.Fatalf("%q.Format(%+v): %v", pattern, m, err)
			}
		}
		if q, err := topic.Compile(other); err == nil && ok {
			if _, ok2 := q.Match(topicName); ok2 && (!p.Overlaps(q) || !q.Overlaps(p)) {
				t.Fatalf("%q and %q both match %q but do not overlap", pattern, other, topicName)
			}
		}
	})
}

// filterMatch is MQTT's filter matching, written plainly.
func filterMatch(filter, name string) bool {
	fl, tl := strings.Split(filter, "/"), strings.Split(name, "/")
	if strings.HasPrefix(name, "$") && (fl[0] == "+" || fl[0] == "#") {
		return false
	}
	for i, f := range fl {
		if f == "#" {
			return true
		}
		if i >= len(tl) || f != "+" && f != tl[i] {
			return false
		}
	}
	return len(fl) == len(tl)
}

// placeholdersFilled reports whether no placeholder level of pattern is
// empty in name (assuming the levels line up).
func placeholdersFilled(pattern, name string) bool {
	pl, tl := strings.Split(pattern, "/"), strings.Split(name, "/")
	for i, l := range pl {
		if (l == "{device}" || l == "{stream}") && i < len(tl) && tl[i] == "" {
			return false
		}
	}
	return true
}
