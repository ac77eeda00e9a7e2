package lineproto

import (
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/tributary-iot/tributary/models"
	"github.com/tributary-iot/tributary/protocols/payload"
)

// AppendOptions says how Append writes a point.
type AppendOptions struct {
	// DeviceTag names the tag that carries the point's device id, as a
	// profile's device_tag does. Empty leaves the device out: the topic
	// carries it. A tag of the point with this name is replaced.
	DeviceTag string
}

// Append appends p to dst as one line of line protocol ending in '\n':
// the stream as the measurement, the tags (with the device tag, if any, at
// its sorted place when the tags are sorted), the fields and the timestamp
// in nanoseconds. Special characters are escaped as the line-protocol spec
// says. Some points cannot be written: one without fields, a NaN or
// infinite float, an empty tag value, a key or tag value with a control
// character, invalid UTF-8 or a trailing backslash, a stream starting with
// '#'. Then the error wraps payload.ErrUnencodable and dst is returned
// unchanged.
func Append(dst []byte, p *models.Point, o AppendOptions) ([]byte, error) {
	n0 := len(dst)
	fail := func(what string, args ...any) ([]byte, error) {
		return dst[:n0], fmt.Errorf("line protocol: %w: "+what, append([]any{payload.ErrUnencodable}, args...)...)
	}
	if len(p.Fields) == 0 {
		return fail("no fields")
	}
	if !validToken(p.Stream) || p.Stream[0] == '#' {
		return fail("stream %q", p.Stream)
	}
	dst = appendEscaped(dst, p.Stream, &measurementEsc)
	devTag := o.DeviceTag
	if p.Device == "" {
		devTag = ""
	}
	if devTag != "" && (!validToken(devTag) || !validToken(p.Device)) {
		return fail("device tag %q=%q", devTag, p.Device)
	}
	for _, t := range p.Tags {
		if devTag != "" && t.Key >= devTag {
			dst = appendTag(dst, devTag, p.Device)
			devTag = ""
		}
		if t.Key == o.DeviceTag && p.Device != "" {
			continue
		}
		if !validToken(t.Key) || !validToken(t.Value) {
			return fail("tag %q=%q", t.Key, t.Value)
		}
		dst = appendTag(dst, t.Key, t.Value)
	}
	if devTag != "" {
		dst = appendTag(dst, devTag, p.Device)
	}
	for i, f := range p.Fields {
		if i == 0 {
			dst = append(dst, ' ')
		} else {
			dst = append(dst, ',')
		}
		if !validToken(f.Key) {
			return fail("field key %q", f.Key)
		}
		dst = appendEscaped(dst, f.Key, &keyEsc)
		dst = append(dst, '=')
		switch v := f.Value; v.Kind() {
		case models.KindFloat:
			x := v.FloatV()
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return fail("field %q is %v", f.Key, x)
			}
			dst = strconv.AppendFloat(dst, x, 'g', -1, 64)
		case models.KindInt:
			dst = strconv.AppendInt(dst, v.IntV(), 10)
			dst = append(dst, 'i')
		case models.KindUint:
			dst = strconv.AppendUint(dst, v.UintV(), 10)
			dst = append(dst, 'u')
		case models.KindBool:
			if v.BoolV() {
				dst = append(dst, 't')
			} else {
				dst = append(dst, 'f')
			}
		case models.KindString:
			s := v.Str()
			if !utf8.ValidString(s) {
				return fail("field %q has invalid UTF-8", f.Key)
			}
			dst = append(dst, '"')
			dst = appendEscaped(dst, s, &stringEsc)
			dst = append(dst, '"')
		default:
			return fail("field %q has no value", f.Key)
		}
	}
	dst = append(dst, ' ')
	dst = strconv.AppendInt(dst, p.Time, 10)
	return append(dst, '\n'), nil
}

func appendTag(dst []byte, k, v string) []byte {
	dst = append(dst, ',')
	dst = appendEscaped(dst, k, &keyEsc)
	dst = append(dst, '=')
	return appendEscaped(dst, v, &keyEsc)
}

// validToken reports whether s can be a measurement, key or tag value:
// non-empty valid UTF-8 without control characters or a trailing
// backslash (which would escape the separator after it).
func validToken(s string) bool {
	if s == "" || s[len(s)-1] == '\\' {
		return false
	}
	ascii := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f {
			return false
		}
		if c >= utf8.RuneSelf {
			ascii = false
		}
	}
	return ascii || utf8.ValidString(s)
}

// escapes maps a byte to the character written after a backslash, or 0.
type escapes [256]byte

var (
	measurementEsc = escapes{',': ',', ' ': ' '}
	keyEsc         = escapes{',': ',', '=': '=', ' ': ' '} // tag keys and values, field keys
	stringEsc      = escapes{'"': '"', '\\': '\\', '\n': 'n', '\r': 'r', '\t': 't'}
)

func appendEscaped(dst []byte, s string, e *escapes) []byte {
	start := 0
	for i := 0; i < len(s); i++ {
		if r := e[s[i]]; r != 0 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', r)
			start = i + 1
		}
	}
	return append(dst, s[start:]...)
}
