package scorer_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/tributary-iot/tributary/cloud-core/client"
	"github.com/tributary-iot/tributary/cloud-core/segment"
	"github.com/tributary-iot/tributary/cloud-core/store"
	"github.com/tributary-iot/tributary/ml/eval"
	"github.com/tributary-iot/tributary/ml/internal/simfleet"
	"github.com/tributary-iot/tributary/ml/internal/testapi"
	"github.com/tributary-iot/tributary/ml/model"
	"github.com/tributary-iot/tributary/ml/scorer"
	"github.com/tributary-iot/tributary/ml/trainer"
	"github.com/tributary-iot/tributary/models"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// writeRounds writes rounds of the fleet to stream vt as writer
// fleet.normal, seqs from *seq on, and returns the points written.
func writeRounds(t *testing.T, c *client.Client, f *simfleet.Fleet, rounds int, seq *uint64) int {
	t.Helper()
	var batch []models.Point
	n := 0
	flush := func() {
		if err := c.Write(context.Background(), "vt", "fleet.normal", batch); err != nil {
			t.Fatal(err)
		}
		n += len(batch)
		batch = batch[:0]
	}
	for range rounds {
		_ = f.Round(func(p *models.Point) error {
			*seq++
			q := p.Clone()
			q.Seq = *seq
			batch = append(batch, q)
			return nil
		})
		if len(batch) >= 5000 {
			flush()
		}
	}
	flush()
	return n
}

// TestTrainScoreEvaluate runs the reference jobs end to end through the
// HTTP API: history written and partly tiered, a model trained from it
// through splits by two workers, a scorer in a reader group following
// the live stream and writing anomalies to their own stream, and those
// anomalies measured against the simulator's ground truth. Scoring the
// same points again stores no anomaly twice.
func TestTrainScoreEvaluate(t *testing.T) {
	api := testapi.Start(t)
	c := api.Client
	ctx := context.Background()
	if _, _, err := api.Store.PutStream(ctx, "vt", segment.Policy{Segments: 2}); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC)
	fleet, err := simfleet.New(simfleet.Options{Profile: "passenger-car", Vehicles: 10, Seed: 11, Start: start, AnomalyRate: 0.0005})
	if err != nil {
		t.Fatal(err)
	}
	var seq uint64
	const rounds = 12000 // 20 minutes at 10 Hz
	history := writeRounds(t, c, fleet, rounds/2, &seq)
	if _, err := api.Store.Tier(ctx, "vt", store.TierOptions{}); err != nil {
		t.Fatal(err)
	}
	history += writeRounds(t, c, fleet, rounds/2, &seq)

	m, res, err := trainer.Train(ctx, trainer.Options{Client: c, Stream: "vt", Workers: 2, Target: 20_000})
	if err != nil {
		t.Fatal(err)
	}
	if res.Points != int64(history) || res.Splits < 4 || len(m.Devices) != 10 {
		t.Fatalf("trained on %d of %d points in %d splits, %d devices", res.Points, history, res.Splits, len(m.Devices))
	}

	// Score the next 20 minutes live.
	var scored, found atomic.Int64
	runScorer := func(ctx context.Context) <-chan error {
		done := make(chan error, 1)
		go func() {
			done <- scorer.Run(ctx, scorer.Options{
				Client: c, Stream: "vt", Model: m, Group: "scorers", Member: "s1", From: "now", Tag: "v1",
				OnPoint:   func(*models.Point) { scored.Add(1) },
				OnAnomaly: func(*model.Anomaly) { found.Add(1) },
			})
		}()
		return done
	}
	sctx, stop := context.WithCancel(ctx)
	done := runScorer(sctx)
	waitGroup(t, c)
	begin := start.Add(rounds * 100 * time.Millisecond)
	live := writeRounds(t, c, fleet, rounds, &seq)
	waitFor(t, "every live point scored", func() bool { return scored.Load() >= int64(live) })
	// Anomalies are stored at the next cut line after their point: stop
	// only once that came, or the last ones are (rightly) left to a restart.
	waitFor(t, "every anomaly found stored", func() bool { return int64(len(detections(t, c))) == found.Load() })
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if scored.Load() != int64(live) {
		t.Errorf("scored %d points, %d were written live", scored.Load(), live)
	}

	dets := detections(t, c)
	var truth []eval.Truth
	for _, tr := range fleet.Truth() {
		if tr.Start.After(begin) {
			truth = append(truth, tr)
		}
	}
	r := eval.Evaluate(truth, dets, eval.Options{})
	t.Logf("%d injected, %d anomalies in %d events: precision %.2f, recall %.2f", r.Truth, len(dets), r.Events, r.Precision, r.Recall)
	if r.Truth < 10 || r.Precision < 0.5 || r.Recall < 0.5 {
		t.Errorf("precision %.2f, recall %.2f on %d injected anomalies: want both at least 0.5", r.Precision, r.Recall, r.Truth)
	}
	if int64(len(dets)) != found.Load() {
		t.Errorf("%d anomalies stored, %d found", len(dets), found.Load())
	}

	// Again from the start of the live points: nothing stored twice.
	scored.Store(0)
	if _, err := c.CreateGroup(ctx, "vt", "scorers", "start", true); err != nil {
		t.Fatal(err)
	}
	sctx, stop = context.WithCancel(ctx)
	done = runScorer(sctx)
	total := int64(history + live)
	waitFor(t, "every point scored again", func() bool { return scored.Load() >= total })
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if again := detections(t, c); len(again) < len(dets) || countDup(again) > 0 {
		t.Errorf("after scoring again: %d anomalies (%d repeated), were %d", len(again), countDup(again), len(dets))
	}
}

// waitGroup waits until the scorer's group has a member.
func waitGroup(t *testing.T, c *client.Client) {
	t.Helper()
	waitFor(t, "the scorer in its group", func() bool {
		g, err := c.Group(context.Background(), "vt", "scorers")
		return err == nil && len(g.Members) == 1 && len(g.Members[0].Segments) == 2
	})
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: gave up", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// detections reads the anomalies stream.
func detections(t *testing.T, c *client.Client) []eval.Detection {
	t.Helper()
	var out []eval.Detection
	for p, err := range c.Events(context.Background(), "anomalies", client.Query{}) {
		if err != nil {
			if errors.Is(err, client.ErrNotFound) {
				return nil
			}
			t.Fatal(err)
		}
		sig, _ := p.Field("signal")
		kind, _ := p.Field("kind")
		out = append(out, eval.Detection{Device: p.Device, Signal: sig.Str(), Kind: kind.Str(), Time: time.Unix(0, p.Time)})
	}
	return out
}

func countDup(ds []eval.Detection) int {
	seen := map[eval.Detection]bool{}
	n := 0
	for _, d := range ds {
		d.Time = d.Time.UTC()
		if seen[d] {
			n++
		}
		seen[d] = true
	}
	return n
}
