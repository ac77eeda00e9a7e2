package meta

import "errors"

// Errors returned by DB methods.
var (
	// ErrNotFound is returned when a stream, segment or chunk is not in
	// the metadata.
	ErrNotFound = errors.New("not found")
	// ErrConflict is returned by CommitChunk when the chunk does not start
	// right after the segment's tiered position (another tiering task got
	// there first, or the caller's view is stale).
	ErrConflict = errors.New("conflicting metadata change")
	// ErrExists is returned by CreateStream when the stream exists with a
	// different policy.
	ErrExists = errors.New("stream exists")
)

// CorruptError reports a metadata value that cannot be decoded.
type CorruptError struct {
	// Bucket and Key locate the value.
	Bucket, Key string
	// Err is the decoding error.
	Err error
}

// Error implements error.
func (e *CorruptError) Error() string {
	return "corrupt metadata in " + e.Bucket + "/" + e.Key + ": " + e.Err.Error()
}

// Unwrap returns the decoding error.
func (e *CorruptError) Unwrap() error { return e.Err }
