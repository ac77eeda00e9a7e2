package store

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tributary-iot/tributary/models"
)

// maxCutText bounds the length of a cut ParseCut reads.
const maxCutText = 64 << 10

// FormatCut returns the text form of a cut's positions: "SEG:POS" pairs
// joined by commas, in segment order, e.g. "0:18,1:5". An empty cut gives
// "". ParseCut reads it back.
func FormatCut(c models.StreamCut) string {
	segs := make([]string, 0, len(c.Positions))
	for seg := range c.Positions {
		segs = append(segs, seg)
	}
	slices.SortFunc(segs, compareSegments)
	var b []byte
	for i, seg := range segs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, seg...)
		b = append(b, ':')
		b = strconv.AppendUint(b, c.Positions[seg], 10)
	}
	return string(b)
}

// compareSegments orders decimal segment ids by number, others after them
// by text.
func compareSegments(a, b string) int {
	if len(a) != len(b) && isDecimal(a) && isDecimal(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}

func isDecimal(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// ParseCut reads a cut of stream in the form FormatCut writes. Each
// position must be at least 1 and each segment named once; "" is the
// empty cut (every segment from its beginning). Errors wrap ErrBadCut.
func ParseCut(stream, s string) (models.StreamCut, error) {
	c := models.StreamCut{Stream: stream, Positions: map[string]uint64{}}
	if s == "" {
		return c, nil
	}
	if len(s) > maxCutText {
		return c, fmt.Errorf("%w: longer than %d bytes", ErrBadCut, maxCutText)
	}
	for _, part := range strings.Split(s, ",") {
		seg, num, ok := strings.Cut(part, ":")
		if !ok || !validSegmentID(seg) {
			return c, fmt.Errorf("%w: %q is not SEGMENT:POSITION", ErrBadCut, part)
		}
		pos, err := strconv.ParseUint(num, 10, 64)
		if err != nil || pos == 0 {
			return c, fmt.Errorf("%w: position %q of segment %s: want a number from 1", ErrBadCut, num, seg)
		}
		if _, dup := c.Positions[seg]; dup {
			return c, fmt.Errorf("%w: segment %s named twice", ErrBadCut, seg)
		}
		c.Positions[seg] = pos
	}
	return c, nil
}

// validSegmentID reports whether s may be a segment id: 1 to 128 letters,
// digits, '-' or '_'.
func validSegmentID(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
