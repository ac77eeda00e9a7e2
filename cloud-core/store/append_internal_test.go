package store

import (
	"context"
	"slices"
	"testing"

	"github.com/tributary-iot/tributary/models"
)

// TestAppendHoldsOffTrims checks guarantee 2 where a writer's mark comes
// from the chunk index (it has no message in tier 1): between reading the
// mark and publishing, a copy of the same batch is stored and tiered,
// which moves the writer's mark into the index and trims the copy's
// message. The append holds trims off until its publish is done, so it
// sees the copy and the points are stored once.
func TestAppendHoldsOffTrims(t *testing.T) {
	s := openGateTestStore(t)
	ctx := context.Background()
	b := &models.Batch{Writer: "gw.normal"}
	for seq := uint64(1); seq <= 20; seq++ {
		b.Points = append(b.Points, models.Point{
			Device: "dev-a", Stream: "s", Time: int64(seq) * 1e6, Agent: "gw", Seq: seq,
			Fields: []models.Field{{Key: "v", Value: models.Int(int64(seq))}},
		})
	}
	var seg string
	tiered := make(chan error, 1)
	s.hookBeforeAppend = func() {
		if seg != "" {
			return // the copy's own append, or a retry
		}
		seg = s.cachedStream("s").router.Route("dev-a")
		cp := *b
		cp.Points = slices.Clone(b.Points)
		if err := s.Append(ctx, &cp); err != nil {
			t.Errorf("copy: %v", err)
		}
		mu := &s.seg("s", seg).trimMu
		if mu.TryLock() {
			// Nothing holds trims off: the tiering trims the copy's
			// message before the publish.
			mu.Unlock()
			_, err := s.Tier(ctx, "s", TierOptions{})
			tiered <- err
			return
		}
		// The append holds trims off: the tiering trims after it.
		go func() {
			_, err := s.Tier(ctx, "s", TierOptions{})
			tiered <- err
		}()
	}
	if err := s.Append(ctx, b); err != nil {
		t.Fatal(err)
	}
	if err := <-tiered; err != nil {
		t.Fatal(err)
	}
	if st, err := s.meta.SegmentState("s", seg); err != nil || st.Tiered == 0 {
		t.Fatalf("the copy was not tiered: %+v %v", st, err)
	}
	if n, err := s.Count(ctx, "s", Query{}); err != nil || n != int64(len(b.Points)) {
		t.Fatalf("stored %d points (%v), want %d", n, err, len(b.Points))
	}
}
