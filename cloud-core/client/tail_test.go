package client_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/tributary-iot/tributary/cloud-core/client"
)

// tailN reads a tail until it has n points; it returns their seqs and the
// cuts with the number of points before each.
func tailN(t *testing.T, c *client.Client, opts client.TailOptions, n int) ([]uint64, map[string]int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var seqs []uint64
	cuts := map[string]int{}
	for ev, err := range c.Tail(ctx, "vt", opts) {
		if err != nil {
			t.Fatalf("tail after %d points: %v", len(seqs), err)
		}
		if ev.Point == nil {
			cuts[ev.Cut] = len(seqs)
			continue
		}
		if ev.Segment == "" || ev.Position == 0 {
			t.Fatalf("point without segment or position: %+v", ev)
		}
		seqs = append(seqs, ev.Point.Seq)
		if len(seqs) == n {
			return seqs, cuts
		}
	}
	t.Fatalf("tail ended after %d points", len(seqs))
	return nil, nil
}

func TestTailAndResume(t *testing.T) {
	s := newServer(t, false)
	c := s.client(t, "")
	ctx := context.Background()
	if _, _, err := s.st.PutStream(ctx, "vt", policy(2)); err != nil {
		t.Fatal(err)
	}
	for first := uint64(1); first <= 300; first += 30 {
		write(t, c, "vt", points(first, first+29, 9))
	}
	seqs, cuts := tailN(t, c, client.TailOptions{From: "start", CutEvery: -1}, 300)
	checkOnce(t, seqs, 1, 300)
	// Resume from a cut in the middle: exactly the points after it.
	var mid string
	for cut, before := range cuts {
		if before > 100 && before < 200 {
			mid = cut
		}
	}
	if mid == "" {
		t.Fatalf("no cut in the middle: %v", cuts)
	}
	rest, _ := tailN(t, c, client.TailOptions{From: mid}, 300-cuts[mid])
	checkOnce(t, append(seqs[:cuts[mid]:cuts[mid]], rest...), 1, 300)
}

// checkOnce checks that seqs holds first..last, each once.
func checkOnce(t *testing.T, seqs []uint64, first, last uint64) {
	t.Helper()
	seen := map[uint64]int{}
	for _, s := range seqs {
		if seen[s]++; seen[s] > 1 {
			t.Errorf("seq %d twice", s)
		}
	}
	for s := first; s <= last; s++ {
		if seen[s] != 1 {
			t.Errorf("seq %d seen %d times", s, seen[s])
		}
	}
	if len(seqs) != int(last-first+1) {
		t.Errorf("%d seqs, want %d", len(seqs), last-first+1)
	}
}

// TestGroupTailCheckpointsAndResumes runs two members of a group, stops
// one, restarts it: with the checkpoints GroupTail takes, every point is
// handled, and none twice while the members are stable.
func TestGroupTailCheckpointsAndResumes(t *testing.T) {
	s := newServer(t, false)
	c := s.client(t, "")
	ctx := context.Background()
	if _, _, err := s.st.PutStream(ctx, "vt", policy(4)); err != nil {
		t.Fatal(err)
	}
	write(t, c, "vt", points(1, 400, 20))
	if _, err := c.CreateGroup(ctx, "vt", "scorers", "start", false); err != nil {
		t.Fatal(err)
	}
	var (
		mu   sync.Mutex
		seen = map[uint64]int{}
	)
	count := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(seen)
	}
	run := func(ctx context.Context, name string, assigned chan<- []string) error {
		opts := client.GroupOptions{CutEvery: -1, CheckpointEvery: -1, Assigned: func(segs []string) {
			select {
			case assigned <- segs:
			default:
			}
		}}
		for ev, err := range c.GroupTail(ctx, "vt", "scorers", name, opts) {
			if err != nil {
				return err
			}
			if ev.Point != nil {
				mu.Lock()
				seen[ev.Point.Seq]++
				mu.Unlock()
			}
		}
		return nil
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: gave up", what)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	ctxA, stopA := context.WithCancel(ctx)
	ctxB, stopB := context.WithCancel(ctx)
	defer stopB()
	var wg sync.WaitGroup
	assignedA, assignedB := make(chan []string, 8), make(chan []string, 8)
	wg.Go(func() {
		if err := run(ctxA, "a", assignedA); err != nil {
			t.Errorf("member a: %v", err)
		}
	})
	<-assignedA
	wg.Go(func() {
		if err := run(ctxB, "b", assignedB); err != nil {
			t.Errorf("member b: %v", err)
		}
	})
	waitFor("two members with two segments each", func() bool {
		g, err := c.Group(ctx, "vt", "scorers")
		return err == nil && len(g.Members) == 2 && len(g.Members[0].Segments) == 2 && len(g.Members[1].Segments) == 2
	})
	waitFor("400 points", func() bool { return count() >= 400 })
	stopA() // a checkpoints what it handled as it stops
	write(t, c, "vt", points(401, 600, 20))
	ctxA2, stopA2 := context.WithCancel(ctx)
	defer stopA2()
	wg.Go(func() {
		if err := run(ctxA2, "a", assignedA); err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("member a again: %v", err)
		}
	})
	waitFor("600 points", func() bool { return count() >= 600 })
	stopA2()
	stopB()
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	for s := uint64(1); s <= 600; s++ {
		if seen[s] != 1 {
			t.Errorf("seq %d handled %d times", s, seen[s])
		}
	}
	g, err := c.Group(ctx, "vt", "scorers")
	if err != nil || g.Checkpoints == 0 {
		t.Errorf("group %+v %v", g, err)
	}
}
