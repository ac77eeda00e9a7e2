package profiles

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tributary-iot/tributary/models"
	"github.com/tributary-iot/tributary/protocols/topic"
)

// Set is the profiles an agent decodes with. It is immutable, so any number
// of goroutines may use it at once.
type Set struct {
	ordered []*Profile // by precedence: most specific topic first
	byName  map[string]*Profile
	filters []string
}

// NewSet builds a Set from parsed profiles (from Parse, LoadDir or
// Builtin), in any order. Two profiles with the same name are an error,
// except that a profile that is not built in replaces a built-in one of
// the same name, so users override built-ins by reusing their names. Two profiles whose
// topics match exactly the same topics are an error too, as one of them
// could never be used.
func NewSet(profiles ...*Profile) (*Set, error) {
	s := &Set{byName: make(map[string]*Profile, len(profiles))}
	var errs []error
	for _, p := range profiles {
		if p == nil || p.pattern == nil {
			errs = append(errs, errors.New("profile set: profile was not made by Parse"))
			continue
		}
		old, dup := s.byName[p.Name]
		switch {
		case !dup:
			s.byName[p.Name] = p
			s.ordered = append(s.ordered, p)
		case old.builtin && !p.builtin:
			s.byName[p.Name] = p
			s.ordered[slices.Index(s.ordered, old)] = p
		case p.builtin && !old.builtin:
			// The loaded profile already replaces this built-in.
		default:
			errs = append(errs, fmt.Errorf("%w: %q in %s and in %s", ErrDuplicateProfile, p.Name, old.File, p.File))
		}
	}
	slices.SortFunc(s.ordered, precedence)
	seen := make(map[string]*Profile, len(s.ordered))
	for _, p := range s.ordered {
		f := p.pattern.Filter()
		if q, dup := seen[f]; dup {
			errs = append(errs, fmt.Errorf("%w: %q (%s) and %q (%s) match the same topics (%s)", ErrDuplicateProfile, q.Name, q.Topic, p.Name, p.Topic, f))
			continue
		}
		seen[f] = p
		s.filters = append(s.filters, f)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	s.filters = minimalFilters(s.filters)
	return s, nil
}

// precedence orders profiles for matching: the more specific topic pattern
// first, then by pattern text (topic.Compare), then by name, so the winner
// never depends on load order.
func precedence(a, b *Profile) int {
	return cmp.Or(topic.Compare(a.pattern, b.pattern), strings.Compare(a.Name, b.Name))
}

// Match returns the profile for a topic: of all profiles whose pattern
// matches, the most specific one. ok is false when none matches.
func (s *Set) Match(t string) (p *Profile, m topic.Match, ok bool) {
	for _, p := range s.ordered {
		if m, ok := p.pattern.Match(t); ok {
			return p, m, true
		}
	}
	return nil, topic.Match{}, false
}

// Decode matches the topic and decodes the payload with the profile found,
// appending the points to dst. The error wraps ErrUnknownTopic when no
// profile matches; see Profile.Decode for the rest.
func (s *Set) Decode(dst []models.Point, t string, data []byte, received time.Time) ([]models.Point, *Profile, error) {
	p, m, ok := s.Match(t)
	if !ok {
		return dst, nil, fmt.Errorf("%w: %q", ErrUnknownTopic, t)
	}
	dst, err := p.Decode(dst, m, data, received)
	return dst, p, err
}

// Filters returns the MQTT subscription filters that cover every profile's
// topics, sorted, leaving out any filter another one already covers (an
// overlapping subscription would deliver a message twice).
func (s *Set) Filters() []string { return slices.Clone(s.filters) }

// Get returns the profile named name.
func (s *Set) Get(name string) (*Profile, bool) {
	p, ok := s.byName[name]
	return p, ok
}

// Profiles returns the set's profiles sorted by name.
func (s *Set) Profiles() []*Profile {
	out := slices.Clone(s.ordered)
	slices.SortFunc(out, func(a, b *Profile) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// minimalFilters drops every filter that another filter in fs covers, and
// sorts the rest.
func minimalFilters(fs []string) []string {
	var out []string
	for i, f := range fs {
		covered := false
		for j, g := range fs {
			if i != j && covers(g, f) && (!covers(f, g) || j < i) {
				covered = true
				break
			}
		}
		if !covered {
			out = append(out, f)
		}
	}
	slices.Sort(out)
	return out
}

// covers reports whether every topic MQTT filter f matches is also matched
// by filter g.
func covers(g, f string) bool {
	gl, fl := strings.Split(g, "/"), strings.Split(f, "/")
	for i, gs := range gl {
		if gs == "#" {
			return i > 0 || !strings.HasPrefix(fl[0], "$")
		}
		if i >= len(fl) {
			return false
		}
		switch fs := fl[i]; {
		case fs == "#":
			return false
		case gs == "+" && i == 0 && strings.HasPrefix(fs, "$"):
			return false // as in MQTT, wildcards skip "$SYS/..." topics
		case gs == "+":
		case fs == "+" || gs != fs:
			return false
		}
	}
	return len(gl) == len(fl)
}
