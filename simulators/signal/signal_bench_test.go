package signal_test

// The cost of one reading (physics step, signals, anomalies), without
// encoding. Run with
//
//	go test -run '^$' -bench Next ./simulators/signal/

import (
	"testing"
	"time"

	"github.com/tributary-iot/tributary/models"
	"github.com/tributary-iot/tributary/simulators/internal/simtest"
	"github.com/tributary-iot/tributary/simulators/signal"
)

func BenchmarkNext(b *testing.B) {
	for _, name := range []string{"passenger-car", "heavy-truck", "ev-battery", "line-protocol"} {
		b.Run("profile="+name, func(b *testing.B) {
			g, err := signal.New(signal.Config{Profile: simtest.Builtin(b, name), Device: "veh-00001", Seed: 1,
				Start: t0, Interval: 100 * time.Millisecond, AnomalyRate: 0.001})
			if err != nil {
				b.Fatal(err)
			}
			var pt models.Point
			b.ReportAllocs()
			for b.Loop() {
				g.Next(&pt)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "points/s")
		})
	}
}
