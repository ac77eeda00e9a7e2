package meta_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/tributary-iot/tributary/cloud-core/meta"
	"github.com/tributary-iot/tributary/cloud-core/segment"
)

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func openDB(t *testing.T, path string) *meta.DB {
	t.Helper()
	db, err := meta.Open(path, meta.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func chunk(first, last uint64) meta.Chunk {
	return meta.Chunk{
		Path: fmt.Sprintf("s/0/%020d.parquet", first), Stream: "s", Segment: "0",
		FirstPos: first, LastPos: last, MinTime: int64(first), MaxTime: int64(last),
		MinDevice: "a", MaxDevice: "z", Rows: int64(last-first+1) * 10, Bytes: 1000,
	}
}

func TestStreamsPersist(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meta.db")
	db := openDB(t, path)
	s, err := segment.New("s", segment.Policy{Segments: 2}, t0)
	if err != nil {
		t.Fatal(err)
	}
	got, created, err := db.CreateStream(s)
	if err != nil || !created || got.Name != "s" {
		t.Fatalf("create: %+v %v %v", got, created, err)
	}
	other, _ := segment.New("s", segment.Policy{Segments: 5}, t0)
	got, created, err = db.CreateStream(other)
	if err != nil || created || len(got.Layout.Current().Segments) != 2 {
		t.Fatalf("second create must return the first stream: %v %v %v", got.Policy, created, err)
	}
	_, err = db.UpdateStream("s", func(s *segment.Stream) error {
		s.Policy.Retention.MaxBytes = 77
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpdateStream("s", func(s *segment.Stream) error { s.Layout.Epochs = nil; return nil }); !errors.Is(err, segment.ErrBadLayout) {
		t.Errorf("update to a broken layout: %v", err)
	}
	if _, err := db.UpdateStream("nope", func(*segment.Stream) error { return nil }); !errors.Is(err, meta.ErrNotFound) {
		t.Errorf("update of a missing stream: %v", err)
	}
	if _, err := db.Stream("nope"); !errors.Is(err, meta.ErrNotFound) {
		t.Errorf("missing stream: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = openDB(t, path)
	all, err := db.Streams()
	if err != nil || len(all) != 1 {
		t.Fatalf("streams after reopen: %v %v", all, err)
	}
	if all[0].Policy.Retention.MaxBytes != 77 || all[0].Layout.Validate() != nil {
		t.Errorf("stream after reopen: %+v", all[0])
	}
}

func TestCommitChunkIsAtomicAndOrdered(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meta.db")
	db := openDB(t, path)
	if err := db.CommitChunk(chunk(1, 10), map[string]uint64{"gw-1.normal": 50, "gw-2.high": 7}); err != nil {
		t.Fatal(err)
	}
	// Not contiguous with the tiered position: refused, nothing changes.
	if err := db.CommitChunk(chunk(12, 20), map[string]uint64{"gw-1.normal": 99}); !errors.Is(err, meta.ErrConflict) {
		t.Fatalf("gap: %v", err)
	}
	if err := db.CommitChunk(chunk(5, 20), nil); !errors.Is(err, meta.ErrConflict) {
		t.Fatalf("overlap: %v", err)
	}
	if m, _ := db.Mark("s", "0", "gw-1.normal"); m != 50 {
		t.Fatalf("refused commit changed a mark: %d", m)
	}
	// Marks only grow.
	if err := db.CommitChunk(chunk(11, 20), map[string]uint64{"gw-1.normal": 80, "gw-2.high": 3}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openDB(t, path)
	marks, err := db.Marks("s", "0")
	if err != nil {
		t.Fatal(err)
	}
	if marks["gw-1.normal"] != 80 || marks["gw-2.high"] != 7 || len(marks) != 2 {
		t.Errorf("marks %v", marks)
	}
	st, err := db.SegmentState("s", "0")
	if err != nil {
		t.Fatal(err)
	}
	if st != (meta.SegmentState{Tiered: 20, Chunks: 2, Rows: 200, Bytes: 2000}) {
		t.Errorf("state %+v", st)
	}
	if m, err := db.Mark("s", "9", "gw-1.normal"); m != 0 || err != nil {
		t.Errorf("mark of an unknown segment: %d %v", m, err)
	}
}

func TestSnapshot(t *testing.T) {
	db := openDB(t, filepath.Join(t.TempDir(), "meta.db"))
	for _, r := range [][2]uint64{{1, 10}, {11, 20}, {21, 30}} {
		if err := db.CommitChunk(chunk(r[0], r[1]), nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		from      uint64
		limit     int
		wantFirst []uint64
		more      bool
	}{
		{1, 0, []uint64{1, 11, 21}, false},
		{0, 0, []uint64{1, 11, 21}, false},
		{5, 0, []uint64{1, 11, 21}, false},
		{10, 0, []uint64{1, 11, 21}, false},
		{11, 0, []uint64{11, 21}, false},
		{25, 0, []uint64{21}, false},
		{31, 0, nil, false},
		{1000, 0, nil, false},
		{1, 2, []uint64{1, 11}, true},
		{12, 1, []uint64{11}, true},
		{21, 1, []uint64{21}, false},
	} {
		snap, err := db.Snapshot("s", "0", tc.from, tc.limit)
		if err != nil {
			t.Fatal(err)
		}
		var firsts []uint64
		for _, c := range snap.Chunks {
			firsts = append(firsts, c.FirstPos)
		}
		if fmt.Sprint(firsts) != fmt.Sprint(tc.wantFirst) || snap.More != tc.more || snap.Tiered != 30 {
			t.Errorf("Snapshot(from %d, limit %d) = %v more=%v tiered=%d, want %v more=%v", tc.from, tc.limit, firsts, snap.More, snap.Tiered, tc.wantFirst, tc.more)
		}
	}
	snap, err := db.Snapshot("s", "7", 1, 0)
	if err != nil || len(snap.Chunks) != 0 || snap.Tiered != 0 {
		t.Errorf("snapshot of an empty segment: %+v %v", snap, err)
	}
}

func TestDeleteChunkKeepsMarksAndPosition(t *testing.T) {
	db := openDB(t, filepath.Join(t.TempDir(), "meta.db"))
	if err := db.CommitChunk(chunk(1, 10), map[string]uint64{"w.normal": 5}); err != nil {
		t.Fatal(err)
	}
	if err := db.CommitChunk(chunk(11, 12), nil); err != nil {
		t.Fatal(err)
	}
	c, err := db.DeleteChunk("s", "0", 1)
	if err != nil || c.LastPos != 10 {
		t.Fatalf("delete: %+v %v", c, err)
	}
	if _, err := db.DeleteChunk("s", "0", 1); !errors.Is(err, meta.ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
	if m, _ := db.Mark("s", "0", "w.normal"); m != 5 {
		t.Errorf("mark after delete: %d", m)
	}
	st, _ := db.SegmentState("s", "0")
	if st.Tiered != 12 || st.Chunks != 1 || st.Rows != 20 {
		t.Errorf("state after delete: %+v", st)
	}
	paths, err := db.ChunkPaths()
	if err != nil || len(paths) != 1 {
		t.Fatalf("paths %v %v", paths, err)
	}
	if _, ok := paths[chunk(11, 12).Path]; !ok {
		t.Errorf("paths %v", paths)
	}
	var n int
	if err := db.Chunks("s", func(meta.Chunk) error { n++; return nil }); err != nil || n != 1 {
		t.Errorf("Chunks visited %d: %v", n, err)
	}
}

func TestCorruptValuesAreReported(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meta.db")
	db := openDB(t, path)
	s, _ := segment.New("s", segment.DefaultPolicy(), t0)
	if _, _, err := db.CreateStream(s); err != nil {
		t.Fatal(err)
	}
	if err := db.CommitChunk(chunk(1, 2), map[string]uint64{"w.normal": 1}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = b.Update(func(tx *bbolt.Tx) error {
		if err := tx.Bucket([]byte("streams")).Put([]byte("s"), []byte("{not json")); err != nil {
			return err
		}
		seg := tx.Bucket([]byte("segments")).Bucket([]byte("s")).Bucket([]byte("0"))
		if err := seg.Bucket([]byte("marks")).Put([]byte("w.normal"), []byte{1, 2}); err != nil {
			return err
		}
		return seg.Bucket([]byte("chunks")).Put([]byte{0, 0, 0, 0, 0, 0, 0, 1}, []byte(`{"path":"x"}`))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	db = openDB(t, path)
	var ce *meta.CorruptError
	if _, err := db.Stream("s"); !errors.As(err, &ce) {
		t.Errorf("corrupt stream: %v", err)
	}
	if _, err := db.Mark("s", "0", "w.normal"); !errors.As(err, &ce) {
		t.Errorf("corrupt mark: %v", err)
	}
	if _, err := db.Snapshot("s", "0", 1, 0); !errors.As(err, &ce) {
		t.Errorf("corrupt chunk: %v", err)
	}
}
