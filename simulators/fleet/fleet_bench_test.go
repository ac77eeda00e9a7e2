package fleet_test

// Generation throughput in dry-run mode (no MQTT): the generator must not
// be the bottleneck of a 300k points/s pipeline test. Run with
//
//	go test -run '^$' -bench . -benchtime 2000000x ./simulators/fleet/
//
// and read points/s (the whole machine's worth of workers) and ns/op (per
// point).

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/tributary-iot/tributary/simulators/fleet"
	"github.com/tributary-iot/tributary/simulators/internal/simtest"
	"github.com/tributary-iot/tributary/simulators/msgfile"
)

func BenchmarkGenerate(b *testing.B) {
	for _, c := range []struct {
		profile string
		batch   int
		file    bool
	}{
		{"passenger-car", 1, false},
		{"passenger-car", 10, false},
		{"heavy-truck", 1, false},
		{"ev-battery", 1, false},
		{"line-protocol", 1, false},
		{"line-protocol", 10, false},
		{"passenger-car", 1, true},
	} {
		name := fmt.Sprintf("profile=%s/batch=%d/file=%v", c.profile, c.batch, c.file)
		b.Run(name, func(b *testing.B) {
			p := simtest.Builtin(b, c.profile)
			cfg := fleet.Config{
				Profiles: []fleet.Weighted{{Profile: p, Weight: 1}}, Vehicles: 1000, Batch: c.batch,
				Points: int64(b.N), Seed: 1, Start: time.Unix(1790000000, 0), AnomalyRate: 0.0005,
				Mess: fleet.DefaultMess(), Ordered: c.file,
			}
			s, err := fleet.New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			var sink fleet.Sink = fleet.Discard{}
			w := msgfile.NewWriter(io.Discard)
			if c.file {
				sink = fleet.NewWriterSink(w)
			}
			b.ReportAllocs()
			b.ResetTimer()
			rep, err := s.Run(context.Background(), sink, nil)
			if err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			if rep.Points != int64(b.N) {
				b.Fatalf("%d points, want %d", rep.Points, b.N)
			}
			b.SetBytes(rep.Bytes / max(1, int64(b.N)))
			b.ReportMetric(float64(rep.Points)/b.Elapsed().Seconds(), "points/s")
		})
	}
}
