package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/tributary-iot/tributary/cloud-core/segment"
	"github.com/tributary-iot/tributary/cloud-core/store"
)

func TestRetentionDeletesWholeChunks(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	_, _, err := e.st.PutStream(ctx, "s", segment.Policy{Segments: 1, Retention: segment.Retention{MaxAge: segment.Duration(24 * time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}
	// Points of t0 + seq ms: chunk 1 holds seqs 1..100, chunk 2 101..200.
	e.append(batch("s", "w.normal", 1, 100, 3))
	if _, err := e.st.Tier(ctx, "s", store.TierOptions{}); err != nil {
		t.Fatal(err)
	}
	e.append(batch("s", "w.normal", 101, 200, 3))
	if _, err := e.st.Tier(ctx, "s", store.TierOptions{}); err != nil {
		t.Fatal(err)
	}
	e.append(batch("s", "w.normal", 201, 300, 3)) // stays in tier 1

	// A day after seq 150's time: the first chunk is past its age, the
	// second is not (its newest point is seq 200).
	now := time.Unix(0, t0+150*1e6).Add(24 * time.Hour)
	n, err := e.st.ApplyRetention(ctx, now)
	if err != nil || n != 1 {
		t.Fatalf("retention removed %d chunks: %v", n, err)
	}
	checkExactlyOnce(t, e.read("s", store.Query{}), expect(nil, "w", 101, 300))
	// Deleted points stay duplicates for their writer.
	e.append(batch("s", "w.normal", 1, 310, 3))
	checkExactlyOnce(t, e.read("s", store.Query{}), expect(nil, "w", 101, 310))
	if len(chunkFiles(t, e.dir)) != 1 {
		t.Errorf("tier 2 files: %v", chunkFiles(t, e.dir))
	}

	// A byte limit below one chunk deletes every chunk.
	if _, _, err := e.st.PutStream(ctx, "s", segment.Policy{Segments: 1, Retention: segment.Retention{MaxBytes: 1}}); err != nil {
		t.Fatal(err)
	}
	if n, err := e.st.ApplyRetention(ctx, now); err != nil || n != 1 {
		t.Fatalf("byte retention removed %d chunks: %v", n, err)
	}
	checkExactlyOnce(t, e.read("s", store.Query{}), expect(nil, "w", 201, 310))
	info, err := e.st.Stream(ctx, "s")
	if err != nil || info.Tier2Chunks != 0 || info.Policy.Retention.MaxBytes != 1 {
		t.Errorf("info %+v %v", info, err)
	}
}
