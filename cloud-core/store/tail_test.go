package store_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/tributary-iot/tributary/cloud-core/meta"
	"github.com/tributary-iot/tributary/cloud-core/segment"
	"github.com/tributary-iot/tributary/cloud-core/store"
	"github.com/tributary-iot/tributary/cloud-core/tier2"
	"github.com/tributary-iot/tributary/models"
)

type tailed struct {
	seg string
	pos uint64
	p   models.Point
}

// startTail runs a tail in the background; points arrive on the channel.
func startTail(t *testing.T, e *env, opts store.TailOptions) (<-chan tailed, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan tailed, 1024)
	done := make(chan error, 1)
	go func() {
		done <- e.st.Tail(ctx, "s", opts, func(seg string, pos uint64, p *models.Point) error {
			ch <- tailed{seg: seg, pos: pos, p: p.Clone()}
			return nil
		})
	}()
	stop := sync.OnceValue(func() error {
		cancel()
		return <-done
	})
	t.Cleanup(func() { _ = stop() })
	return ch, stop
}

func receive(t *testing.T, ch <-chan tailed, n int) []tailed {
	t.Helper()
	var out []tailed
	deadline := time.After(20 * time.Second)
	for len(out) < n {
		select {
		case x := <-ch:
			out = append(out, x)
		case <-deadline:
			t.Fatalf("tail delivered %d of %d points", len(out), n)
		}
	}
	return out
}

func points(ts []tailed) []models.Point {
	out := make([]models.Point, len(ts))
	for i := range ts {
		out[i] = ts[i].p
	}
	return out
}

func TestTailFromNow(t *testing.T) {
	e := newEnv(t, nil)
	// One segment: the tail then starts at one message boundary, and the
	// points it must deliver are exactly those from its first on.
	e.append(batch("s", "w.normal", 1, 50, 9)) // before the tail: not seen
	ch, stop := startTail(t, e, store.TailOptions{})
	// The tail starts at the end it found; wait until it runs by
	// appending until points show up.
	var got []tailed
	next := uint64(51)
	deadline := time.Now().Add(20 * time.Second)
	for len(got) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the tail delivered nothing")
		}
		e.append(batch("s", "w.normal", next, next+9, 9))
		next += 10
		select {
		case x := <-ch:
			got = append(got, x)
		case <-time.After(50 * time.Millisecond):
		}
	}
	first := got[0].p.Seq
	e.append(batch("s", "w.normal", next, next+99, 9))
	last := next + 99
	got = append(got, receive(t, ch, int(last-first+1)-len(got))...)
	checkExactlyOnce(t, points(got), expect(nil, "w", first, last))
	if first <= 50 {
		t.Errorf("tail from now delivered point %d appended before it started", first)
	}
	if err := stop(); !errors.Is(err, context.Canceled) {
		t.Errorf("stopped tail returned %v", err)
	}
}

func TestTailFromTheStartOfEverySegment(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	if _, _, err := e.st.PutStream(ctx, "s", segment.Policy{Segments: 3}); err != nil {
		t.Fatal(err)
	}
	e.append(batch("s", "w.normal", 1, 100, 17))
	if _, err := e.st.Tier(ctx, "s", store.TierOptions{}); err != nil {
		t.Fatal(err)
	}
	e.append(batch("s", "w.normal", 101, 200, 17))
	ch, _ := startTail(t, e, store.TailOptions{From: &models.StreamCut{Stream: "s"}})
	got := receive(t, ch, 200)
	e.append(batch("s", "w.normal", 201, 300, 17))
	got = append(got, receive(t, ch, 100)...)
	checkExactlyOnce(t, points(got), expect(nil, "w", 1, 300))
}

