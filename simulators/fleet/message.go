package fleet

import (
	"context"
	"strings"
	"time"

	"github.com/tributary-iot/tributary/simulators/truth"
)

// Kind says what a Message asks the sink to do.
type Kind uint8

// The message kinds.
const (
	// KindPublish publishes Payload on Topic.
	KindPublish Kind = iota
	// KindDisconnect drops the vehicle's connection, as a lost cellular
	// link would (the vehicle keeps its messages and sends them later).
	KindDisconnect
	// KindConnect reconnects the vehicle.
	KindConnect
)

// String returns "publish", "disconnect" or "connect".
func (k Kind) String() string {
	switch k {
	case KindDisconnect:
		return "disconnect"
	case KindConnect:
		return "connect"
	}
	return "publish"
}

// Flags mark what is unusual about a published message.
type Flags uint8

// The flags.
const (
	// FlagGarbage: the payload is malformed on purpose and fails decoding.
	FlagGarbage Flags = 1 << iota
	// FlagDuplicate: the message repeats the one before it, byte for byte.
	FlagDuplicate
	// FlagLate: the message was held back (or buffered while offline) and
	// is published well after its points were taken.
	FlagLate
	// FlagReordered: the message was held back behind one to three later
	// messages of its vehicle.
	FlagReordered
)

// String lists the flags set, joined by '|' ("" for none).
func (f Flags) String() string {
	var parts []string
	for _, x := range []struct {
		f    Flags
		name string
	}{{FlagGarbage, "garbage"}, {FlagDuplicate, "duplicate"}, {FlagLate, "late"}, {FlagReordered, "reordered"}} {
		if f&x.f != 0 {
			parts = append(parts, x.name)
		}
	}
	return strings.Join(parts, "|")
}

// Message is one thing a vehicle does on the wire.
type Message struct {
	// Vehicle is the index of the vehicle (see Sim.Vehicles).
	Vehicle int
	// Kind is what to do.
	Kind Kind
	// Topic is the MQTT topic (KindPublish).
	Topic string
	// Payload is the message body (KindPublish). It is only valid until
	// Send returns: a sink that keeps it must copy it.
	Payload []byte
	// Points is the number of points the payload carries (0 for garbage).
	Points int
	// Flags mark unusual messages.
	Flags Flags
}

// Sink receives a simulation's traffic.
type Sink interface {
	// Send handles messages in order. Messages of one vehicle always come
	// in order and never from two calls at once; calls for different
	// vehicles may run concurrently unless the simulation is Ordered. A
	// failure to deliver one message should be counted (see ErrorCounter),
	// not returned: an error stops the simulation.
	Send(ctx context.Context, msgs []Message) error
}

// ErrorCounter is implemented by sinks that count delivery failures that
// do not stop the simulation (a publish to a lost connection, a missing
// acknowledgement). The simulation reports the count.
type ErrorCounter interface {
	Errors() int64
}

// TruthSink receives the anomalies injected, each once it has ended.
// *truth.Writer is one. Calls never overlap.
type TruthSink interface {
	Write(rec *truth.Record) error
}

// Vehicle describes one simulated vehicle.
type Vehicle struct {
	// Index is the vehicle's number, from 0.
	Index int
	// Device is its device id.
	Device string
	// ClientID is the MQTT client id it connects with.
	ClientID string
	// Profile is the name of its firmware profile.
	Profile string
	// Topic is where it publishes.
	Topic string
	// ClockSkew is the error of its clock.
	ClockSkew time.Duration
}
