package fleet

import (
	"fmt"

	"github.com/tinylib/msgp/msgp"

	"github.com/tributary-iot/tributary/firmware-profiles"
	"github.com/tributary-iot/tributary/models"
	"github.com/tributary-iot/tributary/protocols/jsonpoint"
	"github.com/tributary-iot/tributary/protocols/msgpackpoint"
)

// AppendBatch appends pts to dst as one payload of profile p: a single
// record for one point; for several, a JSON array, a msgpack array, or one
// line-protocol line each. On error dst is returned unchanged.
func AppendBatch(dst []byte, p *profiles.Profile, pts []models.Point) ([]byte, error) {
	n0 := len(dst)
	if len(pts) == 1 {
		return p.AppendPayload(dst, &pts[0])
	}
	switch p.Encoding {
	case profiles.EncodingJSON:
		dst = append(dst, '[')
	case profiles.EncodingMsgpack:
		dst = msgp.AppendArrayHeader(dst, uint32(len(pts)))
	}
	var err error
	for i := range pts {
		if i > 0 && p.Encoding == profiles.EncodingJSON {
			dst = append(dst, ',')
		}
		if dst, err = p.AppendPayload(dst, &pts[i]); err != nil {
			return dst[:n0], fmt.Errorf("encode point %d: %w", i, err)
		}
	}
	if p.Encoding == profiles.EncodingJSON {
		dst = append(dst, ']')
	}
	return dst, nil
}

// AppendOtherEncoding appends pts to dst in an encoding other than p's,
// one record after another, as GarbageWrongEncoding sends them: msgpack for
// JSON profiles, JSON for the others. On error dst is returned unchanged.
func AppendOtherEncoding(dst []byte, p *profiles.Profile, pts []models.Point) ([]byte, error) {
	n0 := len(dst)
	var err error
	for i := range pts {
		if p.Encoding == profiles.EncodingJSON {
			dst, err = msgpackpoint.Append(dst, &pts[i])
		} else {
			dst, err = jsonpoint.Append(dst, &pts[i])
		}
		if err != nil {
			return dst[:n0], fmt.Errorf("encode point %d: %w", i, err)
		}
	}
	return dst, nil
}
