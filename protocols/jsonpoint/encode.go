package jsonpoint

import (
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/tributary-iot/tributary/models"
	"github.com/tributary-iot/tributary/protocols/payload"
)

// Append appends p to dst as one structured JSON object, without a trailing
// newline:
//
//	{"device":"veh-0001","stream":"vehicle-telemetry","time":"2026-11-25T12:00:00.1Z",
//	 "fields":{"speed_kmh":52.5},"tags":{"model":"sedan"},"agent":"gw-7","seq":1042}
//
// "device" is left out when empty; "agent" and "seq" are written only when
// Agent is set (Decode ignores them). The time is RFC 3339 in UTC with as
// many fraction digits as needed, so it decodes to the same nanosecond.
// Int and Uint fields are written as integers and decode back as Float.
// Strings with invalid UTF-8 are written with U+FFFD in place of bad bytes.
// A NaN or infinite float, or a field without a value, cannot be written:
// the error wraps payload.ErrUnencodable and dst is returned unchanged.
func Append(dst []byte, p *models.Point) ([]byte, error) {
	n0 := len(dst)
	dst = append(dst, '{')
	if p.Device != "" {
		dst = append(dst, `"device":`...)
		dst = AppendString(dst, p.Device)
		dst = append(dst, ',')
	}
	dst = append(dst, `"stream":`...)
	dst = AppendString(dst, p.Stream)
	dst = append(dst, `,"time":"`...)
	dst = time.Unix(0, p.Time).UTC().AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, `","fields":{`...)
	for i, f := range p.Fields {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = AppendString(dst, f.Key)
		dst = append(dst, ':')
		switch v := f.Value; v.Kind() {
		case models.KindFloat:
			x := v.FloatV()
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return dst[:n0], fmt.Errorf("json: field %q: %w: %v", f.Key, payload.ErrUnencodable, x)
			}
			dst = strconv.AppendFloat(dst, x, 'g', -1, 64)
		case models.KindInt, models.KindUint, models.KindBool:
			dst = v.AppendText(dst)
		case models.KindString:
			dst = AppendString(dst, v.Str())
		default:
			return dst[:n0], fmt.Errorf("json: field %q: %w: no value", f.Key, payload.ErrUnencodable)
		}
	}
	dst = append(dst, `},"tags":{`...)
	for i, t := range p.Tags {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = AppendString(dst, t.Key)
		dst = append(dst, ':')
		dst = AppendString(dst, t.Value)
	}
	dst = append(dst, '}')
	if p.Agent != "" {
		dst = append(dst, `,"agent":`...)
		dst = AppendString(dst, p.Agent)
		dst = append(dst, `,"seq":`...)
		dst = strconv.AppendUint(dst, p.Seq, 10)
	}
	return append(dst, '}'), nil
}

// AppendFloat appends a finite x so that it reads back as a float, not an
// integer: the shortest form that round-trips, with ".0" added to an
// integral one (the read API's rule for telling floats from ints).
func AppendFloat(dst []byte, x float64) []byte {
	n0 := len(dst)
	dst = strconv.AppendFloat(dst, x, 'g', -1, 64)
	for _, c := range dst[n0:] {
		if c == '.' || c == 'e' {
			return dst
		}
	}
	return append(dst, '.', '0')
}

const hexDigits = "0123456789abcdef"

// AppendString appends s as a JSON string: control characters, quotes
// and backslashes escaped, invalid UTF-8 replaced by U+FFFD.
func AppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