func TestTailFromACutAcrossTiers(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	e.append(batch("s", "w.normal", 1, 10, 3))  // position 1
	e.append(batch("s", "w.normal", 11, 20, 3)) // position 2
	if _, err := e.st.Tier(ctx, "s", store.TierOptions{}); err != nil {
		t.Fatal(err)
	}
	e.append(batch("s", "w.normal", 21, 30, 3)) // position 3

	// From the start: the chunk, then tier 1, then what comes next.
	ch, _ := startTail(t, e, store.TailOptions{From: &models.StreamCut{Stream: "s", Positions: map[string]uint64{"0": 1}}})
	got := receive(t, ch, 30)
	e.append(batch("s", "w.normal", 31, 40, 3))
	got = append(got, receive(t, ch, 10)...)
	checkExactlyOnce(t, points(got), expect(nil, "w", 1, 40))
	if got[0].pos != 2 || got[len(got)-1].pos != 4 {
		t.Errorf("positions: first %d (want 2, the chunk's last), last %d (want 4)", got[0].pos, got[len(got)-1].pos)
	}

	// From a cut in tier 1, with a device filter.
	ch2, _ := startTail(t, e, store.TailOptions{From: &models.StreamCut{Positions: map[string]uint64{"0": 3}}, Device: "w-dev-1"})
	got2 := receive(t, ch2, 7) // seqs 22, 25, 28, 31, 34, 37, 40
	for _, x := range got2 {
		if x.p.Device != "w-dev-1" || x.p.Seq < 21 {
			t.Errorf("device tail delivered %s/%d", x.p.Device, x.p.Seq)
		}
	}

	// From a cut inside the chunk ([1,2], cut at 2): the chunk's rows of
	// position 2, then tier 1, exactly once.
	ch3, _ := startTail(t, e, store.TailOptions{From: &models.StreamCut{Positions: map[string]uint64{"0": 2}}})
	checkExactlyOnce(t, points(receive(t, ch3, 30)), expect(nil, "w", 11, 40))

	for _, tc := range []struct {
		name string
		cut  models.StreamCut
		want error
	}{
		{"unknown segment", models.StreamCut{Positions: map[string]uint64{"7": 1}}, store.ErrBadCut},
		{"other stream", models.StreamCut{Stream: "t", Positions: map[string]uint64{"0": 1}}, store.ErrBadCut},
		{"past the end", models.StreamCut{Positions: map[string]uint64{"0": 99}}, store.ErrBadCut},
	} {
		err := e.st.Tail(ctx, "s", store.TailOptions{From: &tc.cut}, func(string, uint64, *models.Point) error { return nil })
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	stop := errors.New("stop")
	err := e.st.Tail(ctx, "s", store.TailOptions{From: &models.StreamCut{Positions: map[string]uint64{"0": 1}}},
		func(string, uint64, *models.Point) error { return stop })
	if !errors.Is(err, stop) {
		t.Errorf("callback error: %v", err)
	}
}

// tailUntil runs a tail that records points and every progress cut, and
// stops it (with errStop from Progress) at the first cut after at least
// n points; it returns the points handed before that cut and the cut.
func tailUntil(t *testing.T, e *env, opts store.TailOptions, n int) ([]models.Point, models.StreamCut) {
	t.Helper()
	errStop := errors.New("stop")
	var (
		got []models.Point
		cut models.StreamCut
	)
	opts.Progress = func(c models.StreamCut, _ bool) error {
		if len(got) >= n {
			cut = c
			return errStop
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := e.st.Tail(ctx, "s", opts, func(_ string, _ uint64, p *models.Point) error {
		got = append(got, p.Clone())
		return nil
	})
	if !errors.Is(err, errStop) {
		t.Fatalf("tail ended with %v after %d points, want the stop", err, len(got))
	}
	return got, cut
}

// TestTailResumesFromItsProgressCut stops a tail at a progress cut and
// starts another from it: together they see every point exactly once,
// across both tiers and three segments.
func TestTailResumesFromItsProgressCut(t *testing.T) {
	e := newEnv(t, func(o *store.Options) { o.ChunkPoints = 200 })
	want := fillAcrossTiers(t, e)
	first, cut := tailUntil(t, e, store.TailOptions{From: &models.StreamCut{}}, 700)
	if len(first) >= len(want) {
		t.Fatalf("the first tail read all %d points: nothing left to resume", len(first))
	}
	if cut.Stream != "s" || len(cut.Positions) != 3 {
		t.Errorf("cut %+v: want positions of 3 segments", cut)
	}
	rest, _ := tailUntil(t, e, store.TailOptions{From: &cut}, len(want)-len(first))
	checkExactlyOnce(t, append(first, rest...), want)
}

// splitOffline seals segment "0" of stream "s" into two successors the
// way the scaler does it, with the store stopped, and starts it again.
func splitOffline(t *testing.T, e *env) {
	t.Helper()
	e.stop()
	db, err := meta.Open(filepath.Join(e.dir, "meta.db"), meta.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.UpdateStream("s", func(st *segment.Stream) error {
		l, err := st.Layout.Split("0", 2, time.Now())
		st.Layout = l
		return err
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	e.start()
}

func TestTailFollowsSuccessors(t *testing.T) {
	e := newEnv(t, nil)
	e.append(batch("s", "w.normal", 1, 100, 10))
	splitOffline(t, e)
	e.append(batch("s", "w.normal", 101, 200, 10))
	info, err := e.st.Stream(context.Background(), "s")
	if err != nil || len(info.Segments) != 3 || info.Segments[1].Tier1.Msgs == 0 || info.Segments[2].Tier1.Msgs == 0 {
		t.Fatalf("after the split: %+v %v", info, err)
	}

	// From the beginning: segment 0 to its end, then both successors, in
	// per-device order.
	var finished []string
	got, cut := tailUntil(t, e, store.TailOptions{From: &models.StreamCut{}, Finished: func(seg string) error {
		finished = append(finished, seg)
		return nil
	}}, 200)
	checkExactlyOnce(t, got, expect(nil, "w", 1, 200))
	if len(finished) != 1 || finished[0] != "0" {
		t.Errorf("finished segments %v, want [0]", finished)
	}
	if len(cut.Positions) != 3 {
		t.Errorf("cut %+v: want positions of segments 0, 1 and 2", cut)
	}

	// From a cut of the successors only: segment 0 is behind it.
	e.append(batch("s", "w.normal", 201, 300, 10))
	succ := models.StreamCut{Positions: map[string]uint64{"1": cut.Positions["1"], "2": cut.Positions["2"]}}
	got, _ = tailUntil(t, e, store.TailOptions{From: &succ}, 100)
	checkExactlyOnce(t, got, expect(nil, "w", 201, 300))

	// One device, from the beginning: its owners in turn.
	dev := map[wseq]bool{}
	for s := uint64(3); s <= 300; s += 10 {
		dev[wseq{"w", s}] = true
	}
	got, _ = tailUntil(t, e, store.TailOptions{From: &models.StreamCut{}, Device: "w-dev-3"}, len(dev))
	checkExactlyOnce(t, got, dev)
}

func TestTailBehindRetention(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	_, _, err := e.st.PutStream(ctx, "s", segment.Policy{Segments: 1, Retention: segment.Retention{MaxAge: segment.Duration(time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}
	e.append(batch("s", "w.normal", 1, 10, 3))  // position 1
	e.append(batch("s", "w.normal", 11, 20, 3)) // position 2
	if _, err := e.st.Tier(ctx, "s", store.TierOptions{}); err != nil {
		t.Fatal(err)
	}
	e.append(batch("s", "w.normal", 21, 30, 3)) // position 3
	if _, err := e.st.ApplyRetention(ctx, time.Unix(0, t0).Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	nop := func(string, uint64, *models.Point) error { return nil }
	err = e.st.Tail(ctx, "s", store.TailOptions{From: &models.StreamCut{Positions: map[string]uint64{"0": 2}}}, nop)
	if !errors.Is(err, store.ErrBehindRetention) {
		t.Errorf("from a deleted position: %v, want ErrBehindRetention", err)
	}
	// From the beginning: what is retained.
	got, _ := tailUntil(t, e, store.TailOptions{From: &models.StreamCut{}}, 10)
	checkExactlyOnce(t, got, expect(nil, "w", 21, 30))
}

func TestCutText(t *testing.T) {
	c := models.StreamCut{Stream: "s", Positions: map[string]uint64{"10": 7, "2": 1, "0": 18}}
	text := store.FormatCut(c)
	if text != "0:18,2:1,10:7" {
		t.Errorf("FormatCut = %q", text)
	}
	back, err := store.ParseCut("s", text)
	if err != nil || store.FormatCut(back) != text || back.Stream != "s" {
		t.Errorf("ParseCut(%q) = %+v, %v", text, back, err)
	}
	if empty, err := store.ParseCut("s", ""); err != nil || len(empty.Positions) != 0 {
		t.Errorf("empty cut: %+v %v", empty, err)
	}
	for _, bad := range []string{"0", "0:", ":5", "0:0", "0:x", "0:1,0:2", "a.b:1", "0:1,", "0:-1", "0:18446744073709551616"} {
		if _, err := store.ParseCut("s", bad); !errors.Is(err, store.ErrBadCut) {
			t.Errorf("ParseCut(%q): %v, want ErrBadCut", bad, err)
		}
	}
}

func FuzzParseCut(f *testing.F) {
	f.Add("0:18,1:5")
	f.Add("")
	f.Add("seg_a:1,seg-b:18446744073709551615")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := store.ParseCut("s", s)
		if err != nil {
			if !errors.Is(err, store.ErrBadCut) {
				t.Fatalf("error %v does not wrap ErrBadCut", err)
			}
			return
		}
		again, err := store.ParseCut("s", store.FormatCut(c))
		if err != nil || len(again.Positions) != len(c.Positions) {
			t.Fatalf("%q: re-parsed %+v, %v", s, again, err)
		}
		for k, v := range c.Positions {
			if again.Positions[k] != v {
				t.Fatalf("%q: segment %s %d, then %d", s, k, v, again.Positions[k])
			}
		}
	})
}

// positionlessChunks writes chunks without per-row positions, as versions
// before them did.
type positionlessChunks struct{ store.Chunks }

func (c positionlessChunks) Write(ctx context.Context, spec tier2.ChunkSpec, pts []models.Point) (tier2.ChunkInfo, error) {
	spec.Positions = nil
	return c.Chunks.Write(ctx, spec, pts)
}

// TestTailCutInsideAnOldChunk: a chunk written without positions cannot
// be entered in the middle; its first position still resumes exactly.
func TestTailCutInsideAnOldChunk(t *testing.T) {
	e := newEnv(t, func(o *store.Options) {
		if _, ok := o.Tier2.(positionlessChunks); !ok {
			o.Tier2 = positionlessChunks{o.Tier2}
		}
	})
	ctx := context.Background()
	e.append(batch("s", "w.normal", 1, 10, 3))  // position 1
	e.append(batch("s", "w.normal", 11, 20, 3)) // position 2
	if _, err := e.st.Tier(ctx, "s", store.TierOptions{}); err != nil {
		t.Fatal(err)
	}
	err := e.st.Tail(ctx, "s", store.TailOptions{From: &models.StreamCut{Positions: map[string]uint64{"0": 2}}},
		func(string, uint64, *models.Point) error { return nil })
	if !errors.Is(err, store.ErrCutTiered) {
		t.Fatalf("cut inside an old chunk: %v, want ErrCutTiered", err)
	}
	ch, _ := startTail(t, e, store.TailOptions{From: &models.StreamCut{Positions: map[string]uint64{"0": 1}}})
	checkExactlyOnce(t, points(receive(t, ch, 20)), expect(nil, "w", 1, 20))
}
