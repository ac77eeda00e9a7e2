package store

import "errors"

// Errors returned by Store methods.
var (
	// ErrBadBatch is returned (wrapped) by Append for a batch that breaks
	// the writer contract: a bad writer id, stream or device id, a Seq that
	// does not strictly increase, an agent that is not the writer's.
	ErrBadBatch = errors.New("invalid batch")
	// ErrUnknownStream is returned (wrapped) when a stream does not exist.
	ErrUnknownStream = errors.New("unknown stream")
	// ErrBadCut is returned (wrapped) by Tail for a stream cut that names
	// segments the stream does not have.
	ErrBadCut = errors.New("invalid stream cut")
	// ErrCutTiered is returned (wrapped) by Tail when a cut's position lies
	// inside a tier-2 chunk written without per-row positions (before
	// chunks kept them): the reader must resume by time instead.
	ErrCutTiered = errors.New("stream cut position was moved into a tier-2 chunk")
)
