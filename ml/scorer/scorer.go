package scorer

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/tributary-iot/tributary/cloud-core/client"
	"github.com/tributary-iot/tributary/ml/model"
	"github.com/tributary-iot/tributary/models"
)

// DefaultOut is the stream anomalies go to.
const DefaultOut = "anomalies"

// maxPending is how many anomalies the scorer holds before it writes
// them, cut or not.
const maxPending = 4096

// Options configure Run.
type Options struct {
	// Client reads the stream and writes the anomalies; required.
	Client *client.Client
	// Stream is the stream scored; required.
	Stream string
	// Model scores the points; required.
	Model *model.Model
	// Group and Member name the reader group and this instance in it
	// (Group "": a plain tail from From, without checkpoints).
	Group, Member string
	// From is where a new group (or a plain tail) starts: "now", "start"
	// or a cut.
	From string
	// Out is the stream anomalies are written to (0: DefaultOut).
	Out string
	// Writer prefixes the writer ids of the anomalies (one writer per
	// device: Writer-<hash of the device>); "": "scorer".
	Writer string
	// Tag is the "model" tag of the anomalies (e.g. a model version).
	Tag string
	// OnAnomaly, if not nil, sees each anomaly written (one per device
	// and point time at most).
	OnAnomaly func(*model.Anomaly)
	// OnPoint, if not nil, is called after each point scored.
	OnPoint func(*models.Point)
	// Logger receives progress; nil discards it.
	Logger *slog.Logger
}

// Run scores the stream until ctx is done (it then returns nil) or a
// failure. Anomalies are written before the cut that covers their points
// is checkpointed, so a restart loses none; their writer and seq (the
// device and the point's time) make the write idempotent.
func Run(ctx context.Context, opts Options) error {
	if opts.Client == nil || opts.Stream == "" || opts.Model == nil {
		return errors.New("scorer: a client, a stream and a model are required")
	}
	if opts.Out == "" {
		opts.Out = DefaultOut
	}
	if opts.Writer == "" {
		opts.Writer = "scorer"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	r := &run{opts: opts, sc: model.NewScorer(opts.Model), last: map[string]uint64{}, writers: map[string]string{}}
	err := r.loop(ctx)
	if ctx.Err() != nil {
		return nil // stopped: what was not written is not checkpointed either
	}
	return err
}

// loop scores the events of the tail until it ends or fails.
func (r *run) loop(ctx context.Context) error {
	opts := r.opts
	var events func(func(client.Event, error) bool)
	if opts.Group != "" {
		events = opts.Client.GroupTail(ctx, opts.Stream, opts.Group, opts.Member, client.GroupOptions{From: opts.From})
	} else {
		events = opts.Client.Tail(ctx, opts.Stream, client.TailOptions{From: opts.From})
	}
	for ev, err := range events {
		if err != nil {
			return err
		}
		if ev.Point == nil {
			// Everything before this cut is scored: store its anomalies
			// before the group may checkpoint it.
			if err := r.flush(ctx); err != nil {
				return err
			}
			continue
		}
		r.sc.Score(ev.Point, r.found)
		if opts.OnPoint != nil {
			opts.OnPoint(ev.Point)
		}
		if len(r.pending) >= maxPending {
			if err := r.flush(ctx); err != nil {
				return err
			}
		}
	}
	return errors.New("scorer: the tail ended")
}

// run is one Run's state.
type run struct {
	opts    Options
	sc      *model.Scorer
	pending []models.Batch
	// last holds each writer's last seq, to keep seqs increasing.
	last    map[string]uint64
	writers map[string]string
}

// writer returns the writer id of a device's anomalies.
func (r *run) writer(device string) string {
	if w, ok := r.writers[device]; ok {
		return w
	}
	h := fnv.New64a()
	h.Write([]byte(device))
	w := r.opts.Writer + "-" + hex.EncodeToString(h.Sum(nil))
	r.writers[device] = w
	return w
}

// found queues one anomaly as a point of the out stream: the device and
// time of the point it was found in, the signal, kind, value and score.
func (r *run) found(a *model.Anomaly) {
	w := r.writer(a.Device)
	seq := uint64(a.Time)
	if a.Time <= 0 || seq <= r.last[w] {
		return // not after the device's last one: it could not be stored once
	}
	r.last[w] = seq
	if r.opts.OnAnomaly != nil {
		r.opts.OnAnomaly(a)
	}
	p := models.Point{
		Device: a.Device, Stream: r.opts.Out, Time: a.Time, Agent: w, Seq: seq,
		Fields: []models.Field{
			{Key: "kind", Value: models.String(a.Kind)},
			{Key: "score", Value: models.Float(a.Score)},
			{Key: "signal", Value: models.String(a.Signal)},
			{Key: "value", Value: models.Float(a.Value)},
		},
	}
	if r.opts.Tag != "" {
		p.Tags = []models.Tag{{Key: "model", Value: r.opts.Tag}}
	}
	if n := len(r.pending); n > 0 && r.pending[n-1].Writer == w {
		r.pending[n-1].Points = append(r.pending[n-1].Points, p)
		return
	}
	r.pending = append(r.pending, models.Batch{Writer: w, Points: []models.Point{p}})
}

// flush writes the pending anomalies, grouped by writer.
func (r *run) flush(ctx context.Context) error {
	if len(r.pending) == 0 {
		return nil
	}
	slices.SortStableFunc(r.pending, func(a, b models.Batch) int { return strings.Compare(a.Writer, b.Writer) })
	merged := r.pending[:0]
	for _, b := range r.pending {
		if n := len(merged); n > 0 && merged[n-1].Writer == b.Writer {
			merged[n-1].Points = append(merged[n-1].Points, b.Points...)
			continue
		}
		merged = append(merged, b)
	}
	for attempt := 0; ; attempt++ {
		err := r.opts.Client.WriteBatches(ctx, r.opts.Out, merged)
		if err == nil {
			break
		}
		var apiErr *client.APIError
		if errors.As(err, &apiErr) || attempt == 4 || ctx.Err() != nil {
			return fmt.Errorf("scorer: cannot write anomalies: %w", err)
		}
		r.opts.Logger.Warn("writing anomalies failed, retrying", "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt+1) * 200 * time.Millisecond):
		}
	}
	r.opts.Logger.Debug("anomalies written", "writers", len(merged))
	r.pending = r.pending[:0]
	return nil
}
