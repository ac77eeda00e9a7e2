package tier2

import (
	"errors"
	"fmt"
)

var (
	// ErrNotFound is returned (wrapped) by Read, Count and Info
	// when no chunk exists under the path.
	ErrNotFound = errors.New("chunk not found")
	// ErrNoPoints is returned by Write when it is given no points: an empty
	// chunk is never written.
	ErrNoPoints = errors.New("no points to write")
	// ErrBadSpec is returned (wrapped) by Write when the ChunkSpec cannot name
	// a chunk: a bad stream or segment id, or FirstPos > LastPos.
	ErrBadSpec = errors.New("invalid chunk spec")
	// ErrBadPath is returned (wrapped) when a path given to Read, Count, Info
	// or Remove is not a chunk path relative to the store's root
	// (absolute, with "..", or not ending in ".parquet").
	ErrBadPath = errors.New("invalid chunk path")
	// ErrNoPositions is returned (wrapped) by Read and Count for a filter
	// that starts inside a chunk written without positions.
	ErrNoPositions = errors.New("chunk has no per-row positions")
)

// CorruptionError reports a chunk file that cannot be decoded: torn,
// truncated, overwritten, or not a Tributary chunk at all. Check for it
// with errors.As; Path names the chunk relative to the store's root.
type CorruptionError struct {
	Path string
	Err  error
}

// Error implements error.
func (e *CorruptionError) Error() string {
	return fmt.Sprintf("corrupt tier-2 chunk %q: %v", e.Path, e.Err)
}

// Unwrap returns the underlying decoding error.
func (e *CorruptionError) Unwrap() error { return e.Err }
