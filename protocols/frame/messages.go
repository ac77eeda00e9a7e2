package frame

// Decoders refuse huge headers instead of allocating for them.
//msgp:limit arrays:4096 maps:4096

// Hello is an agent's first request on connecting: who it is and which
// writer sequences it holds. The cloud answers with a HelloReply.
//
//msgp:tuple Hello
type Hello struct {
	Version int
	Agent   string
	Writers []string
}

// HelloReply carries the cloud's committed high-water mark of each writer:
// the agent resumes each writer after its mark.
//
//msgp:tuple HelloReply
type HelloReply struct {
	Marks map[string]uint64
	Error string
}

// AckStatus is the outcome of one batch.
type AckStatus uint8

// The outcomes of a batch.
const (
	// AckOK: every point is durable in the cloud (or was already).
	AckOK AckStatus = 0
	// AckOutOfOrder: the batch's Prev does not match the writer's committed
	// mark; resend from Ack.Mark (exclusive).
	AckOutOfOrder AckStatus = 1
	// AckRefused: the batch is not acceptable (bad frame, wrong writer);
	// resending it will not help.
	AckRefused AckStatus = 2
	// AckRetry: a transient failure; resend later.
	AckRetry AckStatus = 3
)

// String names the status.
func (s AckStatus) String() string {
	switch s {
	case AckOK:
		return "ok"
	case AckOutOfOrder:
		return "out_of_order"
	case AckRefused:
		return "refused"
	case AckRetry:
		return "retry"
	}
	return "unknown"
}

// Ack answers one batch frame.
//
//msgp:tuple Ack
type Ack struct {
	Status AckStatus
	// Mark is the writer's committed high-water mark after this batch.
	Mark uint64
	// Written is the number of points the batch carried to the store (which drops any it already held).
	Written int
	Error   string
}
