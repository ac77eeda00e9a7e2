package profiles

import (
	"fmt"
	"slices"

	"github.com/tributary-iot/tributary/models"
	"github.com/tributary-iot/tributary/protocols/jsonpoint"
	"github.com/tributary-iot/tributary/protocols/lineproto"
	"github.com/tributary-iot/tributary/protocols/msgpackpoint"
)

// AppendPayload appends pt to dst encoded as a device of this class would
// send it: in the profile's encoding, with the device id in the device tag
// when the profile has one. It is what the simulator publishes, and Decode
// reads it back. The error wraps payload.ErrUnencodable for a point the
// encoding cannot carry; dst is then returned unchanged.
func (p *Profile) AppendPayload(dst []byte, pt *models.Point) ([]byte, error) {
	switch p.Encoding {
	case EncodingLineProtocol:
		return lineproto.Append(dst, pt, lineproto.AppendOptions{DeviceTag: p.DeviceTag})
	case EncodingJSON:
		return jsonpoint.Append(dst, withDeviceTag(pt, p.DeviceTag))
	case EncodingMsgpack:
		return msgpackpoint.Append(dst, withDeviceTag(pt, p.DeviceTag))
	}
	return dst, fmt.Errorf("no encoder for %s", p.Encoding)
}

// withDeviceTag returns pt, or a copy of it with the device id in the tag
// named tag.
func withDeviceTag(pt *models.Point, tag string) *models.Point {
	if tag == "" {
		return pt
	}
	if v, ok := pt.Tag(tag); ok && v == pt.Device {
		return pt
	}
	c := *pt
	c.Tags = slices.Clone(pt.Tags)
	c.SetTag(tag, pt.Device)
	c.Normalize()
	return &c
}

// DefaultStream is the stream a simulator of this class writes to: the
// profile's stream, or else its name.
func (p *Profile) DefaultStream() string {
	if p.Stream != "" {
		return p.Stream
	}
	return p.Name
}
