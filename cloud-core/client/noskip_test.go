package client_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tributary-iot/tributary/cloud-core/client"
)

// A read never skips a point (guarantee 5): these tests check that the
// client does not turn a failure or an early stop into a silent gap.

// TestErrorLineEndsReads serves a 200 answer whose NDJSON body breaks off
// with an {"error":...} line, as the server does when it fails while
// answering: the read ends with that error, not as a short read.
func TestErrorLineEndsReads(t *testing.T) {
	const failure = "tier 2 chunk 7 vanished"
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-ndjson")
		w.WriteHeader(http.StatusOK)
		for s := 1; s <= 3; s++ {
			fmt.Fprintf(w, `{"seg":"0","pos":%d,"device":"veh-1","stream":"vt","time":%d,"fields":{"speed":%d.5},"agent":"gw-1","seq":%d}`+"\n", s, t0+int64(s), s, s)
		}
		fmt.Fprintf(w, `{"error":%q}`+"\n", failure)
	}))
	t.Cleanup(hs.Close)
	c, err := client.New(hs.URL, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, tc := range []struct {
		name string
		read func(yield func(seq uint64, err error) bool)
	}{
		{"events", func(yield func(uint64, error) bool) {
			for p, err := range c.Events(ctx, "vt", client.Query{NDJSON: true}) {
				if err != nil {
					yield(0, err)
					return
				}
				if !yield(p.Seq, nil) {
					return
				}
			}
		}},
		{"tail", func(yield func(uint64, error) bool) {
			for ev, err := range c.Tail(ctx, "vt", client.TailOptions{From: "start"}) {
				if err != nil {
					yield(0, err)
					return
				}
				if ev.Point == nil {
					t.Errorf("tail: an event that is not a point: %+v", ev)
					continue
				}
				if !yield(ev.Point.Seq, nil) {
					return
				}
			}
		}},
	} {
		var (
			seqs    []uint64
			lastErr error
		)
		for seq, err := range tc.read {
			if err != nil {
				lastErr = err
				continue
			}
			seqs = append(seqs, seq)
		}
		if len(seqs) != 3 || seqs[0] != 1 || seqs[2] != 3 {
			t.Errorf("%s: seqs %v, want 1..3", tc.name, seqs)
		}
		if lastErr == nil || !strings.Contains(lastErr.Error(), failure) {
			t.Errorf("%s: ended with %v, want the server's error %q", tc.name, lastErr, failure)
		}
	}
}

// TestGroupTailStopAtCutKeepsItsPoints stops a group member at a cut
// (the caller breaks out of the loop on it): the caller has not handled
// the points after asking for the next event, so the cut must not be
// checkpointed, and the member, started again, reads the points before
// it again instead of skipping them.
func TestGroupTailStopAtCutKeepsItsPoints(t *testing.T) {
	s := newServer(t, false)
	c := s.client(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	write(t, c, "vt", points(1, 50, 5))
	if _, err := c.CreateGroup(ctx, "vt", "scorers", "start", false); err != nil {
		t.Fatal(err)
	}
	opts := client.GroupOptions{CutEvery: -1, CheckpointEvery: -1}
	var first []uint64
	for ev, err := range c.GroupTail(ctx, "vt", "scorers", "a", opts) {
		if err != nil {
			t.Fatal(err)
		}
		if ev.Point != nil {
			first = append(first, ev.Point.Seq)
			continue
		}
		if len(first) > 0 {
			break // stop at the first cut after a point
		}
	}
	if len(first) == 0 {
		t.Fatal("the tail ended without a point")
	}
	// More points, so that a member that skipped the first ones would
	// read others (and not wait for ever).
	write(t, c, "vt", points(51, 100, 5))
	var again []uint64
	for ev, err := range c.GroupTail(ctx, "vt", "scorers", "a", opts) {
		if err != nil {
			t.Fatal(err)
		}
		if ev.Point != nil {
			if again = append(again, ev.Point.Seq); len(again) == len(first) {
				break
			}
		}
	}
	if fmt.Sprint(again) != fmt.Sprint(first) {
		t.Errorf("after a stop at a cut, read %v, want the points before the cut again: %v", again, first)
	}
}
