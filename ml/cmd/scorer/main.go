// Command scorer follows a stream live as a member of a reader group,
// scores every point with a model made by trainer, and writes the
// anomalies to their own stream:
//
//	scorer --api http://127.0.0.1:8080 --stream vehicle-telemetry \
//	    --model model.json --group scorers --member scorer-1
//
// Run several with the same --group and distinct --member to share the
// stream's segments; a restarted member resumes at the group's last
// checkpoint. The token (--token or TRIBUTARY_TOKEN) must allow writing
// (cloud-core tokens add NAME --streams '*'). SIGTERM stops it (exit 0);
// bad flags print one line and exit 2; a failure exits 1.
package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/tributary-iot/tributary/ml/internal/cmdflags"
	"github.com/tributary-iot/tributary/ml/model"
	"github.com/tributary-iot/tributary/ml/scorer"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	cmd := cmdflags.New("scorer", stdout, stderr)
	fs := cmd.Flags
	host, _ := os.Hostname()
	stream := fs.String("stream", "vehicle-telemetry", "stream to score")
	modelPath := fs.String("model", "model.json", "model file made by trainer")
	group := fs.String("group", "scorers", "reader group (\"\": a plain tail, no checkpoints)")
	member := fs.String("member", sanitize(host), "this instance's name in the group")
	from := fs.String("from", "now", "where a new group starts: now, start or a cut")
	out := fs.String("out", scorer.DefaultOut, "stream the anomalies go to")
	writer := fs.String("writer", "scorer", "prefix of the anomalies' writer ids")
	tag := fs.String("tag", "", "model tag of the anomalies (default: the model's training time)")
	c, code := cmd.Parse(args)
	if c == nil {
		return code
	}
	if *group != "" && *member == "" {
		return cmd.Fail(2, errors.New("--member is required with --group"))
	}
	m, err := model.Load(*modelPath)
	if err != nil {
		return cmd.Fail(2, err)
	}
	if *tag == "" {
		*tag = m.Trained.Format("20060102T150405Z")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	log := slog.New(slog.NewTextHandler(stderr, nil))
	log.Info("scoring", "stream", *stream, "group", *group, "member", *member, "out", *out, "devices", len(m.Devices))
	err = scorer.Run(ctx, scorer.Options{
		Client: c, Stream: *stream, Model: m, Group: *group, Member: *member, From: *from,
		Out: *out, Writer: *writer, Tag: *tag, Logger: log,
	})
	if err != nil {
		log.Error("scoring failed", "err", err)
		return 1
	}
	log.Info("scorer stopped")
	return 0
}

// sanitize makes s a valid member name (letters, digits, '-', '_').
func sanitize(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			b[i] = '-'
		}
	}
	if len(b) == 0 {
		return "scorer"
	}
	return string(b)
}
