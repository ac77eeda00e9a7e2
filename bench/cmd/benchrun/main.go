// Command benchrun is make bench: it runs the Tributary pipeline (the
// cloud-core, edge-agent and fleetsim binaries in --bin) under load on this
// machine, with the baselines and the Go micro-benchmarks, and writes
// latest.json, latest.md and latest.svg to --out. bench/README.md says
// what each figure means and how it is measured.
//
//	benchrun --bin DIR [--out bench/results] [--repo .] [flags]
//	benchrun broker --listen ADDR   (the bare-broker baseline, run by benchrun itself)
//	benchrun render [--out bench/results]   (latest.md and latest.svg again from latest.json)
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/tributary-iot/tributary/bench/barebroker"
	"github.com/tributary-iot/tributary/bench/report"
	"github.com/tributary-iot/tributary/bench/scenario"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main with its inputs and outputs explicit. Exit codes: 0 done,
// 1 the run failed, 2 bad flags.
func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if len(args) > 0 && args[0] == "broker" {
		return broker(ctx, args[1:], stderr)
	}
	if len(args) > 0 && args[0] == "render" {
		return render(args[1:], stderr)
	}
	cfg, err := parse(args)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "benchrun: %v\n", err)
		return 2
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.level}))
	cfg.opts.Logger = logger
	if cfg.opts.WorkDir == "" {
		if cfg.opts.WorkDir, err = os.MkdirTemp("", "tributary-bench-"); err != nil {
			fmt.Fprintf(stderr, "benchrun: %v\n", err)
			return 1
		}
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	rep, err := scenario.Run(ctx, cfg.opts)
	if err != nil {
		fmt.Fprintf(stderr, "benchrun: %v\nbenchrun: logs and data kept in %s\n", err, cfg.opts.WorkDir)
		if b, jerr := rep.JSON(); jerr == nil {
			_ = os.WriteFile(filepath.Join(cfg.opts.WorkDir, "partial.json"), b, 0o644)
		}
		return 1
	}
	if err := write(cfg.out, rep); err != nil {
		fmt.Fprintf(stderr, "benchrun: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s\nbenchrun: wrote %s/latest.{json,md,svg} in %.0f s\n", report.Table(rep.Figures), cfg.out, rep.DurationS)
	if !cfg.keep {
		_ = os.RemoveAll(cfg.opts.WorkDir)
	}
	return 0
}

type config struct {
	opts    scenario.Options
	out     string
	timeout time.Duration
	level   slog.Level
	keep    bool
}

func parse(args []string) (config, error) {
	var c config
	o := &c.opts
	fs := flag.NewFlagSet("benchrun", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.Bin, "bin", "", "folder with the cloud-core, edge-agent and fleetsim binaries (required)")
	fs.StringVar(&c.out, "out", filepath.Join("bench", "results"), "folder for latest.json, latest.md and latest.svg")
	fs.StringVar(&o.Repo, "repo", ".", "module root, where the micro-benchmarks run")
	fs.StringVar(&o.Go, "go", "go", "go command")
	fs.StringVar(&o.WorkDir, "work", "", "work folder for data and logs (default: a new temporary folder)")
	fs.BoolVar(&c.keep, "keep", false, "keep the work folder after a successful run")
	fs.StringVar(&o.Profile, "profile", "passenger-car", "fleetsim profile of the load")
	fs.IntVar(&o.Vehicles, "vehicles", 500, "vehicles (MQTT connections)")
	fs.IntVar(&o.Batch, "batch", 10, "points per MQTT message")
	fs.IntVar(&o.Points, "points", 2_000_000, "points in the max-load phase")
	fs.IntVar(&o.Seed, "seed", 1, "fleetsim seed")
	fs.DurationVar(&o.Warmup, "warmup", 5*time.Second, "half load before the latency probe starts")
	fs.DurationVar(&o.LatencyWindow, "latency-window", 30*time.Second, "how long the latency probe runs")
	fs.DurationVar(&o.ProbePoll, "probe-poll", 5*time.Millisecond, "the probe's count polling interval")
	fs.IntVar(&o.UplinkBatch, "uplink-batch", 0, "edge agent --uplink-batch (0: the agent's default)")
	fs.DurationVar(&o.UplinkLinger, "uplink-linger", 0, "edge agent --uplink-linger (0: the agent's default)")
	fs.DurationVar(&o.QuietWait, "quiet-wait", 0, "wait up to this long, before starting, for other work on the machine to stop (0: no wait)")
	fs.Float64Var(&o.QuietCores, "quiet-cores", 0.25, "cores other work may use for the machine to count as quiet")
	fs.BoolVar(&o.Micro, "micro", true, "run the Go micro-benchmarks")
	fs.StringVar(&o.Profiler, "profiler", "auto", "edge agent profile: auto, pprof, perf, gobench or none")
	fs.DurationVar(&c.timeout, "timeout", 10*time.Minute, "give up after this long")
	level := fs.String("log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(os.Stdout)
			fmt.Println("Usage: benchrun --bin DIR [flags]")
			fs.PrintDefaults()
		}
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if o.Bin == "" {
		return c, errors.New("--bin is required")
	}
	switch o.Profiler {
	case "auto", "pprof", "perf", "gobench", "none":
	default:
		return c, fmt.Errorf("--profiler %q: want auto, pprof, perf, gobench or none", o.Profiler)
	}
	if err := c.level.UnmarshalText([]byte(*level)); err != nil {
		return c, fmt.Errorf("--log-level %q: %w", *level, err)
	}
	var err error
	if o.Self, err = os.Executable(); err != nil {
		return c, fmt.Errorf("find own executable: %w", err)
	}
	for _, p := range []*string{&o.Bin, &o.Repo} {
		if *p, err = filepath.Abs(*p); err != nil {
			return c, err
		}
	}
	return c, nil
}

// write writes the report's three files, each replaced whole.
func write(dir string, rep *report.Report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	js, err := rep.JSON()
	if err != nil {
		return err
	}
	for name, data := range map[string][]byte{
		"latest.json": js,
		"latest.md":   rep.Markdown(),
		"latest.svg":  rep.Chart().SVG(),
	} {
		tmp := filepath.Join(dir, "."+name+".tmp")
		if err := os.WriteFile(tmp, data, 0o644); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
	}
	return nil
}

// broker runs the bare MQTT broker baseline until a signal.
func broker(ctx context.Context, args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("benchrun broker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:1883", "MQTT listen address")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if err := barebroker.Run(ctx, barebroker.Options{Addr: *listen}); err != nil {
		fmt.Fprintf(stderr, "benchrun broker: %v\n", err)
		return 1
	}
	return 0
}

// render writes latest.md and latest.svg again from latest.json, after a
// change to how they are drawn.
func render(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("benchrun render", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", filepath.Join("bench", "results"), "folder holding latest.json")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	b, err := os.ReadFile(filepath.Join(*out, "latest.json"))
	if err != nil {
		fmt.Fprintf(stderr, "benchrun render: %v\n", err)
		return 1
	}
	var rep report.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		fmt.Fprintf(stderr, "benchrun render: latest.json: %v\n", err)
		return 1
	}
	if rep.Version != report.Version {
		fmt.Fprintf(stderr, "benchrun render: latest.json is version %d, this benchrun writes %d\n", rep.Version, report.Version)
		return 1
	}
	if err := write(*out, &rep); err != nil {
		fmt.Fprintf(stderr, "benchrun render: %v\n", err)
		return 1
	}
	return 0
}
