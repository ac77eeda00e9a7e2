// Command trainer fits the vehicle anomaly model of a stream's history,
// read through the cloud core's splits by parallel workers, and saves it
// as JSON:
//
//	trainer --api http://127.0.0.1:8080 --stream vehicle-telemetry \
//	    --start -24h --workers 4 --out model.json
//
// The token comes from --token or TRIBUTARY_TOKEN. Bad flags print one
// line and exit 2; a failure exits 1.
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
	"syscall"
	"time"

	"github.com/tributary-iot/tributary/ml/internal/cmdflags"
	"github.com/tributary-iot/tributary/ml/trainer"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	cmd := cmdflags.New("trainer", stdout, stderr)
	fs := cmd.Flags
	stream := fs.String("stream", "vehicle-telemetry", "stream to learn from")
	start := fs.String("start", "", "first device time: RFC 3339 or an offset from now such as -24h (default: all)")
	end := fs.String("end", "", "end of the device times, same forms (default: now)")
	workers := fs.Int("workers", 2, "splits read in parallel")
	out := fs.String("out", "model.json", "model file to write")
	seed := fs.Uint64("seed", 1, "sampling seed")
	c, code := cmd.Parse(args)
	if c == nil {
		return code
	}
	now := time.Now()
	t0, err1 := parseWhen(*start, now)
	t1, err2 := parseWhen(*end, now)
	if err := errors.Join(err1, err2); err != nil || *workers < 1 {
		if err == nil {
			err = errors.New("--workers must be at least 1")
		}
		return cmd.Fail(2, err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	log := slog.New(slog.NewTextHandler(stderr, nil))
	m, res, err := trainer.Train(ctx, trainer.Options{
		Client: c, Stream: *stream, Start: t0, End: t1, Workers: *workers, Seed: *seed, Logger: log,
	})
	if err != nil {
		log.Error("training failed", "err", err)
		return 1
	}
	if err := m.Save(*out); err != nil {
		log.Error("cannot save the model", "err", err)
		return 1
	}
	summary := map[string]any{
		"model": *out, "stream": *stream, "splits": res.Splits, "points": res.Points, "devices": len(m.Devices),
		"seconds": res.Elapsed.Seconds(), "points_per_second": float64(res.Points) / max(res.Elapsed.Seconds(), 1e-9),
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	_ = enc.Encode(summary)
	return 0
}

// parseWhen reads RFC 3339, an offset from now ("-24h"), or "" (zero).
func parseWhen(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(d), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("time %q: want RFC 3339 or an offset such as -24h", s)
	}
	return t, nil
}
