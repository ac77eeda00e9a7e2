package tier2

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"time"
)

// MemBucket is a Bucket in memory, for tests. Its zero value is empty and
// ready to use.
type MemBucket struct {
	// mu guards objects.
	mu      sync.Mutex
	objects map[string]memObject
}

type memObject struct {
	data    []byte
	modTime time.Time
}

// Put implements Bucket.
func (b *MemBucket) Put(ctx context.Context, name string, write func(w io.Writer) error) (int64, error) {
	if !fs.ValidPath(name) || name == "." {
		return 0, fmt.Errorf("%w: %q", ErrBadPath, name)
	}
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return 0, fmt.Errorf("cannot write %q: %w", name, err)
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("cannot write %q: %w", name, err)
	}
	b.PutBytes(name, buf.Bytes())
	return int64(buf.Len()), nil
}

// PutBytes stores data under name as is, bypassing any check: tests use it
// to plant torn or foreign files.
func (b *MemBucket) PutBytes(name string, data []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.objects == nil {
		b.objects = make(map[string]memObject)
	}
	b.objects[name] = memObject{data: slices.Clone(data), modTime: time.Now()}
}

// Open implements Bucket.
func (b *MemBucket) Open(_ context.Context, name string) (Object, error) {
	b.mu.Lock()
	o, ok := b.objects[name]
	b.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, name)
	}
	return memReader{bytes.NewReader(o.data)}, nil
}

type memReader struct{ *bytes.Reader }

func (memReader) Close() error { return nil }

// Remove implements Bucket.
func (b *MemBucket) Remove(_ context.Context, name string) error {
	b.mu.Lock()
	delete(b.objects, name)
	b.mu.Unlock()
	return nil
}

// List implements Bucket, in name order.
func (b *MemBucket) List(ctx context.Context, fn func(ObjectInfo) error) error {
	b.mu.Lock()
	infos := make([]ObjectInfo, 0, len(b.objects))
	for name, o := range b.objects {
		infos = append(infos, ObjectInfo{Name: name, Size: int64(len(o.data)), ModTime: o.modTime, Partial: isPartial(name)})
	}
	b.mu.Unlock()
	slices.SortFunc(infos, func(x, y ObjectInfo) int { return strings.Compare(x.Name, y.Name) })
	for _, info := range infos {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(info); err != nil {
			return err
		}
	}
	return nil
}
