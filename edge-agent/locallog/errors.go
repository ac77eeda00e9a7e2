package locallog

import (
	"errors"
	"fmt"
)

var (
	// ErrClosed is returned by every method called after Close, and by
	// Wait when the log closes while it waits.
	ErrClosed = errors.New("local log closed")

	// ErrBadOptions is returned (wrapped) by Open when Options are invalid.
	ErrBadOptions = errors.New("invalid local log options")

	// ErrMaxBytesTooSmall is returned (wrapped) by Open when
	// Options.MaxBytes leaves no room for points after bbolt's page
	// overhead and the per-transaction reserve; the message names the
	// smallest cap that works.
	ErrMaxBytesTooSmall = errors.New("max bytes too small for a local log")

	// ErrLocked is returned (wrapped) by Open when another process holds the
	// file's lock for longer than Options.LockTimeout.
	ErrLocked = errors.New("local log locked by another process")

	// ErrPointTooLarge is returned (wrapped) by Append when a point encodes
	// to more than Log.MaxPointSize bytes; nothing of that call is appended.
	// Callers dead-letter such input.
	ErrPointTooLarge = errors.New("point too large for the local log")

	// ErrBadClass is returned (wrapped) for a priority class outside
	// models.Priorities.
	ErrBadClass = errors.New("unknown priority class")
)

// CorruptionError describes why a log file is unusable. CheckFile returns
// it; Open does not (it moves such a file aside, starts a fresh log and puts
// the message in Stats().Recovered.Reason).
type CorruptionError struct {
	// Page is the page where the problem was found, or -1 when it concerns
	// the whole file.
	Page int64
	// Reason says what is wrong.
	Reason string
}

// Error implements error.
func (e *CorruptionError) Error() string {
	if e.Page < 0 {
		return "corrupt log file: " + e.Reason
	}
	return fmt.Sprintf("corrupt log file: page %d: %s", e.Page, e.Reason)
}

// corruptf returns a *CorruptionError for page (or -1).
func corruptf(page int64, format string, args ...any) error {
	return &CorruptionError{Page: page, Reason: fmt.Sprintf(format, args...)}
}
