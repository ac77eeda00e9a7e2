package topic

import (
	"errors"
	"fmt"
	"strings"
)

// ErrBadPattern is returned (wrapped) by Compile for an invalid pattern.
var ErrBadPattern = errors.New("invalid topic pattern")

// ErrNotConcrete is returned (wrapped) by Format when the pattern has a
// wildcard, or a placeholder value is empty or holds '/', '+', '#' or NUL.
var ErrNotConcrete = errors.New("cannot format topic")

// MaxLen is the longest pattern or topic MQTT allows, in bytes.
const MaxLen = 65535

type kind uint8

const (
	literal kind = iota
	device       // {device}
	stream       // {stream}
	plus         // +
	hash         // #
)

type level struct {
	kind kind
	text string // the literal
}

// Pattern is a compiled topic pattern. It is immutable and safe for
// concurrent use.
type Pattern struct {
	src      string
	levels   []level
	filter   string
	literals int
	hasHash  bool
	hasWild  bool // a '+' or '#'
	device   bool
	stream   bool
}

// Match is what Match extracts from a topic. A field is "" when the
// pattern has no such placeholder.
type Match struct {
	Device string
	Stream string
}

// Compile parses and checks a pattern.
func Compile(pattern string) (*Pattern, error) {
	fail := func(format string, args ...any) (*Pattern, error) {
		return nil, fmt.Errorf("%w %q: %s", ErrBadPattern, pattern, fmt.Sprintf(format, args...))
	}
	if pattern == "" {
		return fail("empty")
	}
	if len(pattern) > MaxLen {
		return fail("longer than %d bytes", MaxLen)
	}
	if strings.IndexByte(pattern, 0) >= 0 {
		return fail("holds a NUL byte")
	}
	p := &Pattern{src: pattern}
	var filter strings.Builder
	n := strings.Count(pattern, "/") + 1
	p.levels = make([]level, 0, n)
	for i, s := range strings.Split(pattern, "/") {
		var l level
		switch s {
		case "{device}":
			if p.device {
				return fail("{device} more than once")
			}
			p.device, l.kind = true, device
		case "{stream}":
			if p.stream {
				return fail("{stream} more than once")
			}
			p.stream, l.kind = true, stream
		case "+":
			p.hasWild, l.kind = true, plus
		case "#":
			if i != n-1 {
				return fail("'#' must be the last level")
			}
			p.hasWild, p.hasHash, l.kind = true, true, hash
		default:
			if strings.ContainsAny(s, "+#") {
				return fail("level %q: a wildcard must fill a whole level", s)
			}
			if strings.ContainsAny(s, "{}") {
				return fail("level %q: a placeholder must fill a whole level and be {device} or {stream}", s)
			}
			l.kind, l.text = literal, s
			p.literals++
		}
		if i > 0 {
			filter.WriteByte('/')
		}
		switch l.kind {
		case literal:
			filter.WriteString(s)
		case hash:
			filter.WriteByte('#')
		default:
			filter.WriteByte('+')
		}
		p.levels = append(p.levels, l)
	}
	p.filter = filter.String()
	return p, nil
}

// MustCompile is Compile for patterns known to be valid (built-in
// profiles, tests); it panics on an invalid pattern.
func MustCompile(pattern string) *Pattern {
	p, err := Compile(pattern)
	if err != nil {
		panic("BUG: " + err.Error())
	}
	return p
}

// String returns the pattern as written.
func (p *Pattern) String() string { return p.src }

// Filter returns the MQTT subscription filter: the pattern with each
// placeholder replaced by '+'.
func (p *Pattern) Filter() string { return p.filter }

// HasDevice reports whether the pattern has a {device} placeholder.
func (p *Pattern) HasDevice() bool { return p.device }

// HasStream reports whether the pattern has a {stream} placeholder.
func (p *Pattern) HasStream() bool { return p.stream }

