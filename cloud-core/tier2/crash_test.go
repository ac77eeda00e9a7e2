package tier2_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/tributary-iot/tributary/cloud-core/tier2"
	"github.com/tributary-iot/tributary/models"
)

// globParquet returns every file under root that a "*.parquet" glob at any
// depth matches.
func globParquet(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ok, _ := filepath.Match("*.parquet", d.Name()); ok && !d.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestInterruptedWriteIsInvisibleAndSwept(t *testing.T) {
	root := t.TempDir()
	ctx := context.Background()
	first, err := tier2.NewDirBucket(root)
	if err != nil {
		t.Fatal(err)
	}
	s1 := openStore(t, tier2.Options{Bucket: first})
	name := tier2.ChunkPath(spec("0", 1, 5), time.Now().UnixNano())

	// A write that stops half way, as a crash would leave it.
	started, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		_, err := first.Put(ctx, name, func(w io.Writer) error {
			if _, err := w.Write(bytes.Repeat([]byte("PAR1"), 1<<18)); err != nil {
				return err
			}
			close(started)
			<-release
			return errors.New("power cut")
		})
		done <- err
	}()
	<-started

	if m := globParquet(t, root); len(m) != 0 {
		t.Fatalf("a glob of *.parquet sees a write in progress: %v", m)
	}
	var partial []string
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), tier2.PartialPrefix) {
			partial = append(partial, p)
		}
		return err
	})
	if len(partial) != 1 {
		t.Fatalf("temporary files: %v, want one", partial)
	}
	// The store doing the write never sweeps its own write in progress.
	if removed, err := s1.Sweep(ctx, func(string) bool { return false }); err != nil || len(removed) != 0 {
		t.Fatalf("Sweep during the write removed %v (%v)", removed, err)
	}
	// After a restart (a new bucket and store on the same directory) the
	// leftover is garbage, and Sweep removes it.
	second, err := tier2.NewDirBucket(root)
	if err != nil {
		t.Fatal(err)
	}
	s2 := openStore(t, tier2.Options{Bucket: second})
	removed, err := s2.Sweep(ctx, func(string) bool { return false })
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 1 || !strings.HasPrefix(filepath.Base(removed[0]), tier2.PartialPrefix) {
		t.Fatalf("Sweep removed %v, want the temporary file", removed)
	}
	if _, err := os.Stat(partial[0]); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("temporary file still there: %v", err)
	}
	close(release)
	if err := <-done; err == nil {
		t.Fatal("interrupted Put succeeded")
	}
	if m := globParquet(t, root); len(m) != 0 {
		t.Fatalf("failed write left %v", m)
	}
	if _, err := s2.Info(ctx, name); !errors.Is(err, tier2.ErrNotFound) {
		t.Fatalf("Info of a failed write: %v", err)
	}
}

func TestFailedWriteLeavesNothing(t *testing.T) {
	root := t.TempDir()
	s := openStore(t, tier2.Options{Root: root})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Write(ctx, spec("0", 1, 5), truckPoints(2, time.Minute)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Write with a cancelled context: %v", err)
	}
	var files []string
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return err
	})
	if len(files) != 0 {
		t.Fatalf("failed write left %v", files)
	}
}

