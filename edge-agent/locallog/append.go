package locallog

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/tributary-iot/tributary/models"
)

// AppendResult says what Append did with the points it was given.
type AppendResult struct {
	// Accepted points are durable; Rejected ones were refused by the
	// full-log policy (and counted as dropped). An MQTT front end must not
	// acknowledge a message with rejected points.
	Accepted int
	Rejected int
	// FirstSeq and LastSeq are the seqs of the first and last accepted
	// point (0 when none was accepted).
	FirstSeq uint64
	LastSeq  uint64
	// Policy is the full-log policy in force.
	Policy Policy
}

// opKind is what a request asks the committer to do.
type opKind uint8

const (
	opAppend opKind = iota
	opDeadLetter
	opTrim
	opSweep
	opDropCorrupt
)

// The states of a request: the committer takes a queued request; a waiter
// whose context ends cancels one that is still queued.
const (
	reqQueued int32 = iota
	reqTaken
	reqCancelled
)

// request is one unit of work for the committer. The committer closes done
// when it has finished with the request (results are set before).
type request struct {
	op    opKind
	state atomic.Int32
	done  chan struct{}
	class models.Priority

	// opAppend: the points' encodings, back to back in buf.
	buf   []byte
	pts   []pointRef
	first int   // index in the caller's slice of pts[0]
	bytes int64 // sum of encoded sizes
	elem  int64 // sum of leaf element sizes

	// opDeadLetter
	dl     DeadLetter
	dlEnc  []byte
	reason string

	// opTrim: delete seqs <= upto. opDropCorrupt: delete seq.
	upto uint64
	seq  uint64

	// results
	accepted bool
	firstSeq uint64
	err      error
}

// pointRef locates one encoded point in request.buf.
type pointRef struct {
	off, end int32
	seqAt    int32 // offset of the 8 seq bytes from off
}

func newRequest(op opKind) *request {
	return &request{op: op, done: make(chan struct{})}
}

// Append stores pts in class and returns once they are in an fsync'd
// transaction, or were rejected by the full-log policy.
//
// Append sets each point's Agent to Options.Agent and, if zero, its
// Received to the current time; after a successful call each accepted
// point's Seq holds the seq it was given (seqs of one call are consecutive).
// A point that encodes to more than MaxPointSize bytes fails the whole call
// with ErrPointTooLarge before anything is stored.
//
// The points of one call are admitted or rejected together, except that a
// call larger than one transaction's budget (1/32 of MaxBytes, at most
// 4 MiB) is split into parts admitted one by one. If ctx ends first, the
// parts the committer has not yet taken are dropped unstored (not counted)
// and Append returns ctx.Err() with the result of the parts that were taken.
// After Close it returns ErrClosed.
func (l *Log) Append(ctx context.Context, class models.Priority, pts []models.Point) (AppendResult, error) {
	res := AppendResult{Policy: l.opts.WhenFull}
	if err := checkClass(class); err != nil {
		return res, err
	}
	if len(pts) == 0 {
		return res, nil
	}
	recv := l.now().UnixNano()
	r := newRequest(opAppend)
	r.class = class
	size := 0
	for i := range pts {
		size += pts[i].Msgsize() + seqFieldLen
	}
	r.buf = l.getBuf(min(size, int(l.geo.txnBytes)+l.geo.maxValue))
	r.pts = make([]pointRef, 0, len(pts))
	reqs := []*request{r}
	defer func() {
		for _, r := range reqs {
			l.putBuf(r)
		}
	}()
	for i := range pts {
		p := &pts[i]
		p.Agent = l.opts.Agent
		if p.Received == 0 {
			p.Received = recv
		}
		start := len(r.buf)
		buf, seqAt, err := appendPoint(r.buf, p)
		if err != nil {
			return res, fmt.Errorf("append: point %d: %w", i, err)
		}
		n := len(buf) - start
		if n > l.geo.maxValue {
			return res, fmt.Errorf("append: point %d: %w: %d bytes encoded, at most %d", i, ErrPointTooLarge, n, l.geo.maxValue)
		}
		e := elemSize(n)
		if len(r.pts) > 0 && r.elem+e > l.geo.txnBytes {
			// Start a new part; move this point's bytes there.
			next := newRequest(opAppend)
			next.class, next.first = class, i
			next.buf = append(next.buf, buf[start:]...)
			r.buf = buf[:start]
			r, buf, start = next, next.buf, 0
			reqs = append(reqs, r)
		}
		r.buf = buf
		r.pts = append(r.pts, pointRef{off: int32(start), end: int32(len(buf)), seqAt: int32(seqAt)})
		r.bytes += int64(n)
		r.elem += e
	}
	cancelled, err := l.submit(ctx, reqs)
	if err != nil && !cancelled {
		return res, err
	}
	for _, r := range reqs {
		if r.state.Load() == reqCancelled {
			continue
		}
		if r.err != nil {
			return res, r.err
		}
		if !r.accepted {
			res.Rejected += len(r.pts)
			continue
		}
		if res.Accepted == 0 {
			res.FirstSeq = r.firstSeq
		}
		for i := range r.pts {
			pts[r.first+i].Seq = r.firstSeq + uint64(i)
		}
		res.Accepted += len(r.pts)
		res.LastSeq = r.firstSeq + uint64(len(r.pts)) - 1
	}
	if cancelled {
		return res, err
	}
	return res, nil
}

