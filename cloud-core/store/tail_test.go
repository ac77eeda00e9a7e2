package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/tributary-iot/tributary/cloud-core/segment"
	"github.com/tributary-iot/tributary/cloud-core/store"
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

	for _, tc := range []struct {
		name string
		cut  models.StreamCut
		want error
	}{
		{"inside a chunk", models.StreamCut{Positions: map[string]uint64{"0": 2}}, store.ErrCutTiered},
		{"unknown segment", models.StreamCut{Positions: map[string]uint64{"7": 1}}, store.ErrBadCut},
		{"other stream", models.StreamCut{Stream: "t", Positions: map[string]uint64{"0": 1}}, store.ErrBadCut},
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
