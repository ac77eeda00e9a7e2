package segment

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// ErrBadPolicy is returned (wrapped) when a stream policy is not acceptable.
var ErrBadPolicy = errors.New("invalid stream policy")

// MaxSegments bounds the number of segments a stream starts with, and by
// default the number of active segments scaling may make.
const MaxSegments = 1024

// Policy is how a stream is cut and kept. Its JSON form is the body of
// PUT /v1/streams/{stream}.
type Policy struct {
	// Segments is the number of segments a new stream starts with.
	Segments int `json:"segments"`
	// Scaling says when the scaler splits and merges segments.
	Scaling Scaling `json:"scaling"`
	// Retention says when tier-2 chunks are deleted.
	Retention Retention `json:"retention"`
}

// Load measures of Scaling.By.
const (
	// ByFixed (or "") keeps the segments as they are: fixed(n).
	ByFixed = "fixed"
	// ByPoints aims at a number of points per second per segment.
	ByPoints = "points"
	// ByBytes aims at a number of stored (compressed) bytes per second per
	// segment.
	ByBytes = "bytes"
)

// Scaling describes when segments split and merge. The zero value (or By
// "fixed") is fixed(n): the stream keeps its segments unless an operator
// splits or merges them.
type Scaling struct {
	// By is the load measure: "points" (points/s per segment), "bytes"
	// (stored bytes/s per segment), or "" or "fixed" (no auto-scaling).
	By string `json:"by,omitempty"`
	// Target is the load per segment the scaler aims for, in By's unit
	// per second; required (> 0) when By is points or bytes. A segment
	// that stays above it splits; neighbours that together stay below half
	// of it merge.
	Target int64 `json:"target,omitempty"`
	// Factor is how many parts a hot segment splits into (0: 2).
	Factor int `json:"factor,omitempty"`
	// MinSegments is the fewest active segments merges may leave (0: 1).
	MinSegments int `json:"min_segments,omitempty"`
	// MaxSegments is the most active segments splits may make
	// (0: MaxSegments).
	MaxSegments int `json:"max_segments,omitempty"`
	// Cooldown is how long a new segment is left alone before it may split
	// or merge again (0: the scaler's default).
	Cooldown Duration `json:"cooldown,omitempty"`
}

// Auto reports whether the scaler splits and merges the stream's segments.
func (s Scaling) Auto() bool { return s.By == ByPoints || s.By == ByBytes }

// Parts returns how many successors a split makes.
func (s Scaling) Parts() int {
	if s.Factor == 0 {
		return 2
	}
	return s.Factor
}

// Floor returns the fewest active segments merges may leave.
func (s Scaling) Floor() int { return max(s.MinSegments, 1) }

// Ceiling returns the most active segments splits may make.
func (s Scaling) Ceiling() int {
	if s.MaxSegments == 0 {
		return MaxSegments
	}
	return s.MaxSegments
}

// Retention bounds the history a stream keeps; zero values mean no limit.
type Retention struct {
	// MaxAge deletes chunks whose newest point (device time) is older.
	MaxAge Duration `json:"max_age,omitempty"`
	// MaxBytes deletes the oldest chunks while tier 2 holds more.
	MaxBytes int64 `json:"max_bytes,omitempty"`
}

// DefaultPolicy is the policy of a stream created by its first write:
// one segment, no scaling, no retention limit.
func DefaultPolicy() Policy { return Policy{Segments: 1} }

// Validate checks the policy's values.
func (p *Policy) Validate() error {
	if p.Segments < 1 || p.Segments > MaxSegments {
		return fmt.Errorf("%w: segments %d (want 1..%d)", ErrBadPolicy, p.Segments, MaxSegments)
	}
	sc := &p.Scaling
	switch sc.By {
	case "", ByFixed, ByPoints, ByBytes:
	default:
		return fmt.Errorf("%w: scaling.by %q (want points, bytes or fixed)", ErrBadPolicy, sc.By)
	}
	if sc.Target < 0 || sc.MinSegments < 0 || sc.MinSegments > MaxSegments ||
		sc.MaxSegments < 0 || sc.MaxSegments > MaxSegments || sc.Cooldown < 0 {
		return fmt.Errorf("%w: negative or too large scaling value", ErrBadPolicy)
	}
	if sc.Auto() && sc.Target == 0 {
		return fmt.Errorf("%w: scaling by %s needs a target > 0", ErrBadPolicy, sc.By)
	}
	if sc.Floor() > sc.Ceiling() {
		return fmt.Errorf("%w: scaling.min_segments %d above max_segments %d", ErrBadPolicy, sc.MinSegments, sc.MaxSegments)
	}
	if sc.Factor != 0 && (sc.Factor < 2 || sc.Factor > 16) {
		return fmt.Errorf("%w: scaling.factor %d (want 2..16)", ErrBadPolicy, sc.Factor)
	}
	if p.Retention.MaxAge < 0 || p.Retention.MaxBytes < 0 {
		return fmt.Errorf("%w: negative retention", ErrBadPolicy)
	}
	return nil
}

// Duration is a time.Duration that reads and writes JSON as a Go duration
// string ("720h", "90s"); it also reads a number of nanoseconds.
type Duration time.Duration

// MarshalJSON writes d as a string such as "720h0m0s".
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads a duration string or a number of nanoseconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("%w: duration %q", ErrBadPolicy, s)
		}
		*d = Duration(v)
		return nil
	}
	var n int64
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("%w: duration %s (want a string such as \"720h\")", ErrBadPolicy, b)
	}
	*d = Duration(n)
	return nil
}
