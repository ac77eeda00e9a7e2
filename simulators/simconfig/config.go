package simconfig

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/tributary-iot/tributary/simulators/fleet"
	"github.com/tributary-iot/tributary/simulators/truth"
)

// ErrHelp is returned by Parse when -h or --help was asked for.
var ErrHelp = flag.ErrHelp

// DefaultBroker is where fleetsim publishes unless told otherwise.
const DefaultBroker = "tcp://127.0.0.1:1883"

// Options is fleetsim's whole configuration.
type Options struct {
	// MQTT is the broker URL.
	MQTT string
	// Profile is the profile spec: a name, a comma list, or name=weight
	// pairs (see Profiles).
	Profile string
	// ProfilesDir is a folder of extra profiles.
	ProfilesDir string
	// Vehicles is the fleet's size.
	Vehicles int
	// Rate is points/s per vehicle; 0 means as fast as possible.
	Rate float64
	// Batch is points per message.
	Batch int
	// QoS is the MQTT QoS, 0 or 1.
	QoS int
	// Duration and Points stop the run (0: no limit).
	Duration time.Duration
	Points   int64
	// Seed selects the simulation.
	Seed uint64
	// Start is the device time of the first message (zero: now).
	Start time.Time
	// AnomalyRate is the chance per point that an anomaly starts.
	AnomalyRate float64
	// Anomalies restricts the kinds injected (nil: all).
	Anomalies []truth.Kind
	// Mess is the transport trouble injected.
	Mess fleet.Mess
	// Truth is the ground-truth file ("": none).
	Truth string
	// Report is the JSON summary file ("": none).
	Report string
	// Out is the message file of a dry run ("-": standard output).
	Out string
	// DryRun generates without publishing (to Out if set).
	DryRun bool
	// DevicePrefix and ClientPrefix start device and client ids.
	DevicePrefix, ClientPrefix string
	// Workers is the number of generating goroutines (0: GOMAXPROCS).
	Workers int
	// LogLevel is the minimum level logged.
	LogLevel slog.Level
}

// Default returns the options fleetsim runs with when given no flags.
func Default() Options {
	return Options{
		MQTT:         DefaultBroker,
		Profile:      "passenger-car",
		Vehicles:     10,
		Rate:         1,
		Batch:        1,
		QoS:          1,
		Seed:         1,
		AnomalyRate:  0.0005,
		Mess:         fleet.DefaultMess(),
		DevicePrefix: "veh-",
		ClientPrefix: "fleetsim-",
		LogLevel:     slog.LevelInfo,
	}
}

// Parse parses the command line (without the program name). On -h it
// writes the usage to usage and returns ErrHelp. Errors are one line.
func Parse(args []string, usage io.Writer) (Options, error) {
	return parse(args, usage, time.Now)
}

