package signal_test

import (
	"slices"
	"testing"
	"time"

	"github.com/tributary-iot/tributary/models"
	"github.com/tributary-iot/tributary/simulators/signal"
	"github.com/tributary-iot/tributary/simulators/truth"
)

var t0 = time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC)

// run is one vehicle's output: the points it sent and its truth.
type run struct {
	points []models.Point
	phases []signal.Phase
	truth  []truth.Record
}

func generate(t testing.TB, cfg signal.Config, n int) run {
	t.Helper()
	if cfg.Device == "" {
		cfg.Device = "veh-00001"
	}
	if cfg.Start.IsZero() {
		cfg.Start = t0
	}
	g, err := signal.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var r run
	var pt models.Point
	for range n {
		if g.Next(&pt) {
			r.points = append(r.points, pt.Clone())
			r.phases = append(r.phases, g.Phase())
		}
	}
	g.Finish()
	r.truth = g.Truth(nil)
	return r
}

// series is one signal's samples in order.
type sample struct {
	t time.Time
	v models.Value
}

func (r run) series(name string) []sample {
	var out []sample
	for _, p := range r.points {
		if v, ok := p.Field(name); ok {
			out = append(out, sample{time.Unix(0, p.Time).UTC(), v})
		}
	}
	return out
}

// inTruth reports whether signal name at t lies in a truth window.
func (r run) inTruth(name string, t time.Time) bool {
	for i := range r.truth {
		rec := &r.truth[i]
		if rec.Contains(t) && (rec.Signal == name || slices.Contains(rec.Related, name)) {
			return true
		}
	}
	return false
}
