package scenario

import (
	"log/slog"
	"runtime"
	"time"
)

// Options configure Run.
type Options struct {
	// Bin holds the cloud-core, edge-agent and fleetsim binaries.
	Bin string
	// Self is the benchrun binary (run as "benchrun broker" for the bare
	// broker baseline).
	Self string
	// Repo is the module root, where the micro-benchmarks run.
	Repo string
	// Go is the go command (default "go").
	Go string
	// WorkDir holds everything the run writes (data, logs).
	WorkDir string

	// Profile, Vehicles, Batch and Seed shape fleetsim's load; Points is
	// the size of the max-load phase.
	Profile  string
	Vehicles int
	Batch    int
	Points   int
	Seed     int
	// Warmup runs the half load before the latency probe starts;
	// LatencyWindow is how long the probe runs.
	Warmup        time.Duration
	LatencyWindow time.Duration
	// ProbePoll is the probe's count polling interval.
	ProbePoll time.Duration
	// UplinkBatch and UplinkLinger are passed to the edge agent when set.
	UplinkBatch  int
	UplinkLinger time.Duration
	// QuietWait is the longest the run waits, before it starts, for other
	// work on the machine to use less than QuietCores (0: no wait).
	QuietWait  time.Duration
	QuietCores float64
	// Micro runs the Go micro-benchmarks.
	Micro bool
	// Profiler picks how the agent is profiled: "auto" (the agent's
	// /debug/pprof if it serves one, else perf if installed, else a Go
	// benchmark's -cpuprofile), "pprof", "perf", "gobench" or "none".
	Profiler string
	// Logger receives progress; nil discards it.
	Logger *slog.Logger
}

// Stream is the stream the load goes to (the passenger-car profile's).
const Stream = "vehicle-telemetry"

func (o *Options) defaults() {
	if o.Go == "" {
		o.Go = "go"
	}
	if o.Profile == "" {
		o.Profile = "passenger-car"
	}
	if o.Vehicles <= 0 {
		o.Vehicles = 500
	}
	if o.Batch <= 0 {
		o.Batch = 10
	}
	if o.Points <= 0 {
		o.Points = 2_000_000
	}
	if o.Seed <= 0 {
		o.Seed = 1
	}
	if o.Warmup <= 0 {
		o.Warmup = 5 * time.Second
	}
	if o.LatencyWindow <= 0 {
		o.LatencyWindow = 30 * time.Second
	}
	if o.ProbePoll <= 0 {
		o.ProbePoll = 5 * time.Millisecond
	}
	if o.QuietCores <= 0 {
		o.QuietCores = 0.25
	}
	if o.Profiler == "" {
		o.Profiler = "auto"
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

func cores() int { return runtime.NumCPU() }
