package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tributary-iot/tributary/cloud-core/meta"
	"github.com/tributary-iot/tributary/cloud-core/store"
	"github.com/tributary-iot/tributary/cloud-core/tier1"
	"github.com/tributary-iot/tributary/cloud-core/tier2"
	"github.com/tributary-iot/tributary/models"
)

// crashingChunks fails a chosen step of tiering after tier 2 did its part,
// as a crash there would.
type crashingChunks struct {
	store.Chunks
	failWrite bool
}

var errCrash = errors.New("simulated crash")

func (c *crashingChunks) Write(ctx context.Context, spec tier2.ChunkSpec, pts []models.Point) (tier2.ChunkInfo, error) {
	info, err := c.Chunks.Write(ctx, spec, pts)
	if err == nil && c.failWrite {
		return info, errCrash
	}
	return info, err
}

// TestRestartAfterACrashBeforeIndexing: the chunk file was written but not
// indexed. The restart sweeps it away and tier 1 still has the data.
func TestRestartAfterACrashBeforeIndexing(t *testing.T) {
	crash := &crashingChunks{failWrite: true}
	e := newEnv(t, func(o *store.Options) {
		if crash.Chunks == nil {
			crash.Chunks = o.Tier2
			o.Tier2 = crash
		}
	})
	ctx := context.Background()
	e.append(batch("s", "w.normal", 1, 100, 5))
	if _, err := e.st.Tier(ctx, "s", store.TierOptions{}); !errors.Is(err, errCrash) {
		t.Fatalf("tier: %v", err)
	}
	files := chunkFiles(t, e.dir)
	if len(files) != 1 {
		t.Fatalf("want the unindexed chunk on disk, have %v", files)
	}
	// Sweep spares files younger than the tier-2 store: age this one.
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(files[0], old, old); err != nil {
		t.Fatal(err)
	}
	e.restart()
	if files := chunkFiles(t, e.dir); len(files) != 0 {
		t.Errorf("unindexed chunk survived the restart: %v", files)
	}
	e.append(batch("s", "w.normal", 50, 120, 5))
	checkExactlyOnce(t, e.read("s", store.Query{}), expect(nil, "w", 1, 120))
	if _, err := e.st.Tier(ctx, "s", store.TierOptions{}); err != nil {
		t.Fatal(err)
	}
	checkExactlyOnce(t, e.read("s", store.Query{}), expect(nil, "w", 1, 120))
}

// TestRestartAfterACrashBeforeTrimming: the chunk was indexed (with the
// writer marks) but tier 1 was not trimmed. The restart trims it, reads
// see each point once, and retries stay duplicates.
func TestRestartAfterACrashBeforeTrimming(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	e.append(batch("s", "w.normal", 1, 60, 5))
	e.append(batch("s", "v.normal", 1, 40, 5))
	// Do tiering's first two steps by hand: write the chunk, index it.
	var pts []models.Point
	if err := e.st.Read(ctx, "s", store.Query{}, func(p *models.Point) error { pts = append(pts, p.Clone()); return nil }); err != nil {
		t.Fatal(err)
	}
	info, err := e.t2.Write(ctx, tier2.ChunkSpec{Stream: "s", Segment: "0", FirstPos: 1, LastPos: 2}, pts)
	if err != nil {
		t.Fatal(err)
	}
	err = e.db.CommitChunk(meta.Chunk{
		Path: info.Path, Stream: "s", Segment: "0", FirstPos: 1, LastPos: 2, MinTime: info.MinTime, MaxTime: info.MaxTime,
		MinDevice: info.MinDevice, MaxDevice: info.MaxDevice, Rows: info.Rows, Bytes: info.Bytes,
	}, map[string]uint64{"w.normal": 60, "v.normal": 40})
	if err != nil {
		t.Fatal(err)
	}
	e.restart()
	st, err := e.st.Stream(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	if st.Tier1Messages != 0 || st.Tier2Points != 100 {
		t.Fatalf("after restart: tier 1 %d messages, tier 2 %d points", st.Tier1Messages, st.Tier2Points)
	}
	e.append(batch("s", "w.normal", 1, 70, 5))
	e.append(batch("s", "v.normal", 30, 45, 5))
	want := expect(expect(nil, "w", 1, 70), "v", 1, 45)
	checkExactlyOnce(t, e.read("s", store.Query{}), want)
}

// TestStreamWithoutSegmentStreamsIsRepaired: the stream's metadata was
// stored but the crash came before its tier-1 streams were created.
func TestStreamWithoutSegmentStreamsIsRepaired(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	e.append(batch("s", "w.normal", 1, 10, 2))
	if err := e.js.DeleteStream(ctx, tier1.StreamName("s", "0")); err != nil {
		t.Fatal(err)
	}
	e.restart()
	e.append(batch("s", "w.normal", 11, 20, 2))
	checkExactlyOnce(t, e.read("s", store.Query{}), expect(nil, "w", 11, 20))
}

func chunkFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(filepath.Join(dir, "tier2"), func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return out
}
