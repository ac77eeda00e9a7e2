package segment

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// ErrBadPolicy is returned (wrapped) when a stream policy is not acceptable.
var ErrBadPolicy = errors.New("invalid stream policy")

// MaxSegments bounds the number of segments a stream starts with.
const MaxSegments = 1024

// Policy is how a stream is cut and kept. Its JSON form is the body of
// PUT /v1/streams/{stream}.
type Policy struct {
	// Segments is the number of segments a new stream starts with.
	Segments int `json:"segments"`
	// Scaling is the auto-scaling target (stored; acted on by the scaler).
	Scaling Scaling `json:"scaling"`
	// Retention says when tier-2 chunks are deleted.
	Retention Retention `json:"retention"`
}

// Scaling describes when segments split and merge.
type Scaling struct {
	// By is the load measure: "points" (points/s per segment), "bytes"
	// (bytes/s per segment) or "" (fixed: no scaling).
	By string `json:"by,omitempty"`
	// Target is the load per segment the scaler aims for.
	Target int64 `json:"target,omitempty"`
	// Factor is how many parts a hot segment splits into.
	Factor int `json:"factor,omitempty"`
	// MinSegments is the fewest active segments merges may leave.
	MinSegments int `json:"min_segments,omitempty"`
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
	switch p.Scaling.By {
	case "", "points", "bytes":
	default:
		return fmt.Errorf("%w: scaling.by %q (want points or bytes)", ErrBadPolicy, p.Scaling.By)
	}
	if p.Scaling.Target < 0 || p.Scaling.MinSegments < 0 || p.Scaling.MinSegments > MaxSegments {
		return fmt.Errorf("%w: negative or too large scaling value", ErrBadPolicy)
	}
	if p.Scaling.Factor != 0 && (p.Scaling.Factor < 2 || p.Scaling.Factor > 16) {
		return fmt.Errorf("%w: scaling.factor %d (want 2..16)", ErrBadPolicy, p.Scaling.Factor)
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
