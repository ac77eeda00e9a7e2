// Command evaluate measures the anomalies a scorer wrote against
// fleetsim's ground truth (--truth FILE) and prints event precision and
// recall, overall and by kind, as JSON:
//
//	evaluate --api http://127.0.0.1:8080 --truth truth.jsonl
//
// Bad flags print one line and exit 2; a failure exits 1.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"time"

	"github.com/tributary-iot/tributary/cloud-core/client"
	"github.com/tributary-iot/tributary/ml/eval"
	"github.com/tributary-iot/tributary/ml/internal/cmdflags"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	cmd := cmdflags.New("evaluate", stdout, stderr)
	fs := cmd.Flags
	stream := fs.String("stream", "anomalies", "stream of the anomalies")
	tag := fs.String("tag", "", "only anomalies with this model tag")
	truthPath := fs.String("truth", "", "fleetsim's truth file (required)")
	gap := fs.Duration("gap", 30*time.Second, "detections of a signal closer than this are one event")
	tol := fs.Duration("tolerance", 5*time.Second, "slack around each injected anomaly")
	c, code := cmd.Parse(args)
	if c == nil {
		return code
	}
	if *truthPath == "" {
		return cmd.Fail(2, errors.New("--truth is required"))
	}
	f, err := os.Open(*truthPath)
	if err != nil {
		return cmd.Fail(2, err)
	}
	truth, err := eval.ReadTruth(f)
	f.Close()
	if err != nil {
		return cmd.Fail(1, err)
	}
	dets, err := detections(context.Background(), c, *stream, *tag)
	if err != nil {
		return cmd.Fail(1, err)
	}
	res := eval.Evaluate(truth, dets, eval.Options{Gap: *gap, Tolerance: *tol})
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	_ = enc.Encode(res)
	return 0
}

// detections reads the anomalies of stream (with model tag tag, if set).
func detections(ctx context.Context, c *client.Client, stream, tag string) ([]eval.Detection, error) {
	var out []eval.Detection
	for p, err := range c.Events(ctx, stream, client.Query{}) {
		if err != nil {
			return nil, err
		}
		if t, _ := p.Tag("model"); tag != "" && t != tag {
			continue
		}
		sig, _ := p.Field("signal")
		kind, _ := p.Field("kind")
		out = append(out, eval.Detection{Device: p.Device, Signal: sig.Str(), Kind: kind.Str(), Time: time.Unix(0, p.Time)})
	}
	return out, nil
}
