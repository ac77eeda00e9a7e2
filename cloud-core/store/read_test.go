package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tributary-iot/tributary/cloud-core/segment"
	"github.com/tributary-iot/tributary/cloud-core/store"
	"github.com/tributary-iot/tributary/models"
)

// fillAcrossTiers appends 3 writers' seqs 1..600 to stream "s" (3
// segments) and tiers the first half, so that every segment has chunks
// and tier-1 messages.
func fillAcrossTiers(t *testing.T, e *env) map[wseq]bool {
	t.Helper()
	ctx := context.Background()
	if _, _, err := e.st.PutStream(ctx, "s", segment.Policy{Segments: 3}); err != nil {
		t.Fatal(err)
	}
	want := map[wseq]bool{}
	for _, w := range []string{"a.normal", "b.normal", "c.high"} {
		for first := uint64(1); first <= 300; first += 50 {
			e.append(batch("s", w, first, first+49, 11))
		}
		expect(want, w[:1], 1, 600)
	}
	if _, err := e.st.Tier(ctx, "s", store.TierOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"a.normal", "b.normal", "c.high"} {
		for first := uint64(301); first <= 600; first += 50 {
			e.append(batch("s", w, first, first+49, 11))
		}
	}
	info, err := e.st.Stream(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	for _, seg := range info.Segments {
		if seg.Chunks == 0 || seg.Tier1.Msgs == 0 {
			t.Fatalf("segment %s: %d chunks, %d tier-1 messages; want both", seg.ID, seg.Chunks, seg.Tier1.Msgs)
		}
	}
	return want
}

func TestReadAcrossTheTierBoundary(t *testing.T) {
	e := newEnv(t, func(o *store.Options) { o.ChunkPoints = 200 })
	want := fillAcrossTiers(t, e)
	checkExactlyOnce(t, e.read("s", store.Query{}), want)

	ctx := context.Background()
	timeOf := func(seq uint64) int64 { return t0 + int64(seq)*1e6 }
	for _, tc := range []struct {
		name string
		q    store.Query
		keep func(p wseq, device string) bool
	}{
		{"all", store.Query{}, func(wseq, string) bool { return true }},
		{"start inside tier 2", store.Query{Start: timeOf(100)}, func(p wseq, _ string) bool { return p.seq >= 100 }},
		{"end inside tier 1", store.Query{End: timeOf(450)}, func(p wseq, _ string) bool { return p.seq < 450 }},
		{"across the boundary", store.Query{Start: timeOf(250), End: timeOf(350)}, func(p wseq, _ string) bool { return p.seq >= 250 && p.seq < 350 }},
		{"one device", store.Query{Device: "b-dev-3"}, func(p wseq, d string) bool { return d == "b-dev-3" }},
		{"device and time", store.Query{Device: "c-dev-10", Start: timeOf(200), End: timeOf(500)},
			func(p wseq, d string) bool { return d == "c-dev-10" && p.seq >= 200 && p.seq < 500 }},
		{"nothing", store.Query{Start: timeOf(1000)}, func(wseq, string) bool { return false }},
		{"unknown device", store.Query{Device: "zz"}, func(wseq, string) bool { return false }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sub := map[wseq]bool{}
			for k := range want {
				if tc.keep(k, fmt.Sprintf("%s-dev-%d", k.writer, k.seq%11)) {
					sub[k] = true
				}
			}
			checkExactlyOnce(t, e.read("s", tc.q), sub)
			n, err := e.st.Count(ctx, "s", tc.q)
			if err != nil || n != int64(len(sub)) {
				t.Errorf("count %d %v, want %d", n, err, len(sub))
			}
		})
	}
	if err := e.st.Read(ctx, "nope", store.Query{}, func(*models.Point) error { return nil }); !errors.Is(err, store.ErrUnknownStream) {
		t.Errorf("read of an unknown stream: %v", err)
	}
	stop := errors.New("stop")
	n := 0
	err := e.st.Read(ctx, "s", store.Query{}, func(*models.Point) error {
		if n++; n == 10 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 10 {
		t.Errorf("callback error: %v after %d points", err, n)
	}
}

// TestReadsWhileTiering reads the whole stream again and again while
// appends and tiering runs (small chunks, so many trims) go on: every read
// must see each point appended before it started exactly once, whichever
// tier each point is in when the reader gets there.
func TestReadsWhileTiering(t *testing.T) {
	e := newEnv(t, func(o *store.Options) { o.ChunkPoints = 60 })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, _, err := e.st.PutStream(ctx, "s", segment.Policy{Segments: 2}); err != nil {
		t.Fatal(err)
	}
	var acked atomic.Uint64 // seqs 1..acked of writer w are durable
	next := uint64(1)
	appendMore := func() {
		e.append(batch("s", "w.normal", next, next+19, 5))
		next += 20
		acked.Store(next - 1)
	}
	for range 10 {
		appendMore()
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for ctx.Err() == nil {
			if _, err := e.st.Tier(ctx, "s", store.TierOptions{}); err != nil && ctx.Err() == nil {
				t.Errorf("tier: %v", err)
				return
			}
		}
	})
	wg.Go(func() {
		for i := 0; i < 40 && ctx.Err() == nil; i++ {
			appendMore()
		}
	})
	chunks := func() int64 {
		info, err := e.st.Stream(ctx, "s")
		if err != nil {
			t.Fatal(err)
		}
		return info.Tier2Chunks
	}
	// At least 25 reads, and on until tiering has made a few chunks.
	deadline := time.Now().Add(30 * time.Second)
	for i := 0; i < 25 || chunks() < 3; i++ {
		if time.Now().After(deadline) {
			t.Fatal("tiering made no chunks in time")
		}
		before := acked.Load()
		got := e.read("s", store.Query{})
		seen := map[uint64]int{}
		for _, p := range got {
			seen[p.Seq]++
			if seen[p.Seq] > 1 {
				t.Fatalf("seq %d read twice (%d points read)", p.Seq, len(got))
			}
		}
		for s := uint64(1); s <= before; s++ {
			if seen[s] == 0 {
				t.Fatalf("seq %d missing from a read that started after it was acked", s)
			}
		}
	}
	cancel()
	wg.Wait()
	info, err := e.st.Stream(context.Background(), "s")
	if err != nil {
		t.Fatal(err)
	}
	if info.Tier2Chunks < 3 {
		t.Errorf("tiering made only %d chunks: the test did not exercise the boundary", info.Tier2Chunks)
	}
}

// readBlocked starts a Read of stream "s" that stops in its callback at
// the first point and waits for release; it returns a channel that is
// closed once the read is blocked and one that yields the read's points.
func readBlocked(t *testing.T, e *env, release <-chan struct{}) (<-chan struct{}, <-chan []models.Point) {
	t.Helper()
	blocked := make(chan struct{})
	result := make(chan []models.Point, 1)
	go func() {
		var got []models.Point
		err := e.st.Read(context.Background(), "s", store.Query{}, func(p *models.Point) error {
			if len(got) == 0 {
				close(blocked)
				<-release
			}
			got = append(got, p.Clone())
			return nil
		})
		if err != nil {
			t.Errorf("read: %v", err)
		}
		result <- got
	}()
	return blocked, result
}

// TestTieringDoesNotTrimUnderAReader stops a reader in the middle of tier
// 1 and tiers everything: the chunk is indexed, but tier 1 is not trimmed
// past the reader, which then reads on from tier 1.
func TestTieringDoesNotTrimUnderAReader(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	for first := uint64(1); first <= 100; first += 10 {
		e.append(batch("s", "w.normal", first, first+9, 3))
	}
	release := make(chan struct{})
	blocked, result := readBlocked(t, e, release)
	<-blocked
	if _, err := e.st.Tier(ctx, "s", store.TierOptions{}); err != nil {
		t.Fatal(err)
	}
	info, err := e.st.Stream(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	if info.Tier2Points != 100 || info.Tier1Messages == 0 {
		t.Fatalf("tiering under a reader: tier 2 has %d points, tier 1 %d messages; want 100 and some", info.Tier2Points, info.Tier1Messages)
	}
	close(release)
	checkExactlyOnce(t, <-result, expect(nil, "w", 1, 100))
	// The reader is gone: the next run trims the rest.
	if _, err := e.st.Tier(ctx, "s", store.TierOptions{}); err != nil {
		t.Fatal(err)
	}
	if info, _ := e.st.Stream(ctx, "s"); info.Tier1Messages != 0 {
		t.Errorf("tier 1 still holds %d messages after the reader left", info.Tier1Messages)
	}
	checkExactlyOnce(t, e.read("s", store.Query{}), expect(nil, "w", 1, 100))
}

// TestReaderFollowsATrimmedTier1 stops a reader in a chunk, tiers and
// trims what tier 1 held when the reader took its snapshot, and lets the
// reader go on: it must notice that tier 1 moved on and read the new chunk.
func TestReaderFollowsATrimmedTier1(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	e.append(batch("s", "w.normal", 1, 50, 3))
	if _, err := e.st.Tier(ctx, "s", store.TierOptions{}); err != nil {
		t.Fatal(err)
	}
	e.append(batch("s", "w.normal", 51, 100, 3))
	e.append(batch("s", "w.normal", 101, 150, 3))
	release := make(chan struct{})
	blocked, result := readBlocked(t, e, release)
	<-blocked
	if _, err := e.st.Tier(ctx, "s", store.TierOptions{}); err != nil {
		t.Fatal(err)
	}
	if info, _ := e.st.Stream(ctx, "s"); info.Tier1Messages != 0 || info.Tier2Chunks != 2 {
		t.Fatalf("want tier 1 trimmed and 2 chunks: %+v", info)
	}
	// Appended after the read began: past its end, not read.
	e.append(batch("s", "w.normal", 151, 160, 3))
	close(release)
	checkExactlyOnce(t, <-result, expect(nil, "w", 1, 150))
}
