package model_test

import (
	"testing"
	"time"

	"github.com/tributary-iot/tributary/ml/eval"
	"github.com/tributary-iot/tributary/ml/internal/simfleet"
	"github.com/tributary-iot/tributary/ml/model"
	"github.com/tributary-iot/tributary/models"
)

// TestDetectsInjectedAnomalies trains on a simulated fleet's first ten
// minutes and scores the next twenty: the detector must find most
// injected anomalies and most of what it reports must be one.
func TestDetectsInjectedAnomalies(t *testing.T) {
	start := time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC)
	fleet, err := simfleet.New(simfleet.Options{Profile: "passenger-car", Vehicles: 20, Seed: 7, Start: start, AnomalyRate: 0.0005})
	if err != nil {
		t.Fatal(err)
	}
	const train, score = 12000, 12000 // rounds of 100 ms
	tr := model.NewTrainer(1)
	tr.Begin()
	for range train {
		_ = fleet.Round(func(p *models.Point) error { tr.Add(p); return nil })
	}
	m := tr.Model("vehicle-telemetry", model.DefaultParams())
	sc := model.NewScorer(m)
	begin := start.Add(train * 100 * time.Millisecond)
	var dets []eval.Detection
	for range score {
		_ = fleet.Round(func(p *models.Point) error {
			sc.Score(p, func(a *model.Anomaly) {
				dets = append(dets, eval.Detection{Device: a.Device, Signal: a.Signal, Kind: a.Kind, Time: time.Unix(0, a.Time)})
			})
			return nil
		})
	}
	var truth []eval.Truth
	for _, tr := range fleet.Truth() {
		if tr.Start.After(begin) {
			truth = append(truth, tr)
		}
	}
	res := eval.Evaluate(truth, dets, eval.Options{})
	t.Logf("truth %d, events %d, precision %.2f, recall %.2f, F1 %.2f", res.Truth, res.Events, res.Precision, res.Recall, res.F1)
	for k, r := range res.ByKind {
		t.Logf("  %-12s %3d injected, recall %.2f", k, r.Truth, r.Recall)
	}
	for k, n := range res.EventsByKind {
		t.Logf("  events %-8s %4d, matched %d", k, n, res.MatchedByKind[k])
	}
	if res.Truth < 20 {
		t.Fatalf("only %d anomalies injected: the test measures nothing", res.Truth)
	}
	if res.Precision < 0.5 || res.Recall < 0.5 {
		t.Errorf("precision %.2f, recall %.2f: want both at least 0.5", res.Precision, res.Recall)
	}
}