func TestSweepUnindexedChunks(t *testing.T) {
	root := t.TempDir()
	ctx := context.Background()
	before := openStore(t, tier2.Options{Root: root})
	points := truckPoints(2, time.Minute)
	var paths []string
	for i := range 3 {
		paths = append(paths, write(t, before, spec("0", uint64(i*10), uint64(i*10+9)), points).Path)
	}
	// A file that is not a chunk stays, whatever its age.
	other := filepath.Join(root, "README.txt")
	if err := os.WriteFile(other, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	for _, p := range append(slices.Clone(paths), "README.txt") {
		if err := os.Chtimes(filepath.Join(root, filepath.FromSlash(p)), old, old); err != nil {
			t.Fatal(err)
		}
	}

	// A restart: the index knows only the first chunk. A chunk written after
	// the restart, not indexed yet, must survive.
	after := openStore(t, tier2.Options{Root: root})
	fresh := write(t, after, spec("1", 0, 9), points).Path
	known := func(p string) bool { return p == paths[0] }
	removed, err := after.Sweep(ctx, known)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(removed)
	if want := paths[1:]; !slices.Equal(removed, want) {
		t.Fatalf("Sweep removed %v, want %v", removed, want)
	}
	for _, p := range []string{paths[0], fresh} {
		if _, err := after.Info(ctx, p); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("Sweep removed a file that is no chunk: %v", err)
	}
}

// chunkBytes writes points as a chunk in memory and returns the file.
func chunkBytes(t testing.TB, points []models.Point, opts tier2.Options) []byte {
	t.Helper()
	return specChunkBytes(t, spec("0", 1, 1), points, opts)
}

// specChunkBytes returns the bytes of a chunk written for sp.
func specChunkBytes(t testing.TB, sp tier2.ChunkSpec, points []models.Point, opts tier2.Options) []byte {
	t.Helper()
	b := &tier2.MemBucket{}
	opts.Bucket = b
	s := openStore(t, opts)
	info := write(t, s, sp, points)
	obj, err := b.Open(context.Background(), info.Path)
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, obj.Size())
	if _, err := obj.ReadAt(data, 0); err != nil {
		t.Fatal(err)
	}
	return data
}