// getBuf returns an empty buffer of at least n bytes' capacity.
func (l *Log) getBuf(n int) []byte {
	if b, ok := l.bufs.Get().(*[]byte); ok && cap(*b) >= n {
		return (*b)[:0]
	}
	return make([]byte, 0, n)
}

// putBuf recycles r's buffer once the committer is done with it (bbolt
// copies values into its pages at commit). A cancelled request's buffer may
// still be in the queue and is left to the garbage collector.
func (l *Log) putBuf(r *request) {
	if r.state.Load() == reqCancelled || cap(r.buf) == 0 {
		return
	}
	b := r.buf[:0]
	r.buf = nil
	l.bufs.Put(&b)
}

// AddDeadLetter records a message that could not be taken in. Topic,
// Reason and Error are truncated (to 256, 64 and 256 bytes) and Payload to
// 1 KiB; PayloadSize keeps the original length. The dead letter goes
// through the same group commit as points and counts toward the disk cap:
// the store keeps at most Options.MaxDeadLetters of them and at most 1/16
// of MaxBytes, removing the oldest first, and when the log is full a dead
// letter ranks like a point of the lowest class (it is not stored under
// RejectNew). Every dead letter is counted by reason, stored or not.
func (l *Log) AddDeadLetter(ctx context.Context, d DeadLetter) error {
	d = d.normalize(l.geo.dlPayload)
	if d.Time.IsZero() {
		d.Time = l.now()
	}
	r := newRequest(opDeadLetter)
	r.dl, r.reason = d, d.Reason
	r.dlEnc = appendDeadLetter(nil, &d)
	r.elem = elemSize(len(r.dlEnc))
	if _, err := l.submit(ctx, []*request{r}); err != nil {
		return err
	}
	return r.err
}

// Trim deletes the points of class with seqs up to uptoSeq (acknowledged
// by the cloud) and counts them as synced. It returns once that is durable.
func (l *Log) Trim(ctx context.Context, class models.Priority, uptoSeq uint64) error {
	if err := checkClass(class); err != nil {
		return err
	}
	r := newRequest(opTrim)
	r.class, r.upto = class, uptoSeq
	if _, err := l.submit(ctx, []*request{r}); err != nil {
		return err
	}
	return r.err
}

// Sweep drops the points older than their class's TTL now, rather than at
// the committer's next periodic sweep. It returns once that is durable.
func (l *Log) Sweep(ctx context.Context) error {
	r := newRequest(opSweep)
	if _, err := l.submit(ctx, []*request{r}); err != nil {
		return err
	}
	return r.err
}

// dropCorrupt asks the committer to delete a point that does not decode;
// nobody waits for it.
func (l *Log) dropCorrupt(class models.Priority, seq uint64) {
	r := newRequest(opDropCorrupt)
	r.class, r.seq = class, seq
	l.enqueue([]*request{r})
}

// enqueue hands reqs to the committer, or returns ErrClosed.
func (l *Log) enqueue(reqs []*request) error {
	l.qmu.Lock()
	if l.closed {
		l.qmu.Unlock()
		return ErrClosed
	}
	l.queue = append(l.queue, reqs...)
	l.qmu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
	return nil
}

// submit enqueues reqs and waits for them. If ctx ends first, requests not
// yet taken are cancelled and (true, ctx.Err()) is returned once the taken
// ones are done.
func (l *Log) submit(ctx context.Context, reqs []*request) (cancelled bool, err error) {
	if err := l.enqueue(reqs); err != nil {
		return false, err
	}
	for _, r := range reqs {
		select {
		case <-r.done:
			continue
		case <-ctx.Done():
		}
		for _, r := range reqs {
			if r.state.CompareAndSwap(reqQueued, reqCancelled) {
				cancelled = true
			} else {
				<-r.done
			}
		}
		if cancelled {
			return true, ctx.Err()
		}
		return false, nil
	}
	return false, nil
}
