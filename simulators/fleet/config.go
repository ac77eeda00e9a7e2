package fleet

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/tributary-iot/tributary/firmware-profiles"
	"github.com/tributary-iot/tributary/simulators/truth"
)

// ErrConfig is returned (wrapped) by New for an unusable Config.
var ErrConfig = errors.New("bad fleet config")

// Config describes a simulation.
type Config struct {
	// Profiles are the firmware profiles vehicles are drawn from, with
	// their weights. Required.
	Profiles []Weighted
	// Vehicles is the number of vehicles (at least 1).
	Vehicles int
	// Rate is the points per second each vehicle sends; 0 means as fast
	// as possible. With a rate, points are 1/Rate apart in device time;
	// without, they are one period of the profile's fastest signal apart.
	Rate float64
	// Batch is the number of points per message (default 1).
	Batch int
	// Points stops the simulation after this many points in all (0: no
	// limit). They are shared among the vehicles in (round, vehicle)
	// order, so the points sent do not depend on timing.
	Points int64
	// Duration stops the simulation after this much wall time (0: no
	// limit).
	Duration time.Duration
	// Seed selects the simulation: equal configs give equal traffic.
	Seed uint64
	// Start is the device time of the first message (default: now).
	Start time.Time
	// AnomalyRate is the chance per point that an anomaly starts on the
	// vehicle (when none is in progress); see signal.Config.
	AnomalyRate float64
	// Kinds restricts the anomalies injected (nil: all that fit).
	Kinds []truth.Kind
	// Mess is the transport trouble injected.
	Mess Mess
	// DevicePrefix starts every device id (default "veh-"); a number
	// follows, zero-padded to at least five digits.
	DevicePrefix string
	// ClientPrefix starts every MQTT client id; the device id follows
	// (default "fleetsim-").
	ClientPrefix string
	// Workers is the number of goroutines that generate traffic (default
	// GOMAXPROCS, at most one per vehicle).
	Workers int
	// Ordered makes the sink see messages in a fixed order, by round and
	// then vehicle, from one goroutine (for files and comparisons). Without
	// it, workers send concurrently.
	Ordered bool
	// Logger receives progress and problems; nil discards them.
	Logger *slog.Logger
}

// Weighted is a profile and its share of the vehicles.
type Weighted struct {
	Profile *profiles.Profile
	Weight  float64
}

// Mess is the transport trouble a fleet causes. Rates are chances per
// message (per vehicle for SkewShare), from 0 to 1.
type Mess struct {
	// GarbageRate: a malformed copy (truncated, corrupted, binary noise or
	// in the wrong encoding) is sent after the message.
	GarbageRate float64
	// DuplicateRate: the message is published twice.
	DuplicateRate float64
	// LateRate: the message is held back 10 to 120 s of device time.
	LateRate float64
	// ReorderRate: the message is held back behind the next 1 to 3.
	ReorderRate float64
	// DropRate: the connection drops before the message for 5 to 120 s of
	// device time; the vehicle keeps what it measures meanwhile and sends
	// it on reconnecting.
	DropRate float64
	// SkewShare is the share of vehicles whose clock is wrong, by 1 s up to
	// MaxSkew either way.
	SkewShare float64
	// MaxSkew is the largest clock error (default 90 s: inside the default
	// five-minute timestamp window of the profiles).
	MaxSkew time.Duration
}

// DefaultMess is the trouble fleetsim injects unless told otherwise: a
// little of everything.
func DefaultMess() Mess {
	return Mess{
		GarbageRate:   0.001,
		DuplicateRate: 0.001,
		LateRate:      0.001,
		ReorderRate:   0.002,
		DropRate:      0.00005,
		SkewShare:     0.05,
		MaxSkew:       90 * time.Second,
	}
}

func (c *Config) withDefaults() Config {
	o := *c
	if o.Batch == 0 {
		o.Batch = 1
	}
	if o.DevicePrefix == "" {
		o.DevicePrefix = "veh-"
	}
	if o.ClientPrefix == "" {
		o.ClientPrefix = "fleetsim-"
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	o.Workers = max(1, min(o.Workers, o.Vehicles))
	if o.Mess.MaxSkew == 0 {
		o.Mess.MaxSkew = 90 * time.Second
	}
	if o.Start.IsZero() {
		o.Start = time.Now()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

func (c *Config) validate() error {
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	if len(c.Profiles) == 0 {
		bad("no profile")
	}
	for _, w := range c.Profiles {
		if w.Profile == nil {
			bad("nil profile")
		} else if !(w.Weight > 0) || math.IsInf(w.Weight, 0) {
			bad("profile %s: weight %v is not positive", w.Profile.Name, w.Weight)
		}
	}
	if c.Vehicles < 1 {
		bad("vehicles %d: want at least 1", c.Vehicles)
	}
	if c.Rate < 0 || math.IsNaN(c.Rate) || math.IsInf(c.Rate, 0) || (c.Rate > 0 && c.Rate < 1e-6) {
		bad("rate %v: want a positive number of points per second, or 0 for as fast as possible", c.Rate)
	}
	if c.Rate > 1e9 {
		bad("rate %v: at most 1e9 points per second", c.Rate)
	}
	if c.Batch < 1 || c.Batch > 100000 {
		bad("batch %d: want 1 to 100000", c.Batch)
	}
	if c.Points < 0 {
		bad("points %d: negative", c.Points)
	}
	if c.Duration < 0 {
		bad("duration %v: negative", c.Duration)
	}
	if !unit(c.AnomalyRate) {
		bad("anomaly rate %v: want 0 to 1", c.AnomalyRate)
	}
	for name, r := range map[string]float64{
		"garbage rate": c.Mess.GarbageRate, "duplicate rate": c.Mess.DuplicateRate, "late rate": c.Mess.LateRate,
		"reorder rate": c.Mess.ReorderRate, "drop rate": c.Mess.DropRate, "skew share": c.Mess.SkewShare,
	} {
		if !unit(r) {
			bad("%s %v: want 0 to 1", name, r)
		}
	}
	if c.Mess.MaxSkew < time.Second {
		bad("max skew %v: want at least 1s", c.Mess.MaxSkew)
	}
	if strings.ContainsAny(c.DevicePrefix+c.ClientPrefix, "/+# \t\n\x00") {
		bad("device and client prefixes cannot hold '/', '+', '#' or white space")
	}
	if len(errs) > 0 {
		// Sorted: the map above iterates in random order.
		slices.Sort(errs)
		return fmt.Errorf("%w: %s", ErrConfig, strings.Join(errs, "; "))
	}
	return nil
}

func unit(x float64) bool { return x >= 0 && x <= 1 }
