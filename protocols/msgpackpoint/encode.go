package msgpackpoint

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/tinylib/msgp/msgp"

	"github.com/tributary-iot/tributary/models"
	"github.com/tributary-iot/tributary/protocols/payload"
)

// Append appends p to dst as one structured msgpack map: "device" (left out
// when empty), "stream", "time" (a msgpack timestamp extension, exact to
// the nanosecond), "fields" and "tags" maps, and "agent" and "seq" when
// Agent is set (Decode ignores them). Floats are written as float64, Ints
// in the int family, Uints in the uint family (never as a fixint, which
// reads back as Int), so the kinds survive a round trip. A field without a
// value cannot be written: the error wraps payload.ErrUnencodable and dst
// is returned unchanged.
func Append(dst []byte, p *models.Point) ([]byte, error) {
	n0 := len(dst)
	n := uint32(4)
	if p.Device != "" {
		n++
	}
	if p.Agent != "" {
		n += 2
	}
	dst = msgp.AppendMapHeader(dst, n)
	if p.Device != "" {
		dst = msgp.AppendString(dst, "device")
		dst = msgp.AppendString(dst, p.Device)
	}
	dst = msgp.AppendString(dst, "stream")
	dst = msgp.AppendString(dst, p.Stream)
	dst = msgp.AppendString(dst, "time")
	dst = msgp.AppendTimeExt(dst, time.Unix(0, p.Time))
	dst = msgp.AppendString(dst, "fields")
	dst = msgp.AppendMapHeader(dst, uint32(len(p.Fields)))
	for _, f := range p.Fields {
		dst = msgp.AppendString(dst, f.Key)
		switch v := f.Value; v.Kind() {
		case models.KindFloat:
			dst = msgp.AppendFloat64(dst, v.FloatV())
		case models.KindInt:
			dst = msgp.AppendInt64(dst, v.IntV())
		case models.KindUint:
			dst = appendUint(dst, v.UintV())
		case models.KindBool:
			dst = msgp.AppendBool(dst, v.BoolV())
		case models.KindString:
			dst = msgp.AppendString(dst, v.Str())
		default:
			return dst[:n0], fmt.Errorf("msgpack: field %q: %w: no value", f.Key, payload.ErrUnencodable)
		}
	}
	dst = msgp.AppendString(dst, "tags")
	dst = msgp.AppendMapHeader(dst, uint32(len(p.Tags)))
	for _, t := range p.Tags {
		dst = msgp.AppendString(dst, t.Key)
		dst = msgp.AppendString(dst, t.Value)
	}
	if p.Agent != "" {
		dst = msgp.AppendString(dst, "agent")
		dst = msgp.AppendString(dst, p.Agent)
		dst = msgp.AppendString(dst, "seq")
		dst = appendUint(dst, p.Seq)
	}
	return dst, nil
}

// appendUint writes u in the smallest uint-family encoding (0xcc..0xcf).
func appendUint(dst []byte, u uint64) []byte {
	switch {
	case u <= math.MaxUint8:
		return append(dst, 0xcc, byte(u))
	case u <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(dst, 0xcd), uint16(u))
	case u <= math.MaxUint32:
		return binary.BigEndian.AppendUint32(append(dst, 0xce), uint32(u))
	}
	return binary.BigEndian.AppendUint64(append(dst, 0xcf), u)
}
