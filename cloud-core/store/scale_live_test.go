package store_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tributary-iot/tributary/cloud-core/batchmsg"
	"github.com/tributary-iot/tributary/cloud-core/segment"
	"github.com/tributary-iot/tributary/cloud-core/store"
	"github.com/tributary-iot/tributary/cloud-core/tier1"
	"github.com/tributary-iot/tributary/models"
)

// follower reads a stream the way a live reader must across splits and
// merges, straight from tier 1: every segment from its first position, a
// segment's successors only once all their predecessors are read to the
// end, and a segment counts as read to its end once a layout taken before
// the last look at it shows it sealed (a seal waits for the appends in
// flight and refuses later ones, so nothing can come after).
type follower struct {
	st     *store.Store
	log    *tier1.Log
	codec  *batchmsg.Codec
	stream string
	// next holds the next position of each segment being read.
	next map[string]uint64
	// done holds the last position of each segment read to its end.
	done   map[string]uint64
	points []models.Point
	// read counts points; safe to load from other goroutines.
	read atomic.Int64
}

func newFollower(t *testing.T, e *env, stream string) *follower {
	t.Helper()
	codec, err := batchmsg.NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(codec.Close)
	lg, err := tier1.New(e.js, tier1.Options{Codec: codec})
	if err != nil {
		t.Fatal(err)
	}
	st, err := e.st.StreamLayout(context.Background(), stream)
	if err != nil {
		t.Fatal(err)
	}
	f := &follower{st: e.st, log: lg, codec: codec, stream: stream, next: map[string]uint64{}, done: map[string]uint64{}}
	for _, id := range st.Layout.Current().Segments {
		f.next[id] = 1
	}
	return f
}

// poll reads what is new and reports whether it got anywhere.
func (f *follower) poll(ctx context.Context) (bool, error) {
	st, err := f.st.StreamLayout(ctx, f.stream) // before the looks
	if err != nil {
		return false, err
	}
	progress := false
	ids := make([]string, 0, len(f.next))
	for id := range f.next {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		pos := f.next[id]
		for {
			m, err := f.log.Next(ctx, f.stream, id, pos)
			if errors.Is(err, tier1.ErrNoMessage) {
				break
			}
			if err != nil {
				return false, err
			}
			if m.Pos != pos {
				return false, fmt.Errorf("segment %s: position %d follows %d", id, m.Pos, pos-1)
			}
			var b models.Batch
			if err := m.Decode(f.codec, &b); err != nil {
				return false, err
			}
			f.points = append(f.points, b.Points...)
			f.read.Add(int64(len(b.Points)))
			pos = m.Pos + 1
			progress = true
		}
		f.next[id] = pos
		if sg, err := st.Layout.Segment(id); err == nil && !sg.Active() {
			f.done[id] = pos - 1
			delete(f.next, id)
			progress = true
		}
	}
	for _, sg := range st.Layout.Segments {
		_, reading := f.next[sg.ID]
		_, read := f.done[sg.ID]
		if reading || read || len(sg.Predecessors) == 0 {
			continue
		}
		ready := true
		for _, p := range sg.Predecessors {
			if _, ok := f.done[p]; !ok {
				ready = false
			}
		}
		if ready {
			f.next[sg.ID] = 1
			progress = true
		}
	}
	return progress, nil
}

