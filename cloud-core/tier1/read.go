package tier1

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tributary-iot/tributary/cloud-core/batchmsg"
	"github.com/tributary-iot/tributary/models"
)

// Message is one stored tier-1 message.
type Message struct {
	// Pos is the message's position in its segment.
	Pos uint64
	// Stored is when JetStream stored it.
	Stored time.Time
	// Summary is what the headers say about the points.
	Summary batchmsg.Summary
	// Format is the payload's format (batchmsg.Format or an earlier one).
	Format string
	// Payload is the compressed batch.
	Payload []byte
}

// Decode decodes the message's points into b with codec.
func (m *Message) Decode(codec *batchmsg.Codec, b *models.Batch) error {
	if err := codec.Decode(b, m.Format, m.Payload); err != nil {
		return fmt.Errorf("message %d: %w", m.Pos, err)
	}
	return nil
}

// Next returns the first message of the segment at or after position pos
// (ErrNoMessage if there is none).
func (l *Log) Next(ctx context.Context, stream, seg string, pos uint64) (Message, error) {
	h, err := l.handle(ctx, stream, seg)
	if err != nil {
		return Message{}, err
	}
	m, err := h.GetMsg(ctx, max(pos, 1), jetstream.WithGetMsgSubject(SubjectFilter(stream, seg)))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return Message{}, ErrNoMessage
	}
	if err != nil {
		return Message{}, fmt.Errorf("cannot read %s at %d: %w", StreamName(stream, seg), pos, err)
	}
	return parseMessage(stream, seg, m)
}

func parseMessage(stream, seg string, m *jetstream.RawStreamMsg) (Message, error) {
	msg := Message{Pos: m.Sequence, Stored: m.Time, Payload: m.Data}
	where := func(err error) error { return fmt.Errorf("%s@%d: %w", StreamName(stream, seg), m.Sequence, err) }
	switch msg.Format = m.Header.Get(HeaderFormat); msg.Format {
	case batchmsg.Format, batchmsg.FormatZstd:
	default:
		return Message{}, where(fmt.Errorf("%w: format %q", ErrBadMessage, msg.Format))
	}
	s := &msg.Summary
	s.Writer = WriterFromSubject(stream, seg, m.Subject)
	if s.Writer == "" {
		return Message{}, where(fmt.Errorf("%w: subject %q", ErrBadMessage, m.Subject))
	}
	var err error
	if s.Mark, err = parseU64(m.Header, HeaderMark); err != nil {
		return Message{}, where(err)
	}
	n, err := parseU64(m.Header, HeaderPoints)
	if err != nil {
		return Message{}, where(err)
	}
	if n > math.MaxInt32 {
		return Message{}, where(fmt.Errorf("%w: %d points", ErrBadMessage, n))
	}
	s.Points = int(n)
	if s.MinTime, err = parseI64(m.Header, HeaderMinTime); err != nil {
		return Message{}, where(err)
	}
	if s.MaxTime, err = parseI64(m.Header, HeaderMaxTime); err != nil {
		return Message{}, where(err)
	}
	return msg, nil
}

func parseU64(h nats.Header, key string) (uint64, error) {
	v, err := strconv.ParseUint(h.Get(key), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: header %s %q", ErrBadMessage, key, h.Get(key))
	}
	return v, nil
}

func parseI64(h nats.Header, key string) (int64, error) {
	v, err := strconv.ParseInt(h.Get(key), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: header %s %q", ErrBadMessage, key, h.Get(key))
	}
	return v, nil
}

// flushTimeout bounds Watch's round trip to the server.
const flushTimeout = 10 * time.Second

// Watch returns a channel that receives a signal (coalesced) whenever a
// message has been stored in the segment (the stream republishes its
// headers once stored, so the reader woken finds it), and a function that stops it. It
// only wakes a reader up; the reader reads with Next.
func (l *Log) Watch(ctx context.Context, stream, seg string) (<-chan struct{}, func(), error) {
	ch := make(chan struct{}, 1)
	sub, err := l.js.Conn().Subscribe(NoticeFilter(stream, seg), func(*nats.Msg) {
		select {
		case ch <- struct{}{}:
		default:
		}
	})
	if err != nil {
		return nil, nil, fmt.Errorf("cannot watch %s: %w", StreamName(stream, seg), err)
	}
	// Make sure the server has the subscription before the caller looks
	// for messages, or a message stored in between would not wake it.
	fctx, cancel := context.WithTimeout(ctx, flushTimeout)
	defer cancel()
	if err := l.js.Conn().FlushWithContext(fctx); err != nil {
		_ = sub.Unsubscribe()
		return nil, nil, fmt.Errorf("cannot watch %s: %w", StreamName(stream, seg), err)
	}
	return ch, func() { _ = sub.Unsubscribe() }, nil
}
