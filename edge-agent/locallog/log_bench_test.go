package locallog_test

// Benchmarks of the local log against bare bbolt doing the same work:
// batches of 1000 encoded points, fsync'd, from 1 or more appenders.
//
//	go test -run '^$' -bench 'Append|BareBolt' -benchtime 200x ./edge-agent/locallog/
//
// Compare BenchmarkAppend/appenders=N with BenchmarkBareBolt/appenders=N
// (points/s); benchstat works on repeated runs (-count 6).

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tributary-iot/tributary/edge-agent/locallog"
	"github.com/tributary-iot/tributary/models"
)

const benchBatch = 1000

// benchBatches returns distinct batches of benchBatch points and the
// encoded size of one batch.
func benchBatches(n int) ([][]models.Point, int) {
	rng := rand.New(rand.NewPCG(30, 30))
	out := make([][]models.Point, n)
	size := 0
	for i := range out {
		out[i] = makePoints(rng, benchBatch, i*benchBatch, 0, 100)
	}
	for _, p := range out[0] {
		p.Agent, p.Seq, p.Received = "gw-bench", 1<<50, time.Now().UnixNano()
		size += p.Msgsize()
	}
	return out, size
}

// runAppenders runs b.N operations spread over n goroutines.
func runAppenders(b *testing.B, n int, op func(worker, i int) error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	for w := range n {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					return
				}
				if err := op(w, i); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "points/s")
}

var benchAppenders = []int{1, 4, 16}

// benchCases are the sub-benchmarks: fsync on (the real thing) and off
// (to see the CPU cost alone), with 1, 4 and 16 appenders.
func benchCases(b *testing.B, run func(b *testing.B, fsync bool, appenders int)) {
	for _, fsync := range []bool{true, false} {
		for _, n := range benchAppenders {
			b.Run(fmt.Sprintf("fsync=%t/appenders=%d", fsync, n), func(b *testing.B) { run(b, fsync, n) })
		}
	}
}

func BenchmarkAppend(b *testing.B) {
	benchCases(b, func(b *testing.B, fsync bool, n int) {
		{
			batches, size := benchBatches(64)
			l, err := locallog.Open(context.Background(), locallog.Options{
				Path: filepath.Join(b.TempDir(), "log.db"), Agent: "gw-bench", MaxBytes: 1 << 30, NoSync: !fsync,
			})
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			// Each appender owns its buffers, as a collector would.
			bufs := make([][]models.Point, n)
			for w := range bufs {
				bufs[w] = make([]models.Point, benchBatch)
			}
			b.SetBytes(int64(size))
			b.ReportAllocs()
			runAppenders(b, n, func(w, i int) error {
				pts := bufs[w]
				for j, p := range batches[i%len(batches)] {
					pts[j] = p
					pts[j].Received = 0
				}
				res, err := l.Append(context.Background(), models.Priority(i%models.NumPriorities), pts)
				if err == nil && res.Accepted != benchBatch {
					err = fmt.Errorf("append: %+v", res)
				}
				return err
			})
			b.ReportMetric(float64(l.Stats().Commits)/float64(b.N), "commits/op")
		}
	})
}

// BenchmarkBareBolt puts the same encoded points with bbolt alone: one
// Update per batch for one appender, bbolt's own group commit (DB.Batch)
// for several.
func BenchmarkBareBolt(b *testing.B) {
	benchCases(b, func(b *testing.B, fsync bool, n int) {
		{
			batches, size := benchBatches(64)
			enc := make([][][]byte, len(batches))
			for i, batch := range batches {
				for _, p := range batch {
					p.Agent, p.Seq, p.Received = "gw-bench", 1<<50+uint64(i), time.Now().UnixNano()
					v, err := p.MarshalMsg(nil)
					if err != nil {
						b.Fatal(err)
					}
					enc[i] = append(enc[i], v)
				}
			}
			db, err := bolt.Open(filepath.Join(b.TempDir(), "bare.db"), 0o600, &bolt.Options{NoSync: !fsync})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			names := [][]byte{[]byte("low"), []byte("normal"), []byte("high")}
			err = db.Update(func(tx *bolt.Tx) error {
				for _, name := range names {
					if _, err := tx.CreateBucket(name); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			var seq atomic.Uint64
			put := func(i int) func(tx *bolt.Tx) error {
				return func(tx *bolt.Tx) error {
					bk := tx.Bucket(names[i%len(names)])
					bk.FillPercent = 1.0
					var key [8]byte
					for _, v := range enc[i%len(enc)] {
						binary.BigEndian.PutUint64(key[:], seq.Add(1))
						if err := bk.Put(key[:], v); err != nil {
							return err
						}
					}
					return nil
				}
			}
			b.SetBytes(int64(size))
			b.ReportAllocs()
			runAppenders(b, n, func(_, i int) error {
				if n == 1 {
					return db.Update(put(i))
				}
				return db.Batch(put(i))
			})
		}
	})
}
