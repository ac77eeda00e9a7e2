package truth

import (
	"fmt"
	"time"
)

// Kind is a kind of injected anomaly.
type Kind uint8

// The anomaly kinds. The first five are faults of the vehicle as a whole
// that fleetsim models physically; the last four are the sensor fault modes
// a firmware profile lists per signal (profiles.Anomaly).
const (
	KindInvalid     Kind = iota
	KindOverheating      // "overheating": a temperature climbs above its range and comes back
	KindStuck            // "stuck": a sensor repeats one reading
	KindVoltageDrop      // "voltage_drop": a supply voltage sags below its range
	KindGPSJump          // "gps_jump": the position jumps kilometres away for a few fixes
	KindFuelLoss         // "fuel_loss": the fuel level falls suddenly (theft, leak)
	KindSpike            // "spike": one reading far outside the range
	KindDrift            // "drift": a slowly growing offset
	KindBurst            // "burst": a stretch of much larger noise
	KindDropout          // "dropout": the signal is missing from the points
	numKinds
)

var kindNames = [numKinds]string{
	KindInvalid:     "invalid",
	KindOverheating: "overheating",
	KindStuck:       "stuck",
	KindVoltageDrop: "voltage_drop",
	KindGPSJump:     "gps_jump",
	KindFuelLoss:    "fuel_loss",
	KindSpike:       "spike",
	KindDrift:       "drift",
	KindBurst:       "burst",
	KindDropout:     "dropout",
}

// Kinds returns every valid kind, in declaration order.
func Kinds() []Kind {
	out := make([]Kind, 0, numKinds-1)
	for k := KindOverheating; k < numKinds; k++ {
		out = append(out, k)
	}
	return out
}

// String returns the kind's name as written in truth files.
func (k Kind) String() string {
	if k < numKinds {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// ParseKind returns the Kind named s.
func ParseKind(s string) (Kind, error) {
	for k := KindOverheating; k < numKinds; k++ {
		if kindNames[k] == s {
			return k, nil
		}
	}
	return KindInvalid, fmt.Errorf("unknown anomaly kind %q", s)
}

// MarshalText implements encoding.TextMarshaler.
func (k Kind) MarshalText() ([]byte, error) {
	if k == KindInvalid || k >= numKinds {
		return nil, fmt.Errorf("cannot marshal anomaly %s", k)
	}
	return []byte(kindNames[k]), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (k *Kind) UnmarshalText(b []byte) error {
	v, err := ParseKind(string(b))
	if err != nil {
		return err
	}
	*k = v
	return nil
}

// Record is one injected anomaly.
type Record struct {
	// Device is the device id of the vehicle.
	Device string `json:"device"`
	// Profile is the vehicle's firmware profile.
	Profile string `json:"profile"`
	// Stream is the stream its points go to.
	Stream string `json:"stream"`
	// Kind is what was injected.
	Kind Kind `json:"kind"`
	// Signal is the field the anomaly shows in.
	Signal string `json:"signal"`
	// Related are other fields changed with Signal (a GPS jump moves both
	// latitude and longitude), if any.
	Related []string `json:"related,omitempty"`
	// Start is the device time of the first point the anomaly shows in.
	Start time.Time `json:"start"`
	// End is the device time of the last point the anomaly shows in
	// (inclusive; equal to Start for a single reading).
	End time.Time `json:"end"`
	// Points is how many points show the anomaly: carry the anomalous
	// reading, or, for a dropout, lack the signal they would have carried.
	Points int `json:"points"`
	// Truncated is set when the simulation stopped before the anomaly
	// had run its course (an overheating that had not peaked yet, say).
	Truncated bool `json:"truncated,omitempty"`
}

// Contains reports whether device time t lies in the record's window.
func (r *Record) Contains(t time.Time) bool {
	return !t.Before(r.Start) && !t.After(r.End)
}
