package tier1

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tributary-iot/tributary/cloud-core/batchmsg"
	"github.com/tributary-iot/tributary/models"
)

// Errors returned by Log methods.
var (
	// ErrConflict is returned (wrapped) by Append when the writer's last
	// message in the segment is no longer the one the caller named: a
	// racing append got there first, or tiering trimmed it. Read Last
	// again and retry.
	ErrConflict = errors.New("writer's last position moved")
	// ErrNoMessage is returned by Next when no message is at or after the
	// position asked for.
	ErrNoMessage = errors.New("no message at or after position")
	// ErrNoSegment is returned (wrapped) when a segment's JetStream stream
	// does not exist.
	ErrNoSegment = errors.New("segment stream does not exist")
	// ErrBadMessage is returned (wrapped) for a stored message whose
	// headers are missing or malformed.
	ErrBadMessage = errors.New("malformed tier-1 message")
)

// DefaultMaxMessageBytes is the payload size above which Append splits a
// run of points over several messages.
const DefaultMaxMessageBytes = 1 << 20

// Options configure New.
type Options struct {
	// Codec encodes and decodes payloads; required.
	Codec *batchmsg.Codec
	// Replicas is the JetStream replica count of segment streams (0: 1).
	Replicas int
	// Duplicates is JetStream's duplicate window on segment streams. The
	// store does not rely on it (it sets no message ids); 0 means 1s.
	Duplicates time.Duration
	// MaxMessageBytes is the payload size above which Append splits
	// (0: DefaultMaxMessageBytes).
	MaxMessageBytes int
}

// Log is the set of segment streams in one JetStream domain. It is safe
// for concurrent use.
type Log struct {
	js   jetstream.JetStream
	opts Options
	bufs sync.Pool

	mu sync.Mutex
	// handles caches stream handles by JetStream stream name; guarded by mu.
	handles map[string]jetstream.Stream
}

// Last is a writer's last message in a segment's tier 1.
type Last struct {
	// Pos is the message's position (0: tier 1 holds no message of the writer).
	Pos uint64
	// Mark is the Seq of the message's last point.
	Mark uint64
}

// Appended is what one Append stored.
type Appended struct {
	// Last is the writer's new last message in the segment.
	Last
	// Messages is the number of messages stored.
	Messages int
	// Bytes is the size of their payloads (compressed, as stored).
	Bytes int
}

// State is a segment stream's extent.
type State struct {
	// First and Last are the first and last positions held; an empty
	// stream has First == Last+1.
	First uint64 `json:"first"`
	Last  uint64 `json:"last"`
	// Msgs and Bytes count what it holds.
	Msgs  uint64 `json:"messages"`
	Bytes uint64 `json:"bytes"`
}

// New returns a Log that keeps segment streams in js.
func New(js jetstream.JetStream, opts Options) (*Log, error) {
	if opts.Codec == nil {
		return nil, errors.New("tier1: no codec")
	}
	if opts.Replicas == 0 {
		opts.Replicas = 1
	}
	if opts.Duplicates == 0 {
		opts.Duplicates = time.Second
	}
	if opts.MaxMessageBytes == 0 {
		opts.MaxMessageBytes = DefaultMaxMessageBytes
	}
	return &Log{js: js, opts: opts, handles: map[string]jetstream.Stream{}}, nil
}

// Config returns the JetStream configuration of a segment stream.
func (l *Log) Config(stream, seg string) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        StreamName(stream, seg),
		Description: "tier 1 of segment " + seg + " of stream " + stream,
		Subjects:    []string{SubjectFilter(stream, seg)},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		// No age, size or count limits: only tiering removes messages.
		MaxAge:      0,
		MaxMsgs:     -1,
		MaxBytes:    -1,
		Discard:     jetstream.DiscardNew,
		Replicas:    l.opts.Replicas,
		Duplicates:  l.opts.Duplicates,
		AllowDirect: true,
		DenyDelete:  true,
		Metadata:    map[string]string{"tributary.stream": stream, "tributary.segment": seg},
		// Announce each message once it is stored, for Watch.
		RePublish: &jetstream.RePublish{Source: SubjectFilter(stream, seg), Destination: NoticeFilter(stream, seg), HeadersOnly: true},
	}
}

// Ensure creates the segment's stream if it does not exist (and updates
// its configuration if it differs).
func (l *Log) Ensure(ctx context.Context, stream, seg string) error {
	h, err := l.js.CreateOrUpdateStream(ctx, l.Config(stream, seg))
	if err != nil {
		return fmt.Errorf("cannot create tier-1 stream %s: %w", StreamName(stream, seg), err)
	}
	l.mu.Lock()
	l.handles[StreamName(stream, seg)] = h
	l.mu.Unlock()
	return nil
}

func (l *Log) handle(ctx context.Context, stream, seg string) (jetstream.Stream, error) {
	name := StreamName(stream, seg)
	l.mu.Lock()
	h, ok := l.handles[name]
	l.mu.Unlock()
	if ok {
		return h, nil
	}
	h, err := l.js.Stream(ctx, name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, fmt.Errorf("%s: %w", name, ErrNoSegment)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot open tier-1 stream %s: %w", name, err)
	}
	l.mu.Lock()
	l.handles[name] = h
	l.mu.Unlock()
	return h, nil
}

