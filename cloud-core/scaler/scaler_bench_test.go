package scaler_test

// Run with:
//
//	go test -run XXX -bench QuadrupledLoad -benchtime 1x ./cloud-core/scaler
//
// One op is one whole scenario on a fresh store: writers append batches
// of 100 points without pause, first 4 of them for a second, then 16 for
// four seconds (the offered load quadruples); each writes for 1 device
// (a vehicle) or 16 (a gateway). The stream starts
// with one segment; "auto" runs the scaler (real clock, windows scaled
// down to seconds) with a target of the per-segment rate the base load
// reached, "fixed-1" and "fixed-4" keep one or four segments. It reports
// the points/s of each phase (the second also over its last two seconds,
// after the scaler had time to act), the segments at the end, and the p99
// append latency of the second phase.

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tributary-iot/tributary/cloud-core/scaler"
	"github.com/tributary-iot/tributary/cloud-core/segment"
	"github.com/tributary-iot/tributary/models"
)

func BenchmarkQuadrupledLoad(b *testing.B) {
	for _, bc := range []struct {
		devices int
		mode    string
	}{
		{1, "fixed-1"}, {1, "auto"}, {1, "fixed-4"},
		{16, "fixed-1"}, {16, "auto"}, {16, "fixed-4"},
	} {
		b.Run(fmt.Sprintf("devices=%d/scaling=%s", bc.devices, bc.mode), func(b *testing.B) {
			b.ReportAllocs()
			var base, peak, late, segs, p99 float64
			for range b.N {
				r := quadrupledLoad(b, bc.mode, bc.devices)
				base += r.base
				peak += r.peak
				late += r.late
				segs += float64(r.segments)
				p99 += r.p99
			}
			n := float64(b.N)
			b.ReportMetric(base/n, "base-points/s")
			b.ReportMetric(peak/n, "4x-points/s")
			b.ReportMetric(late/n, "4x-last2s-points/s")
			b.ReportMetric(segs/n, "segments")
			b.ReportMetric(p99/n, "4x-p99-ms")
		})
	}
}

type loadResult struct {
	base, peak, late float64
	segments         int
	p99              float64
}

// quadrupledLoad runs one scenario; each writer writes for devices
// devices (1: a vehicle, no batch spans segments; 16: a gateway, whose
// batches span several segments once there are several).
func quadrupledLoad(b *testing.B, mode string, devices int) loadResult {
	b.StopTimer()
	const (
		base   = 4   // writers before the load quadruples
		points = 100 // points a batch
	)
	st, db := openStore(b)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	segs := 1
	if mode == "fixed-4" {
		segs = 4
	}
	if _, _, err := st.PutStream(ctx, "load", segment.Policy{Segments: segs}); err != nil {
		b.Fatal(err)
	}
	var (
		total    atomic.Int64
		stopAll  atomic.Bool
		wg       sync.WaitGroup
		mu       sync.Mutex
		measure  atomic.Bool
		latency  []time.Duration // phase two; guarded by mu
		nextSeq  = make([]uint64, 4*base)
		writerFn = func(w int) {
			name := fmt.Sprintf("w%d.normal", w)
			var local []time.Duration
			for !stopAll.Load() {
				bt := &models.Batch{Writer: name}
				for range points {
					nextSeq[w]++
					s := nextSeq[w]
					bt.Points = append(bt.Points, models.Point{
						Device: fmt.Sprintf("w%d-veh-%03d", w, s%uint64(devices)), Stream: "load", Time: time.Now().UnixNano(),
						Fields: []models.Field{{Key: "v", Value: models.Float(float64(s))}}, Agent: fmt.Sprintf("w%d", w), Seq: s,
					})
				}
				start := time.Now()
				if err := st.Append(context.Background(), bt); err != nil {
					b.Error(err)
					return
				}
				if measure.Load() {
					local = append(local, time.Since(start))
				}
				total.Add(points)
			}
			mu.Lock()
			latency = append(latency, local...)
			mu.Unlock()
		}
	)
	b.StartTimer()
	for w := range base {
		wg.Go(func() { writerFn(w) })
	}
	start, n0 := time.Now(), total.Load()
	time.Sleep(time.Second)
	baseRate := float64(total.Load()-n0) / time.Since(start).Seconds()

	if mode == "auto" {
		// Aim at what one segment took under the base load.
		p := segment.Policy{Segments: 1, Scaling: segment.Scaling{By: segment.ByPoints, Target: int64(baseRate), Cooldown: segment.Duration(300 * time.Millisecond)}}
		if _, _, err := st.PutStream(ctx, "load", p); err != nil {
			b.Fatal(err)
		}
		sc, err := scaler.New(scaler.Options{
			Store: st, History: db, Interval: 50 * time.Millisecond,
			Windows: scaler.Windows{Short: 250 * time.Millisecond, Medium: 500 * time.Millisecond, Long: time.Second},
		})
		if err != nil {
			b.Fatal(err)
		}
		var scWG sync.WaitGroup
		scWG.Go(func() { _ = sc.Run(ctx) })
		defer scWG.Wait()
	}
	measure.Store(true)
	for w := base; w < 4*base; w++ {
		wg.Go(func() { writerFn(w) })
	}
	start, n0 = time.Now(), total.Load()
	time.Sleep(2 * time.Second)
	mid, n1 := time.Now(), total.Load()
	time.Sleep(2 * time.Second)
	end, n2 := time.Now(), total.Load()
	b.StopTimer()
	stopAll.Store(true)
	wg.Wait()
	cancel()

	l, err := st.StreamLayout(context.Background(), "load")
	if err != nil {
		b.Fatal(err)
	}
	slices.Sort(latency)
	var p99 float64
	if len(latency) > 0 {
		p99 = float64(latency[len(latency)*99/100]) / 1e6
	}
	return loadResult{
		base:     baseRate,
		peak:     float64(n2-n0) / end.Sub(start).Seconds(),
		late:     float64(n2-n1) / end.Sub(mid).Seconds(),
		segments: len(l.Layout.Current().Segments),
		p99:      p99,
	}
}
