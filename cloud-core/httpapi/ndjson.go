package httpapi

import (
	"math"
	"strconv"
	"time"

	"github.com/tributary-iot/tributary/models"
	"github.com/tributary-iot/tributary/protocols/jsonpoint"
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
	dst = jsonpoint.AppendString(dst, p.Device)
	dst = append(dst, `,"stream":`...)
	dst = jsonpoint.AppendString(dst, p.Stream)
	dst = append(dst, `,"time":"`...)
	dst = time.Unix(0, p.Time).UTC().AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, `","fields":{`...)
	first := true
	for _, f := range p.Fields {
		n0 := len(dst)
		if !first {
			dst = append(dst, ',')
		}
		dst = jsonpoint.AppendString(dst, f.Key)
		dst = append(dst, ':')
		switch v := f.Value; v.Kind() {
		case models.KindFloat:
			x := v.FloatV()
			if math.IsNaN(x) || math.IsInf(x, 0) {
				dst = dst[:n0]
				continue
			}
			dst = jsonpoint.AppendFloat(dst, x)
		case models.KindInt, models.KindUint, models.KindBool:
			dst = v.AppendText(dst)
		case models.KindString:
			dst = jsonpoint.AppendString(dst, v.Str())
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
		dst = jsonpoint.AppendString(dst, t.Key)
		dst = append(dst, ':')
		dst = jsonpoint.AppendString(dst, t.Value)
	}
	dst = append(dst, '}')
	if p.Agent != "" {
		dst = append(dst, `,"agent":`...)
		dst = jsonpoint.AppendString(dst, p.Agent)
		dst = append(dst, `,"seq":`...)
		dst = strconv.AppendUint(dst, p.Seq, 10)
	}
	return dst
}