func parse(args []string, usage io.Writer, now func() time.Time) (Options, error) {
	o := Default()
	fs := flag.NewFlagSet("fleetsim", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.MQTT, "mqtt", o.MQTT, "MQTT broker URL (tcp://, ssl://; user:pass@ allowed)")
	fs.StringVar(&o.Profile, "profile", o.Profile, "profile name, comma list, or weights: passenger-car=3,heavy-truck=1")
	fs.StringVar(&o.ProfilesDir, "profiles", "", "folder of extra firmware profiles (*.yaml)")
	fs.IntVar(&o.Vehicles, "vehicles", o.Vehicles, "number of vehicles")
	fs.Func("rate", "points/s per vehicle, or max (default 1)", func(s string) (err error) {
		o.Rate, err = parseRate(s)
		return err
	})
	fs.IntVar(&o.Batch, "batch", o.Batch, "points per message")
	fs.IntVar(&o.QoS, "qos", o.QoS, "MQTT QoS: 0 or 1")
	fs.Func("duration", "stop after this long (e.g. 90s, 1h, 2d; default: no limit)", func(s string) (err error) {
		o.Duration, err = parseDuration(s)
		return err
	})
	fs.Int64Var(&o.Points, "points", 0, "stop after this many points in all (default: no limit)")
	fs.Uint64Var(&o.Seed, "seed", o.Seed, "seed: equal seeds give equal data")
	fs.Func("start", "device time of the first message: RFC 3339, now, or an offset from now such as -2h (default now)", func(s string) (err error) {
		o.Start, err = parseStart(s, now)
		return err
	})
	fs.Float64Var(&o.AnomalyRate, "anomaly-rate", o.AnomalyRate, "chance per point that an anomaly starts on the vehicle")
	fs.Func("anomalies", "anomaly kinds to inject, comma list (default all): "+kindNames(), func(s string) (err error) {
		o.Anomalies, err = parseKinds(s)
		return err
	})
	mess := []struct {
		name, help string
		p          *float64
	}{
		{"garbage-rate", "share of messages followed by a malformed one", &o.Mess.GarbageRate},
		{"dup-rate", "share of messages published twice", &o.Mess.DuplicateRate},
		{"late-rate", "share of messages held back 10-120 s", &o.Mess.LateRate},
		{"reorder-rate", "share of messages sent behind the next 1-3", &o.Mess.ReorderRate},
		{"drop-rate", "chance per message that the connection drops for 5-120 s", &o.Mess.DropRate},
		{"skew-share", "share of vehicles with a wrong clock", &o.Mess.SkewShare},
	}
	for _, m := range mess {
		fs.Float64Var(m.p, m.name, *m.p, m.help)
	}
	fs.DurationVar(&o.Mess.MaxSkew, "max-skew", o.Mess.MaxSkew, "largest clock error")
	clean := fs.Bool("clean", false, "no transport trouble: the rates above default to 0")
	fs.StringVar(&o.Truth, "truth", "", "write the anomaly ground truth here (JSON lines; JSON array for *.json)")
	fs.StringVar(&o.Report, "report", "", "write a JSON summary here at the end")
	fs.StringVar(&o.Out, "out", "", "dry run: write the messages here instead of publishing (- for stdout)")
	fs.BoolVar(&o.DryRun, "dry-run", false, "generate without publishing (to --out, if given)")
	fs.StringVar(&o.DevicePrefix, "device-prefix", o.DevicePrefix, "device ids are this prefix and a number")
	fs.StringVar(&o.ClientPrefix, "client-prefix", o.ClientPrefix, "MQTT client ids are this prefix and the device id")
	fs.IntVar(&o.Workers, "workers", 0, "generating goroutines (default GOMAXPROCS)")
	fs.Func("log-level", "debug, info, warn or error (default info)", func(s string) error {
		return o.LogLevel.UnmarshalText([]byte(s))
	})

	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(usage, "usage: fleetsim [flags]\n\nSimulates a fleet of vehicles publishing telemetry over MQTT.\n\nflags:")
			fs.SetOutput(usage)
			fs.PrintDefaults()
			return o, ErrHelp
		}
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *clean {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		for _, m := range mess {
			if !set[m.name] {
				*m.p = 0
			}
		}
	}
	if o.Out != "" {
		o.DryRun = true
	}
	return o, o.check()
}

// check checks what is fleetsim's own; fleet.New checks the vehicles,
// points and rates.
func (o *Options) check() error {
	switch {
	case o.Batch < 1:
		return fmt.Errorf("--batch %d: want at least 1", o.Batch)
	case o.QoS != 0 && o.QoS != 1:
		return fmt.Errorf("--qos %d: want 0 or 1", o.QoS)
	case o.Workers < 0:
		return fmt.Errorf("--workers %d: negative", o.Workers)
	case o.MQTT == "" && !o.DryRun:
		return errors.New("--mqtt: empty broker URL")
	case o.Mess.MaxSkew < time.Second:
		return fmt.Errorf("--max-skew %v: want at least 1s", o.Mess.MaxSkew)
	}
	return nil
}

func parseRate(s string) (float64, error) {
	if strings.EqualFold(s, "max") {
		return 0, nil
	}
	r, err := strconv.ParseFloat(s, 64)
	if err != nil || !(r > 0) || math.IsInf(r, 0) {
		return 0, errors.New("want a positive number of points per second, or max")
	}
	return r, nil
}

// parseDuration reads a Go duration or a whole number of days ("7d").
func parseDuration(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseUint(d, 10, 16)
		if err != nil {
			return 0, errors.New("want a duration such as 90s, 1h30m or 7d")
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, errors.New("want a duration such as 90s, 1h30m or 7d")
	}
	return d, nil
}

func parseStart(s string, now func() time.Time) (time.Time, error) {
	if s == "now" {
		return now(), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && (s[0] == '-' || s[0] == '+') {
		return now().Add(d), nil
	}
	return time.Time{}, errors.New("want RFC 3339 (2026-11-25T06:00:00Z), now, or an offset such as -2h")
}

func parseKinds(s string) ([]truth.Kind, error) {
	var out []truth.Kind
	for _, name := range strings.Split(s, ",") {
		k, err := truth.ParseKind(strings.TrimSpace(name))
		if err != nil {
			return nil, fmt.Errorf("%w (want %s)", err, kindNames())
		}
		out = append(out, k)
	}
	return out, nil
}

func kindNames() string {
	var names []string
	for _, k := range truth.Kinds() {
		names = append(names, k.String())
	}
	return strings.Join(names, ", ")
}
