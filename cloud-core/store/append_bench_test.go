package store_test

// Run with:
//
//	go test -run XXX -bench AppendVsJetStream -benchtime 400x ./cloud-core/store
//
// Each op appends one batch of `points` points. The benchmark times the
// same number of batches twice in one run: through Store.Append (routing,
// marks, msgp + zstd, a publish per segment run with the expected last
// subject sequence, waiting for the ack), and as a bare JetStream async
// publish of the very messages the store stores (one per writer and
// segment), into a stream of the same configuration: once with the
// payloads encoded beforehand (not timed), once encoding them on the way.
// It reports the rates and the ratios of the times (store/bare: 1.0 means
// the store costs nothing), and, per point, the wall time of the bare
// publish and the CPU time of encoding alone (one goroutine): the floor
// under store/bare that any store encoding the points itself has.

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tributary-iot/tributary/cloud-core/batchmsg"
	"github.com/tributary-iot/tributary/cloud-core/segment"
	"github.com/tributary-iot/tributary/cloud-core/tier1"
	"github.com/tributary-iot/tributary/models"
)

func BenchmarkAppendVsJetStream(b *testing.B) {
	for _, bc := range []struct{ writers, points, segments int }{
		{8, 1000, 1}, {8, 1000, 4}, {32, 200, 4},
	} {
		name := fmt.Sprintf("writers=%d/points=%d/segments=%d", bc.writers, bc.points, bc.segments)
		b.Run(name, func(b *testing.B) { benchAppendVsJetStream(b, bc.writers, bc.points, bc.segments) })
	}
}

func benchAppendVsJetStream(b *testing.B, writers, points, segments int) {
	e := newEnv(b, nil)
	ctx := context.Background()
	if _, _, err := e.st.PutStream(ctx, "bench", segment.Policy{Segments: segments}); err != nil {
		b.Fatal(err)
	}
	templates := make([]*models.Batch, writers)
	for w := range writers {
		templates[w] = batch("bench", fmt.Sprintf("gw-%d.normal", w), 1, uint64(points), 50)
	}
	// The bare side publishes the very messages the store stores: one
	// per writer and segment, encoded beforehand.
	codec, err := batchmsg.NewCodec()
	if err != nil {
		b.Fatal(err)
	}
	defer codec.Close()
	layout, err := e.st.StreamLayout(ctx, "bench")
	if err != nil {
		b.Fatal(err)
	}
	runs := make([][]*models.Batch, writers) // per writer, one batch per segment
	payloads := make([][][]byte, writers)    // and its encoding
	var payloadBytes int
	for w, tb := range templates {
		bySeg := map[string]*models.Batch{}
		for _, p := range tb.Points {
			seg, err := layout.Layout.Route(layout.Layout.Current().Number, p.Device)
			if err != nil {
				b.Fatal(err)
			}
			r, ok := bySeg[seg]
			if !ok {
				r = &models.Batch{Writer: tb.Writer, FirstSeq: p.Seq}
				bySeg[seg] = r
				runs[w] = append(runs[w], r)
			}
			r.Points = append(r.Points, p)
			r.LastSeq = p.Seq
		}
		for _, r := range runs[w] {
			payload, err := codec.Append(nil, r)
			if err != nil {
				b.Fatal(err)
			}
			payloads[w] = append(payloads[w], payload)
			payloadBytes += len(payload)
		}
	}
	bare := tier1.StreamName("bare", "0")
	cfg := jetstream.StreamConfig{Name: bare, Subjects: []string{"bare.>"}, Storage: jetstream.FileStorage,
		MaxMsgs: -1, MaxBytes: -1, AllowDirect: true, DenyDelete: true, Duplicates: time.Second}
	if _, err := e.js.CreateStream(ctx, cfg); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(payloadBytes / writers))
	b.ReportAllocs()
	b.ResetTimer()

	// Store.Append: each writer sends its batches one after another.
	start := time.Now()
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			tb := templates[w]
			for i := w; i < b.N; i += writers {
				for j := range tb.Points {
					tb.Points[j].Seq = uint64(i/writers*points + j + 1)
				}
				tb.FirstSeq, tb.LastSeq = tb.Points[0].Seq, tb.Points[len(tb.Points)-1].Seq
				if err := e.st.Append(ctx, tb); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	storeTime := time.Since(start)

	// Bare JetStream: async publish of the same payloads, then wait for acks.
	start = time.Now()
	for i := range b.N {
		w := i % writers
		for _, payload := range payloads[w] {
			if _, err := e.js.PublishAsync(fmt.Sprintf("bare.gw-%d", w), payload); err != nil {
				b.Fatal(err)
			}
		}
	}
	waitAsync(b, e.js)
	bareTime := time.Since(start)

	// Bare JetStream with the encoding done on the way.
	start = time.Now()
	for w := range writers {
		wg.Go(func() {
			var buf []byte
			for i := w; i < b.N; i += writers {
				for _, r := range runs[w] {
					var err error
					if buf, err = codec.Append(buf[:0], r); err != nil {
						b.Error(err)
						return
					}
					// PublishAsync keeps the slice until acknowledged: copy.
					if _, err := e.js.PublishAsync(fmt.Sprintf("bare.gw-%d", w), append([]byte(nil), buf...)); err != nil {
						b.Error(err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	waitAsync(b, e.js)
	encodeTime := time.Since(start)

	// Encoding alone, on one goroutine: the part of the store's work that
	// the pre-encoded baseline does not do, per point and CPU.
	start = time.Now()
	var buf []byte
	for i := range b.N {
		for _, r := range runs[i%writers] {
			if buf, err = codec.Append(buf[:0], r); err != nil {
				b.Fatal(err)
			}
		}
	}
	encodeOnly := time.Since(start)
	b.StopTimer()

	total := float64(b.N * points)
	b.ReportMetric(total/storeTime.Seconds(), "store-points/s")
	b.ReportMetric(total/bareTime.Seconds(), "bare-points/s")
	b.ReportMetric(total/encodeTime.Seconds(), "bare-encode-points/s")
	b.ReportMetric(float64(bareTime.Nanoseconds())/total, "bare-ns/point")
	b.ReportMetric(float64(encodeOnly.Nanoseconds())/total, "encode-ns/point")
	b.ReportMetric(storeTime.Seconds()/bareTime.Seconds(), "store/bare")
	b.ReportMetric(storeTime.Seconds()/encodeTime.Seconds(), "store/bare-encode")
}

func waitAsync(b *testing.B, js jetstream.JetStream) {
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(time.Minute):
		b.Fatal("async publishes not acknowledged")
	}
}
