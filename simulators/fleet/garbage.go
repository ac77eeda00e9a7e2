package fleet

import (
	"bytes"
	"fmt"
	"math/rand/v2"

	"github.com/tributary-iot/tributary/firmware-profiles"
)

// Garbage is a way of spoiling a payload.
type Garbage uint8

// The kinds of malformed payload. Each is built so that the profile's
// decoder refuses it, whatever the valid payload it starts from.
const (
	// GarbageTruncated: the payload is cut short (a lost packet tail).
	GarbageTruncated Garbage = iota
	// GarbageCorrupt: the payload's structure is broken (a JSON key without
	// its opening quote, a msgpack byte that is never used, a line-protocol
	// line without fields).
	GarbageCorrupt
	// GarbageNoise: random bytes.
	GarbageNoise
	// GarbageWrongEncoding: the points in another encoding (a firmware
	// update gone wrong).
	GarbageWrongEncoding
	numGarbage
)

// String returns the kind's name.
func (g Garbage) String() string {
	switch g {
	case GarbageTruncated:
		return "truncated"
	case GarbageCorrupt:
		return "corrupt"
	case GarbageNoise:
		return "noise"
	case GarbageWrongEncoding:
		return "wrong-encoding"
	}
	return fmt.Sprintf("garbage(%d)", uint8(g))
}

// AppendGarbage appends to dst a malformed payload of kind g for profile
// p, made from a valid payload of p. other is the same points in another
// encoding (AppendOtherEncoding); only GarbageWrongEncoding reads it.
func AppendGarbage(dst []byte, p *profiles.Profile, g Garbage, valid, other []byte, r *rand.Rand) []byte {
	lp := p.Encoding == profiles.EncodingLineProtocol
	switch g {
	case GarbageTruncated:
		if lp {
			// Cut inside the series key of the first line: no fields.
			end := seriesKeyEnd(valid)
			return append(dst, valid[:r.IntN(end+1)]...)
		}
		if len(valid) == 0 {
			return dst
		}
		return append(dst, valid[:r.IntN(len(valid))]...)
	case GarbageCorrupt:
		switch p.Encoding {
		case profiles.EncodingJSON:
			i := bytes.IndexByte(valid, '"')
			if i < 0 {
				return append(dst, '{', ',', '}')
			}
			dst = append(dst, valid[:i]...)
			return append(dst, valid[i+1:]...) // {device":...
		case profiles.EncodingMsgpack:
			dst = append(dst, 0xc1) // never used in msgpack
			if len(valid) > 1 {
				dst = append(dst, valid[1:]...)
			}
			return dst
		}
		// The series key and the timestamp, without the fields.
		line := valid
		if i := bytes.IndexByte(line, '\n'); i >= 0 {
			line = line[:i]
		}
		key := seriesKeyEnd(line)
		ts := bytes.LastIndexByte(line, ' ')
		if ts <= key {
			return append(append(dst, line[:key]...), " 0\n"...)
		}
		dst = append(dst, line[:key]...)
		return append(append(dst, line[ts:]...), '\n')
	case GarbageNoise:
		n := 8 + r.IntN(120)
		switch p.Encoding {
		case profiles.EncodingJSON:
			dst = append(dst, 0xff) // never valid UTF-8, never JSON
		case profiles.EncodingMsgpack:
			dst = append(dst, 0xc1)
		default:
			dst = append(dst, ',') // a line cannot start with a comma
		}
		for range n {
			b := byte(r.IntN(256))
			if lp && (b == '\n' || b == '\r') {
				b = '?' // keep it one line
			}
			dst = append(dst, b)
		}
		return dst
	}
	if len(other) == 0 {
		return append(dst, 0xc1)
	}
	return append(dst, other...)
}

// seriesKeyEnd returns the index of the first unescaped space of the first
// line of a line-protocol payload (the end of measurement and tags), or
// the line's length.
func seriesKeyEnd(b []byte) int {
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case ' ', '\n':
			return min(i, len(b))
		}
	}
	return len(b)
}
