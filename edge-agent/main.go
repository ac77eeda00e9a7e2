// Command edge-agent collects MQTT telemetry on a vehicle or gateway, keeps
// it in a durable local log, and (with --cloud) replicates it exactly once
// to cloud-core. See the README for flags and endpoints.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/tributary-iot/tributary/edge-agent/agent"
	"github.com/tributary-iot/tributary/edge-agent/config"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

// run is main with its inputs and outputs explicit. Exit codes: 0 clean
// stop, 1 runtime failure, 2 bad flags or configuration.
func run(args []string, stderr io.Writer) int {
	opts, err := config.Parse(args, stderr)
	if errors.Is(err, config.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "edge-agent: %v\n", err)
		return 2
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: opts.LogLevel}))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	a, err := agent.New(ctx, opts, logger)
	if err != nil {
		fmt.Fprintf(stderr, "edge-agent: %v\n", err)
		return 2
	}
	if err := a.Run(ctx); err != nil {
		logger.Error("edge agent failed", "err", err)
		return 1
	}
	return 0
}
