package client_test

// Run with:
//
//	go test -run '^$' -bench 'HistoryRead|TailLatency' -benchtime 3x ./cloud-core/client/

import (
	"context"
	"iter"
	"slices"
	"testing"
	"time"

	"github.com/tributary-iot/tributary/cloud-core/client"
	"github.com/tributary-iot/tributary/models"
)

// benchPoints is the size of the history the read benchmarks read.
const benchPoints = 200_000

// BenchmarkHistoryRead reads the same history (two segments, half in
// tier 2) as one NDJSON query, and through splits (MessagePack) with one
// and two workers; points/s compares them.
func BenchmarkHistoryRead(b *testing.B) {
	s := newServer(b, false)
	c := s.client(b, "")
	ctx := context.Background()
	if _, _, err := s.st.PutStream(ctx, "vt", policy(2)); err != nil {
		b.Fatal(err)
	}
	for first := uint64(1); first <= benchPoints; first += 10_000 {
		write(b, c, "vt", points(first, first+9_999, 500))
		if first == benchPoints/2+1 {
			if _, err := s.st.Tier(ctx, "vt", storeTierAll); err != nil {
				b.Fatal(err)
			}
		}
	}
	read := func(b *testing.B, seq iter.Seq2[*models.Point, error]) int {
		n := 0
		for _, err := range seq {
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		return n
	}
	b.Run("ndjson-query", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if n := read(b, c.Events(ctx, "vt", client.Query{NDJSON: true})); n != benchPoints {
				b.Fatalf("%d points", n)
			}
		}
		b.ReportMetric(float64(benchPoints*b.N)/b.Elapsed().Seconds(), "points/s")
	})
	b.Run("msgpack-query", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if n := read(b, c.Events(ctx, "vt", client.Query{})); n != benchPoints {
				b.Fatalf("%d points", n)
			}
		}
		b.ReportMetric(float64(benchPoints*b.N)/b.Elapsed().Seconds(), "points/s")
	})
	for _, workers := range []int{1, 2} {
		b.Run("splits/workers="+string(rune('0'+workers)), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				splits, err := c.Splits(ctx, "vt", client.SplitQuery{Target: 25_000})
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				counts := make([]int, workers)
				err = c.ReadSplits(ctx, splits, workers, func(w, _ int, _ *models.Point) error {
					counts[w]++
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
				for _, k := range counts {
					n += k
				}
				if n != benchPoints {
					b.Fatalf("%d points", n)
				}
			}
			b.ReportMetric(float64(benchPoints*b.N)/b.Elapsed().Seconds(), "points/s")
		})
	}
}

// BenchmarkTailLatency measures, one point at a time, the time from a
// write's acknowledgement (ack-*) and from its start (send-*) to the
// tail reader receiving the point, through HTTP both ways.
func BenchmarkTailLatency(b *testing.B) {
	s := newServer(b, false)
	c := s.client(b, "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	write(b, c, "vt", points(1, 1, 1))
	next, stop := iter.Pull2(c.Tail(ctx, "vt", client.TailOptions{CutEvery: -1}))
	defer stop()
	receive := func(seq uint64) {
		for {
			ev, err, ok := next()
			if !ok || err != nil {
				b.Fatalf("tail ended: %v", err)
			}
			if ev.Point != nil && ev.Point.Seq == seq {
				return
			}
		}
	}
	// The first event is the cut the tail starts at: it runs from here on.
	if ev, err, ok := next(); !ok || err != nil || ev.Point != nil {
		b.Fatalf("first event %+v %v", ev, err)
	}
	// fromAck is the time from the write's answer to the tail's point (0
	// when the tail had it first); fromSend from the write's start.
	var fromAck, fromSend []time.Duration
	seq := uint64(1)
	b.ReportAllocs()
	for b.Loop() {
		seq++
		sent := time.Now()
		write(b, c, "vt", points(seq, seq, 1))
		acked := time.Now()
		receive(seq)
		got := time.Now()
		fromAck = append(fromAck, max(got.Sub(acked), 0))
		fromSend = append(fromSend, got.Sub(sent))
	}
	for _, m := range []struct {
		name string
		d    []time.Duration
	}{{"ack", fromAck}, {"send", fromSend}} {
		slices.Sort(m.d)
		b.ReportMetric(float64(m.d[len(m.d)/2].Microseconds()), m.name+"-p50-µs")
		b.ReportMetric(float64(m.d[len(m.d)*99/100].Microseconds()), m.name+"-p99-µs")
	}
}
