package store_test

// Run with:
//
//	go test -run XXX -bench AppendVsJetStream -benchtime 400x ./cloud-core/store
//
// Each op appends one batch of `points` points. The benchmark times the
// same number of batches twice in one run: through Store.Append (routing,
// marks, msgp + zstd, a publish per segment run with the expected last
// subject sequence, waiting for the ack), and as a bare JetStream async
// publish of the very payload bytes the store stores (encoded beforehand,
// not timed), into a stream of the same configuration. It reports both
// rates and their ratio (bare/store: 1.0 means the store costs nothing).

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
	// The bare side publishes the store's payloads: encode one per writer.
	codec, err := batchmsg.NewCodec()
	if err != nil {
		b.Fatal(err)
	}
	defer codec.Close()
	payloads := make([][]byte, writers)
	var payloadBytes int
	for w, tb := range templates {
		if payloads[w], err = codec.Append(nil, tb); err != nil {
			b.Fatal(err)
		}
		payloadBytes += len(payloads[w])
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
		if _, err := e.js.PublishAsync(fmt.Sprintf("bare.gw-%d", w), payloads[w]); err != nil {
			b.Fatal(err)
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
				var err error
				if buf, err = codec.Append(buf[:0], templates[w]); err != nil {
					b.Error(err)
					return
				}
				// PublishAsync keeps the slice until acknowledged: copy.
				if _, err := e.js.PublishAsync(fmt.Sprintf("bare.gw-%d", w), append([]byte(nil), buf...)); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	waitAsync(b, e.js)
	encodeTime := time.Since(start)
	b.StopTimer()

	total := float64(b.N * points)
	b.ReportMetric(total/storeTime.Seconds(), "store-points/s")
	b.ReportMetric(total/bareTime.Seconds(), "bare-points/s")
	b.ReportMetric(total/encodeTime.Seconds(), "bare-encode-points/s")
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
