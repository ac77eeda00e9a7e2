package locallog

import (
	"fmt"
	"log/slog"
	"math/bits"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tributary-iot/tributary/models"
)

// Policy says what a full log does with a new point.
type Policy uint8

const (
	// DropOldest admits a new point by evicting the oldest points of classes
	// at or below its own priority, lowest class first, oldest first.
	DropOldest Policy = iota
	// RejectNew admits a new point only by evicting points of strictly
	// lower classes; otherwise the point is rejected.
	RejectNew
)

// String returns "drop-oldest" or "reject-new".
func (p Policy) String() string {
	switch p {
	case DropOldest:
		return "drop-oldest"
	case RejectNew:
		return "reject-new"
	}
	return fmt.Sprintf("policy(%d)", uint8(p))
}

// ParsePolicy parses "drop-oldest" or "reject-new".
func ParsePolicy(s string) (Policy, error) {
	switch s {
	case "drop-oldest":
		return DropOldest, nil
	case "reject-new":
		return RejectNew, nil
	}
	return 0, fmt.Errorf("unknown full-log policy %q (want drop-oldest or reject-new)", s)
}

// MarshalText implements encoding.TextMarshaler.
func (p Policy) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (p *Policy) UnmarshalText(b []byte) error {
	v, err := ParsePolicy(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// Options configure a Log. Path, Agent and MaxBytes are required.
type Options struct {
	// Path is the bbolt file. The sequence lease lives beside it in
	// Path+".seq"; a damaged file is moved to Path+".corrupt-<UTC time>".
	Path string
	// Agent is the agent id written into every point (models.ValidateID).
	Agent string
	// MaxBytes caps the size of the file on disk. The file never grows past
	// it; Open fails with ErrMaxBytesTooSmall when it is too small to work.
	MaxBytes int64
	// WhenFull is the policy for new points when the log is full.
	WhenFull Policy
	// TTL per priority class (index: models.Priority); points whose receive
	// time is older are dropped as expired. Zero keeps points until synced.
	// Expiry works from a class's oldest point and stops at the first one
	// that has not expired: points are in arrival order, and Append sets
	// Received unless the caller did.
	TTL [models.NumPriorities]time.Duration
	// SweepInterval is how often the committer drops expired points when
	// some TTL is set. Zero means TTL/10, clamped to [1s, 1m].
	SweepInterval time.Duration
	// MaxDeadLetters caps the dead letters kept (oldest removed first).
	// Zero means 1000; negative keeps none (they are still counted).
	MaxDeadLetters int
	// LockTimeout bounds the wait for the file lock held by another
	// process. Zero means 5s.
	LockTimeout time.Duration
	// NoSync skips fsync. For benchmarks only: it voids guarantee 1.
	NoSync bool
	// Logger receives the log's events; nil discards them.
	Logger *slog.Logger
	// Registerer receives the log's metrics (tributary_edge_log_*); nil
	// registers none. Close unregisters them.
	Registerer prometheus.Registerer
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

const (
	// defaultMaxDeadLetters is used when Options.MaxDeadLetters is zero.
	defaultMaxDeadLetters = 1000
	// defaultLockTimeout is used when Options.LockTimeout is zero.
	defaultLockTimeout = 5 * time.Second
	// maxBytes32 bounds MaxBytes on 32-bit platforms, where bbolt maps the
	// whole file into a 2 GiB address space and grows the map in powers of
	// two.
	maxBytes32 = 1 << 30
)

// withDefaults validates o and fills in defaults.
func (o Options) withDefaults() (Options, error) {
	if o.Path == "" {
		return o, fmt.Errorf("%w: empty path", ErrBadOptions)
	}
	if err := models.ValidateID("agent", o.Agent); err != nil {
		return o, fmt.Errorf("%w: %w", ErrBadOptions, err)
	}
	if o.MaxBytes <= 0 {
		return o, fmt.Errorf("%w: max bytes must be positive, got %d", ErrBadOptions, o.MaxBytes)
	}
	if bits.UintSize == 32 && o.MaxBytes > maxBytes32 {
		return o, fmt.Errorf("%w: max bytes %d exceeds %d on a 32-bit platform", ErrBadOptions, o.MaxBytes, maxBytes32)
	}
	if o.WhenFull != DropOldest && o.WhenFull != RejectNew {
		return o, fmt.Errorf("%w: unknown policy %s", ErrBadOptions, o.WhenFull)
	}
	for c, ttl := range o.TTL {
		if ttl < 0 {
			return o, fmt.Errorf("%w: negative TTL for class %s", ErrBadOptions, models.Priority(c))
		}
	}
	if o.SweepInterval < 0 {
		return o, fmt.Errorf("%w: negative sweep interval", ErrBadOptions)
	}
	if o.SweepInterval == 0 {
		o.SweepInterval = defaultSweepInterval(o.TTL)
	}
	if o.MaxDeadLetters == 0 {
		o.MaxDeadLetters = defaultMaxDeadLetters
	} else if o.MaxDeadLetters < 0 {
		o.MaxDeadLetters = 0
	}
	if o.LockTimeout <= 0 {
		o.LockTimeout = defaultLockTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o, nil
}

// defaultSweepInterval is a tenth of the shortest TTL, within [1s, 1m].
func defaultSweepInterval(ttl [models.NumPriorities]time.Duration) time.Duration {
	var least time.Duration
	for _, d := range ttl {
		if d > 0 && (least == 0 || d < least) {
			least = d
		}
	}
	return min(max(least/10, time.Second), time.Minute)
}

// hasTTL reports whether any class has a TTL.
func (o *Options) hasTTL() bool {
	for _, d := range o.TTL {
		if d > 0 {
			return true
		}
	}
	return false
}
