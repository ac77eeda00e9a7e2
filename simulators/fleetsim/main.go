// Command fleetsim simulates a fleet of vehicles publishing telemetry over
// MQTT, with realistic signals, labelled anomalies and the mess real
// fleets send; or, with --out, writes the messages to a file. See
// simulators/README.md.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/tributary-iot/tributary/simulators/console"
	"github.com/tributary-iot/tributary/simulators/fleet"
	"github.com/tributary-iot/tributary/simulators/mqttpub"
	"github.com/tributary-iot/tributary/simulators/msgfile"
	"github.com/tributary-iot/tributary/simulators/simconfig"
	"github.com/tributary-iot/tributary/simulators/truth"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // a second signal kills at once
	}()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, console.IsTerminal(os.Stderr))
	stop()
	os.Exit(code)
}

// run is main with its inputs explicit. Exit codes: 0 done (interrupted
// included), 1 a failure while running, 2 bad flags or configuration.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, tty bool) int {
	opts, err := simconfig.Parse(args, stderr)
	if errors.Is(err, simconfig.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "fleetsim: %v\n", err)
		return 2
	}
	weights, err := simconfig.Profiles(opts.Profile, opts.ProfilesDir)
	if err != nil {
		fmt.Fprintf(stderr, "fleetsim: %v\n", err)
		return 2
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: opts.LogLevel}))
	sim, err := fleet.New(fleet.Config{
		Profiles: weights, Vehicles: opts.Vehicles, Rate: opts.Rate, Batch: opts.Batch,
		Points: opts.Points, Duration: opts.Duration, Seed: opts.Seed, Start: opts.Start,
		AnomalyRate: opts.AnomalyRate, Kinds: opts.Anomalies, Mess: opts.Mess,
		DevicePrefix: opts.DevicePrefix, ClientPrefix: opts.ClientPrefix,
		Workers: opts.Workers, Logger: logger,
		// A dry run's files come out in a fixed order; without any, it
		// measures the generators, unserialised.
		Ordered: opts.Out != "" || (opts.DryRun && opts.Truth != ""),
	})
	if err != nil {
		fmt.Fprintf(stderr, "fleetsim: %v\n", err)
		return 2
	}

	var closers []func() error
	closeAll := func() error {
		var errs []error
		for i := len(closers) - 1; i >= 0; i-- {
			errs = append(errs, closers[i]())
		}
		closers = nil
		return errors.Join(errs...)
	}
	defer closeAll()

	var truthSink fleet.TruthSink
	if opts.Truth != "" {
		f, err := os.Create(opts.Truth)
		if err != nil {
			fmt.Fprintf(stderr, "fleetsim: --truth: %v\n", err)
			return 2
		}
		tw := truth.NewWriter(f, truth.FormatFor(opts.Truth))
		truthSink = tw
		closers = append(closers, func() error { return errors.Join(tw.Close(), f.Close()) })
	}

	var sink fleet.Sink
	target := opts.MQTT
	switch {
	case opts.DryRun && opts.Out == "":
		sink, target = fleet.Discard{}, "nowhere (dry run)"
	case opts.DryRun:
		out, closeOut, err := create(opts.Out, stdout)
		if err != nil {
			fmt.Fprintf(stderr, "fleetsim: --out: %v\n", err)
			return 2
		}
		mw := msgfile.NewWriter(out)
		sink, target = fleet.NewWriterSink(mw), opts.Out
		closers = append(closers, func() error { return errors.Join(mw.Flush(), closeOut()) })
	default:
		pub, err := mqttpub.New(mqttpub.Options{Broker: opts.MQTT, QoS: byte(opts.QoS), Logger: logger}, sim.Vehicles())
		if err != nil {
			fmt.Fprintf(stderr, "fleetsim: --mqtt: %v\n", err)
			return 2
		}
		logger.Info("connecting", "broker", opts.MQTT, "vehicles", opts.Vehicles)
		if err := pub.Connect(ctx); err != nil {
			if ctx.Err() != nil {
				return 0
			}
			fmt.Fprintf(stderr, "fleetsim: %v\n", err)
			return 1
		}
		sink = pub
		closers = append(closers, func() error {
			cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			return pub.Close(cctx)
		})
	}

	pctx, stopProgress := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { console.Progress(pctx, console.Options{Out: stderr, TTY: tty, Logger: logger}, sim.Progress) })
	rep, runErr := sim.Run(ctx, sink, truthSink)
	stopProgress()
	wg.Wait()
	closeErr := closeAll()

	rep.Target, rep.QoS = target, opts.QoS
	if pub, ok := sink.(*mqttpub.Publisher); ok {
		rep.Errors = pub.Errors() // after Close: late acknowledgements counted
	}
	console.Summary(stderr, rep)
	if opts.Report != "" {
		if err := writeJSON(opts.Report, rep); err != nil {
			fmt.Fprintf(stderr, "fleetsim: --report: %v\n", err)
			return 1
		}
	}
	if err := errors.Join(runErr, closeErr); err != nil {
		fmt.Fprintf(stderr, "fleetsim: %v\n", err)
		return 1
	}
	return 0
}

// create opens path for writing ("-" is stdout).
func create(path string, stdout io.Writer) (io.Writer, func() error, error) {
	if path == "-" {
		return stdout, func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, nil, err
	}
	return f, f.Close, nil
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
