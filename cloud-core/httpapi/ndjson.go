package httpapi

import (
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/tributary-iot/tributary/models"
)

// appendPoint appends p in the read API's JSON shape, without a newline:
//
//	{"device":"veh-0001","stream":"vehicle-telemetry","time":"2026-11-25T12:00:00.1Z",
//	 "fields":{"speed_kmh":52.5,"gear":3},"tags":{"model":"sedan"},"agent":"gw-7","seq":1042}
//
// The time is RFC 3339 in UTC with as many fraction digits as needed.
// Float fields always have a fraction or an exponent (52.0, not 52), so
// that a reader tells them from int fields; floats that JSON cannot hold
// (NaN, ±Inf) and fields without a value are left out. "agent" and "seq"
// are written when Agent is set.
func appendPoint(dst []byte, p *models.Point) []byte {
	dst = appendPointBody(dst, p)
	return append(dst, '}')
}

// appendPointBody appends p as appendPoint does but leaves the object
// open, for callers that add members.
func appendPointBody(dst []byte, p *models.Point) []byte {
	dst = append(dst, `{"device":`...)
	dst = appendJSONString(dst, p.Device)
	dst = append(dst, `,"stream":`...)
	dst = appendJSONString(dst, p.Stream)
	dst = append(dst, `,"time":"`...)
	dst = time.Unix(0, p.Time).UTC().AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, `","fields":{`...)
	first := true
	for _, f := range p.Fields {
		n0 := len(dst)
		if !first {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, f.Key)
		dst = append(dst, ':')
		switch v := f.Value; v.Kind() {
		case models.KindFloat:
			x := v.FloatV()
			if math.IsNaN(x) || math.IsInf(x, 0) {
				dst = dst[:n0]
				continue
			}
			dst = appendFloat(dst, x)
		case models.KindInt:
			dst = strconv.AppendInt(dst, v.IntV(), 10)
		case models.KindUint:
			dst = strconv.AppendUint(dst, v.UintV(), 10)
		case models.KindBool:
			dst = strconv.AppendBool(dst, v.BoolV())
		case models.KindString:
			dst = appendJSONString(dst, v.Str())
		default:
			dst = dst[:n0]
			continue
		}
		first = false
	}
	dst = append(dst, `},"tags":{`...)
	for i, t := range p.Tags {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, t.Key)
		dst = append(dst, ':')
		dst = appendJSONString(dst, t.Value)
	}
	dst = append(dst, '}')
	if p.Agent != "" {
		dst = append(dst, `,"agent":`...)
		dst = appendJSONString(dst, p.Agent)
		dst = append(dst, `,"seq":`...)
		dst = strconv.AppendUint(dst, p.Seq, 10)
	}
	return dst
}

// appendFloat appends a finite x so that it reads back as a float: the
// shortest form that round-trips, with ".0" added to an integral one.
func appendFloat(dst []byte, x float64) []byte {
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

// appendJSONString appends s as a JSON string; invalid UTF-8 becomes
// U+FFFD.
func appendJSONString(dst []byte, s string) []byte {
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