// run polls until ctx is done.
func (f *follower) run(ctx context.Context) error {
	for {
		progress, err := f.poll(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return err
		}
		if !progress {
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(2 * time.Millisecond):
			}
		}
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestScalingUnderLiveIngest splits a hot stream twice and merges it back
// to one segment while writers append concurrently (with retries of
// whole and partly stored batches), and checks, with a reader that
// started before the first split (a follower straight from tier 1, and
// the store's tail), that every point arrives exactly once and each
// device's points in order.
func TestScalingUnderLiveIngest(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	const (
		writers   = 6
		batchSize = 20
		devices   = 8
	)
	e.append(batch("hot", "w0.normal", 1, batchSize, devices)) // creates the stream
	next := make([]uint64, writers)
	next[0] = batchSize + 1
	for w := 1; w < writers; w++ {
		next[w] = 1
	}

	fctx, stopFollower := context.WithCancel(ctx)
	defer stopFollower()
	f := newFollower(t, e, "hot")
	followed := make(chan error, 1)
	go func() { followed <- f.run(fctx) }()
	// And the store's own tail, from the start of the stream.
	var (
		tailMu  sync.Mutex
		tailed  []models.Point
		tailErr = make(chan error, 1)
	)
	go func() {
		tailErr <- e.st.Tail(fctx, "hot", store.TailOptions{From: &models.StreamCut{}}, func(_ string, _ uint64, p *models.Point) error {
			tailMu.Lock()
			defer tailMu.Unlock()
			tailed = append(tailed, p.Clone())
			return nil
		})
	}()

	var (
		stop    atomic.Bool
		batches atomic.Int64
		wg      sync.WaitGroup
	)
	for w := range writers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			name := fmt.Sprintf("w%d.normal", w)
			for !stop.Load() {
				b := batch("hot", name, next[w], next[w]+batchSize-1, devices)
				if rng.IntN(5) == 0 { // a batch stored in part before a failure
					part := &models.Batch{Writer: name, Points: b.Points[:batchSize/2]}
					if err := e.st.Append(ctx, part); err != nil {
						t.Error(err)
						return
					}
				}
				if err := e.st.Append(ctx, b); err != nil {
					t.Error(err)
					return
				}
				if rng.IntN(5) == 0 { // a lost ack: the same batch again
					if err := e.st.Append(ctx, b); err != nil {
						t.Error(err)
						return
					}
				}
				next[w] += batchSize
				batches.Add(1)
			}
		})
	}
	progress := func(n int64) {
		target := batches.Load() + n
		waitFor(t, "appends", func() bool { return batches.Load() >= target || t.Failed() })
	}

	progress(30)
	st, err := e.st.SplitSegment(ctx, "hot", "0", 2, segment.Change{Manual: true}) // 0 -> 1, 2
	if err != nil {
		t.Fatal(err)
	}
	progress(30)
	lower := st.Layout.Current().Segments[0]
	st, err = e.st.SplitSegment(ctx, "hot", lower, 2, segment.Change{Manual: true}) // 1 -> 3, 4
	if err != nil {
		t.Fatal(err)
	}
	progress(30)
	cur := st.Layout.Current().Segments // 3, 4, 2: merge 3 + 4 -> 5
	st, err = e.st.MergeSegments(ctx, "hot", cur[:2], segment.Change{Manual: true})
	if err != nil {
		t.Fatal(err)
	}
	progress(30)
	st, err = e.st.MergeSegments(ctx, "hot", st.Layout.Current().Segments, segment.Change{Manual: true}) // 5 + 2 -> 6
	if err != nil {
		t.Fatal(err)
	}
	progress(30)
	stop.Store(true)
	wg.Wait()
	if t.Failed() {
		return
	}

	want := map[wseq]bool{}
	total := 0
	for w := range writers {
		expect(want, fmt.Sprintf("w%d", w), 1, next[w]-1)
		total += int(next[w] - 1)
	}
	waitFor(t, "the follower", func() bool { return f.read.Load() >= int64(total) })
	waitFor(t, "the tail", func() bool {
		tailMu.Lock()
		defer tailMu.Unlock()
		return len(tailed) >= total
	})
	stopFollower()
	if err := <-followed; err != nil {
		t.Fatal(err)
	}
	if err := <-tailErr; !errors.Is(err, context.Canceled) {
		t.Fatalf("tail: %v", err)
	}
	checkExactlyOnce(t, f.points, want)
	checkExactlyOnce(t, tailed, want)
	checkExactlyOnce(t, e.read("hot", store.Query{}), want)

	// Nothing landed in a segment after it showed sealed.
	last := tier1Last(t, e, "hot")
	for id, end := range f.done {
		if last[id] != end {
			t.Errorf("segment %s: the follower finished it at %d, tier 1 ends at %d", id, end, last[id])
		}
	}
	if cur := st.Layout.Current(); cur.Number != 5 || len(cur.Segments) != 1 || len(f.done) != 6 {
		t.Errorf("final epoch %+v; follower finished %v", cur, f.done)
	}
	info, err := e.st.Stream(ctx, "hot")
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, h := range info.Scaling.History {
		kinds = append(kinds, h.Kind)
	}
	if !slices.Equal(kinds, []string{"split", "split", "merge", "merge"}) {
		t.Errorf("history %v", kinds)
	}
	t.Logf("%d points from %d writers in %d batches across %d epochs", total, writers, batches.Load(), info.Epoch)
}
