package tier2

import (
	"context"
	"io"
	"time"
)

// Bucket is the storage a Store keeps chunk files in: a local directory
// (DirBucket) or, past one machine, an object store. Names are
// slash-separated paths relative to the bucket's root.
//
// A Bucket must be safe for concurrent use.
type Bucket interface {
	// Put stores the bytes that write produces under name, replacing any
	// object there. The object appears under name only whole and durable,
	// after write returned nil; if write or Put fails, nothing appears under
	// name (a leftover may be listed as Partial). Put returns the object's
	// size.
	Put(ctx context.Context, name string, write func(w io.Writer) error) (int64, error)
	// Open opens name for reading; a missing name gives an error wrapping
	// ErrNotFound.
	Open(ctx context.Context, name string) (Object, error)
	// Remove deletes name. Removing a missing name is not an error.
	Remove(ctx context.Context, name string) error
	// List calls fn for every object in the bucket, including leftovers of
	// interrupted Puts (Partial set), but never for the temporary data of a
	// Put still in progress on this Bucket value. An error from fn stops
	// the listing and is returned.
	List(ctx context.Context, fn func(ObjectInfo) error) error
}

// Object is an open chunk file.
type Object interface {
	io.ReaderAt
	io.Closer
	// Size returns the object's length in bytes.
	Size() int64
}

// ObjectInfo describes one listed object.
type ObjectInfo struct {
	// Name is the object's path relative to the bucket's root.
	Name string
	// Size is its length in bytes.
	Size int64
	// ModTime is when it was last written.
	ModTime time.Time
	// Partial marks the leftover of an interrupted Put: never a chunk.
	Partial bool
}
