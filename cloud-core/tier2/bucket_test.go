package tier2_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/tributary-iot/tributary/cloud-core/tier2"
)

// TestBuckets checks the Bucket contract on both implementations.
func TestBuckets(t *testing.T) {
	dir, err := tier2.NewDirBucket(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		bucket tier2.Bucket
	}{{"dir", dir}, {"mem", &tier2.MemBucket{}}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			b := tc.bucket
			data := bytes.Repeat([]byte("chunk"), 1000)
			n, err := b.Put(ctx, "a/b/c.parquet", func(w io.Writer) error { _, err := w.Write(data); return err })
			if err != nil || n != int64(len(data)) {
				t.Fatalf("Put: %d, %v", n, err)
			}
			failed := errors.New("write failed")
			if _, err := b.Put(ctx, "a/b/d.parquet", func(w io.Writer) error {
				_, _ = w.Write(data)
				return failed
			}); !errors.Is(err, failed) {
				t.Fatalf("failing Put: %v", err)
			}
			var names []string
			if err := b.List(ctx, func(o tier2.ObjectInfo) error {
				names = append(names, o.Name)
				if o.Partial || o.Size != int64(len(data)) {
					t.Errorf("listed %+v", o)
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if len(names) != 1 || names[0] != "a/b/c.parquet" {
				t.Fatalf("List: %v", names)
			}
			o, err := b.Open(ctx, "a/b/c.parquet")
			if err != nil {
				t.Fatal(err)
			}
			got := make([]byte, o.Size())
			if _, err := o.ReadAt(got, 0); err != nil || !bytes.Equal(got, data) {
				t.Fatalf("ReadAt: %v", err)
			}
			if err := o.Close(); err != nil {
				t.Fatal(err)
			}
			if _, err := b.Open(ctx, "a/b/d.parquet"); !errors.Is(err, tier2.ErrNotFound) {
				t.Fatalf("Open of a failed Put: %v", err)
			}
			for range 2 {
				if err := b.Remove(ctx, "a/b/c.parquet"); err != nil {
					t.Fatalf("Remove: %v", err)
				}
			}
			if _, err := b.Open(ctx, "a/b/c.parquet"); !errors.Is(err, tier2.ErrNotFound) {
				t.Fatalf("Open after Remove: %v", err)
			}
			for _, bad := range []string{"../x", "/abs", ""} {
				if _, err := b.Put(ctx, bad, func(io.Writer) error { return nil }); !errors.Is(err, tier2.ErrBadPath) {
					t.Errorf("Put(%q): %v", bad, err)
				}
			}
		})
	}
}
