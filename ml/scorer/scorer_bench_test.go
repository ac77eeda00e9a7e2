package scorer_test

// Run with:
//
//	go test -run '^$' -bench Scorer -benchtime 3x ./ml/scorer/

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tributary-iot/tributary/ml/internal/simfleet"
	"github.com/tributary-iot/tributary/ml/internal/testapi"
	"github.com/tributary-iot/tributary/ml/model"
	"github.com/tributary-iot/tributary/ml/scorer"
	"github.com/tributary-iot/tributary/models"
)

// BenchmarkScorerOverHTTP runs the scorer on a stream's points through
// the HTTP tail (from the start: catch-up speed), writing its anomalies:
// the whole job's points/s on this machine, server included.
func BenchmarkScorerOverHTTP(b *testing.B) {
	api := testapi.Start(b)
	c := api.Client
	fleet, err := simfleet.New(simfleet.Options{Profile: "passenger-car", Vehicles: 50, Seed: 5, Start: time.Unix(1_800_000_000, 0), AnomalyRate: 0.0005})
	if err != nil {
		b.Fatal(err)
	}
	tr := model.NewTrainer(1)
	var (
		batch []models.Point
		seq   uint64
		total int64
	)
	for range 4000 {
		_ = fleet.Round(func(p *models.Point) error {
			tr.Add(p)
			seq++
			q := p.Clone()
			q.Seq = seq
			batch = append(batch, q)
			return nil
		})
		if len(batch) >= 10_000 {
			if err := c.Write(context.Background(), "vt", "fleet.normal", batch); err != nil {
				b.Fatal(err)
			}
			total += int64(len(batch))
			batch = batch[:0]
		}
	}
	if err := c.Write(context.Background(), "vt", "fleet.normal", batch); err != nil {
		b.Fatal(err)
	}
	total += int64(len(batch))
	m := tr.Model("vt", model.DefaultParams())
	b.ReportAllocs()
	for b.Loop() {
		var scored atomic.Int64
		ctx, cancel := context.WithCancel(context.Background())
		err := scorer.Run(ctx, scorer.Options{
			Client: c, Stream: "vt", Model: m, From: "start",
			OnPoint: func(*models.Point) {
				if scored.Add(1) == total {
					cancel()
				}
			},
		})
		cancel()
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(total*int64(b.N))/b.Elapsed().Seconds(), "points/s")
}