// Last returns writer's last message in the segment (Pos 0 if none).
func (l *Log) Last(ctx context.Context, stream, seg, writer string) (Last, error) {
	h, err := l.handle(ctx, stream, seg)
	if err != nil {
		return Last{}, err
	}
	m, err := h.GetLastMsgForSubject(ctx, Subject(stream, seg, writer))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return Last{}, nil
	}
	if err != nil {
		return Last{}, fmt.Errorf("cannot read the last message of %s in %s: %w", writer, StreamName(stream, seg), err)
	}
	mark, err := parseU64(m.Header, HeaderMark)
	if err != nil {
		return Last{}, fmt.Errorf("%s@%d: %w", StreamName(stream, seg), m.Sequence, err)
	}
	return Last{Pos: m.Sequence, Mark: mark}, nil
}

// Append stores points, one writer's run for one segment with strictly
// increasing Seq, as the message(s) that follow writer's message at
// position after (0: the writer has none in tier 1). It returns the
// writer's new last message and what was stored. If after is not the
// writer's last position any more, nothing is stored and the error wraps
// ErrConflict.
//
// A run whose payload passes the size limit is stored as several
// messages, each after the previous; if Append fails part way, the stored
// prefix is complete messages and the writer's mark says how far it got.
func (l *Log) Append(ctx context.Context, stream, seg, writer string, after uint64, points []models.Point) (Appended, error) {
	if len(points) == 0 {
		return Appended{}, errors.New("BUG: tier1 append of no points")
	}
	bp := l.getBuf()
	defer l.putBuf(bp)
	return l.append(ctx, bp, stream, seg, writer, after, points)
}

// append is Append with a scratch buffer for the payload. A run whose
// payload is too big is split once into as many parts as the limit goes
// into its size; only a part that is still too big is split again.
func (l *Log) append(ctx context.Context, bp *[]byte, stream, seg, writer string, after uint64, points []models.Point) (Appended, error) {
	b := models.Batch{Writer: writer, FirstSeq: points[0].Seq, LastSeq: points[len(points)-1].Seq, Points: points}
	payload, err := l.opts.Codec.Append((*bp)[:0], &b)
	if err != nil {
		return Appended{}, err
	}
	*bp = payload
	if len(payload) > l.opts.MaxMessageBytes && len(points) > 1 {
		parts := min(len(points), max(2, (len(payload)+l.opts.MaxMessageBytes-1)/l.opts.MaxMessageBytes))
		out := Appended{Last: Last{Pos: after}}
		for i := range parts {
			part := points[i*len(points)/parts : (i+1)*len(points)/parts]
			a, err := l.append(ctx, bp, stream, seg, writer, out.Pos, part)
			if err != nil {
				return Appended{}, err
			}
			out.Last = a.Last
			out.Messages += a.Messages
			out.Bytes += a.Bytes
		}
		return out, nil
	}
	sum := batchmsg.Summarize(&b)
	msg := nats.NewMsg(Subject(stream, seg, writer))
	msg.Header.Set(HeaderMark, strconv.FormatUint(sum.Mark, 10))
	msg.Header.Set(HeaderPoints, strconv.Itoa(sum.Points))
	msg.Header.Set(HeaderMinTime, strconv.FormatInt(sum.MinTime, 10))
	msg.Header.Set(HeaderMaxTime, strconv.FormatInt(sum.MaxTime, 10))
	msg.Header.Set(HeaderFormat, batchmsg.Format)
	msg.Data = payload
	ack, err := l.js.PublishMsg(ctx, msg, jetstream.WithExpectLastSequencePerSubject(after))
	if isWrongLast(err) {
		return Appended{}, fmt.Errorf("%s in %s after %d: %w", writer, StreamName(stream, seg), after, ErrConflict)
	}
	if err != nil {
		return Appended{}, fmt.Errorf("cannot append to %s: %w", StreamName(stream, seg), err)
	}
	return Appended{Last: Last{Pos: ack.Sequence, Mark: sum.Mark}, Messages: 1, Bytes: len(payload)}, nil
}

// maxPooled is the largest payload buffer kept for reuse, unless a
// message may be larger.
const maxPooled = 4 << 20

func (l *Log) getBuf() *[]byte {
	if b, ok := l.bufs.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, 0, 64<<10)
	return &b
}

func (l *Log) putBuf(b *[]byte) {
	if cap(*b) <= max(maxPooled, l.opts.MaxMessageBytes) {
		l.bufs.Put(b)
	}
}

func isWrongLast(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) &&
		(apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
			apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}

// State returns the segment stream's extent.
func (l *Log) State(ctx context.Context, stream, seg string) (State, error) {
	h, err := l.handle(ctx, stream, seg)
	if err != nil {
		return State{}, err
	}
	info, err := h.Info(ctx)
	if err != nil {
		return State{}, fmt.Errorf("cannot read tier-1 state of %s: %w", StreamName(stream, seg), err)
	}
	st := info.State
	return State{First: st.FirstSeq, Last: st.LastSeq, Msgs: st.Msgs, Bytes: st.Bytes}, nil
}

// Purge removes every message before position keepFrom.
func (l *Log) Purge(ctx context.Context, stream, seg string, keepFrom uint64) error {
	h, err := l.handle(ctx, stream, seg)
	if err != nil {
		return err
	}
	if err := h.Purge(ctx, jetstream.WithPurgeSequence(keepFrom)); err != nil {
		return fmt.Errorf("cannot trim %s before %d: %w", StreamName(stream, seg), keepFrom, err)
	}
	return nil
}
