package store_test

import (
	"context"
	"testing"

	"github.com/tributary-iot/tributary/cloud-core/segment"
	"github.com/tributary-iot/tributary/cloud-core/store"
	"github.com/tributary-iot/tributary/models"
)

// TestTailAndSplitsAcrossLiveScaling splits and merges segments while a
// tail runs: the tail goes on into the successors with every point once,
// in per-device order, and the splits listed afterwards hold every point
// once too.
func TestTailAndSplitsAcrossLiveScaling(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	if _, _, err := e.st.PutStream(ctx, "s", segment.Policy{Segments: 2}); err != nil {
		t.Fatal(err)
	}
	e.append(batch("s", "w.normal", 1, 100, 13))
	ch, _ := startTail(t, e, store.TailOptions{From: &models.StreamCut{}})
	got := receive(t, ch, 100)
	if _, err := e.st.SplitSegment(ctx, "s", "0", 2, segment.Change{Manual: true}); err != nil {
		t.Fatal(err)
	}
	e.append(batch("s", "w.normal", 101, 200, 13))
	got = append(got, receive(t, ch, 100)...)
	l, err := e.st.Stream(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	cur := l.Epochs[len(l.Epochs)-1].Segments
	if _, err := e.st.MergeSegments(ctx, "s", cur[:2], segment.Change{Manual: true}); err != nil {
		t.Fatal(err)
	}
	e.append(batch("s", "w.normal", 201, 300, 13))
	got = append(got, receive(t, ch, 100)...)
	checkExactlyOnce(t, points(got), expect(nil, "w", 1, 300))

	if _, err := e.st.Tier(ctx, "s", store.TierOptions{}); err != nil {
		t.Fatal(err)
	}
	e.append(batch("s", "w.normal", 301, 350, 13))
	splits, err := e.st.Splits(ctx, "s", store.SplitOptions{TargetPoints: 40})
	if err != nil {
		t.Fatal(err)
	}
	all, err := readSplits(t, e, splits, 2)
	if err != nil {
		t.Fatal(err)
	}
	checkUnion(t, all, expect(nil, "w", 1, 350))
}