// foreignParquet returns a valid Parquet file that is no Tributary chunk;
// with meta set, it carries that as its tributary.chunk metadata.
func foreignParquet(t *testing.T, meta string) []byte {
	t.Helper()
	type row struct {
		Device string `parquet:"device"`
		Time   int64  `parquet:"time"`
	}
	var buf bytes.Buffer
	var opts []parquet.WriterOption
	if meta != "" {
		opts = append(opts, parquet.KeyValueMetadata("tributary.chunk", meta))
	}
	w := parquet.NewGenericWriter[row](&buf, opts...)
	if _, err := w.Write([]row{{"a", 1}, {"b", 2}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// zeroMidColumn zeroes 64 bytes in the middle of the largest column chunk of
// the first row group: page data, which the page checksums cover.
func zeroMidColumn(t *testing.T, data []byte) []byte {
	t.Helper()
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var off, size int64
	for _, c := range f.Metadata().RowGroups[0].Columns {
		if c.MetaData.TotalCompressedSize > size {
			off, size = c.MetaData.DataPageOffset, c.MetaData.TotalCompressedSize
		}
	}
	out := slices.Clone(data)
	clear(out[off+size/2 : off+size/2+64])
	return out
}

func TestCorruptChunks(t *testing.T) {
	good := chunkBytes(t, truckPoints(3, 10*time.Minute), tier2.Options{})
	cases := []struct {
		name     string
		data     []byte
		readOnly bool // only a full Read decodes the damaged part
	}{
		{"empty", nil, false},
		{"magic-only", []byte("PAR1"), false},
		{"truncated-half", good[:len(good)/2], false},
		{"truncated-tail", good[:len(good)-3], false},
		{"garbage", append(append([]byte("PAR1"), bytes.Repeat([]byte{0xfe, 0x01}, 5000)...), "PAR1"...), false},
		{"page-data-zeroed", zeroMidColumn(t, good), true},
		{"foreign-parquet", foreignParquet(t, ""), false},
		{"bad-footer-json", foreignParquet(t, "{not json"), false},
		{"footer-lies", foreignParquet(t, `{"format":1,"stream":"s","segment":"0","rows":2,"row_groups":[{"rows":2}]}`), false},
		{"footer-wrong-rows", foreignParquet(t, `{"format":1,"rows":5,"row_groups":[{"rows":5}]}`), false},
		{"footer-format-2", foreignParquet(t, `{"format":2}`), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := &tier2.MemBucket{}
			s := openStore(t, tier2.Options{Bucket: b})
			name := "stream=s/date=2026-01-01/seg-0-1-1.parquet"
			b.PutBytes(name, tc.data)
			ctx := context.Background()
			checks := map[string]error{
				"Read":  s.Read(ctx, name, tier2.Filter{}, func(*models.Point) error { return nil }),
				"Count": second(s.Count(ctx, name, tier2.Filter{Device: "truck-0001"})),
				"Info":  second(s.Info(ctx, name)),
			}
			for op, err := range checks {
				if tc.readOnly && op != "Read" {
					continue
				}
				var ce *tier2.CorruptionError
				if !errors.As(err, &ce) {
					t.Errorf("%s: %v, want a *CorruptionError", op, err)
					continue
				}
				if ce.Path != name || !strings.Contains(err.Error(), name) {
					t.Errorf("%s: error %q does not name %q", op, err, name)
				}
			}
		})
	}
}

func second[T any](_ T, err error) error { return err }

// failingBucket serves objects whose reads in the first half (the page
// data; the footer is at the end) fail with an I/O error when broken.
type failingBucket struct {
	*tier2.MemBucket
	broken bool
}

func (b failingBucket) Open(ctx context.Context, name string) (tier2.Object, error) {
	o, err := b.MemBucket.Open(ctx, name)
	if err != nil {
		return nil, err
	}
	if !b.broken {
		return o, nil
	}
	return failingObject{Object: o}, nil
}

type failingObject struct{ tier2.Object }

func (o failingObject) ReadAt(p []byte, off int64) (int, error) {
	if off < o.Size()/2 {
		return 0, syscall.EIO
	}
	return o.Object.ReadAt(p, off)
}

func TestIOErrorIsNotCorruption(t *testing.T) {
	mem := &tier2.MemBucket{}
	s := openStore(t, tier2.Options{Bucket: failingBucket{MemBucket: mem}})
	info := write(t, s, spec("0", 1, 1), truckPoints(3, 10*time.Minute))
	broken := openStore(t, tier2.Options{Bucket: failingBucket{MemBucket: mem, broken: true}})
	err := broken.Read(context.Background(), info.Path, tier2.Filter{}, func(*models.Point) error { return nil })
	var ce *tier2.CorruptionError
	if !errors.Is(err, syscall.EIO) || errors.As(err, &ce) {
		t.Fatalf("Read over a failing disk: %v, want EIO and no CorruptionError", err)
	}
}

// TestCorruptionSweep reads thousands of chunks damaged at random places
// (fixed seed): each read must end with nil or a *CorruptionError, without
// a panic or a runaway allocation.
func TestCorruptionSweep(t *testing.T) {
	seeds := [][]byte{
		chunkBytes(t, truckPoints(2, 20*time.Second), tier2.Options{Compression: tier2.CompressionFastest}),
		chunkBytes(t, mixedPoints(), tier2.Options{Compression: tier2.CompressionFastest, RowGroupRows: 3}),
	}
	rng := rand.New(rand.NewPCG(1, 2))
	ctx := context.Background()
	name := "stream=s/date=2026-01-01/seg-0-1-1.parquet"
	for i := range 3000 {
		data := slices.Clone(seeds[i%len(seeds)])
		for range 1 + rng.IntN(4) {
			p := rng.IntN(len(data) - 8)
			switch rng.IntN(3) {
			case 0:
				data[p] = byte(rng.IntN(256))
			case 1:
				data[p] ^= 1 << rng.IntN(8)
			case 2:
				copy(data[p:], []byte{0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0}[:1+rng.IntN(7)])
			}
		}
		b := &tier2.MemBucket{}
		s := openStore(t, tier2.Options{Bucket: b})
		b.PutBytes(name, data)
		for _, err := range []error{
			s.Read(ctx, name, tier2.Filter{}, func(*models.Point) error { return nil }),
			s.Read(ctx, name, tier2.Filter{Device: "truck-0002", Start: 1}, func(*models.Point) error { return nil }),
			second(s.Count(ctx, name, tier2.Filter{Device: "truck-0001"})),
		} {
			var ce *tier2.CorruptionError
			if err != nil && !errors.As(err, &ce) {
				t.Fatalf("mutation %d: %v is no *CorruptionError", i, err)
			}
		}
	}
}