// Match reports whether topic matches the pattern and returns the levels
// that fill its placeholders (substrings of topic: no allocation). As in
// MQTT, '#' also matches the parent level ("a/#" matches "a"), and a
// wildcard or placeholder in the first level does not match a topic that
// starts with '$'. A placeholder does not match an empty level.
func (p *Pattern) Match(topic string) (Match, bool) {
	var m Match
	if len(topic) > 0 && topic[0] == '$' && len(p.levels) > 0 && p.levels[0].kind != literal {
		return m, false
	}
	rest := topic
	done := false // all of topic consumed
	for _, l := range p.levels {
		if l.kind == hash {
			return m, true
		}
		if done {
			return m, false
		}
		var s string
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			s, rest = rest[:i], rest[i+1:]
		} else {
			s, done = rest, true
		}
		switch l.kind {
		case literal:
			if s != l.text {
				return m, false
			}
		case device:
			if s == "" {
				return m, false
			}
			m.Device = s
		case stream:
			if s == "" {
				return m, false
			}
			m.Stream = s
		}
	}
	if !done {
		return Match{}, false
	}
	return m, true
}

// Format returns the topic for a device and stream: the pattern with its
// placeholders filled in. It fails with ErrNotConcrete when the pattern has
// a wildcard, or when a placeholder the pattern has gets a value that is
// empty or holds '/', '+', '#' or NUL.
func (p *Pattern) Format(deviceID, streamName string) (string, error) {
	if p.hasWild {
		return "", fmt.Errorf("%w: pattern %q has a wildcard", ErrNotConcrete, p.src)
	}
	var b strings.Builder
	b.Grow(len(p.src) + len(deviceID) + len(streamName))
	for i, l := range p.levels {
		if i > 0 {
			b.WriteByte('/')
		}
		var v, what string
		switch l.kind {
		case literal:
			b.WriteString(l.text)
			continue
		case device:
			v, what = deviceID, "device"
		case stream:
			v, what = streamName, "stream"
		}
		if v == "" || strings.ContainsAny(v, "/+#\x00") {
			return "", fmt.Errorf("%w: %s %q cannot fill a topic level", ErrNotConcrete, what, v)
		}
		b.WriteString(v)
	}
	return b.String(), nil
}

// Specificity ranks how narrowly the pattern selects topics; higher is more
// specific. Literal levels count most, then single-level wildcards and
// placeholders; a pattern without '#' beats the same pattern with it.
func (p *Pattern) Specificity() int {
	single := len(p.levels) - p.literals
	s := p.literals<<20 | single<<1
	if p.hasHash {
		s -= 2 // '#' is not a single level
	} else {
		s |= 1
	}
	return s
}

// Compare orders patterns from the most to the least specific, and equally
// specific ones by their text, so that sorting a set of profiles' patterns
// and taking the first that matches resolves overlaps deterministically.
func Compare(a, b *Pattern) int {
	if sa, sb := a.Specificity(), b.Specificity(); sa != sb {
		if sa > sb {
			return -1
		}
		return 1
	}
	return strings.Compare(a.src, b.src)
}

// Overlaps reports whether some topic can match both p and o (ignoring the
// length limit), so that a profile loader can report ambiguous profiles.
func (p *Pattern) Overlaps(o *Pattern) bool {
	a, b := p.levels, o.levels
	for i := 0; ; i++ {
		switch {
		case i == len(a) && i == len(b):
			return true
		case i == len(a):
			return b[i].kind == hash
		case i == len(b):
			return a[i].kind == hash
		}
		x, y := a[i], b[i]
		if x.kind == hash || y.kind == hash {
			// Only a '$' literal in the first level escapes a wildcard.
			return !(i == 0 && (dollar(x) || dollar(y)))
		}
		if !levelsOverlap(x, y, i == 0) {
			return false
		}
	}
}

func dollar(l level) bool { return l.kind == literal && strings.HasPrefix(l.text, "$") }

func levelsOverlap(x, y level, first bool) bool {
	if x.kind == literal && y.kind == literal {
		return x.text == y.text
	}
	if x.kind == literal {
		x, y = y, x
	}
	if y.kind != literal {
		return true // two wildcards or placeholders
	}
	if first && strings.HasPrefix(y.text, "$") {
		return false
	}
	if y.text == "" && (x.kind == device || x.kind == stream) {
		return false // placeholders do not match empty levels
	}
	return true
}
