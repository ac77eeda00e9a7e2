package model_test

// Run with:
//
//	go test -run '^$' -bench Score -benchtime 2s ./ml/model/

import (
	"testing"
	"time"

	"github.com/tributary-iot/tributary/ml/internal/simfleet"
	"github.com/tributary-iot/tributary/ml/model"
	"github.com/tributary-iot/tributary/models"
)

// BenchmarkScore scores simulated passenger-car points (about six
// signals each) in memory: the scorer's own cost per point.
func BenchmarkScore(b *testing.B) {
	fleet, err := simfleet.New(simfleet.Options{Profile: "passenger-car", Vehicles: 50, Seed: 3, Start: time.Unix(1_800_000_000, 0), AnomalyRate: 0.0005})
	if err != nil {
		b.Fatal(err)
	}
	tr := model.NewTrainer(1)
	var pts []models.Point
	for range 4000 {
		_ = fleet.Round(func(p *models.Point) error {
			tr.Add(p)
			pts = append(pts, p.Clone())
			return nil
		})
	}
	sc := model.NewScorer(tr.Model("s", model.DefaultParams()))
	anomalies := 0
	report := func(*model.Anomaly) { anomalies++ }
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		sc.Score(&pts[i%len(pts)], report)
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "points/s")
}
