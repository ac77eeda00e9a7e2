package store_test

// Run with:
//
//	go test -run XXX -bench SplitLatency -benchtime 20x ./cloud-core/store
//
// Writers append batches without pause to a stream while, once per op,
// its segment is split in two and the two halves merged back. Every
// append's latency is recorded and classed as "during" when it overlaps
// a split or merge (from the call to its return) and "steady" otherwise.
// It reports the p50 and p99 of both classes and of the split and merge
// calls themselves.

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tributary-iot/tributary/cloud-core/segment"
)

// interval is a span of time [from, to].
type interval struct{ from, to time.Time }

func (i interval) overlaps(o interval) bool { return !i.to.Before(o.from) && !o.to.Before(i.from) }

func quantile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return d[min(len(d)-1, int(q*float64(len(d))))]
}

func BenchmarkSplitLatency(b *testing.B) {
	const (
		writers = 4
		points  = 100
		devices = 64
		steady  = 100 * time.Millisecond
	)
	e := newEnv(b, nil)
	ctx := context.Background()
	if _, _, err := e.st.PutStream(ctx, "lat", segment.Policy{Segments: 1}); err != nil {
		b.Fatal(err)
	}
	var (
		stop atomic.Bool
		wg   sync.WaitGroup
		mu   sync.Mutex
		// appends holds every append's span; guarded by mu.
		appends []interval
	)
	for w := range writers {
		wg.Go(func() {
			name := fmt.Sprintf("w%d.normal", w)
			var local []interval
			for seq := uint64(1); !stop.Load(); seq += points {
				bt := batch("lat", name, seq, seq+points-1, devices)
				start := time.Now()
				if err := e.st.Append(ctx, bt); err != nil {
					b.Error(err)
					break
				}
				local = append(local, interval{start, time.Now()})
			}
			mu.Lock()
			appends = append(appends, local...)
			mu.Unlock()
		})
	}
	var changes []interval
	var splitTimes, mergeTimes []time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		time.Sleep(steady)
		st, err := e.st.StreamLayout(ctx, "lat")
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		st, err = e.st.SplitSegment(ctx, "lat", st.Layout.Current().Segments[0], 2, segment.Change{Manual: true})
		if err != nil {
			b.Fatal(err)
		}
		changes = append(changes, interval{start, time.Now()})
		splitTimes = append(splitTimes, time.Since(start))
		time.Sleep(steady)
		start = time.Now()
		if _, err := e.st.MergeSegments(ctx, "lat", st.Layout.Current().Segments, segment.Change{Manual: true}); err != nil {
			b.Fatal(err)
		}
		changes = append(changes, interval{start, time.Now()})
		mergeTimes = append(mergeTimes, time.Since(start))
	}
	time.Sleep(steady)
	b.StopTimer()
	stop.Store(true)
	wg.Wait()

	var during, calm []time.Duration
	for _, a := range appends {
		d := a.to.Sub(a.from)
		if slices.ContainsFunc(changes, a.overlaps) {
			during = append(during, d)
		} else {
			calm = append(calm, d)
		}
	}
	ms := func(d time.Duration) float64 { return float64(d) / 1e6 }
	b.ReportMetric(ms(quantile(calm, 0.5)), "steady-p50-ms")
	b.ReportMetric(ms(quantile(calm, 0.99)), "steady-p99-ms")
	b.ReportMetric(ms(quantile(during, 0.5)), "during-p50-ms")
	b.ReportMetric(ms(quantile(during, 0.99)), "during-p99-ms")
	b.ReportMetric(ms(quantile(splitTimes, 0.5)), "split-p50-ms")
	b.ReportMetric(ms(quantile(mergeTimes, 0.5)), "merge-p50-ms")
	b.ReportMetric(float64(len(during)), "appends-during")
	b.ReportMetric(float64(len(calm)), "appends-steady")
}
