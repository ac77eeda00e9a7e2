package payload

// Context tells a decoder what the transport already knows.
type Context struct {
	// Device is the device id from the topic ("" if the topic has none).
	Device string
	// Stream is the stream from the topic or the profile ("" lets the
	// decoder decide, e.g. from a line-protocol measurement).
	Stream string
	// DeviceTag, if set, names a tag (or, in map-shaped payloads, a key)
	// that carries the device id. The tag is removed from the point. When a
	// record lacks it, Device is used.
	DeviceTag string
	// Received is the receive time in Unix nanoseconds. Points that carry no
	// timestamp get it as their Time, and every point gets it as Received.
	Received int64
}

// Limits that every decoder enforces, so that hostile input can neither
// exhaust memory nor take more than linear time.
const (
	// MaxSize is the largest payload a decoder accepts, in bytes.
	MaxSize = 16 << 20
	// MaxPoints is the most points a decoder takes from one payload. With
	// MaxSize it bounds the memory one payload can make a decoder use.
	MaxPoints = 1 << 17
	// MaxDepth is the deepest nesting of objects and arrays accepted in
	// map-shaped payloads (JSON, msgpack), the top level included.
	MaxDepth = 16
	// MaxKeyLen is the longest field or tag key accepted, in bytes, after
	// nested keys are joined.
	MaxKeyLen = 256
)
