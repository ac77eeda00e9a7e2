package profiles

import (
	"time"

	"github.com/tributary-iot/tributary/models"
	"github.com/tributary-iot/tributary/protocols/payload"
	"github.com/tributary-iot/tributary/protocols/topic"
)

// Defaults applied by Parse to keys a profile leaves out.
const (
	// DefaultMaxPayload is the payload limit when max_payload is not set.
	DefaultMaxPayload = 64 << 10
	// MaxMaxPayload is the largest max_payload accepted: the decoders' own
	// limit.
	MaxMaxPayload = payload.MaxSize
	// DefaultMaxPast is timestamps.max_past when not set.
	DefaultMaxPast = 7 * 24 * time.Hour
	// DefaultMaxFuture is timestamps.max_future when not set.
	DefaultMaxFuture = 5 * time.Minute
	// DefaultRateHz is rate_hz when neither the profile nor the signal sets it.
	DefaultRateHz = 1.0
	// MaxRateHz is the highest rate_hz accepted.
	MaxRateHz = 10000.0
	// MaxDecimals is the largest decimals accepted.
	MaxDecimals = 15
)

// Profile is one device class, as parsed and validated from a YAML file.
// Treat it as read-only once parsed: a Set and the simulator share it.
type Profile struct {
	// Name identifies the profile: letters, digits and '-'.
	Name string
	// Description is free text for people.
	Description string
	// Topic is the MQTT topic pattern as written (see package topic).
	Topic string
	// Encoding is the payload format.
	Encoding Encoding
	// Stream is the stream points go to when the topic has no {stream};
	// with a {stream} topic it is only the stream the simulator publishes
	// to. Always empty for line protocol, where the measurement of each
	// line names the stream.
	Stream string
	// DeviceTag, when set, names the tag (line protocol) or key (JSON,
	// msgpack) the device id is taken from instead of the topic.
	DeviceTag string
	// Priority is the class the edge agent buffers and drains points in.
	Priority models.Priority
	// MaxPayload is the largest payload in bytes; larger ones are refused
	// with ErrOversized before any parsing.
	MaxPayload int
	// Timestamps is the sanity window for point times.
	Timestamps Timestamps
	// RateHz is the profile's nominal point rate (the default for signals).
	RateHz float64
	// Tags are static tags every device of the class sets on its points
	// (the simulator adds them), sorted by key.
	Tags []models.Tag
	// Signals are the declared signals, in file order.
	Signals []Signal
	// File is where the profile was read from ("builtin/json.yaml" for the
	// built-in ones).
	File string

	pattern *topic.Pattern
	signals map[string]int // index into Signals by name
	builtin bool
}

// Timestamps bounds how far a point's time may lie from its receive time.
// A zero bound is not checked.
type Timestamps struct {
	// MaxPast is how much older than the receive time a point may be.
	MaxPast time.Duration
	// MaxFuture is how much newer than the receive time a point may be.
	MaxFuture time.Duration
}

// Signal is one field a device class sends.
type Signal struct {
	// Name is the field key in points.
	Name string
	// Description is free text for people.
	Description string
	// Unit is the physical unit ("km/h", "kPa", "V"); free text.
	Unit string
	// Type is the field's value type; Decode coerces to it.
	Type models.Kind
	// Range is the normal operating range of a numeric signal (nil if not
	// declared). Decode does not enforce it: out-of-range readings are real
	// data. The simulator keeps normal values inside it.
	Range *Range
	// RateHz is how often the device samples the signal (the profile's
	// rate_hz when the signal does not set its own).
	RateHz float64
	// Noise is the standard deviation of measurement noise, in Unit.
	Noise float64
	// Decimals is the precision the device reports with (digits after the
	// point), or -1 for full precision. Float signals only.
	Decimals int
	// Anomalies are the faults the simulator may inject into this signal.
	Anomalies []Anomaly
	// Values are the values a string signal takes (empty: any string).
	Values []string
	// Line is the line of the signal's entry in the file.
	Line int
}

// Range is a closed interval [Min, Max].
type Range struct {
	Min, Max float64
}

// Contains reports whether Min <= v <= Max.
func (r Range) Contains(v float64) bool { return v >= r.Min && v <= r.Max }

// Pattern returns the compiled topic pattern.
func (p *Profile) Pattern() *topic.Pattern { return p.pattern }

// IsBuiltin reports whether p is one of the embedded built-in profiles.
func (p *Profile) IsBuiltin() bool { return p.builtin }

// Signal returns the declared signal named name.
func (p *Profile) Signal(name string) (*Signal, bool) {
	i, ok := p.signals[name]
	if !ok {
		return nil, false
	}
	return &p.Signals[i], true
}

// StreamFor returns the stream for points that arrived on a topic matched as
// m: the topic's {stream} if it has one, else the profile's stream. It is
// "" for a line-protocol profile without a stream (the measurement decides).
func (p *Profile) StreamFor(m topic.Match) string {
	if m.Stream != "" {
		return m.Stream
	}
	return p.Stream
}

// FormatTopic returns the topic a device publishes on. An empty stream
// means DefaultStream; the stream only matters for topics with {stream}.
// It fails (topic.ErrNotConcrete) when the pattern has a wildcard, or when
// the device id cannot fill a topic level.
func (p *Profile) FormatTopic(device, stream string) (string, error) {
	if stream == "" {
		stream = p.DefaultStream()
	}
	return p.pattern.Format(device, stream)
}
