package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tributary-iot/tributary/cloud-core/meta"
	"github.com/tributary-iot/tributary/cloud-core/natsembed"
	"github.com/tributary-iot/tributary/cloud-core/segment"
	"github.com/tributary-iot/tributary/cloud-core/tier2"
	"github.com/tributary-iot/tributary/models"
)

// openGateTestStore opens a store with its real parts for the white-box
// tests of the segment gates.
func openGateTestStore(t *testing.T) *Store {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	srv, err := natsembed.Start(ctx, natsembed.Options{StoreDir: filepath.Join(dir, "jetstream")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	nc, err := srv.Connect("gate-test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	db, err := meta.Open(filepath.Join(dir, "meta.db"), meta.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	t2, err := tier2.Open(ctx, tier2.Options{Root: filepath.Join(dir, "tier2")})
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, Options{JetStream: js, Meta: db, Tier2: t2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func gateBatch(first, last uint64) *models.Batch {
	b := &models.Batch{Writer: "gw.normal"}
	for seq := first; seq <= last; seq++ {
		b.Points = append(b.Points, models.Point{
			Device: "dev-" + string(rune('a'+seq%8)), Stream: "s", Time: int64(seq) * 1e6,
			Fields: []models.Field{{Key: "v", Value: models.Int(int64(seq))}}, Agent: "gw", Seq: seq,
		})
	}
	return b
}

// TestSealWaitsForAppendsInFlight holds a segment's gate as an append in
// flight does and checks that a split waits for it, that an append routed
// by the old epoch meanwhile lands in a successor, and that a run for the
// sealed segment is refused afterwards.
func TestSealWaitsForAppendsInFlight(t *testing.T) {
	s := openGateTestStore(t)
	ctx := context.Background()
	if err := s.Append(ctx, gateBatch(1, 40)); err != nil {
		t.Fatal(err)
	}
	stale := s.cachedStream("s")
	before, err := s.t1.State(ctx, "s", "0")
	if err != nil {
		t.Fatal(err)
	}

	g := s.gate("s", "0")
	g.mu.RLock() // an append in flight
	split := make(chan error, 1)
	go func() {
		_, err := s.SplitSegment(ctx, "s", "0", 2, segment.Change{})
		split <- err
	}()
	// TryRLock fails once the seal waits for the gate.
	deadline := time.Now().Add(20 * time.Second)
	for g.mu.TryRLock() {
		g.mu.RUnlock()
		if time.Now().After(deadline) {
			t.Fatal("the split never waited for the gate")
		}
		time.Sleep(time.Millisecond)
	}
	select {
	case err := <-split:
		t.Fatalf("the split finished while an append was in flight: %v", err)
	default:
	}
	if st, _ := s.meta.Stream("s"); st.Layout.Current().Number != 1 {
		t.Fatal("the new epoch was committed while an append was in flight")
	}
	appended := make(chan error, 1)
	go func() { appended <- s.Append(ctx, gateBatch(41, 80)) }() // routed by epoch 1
	g.mu.RUnlock()
	if err := <-split; err != nil {
		t.Fatal(err)
	}
	if err := <-appended; err != nil {
		t.Fatal(err)
	}
	after, err := s.t1.State(ctx, "s", "0")
	if err != nil {
		t.Fatal(err)
	}
	if after.Last != before.Last {
		t.Errorf("the sealed segment took an append: last position %d -> %d", before.Last, after.Last)
	}
	// A run routed by the old epoch is refused and stores nothing.
	r := run{st: stale, seg: "0", points: gateBatch(81, 90).Points}
	if err := s.appendRun(ctx, r, "gw.normal"); !errors.Is(err, errSegmentSealed) {
		t.Errorf("a run for a sealed segment: %v", err)
	}
	var n int64
	err = s.Read(ctx, "s", Query{}, func(p *models.Point) error {
		n++
		if p.Seq > 80 {
			t.Errorf("point %d of a refused run was stored", p.Seq)
		}
		return nil
	})
	if err != nil || n != 80 {
		t.Errorf("read %d points (%v), want 80", n, err)
	}
}

// TestSplitAfterACrashBeforeCommit: a crash between creating the
// successors' tier-1 streams and committing the epoch leaves empty
// streams no layout names; the next split reuses their ids.
func TestSplitAfterACrashBeforeCommit(t *testing.T) {
	s := openGateTestStore(t)
	ctx := context.Background()
	if err := s.Append(ctx, gateBatch(1, 40)); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"1", "2"} {
		if err := s.t1.Ensure(ctx, "s", id); err != nil {
			t.Fatal(err)
		}
	}
	st, err := s.SplitSegment(ctx, "s", "0", 2, segment.Change{})
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Layout.Current().Segments; len(got) != 2 || got[0] != "1" || got[1] != "2" {
		t.Fatalf("successors %v", got)
	}
	if err := s.Append(ctx, gateBatch(41, 80)); err != nil {
		t.Fatal(err)
	}
	n, err := s.Count(ctx, "s", Query{})
	if err != nil || n != 80 {
		t.Errorf("count %d (%v), want 80", n, err)
	}
}

// TestCacheNeverGoesBackAnEpoch: a stream record read before a split (a
// policy update racing it) must not replace the newer one in the cache.
func TestCacheNeverGoesBackAnEpoch(t *testing.T) {
	s := openGateTestStore(t)
	ctx := context.Background()
	if err := s.Append(ctx, gateBatch(1, 10)); err != nil {
		t.Fatal(err)
	}
	old := s.cachedStream("s").meta
	if _, err := s.SplitSegment(ctx, "s", "0", 2, segment.Change{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.cacheStream(old); err != nil {
		t.Fatal(err)
	}
	if n := s.cachedStream("s").meta.Layout.Current().Number; n != 2 {
		t.Errorf("cached epoch %d after caching an older record, want 2", n)
	}
}
