package uplink

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/tributary-iot/tributary/models"
	"github.com/tributary-iot/tributary/protocols/frame"
)

// inflight is a batch sent and not yet acknowledged.
type inflight struct {
	id          uint64
	class       models.Priority
	first, last uint64
	points      int
	sent        time.Time
}

// classState is one writer's position within a session.
type classState struct {
	writer   string
	pos      uint64 // end of the last batch sent: read after it, and Tb-Prev of the next
	inflight int64  // points sent, not yet acked
	lastSend time.Time
}

// errSessionEnded is wrapped by every reason a session stops.
var errSessionEnded = errors.New("session ended")

// session runs one Hello and then pipelined batches until a failure. It
// reports whether any batch was acknowledged.
func (u *Uplink) session(ctx context.Context, nc *nats.Conn) (progressed bool, err error) {
	marks, err := u.hello(ctx, nc)
	if err != nil {
		return false, err
	}
	var cls [models.NumPriorities]classState
	for _, c := range models.Priorities() {
		w := models.WriterID(u.o.Agent, c)
		m := marks[w]
		if m > 0 {
			// Everything up to the mark is committed in the cloud (an ack
			// may have been lost): trim it, don't resend it.
			if err := u.o.Log.Trim(ctx, c, m); err != nil {
				return false, fmt.Errorf("trim to the cloud's mark: %w", err)
			}
		}
		cls[c] = classState{writer: w, pos: m}
	}
	u.state.Store(int32(Connected))
	u.logger.Info("uplink session started", "marks", marks)

	base := nc.NewInbox()
	acks := make(chan *nats.Msg, 2*u.o.Window+8)
	sub, err := nc.ChanSubscribe(base+".*", acks)
	if err != nil {
		return false, fmt.Errorf("subscribe for acks: %w", err)
	}
	defer func() { _ = sub.Unsubscribe() }()

	enc, err := frame.NewEncoder(frame.EncoderOptions{})
	if err != nil {
		return false, err
	}
	var (
		queue   []inflight
		arrived = map[uint64]frame.Ack{}
		nextID  uint64
		pts     []models.Point
		buf     []byte
	)
	for {
		// Fill the window, highest class first.
		now := time.Now()
		var wake time.Time
		for len(queue) < u.o.Window {
			sent := false
			for _, c := range models.Priorities() {
				cs := &cls[c]
				unsent := u.o.Log.Backlog(c) - cs.inflight
				if unsent <= 0 {
					continue
				}
				if unsent < int64(u.o.MaxBatchPoints) && now.Sub(cs.lastSend) < u.o.Linger {
					if t := cs.lastSend.Add(u.o.Linger); wake.IsZero() || t.Before(wake) {
						wake = t
					}
					continue
				}
				pts, err = u.o.Log.Read(ctx, c, cs.pos, u.o.MaxBatchPoints, u.o.MaxBatchBytes, pts[:0])
				if err != nil {
					return progressed, fmt.Errorf("read local log: %w", err)
				}
				if len(pts) == 0 {
					continue
				}
				b := models.Batch{Writer: cs.writer, FirstSeq: pts[0].Seq, LastSeq: pts[len(pts)-1].Seq, Points: pts}
				if buf, err = enc.AppendBatch(buf[:0], &b); err != nil {
					return progressed, fmt.Errorf("encode batch: %w", err)
				}
				if u.limiter != nil {
					if err := u.limiter.WaitN(ctx, len(buf)); err != nil {
						return progressed, fmt.Errorf("%w: %w", errSessionEnded, err)
					}
				}
				nextID++
				msg := &nats.Msg{
					Subject: frame.IngestPrefix + u.o.Agent,
					Reply:   base + "." + strconv.FormatUint(nextID, 10),
					Header:  nats.Header{frame.PrevHeader: []string{strconv.FormatUint(cs.pos, 10)}},
					Data:    buf,
				}
				if err := nc.PublishMsg(msg); err != nil {
					return progressed, fmt.Errorf("send batch: %w", err)
				}
				queue = append(queue, inflight{id: nextID, class: c, first: b.FirstSeq, last: b.LastSeq,
					points: len(pts), sent: time.Now()})
				cs.pos, cs.lastSend = b.LastSeq, time.Now()
				cs.inflight += int64(len(pts))
				u.metrics.batchesSent.Inc()
				u.metrics.pointsSent.Add(float64(len(pts)))
				u.metrics.wireBytes.Add(float64(len(buf)))
				sent = true
				break // re-check from the highest class
			}
			if !sent {
				break
			}
		}

		// Wait for an ack, new points, the linger deadline, or the head's timeout.
		var timer <-chan time.Time
		if len(queue) > 0 {
			wake = earliest(wake, queue[0].sent.Add(u.o.AckTimeout))
		}
		var t *time.Timer
		if !wake.IsZero() {
			t = time.NewTimer(time.Until(wake))
			timer = t.C
		}
		var m *nats.Msg
		select {
		case <-ctx.Done():
		case <-u.o.Log.Notify():
		case <-timer:
		case m = <-acks:
		}
		if t != nil {
			t.Stop()
		}
		if ctx.Err() != nil {
			return progressed, fmt.Errorf("%w: %w", errSessionEnded, ctx.Err())
		}
		if m != nil {
			id, err := strconv.ParseUint(m.Subject[strings.LastIndexByte(m.Subject, '.')+1:], 10, 64)
			if err != nil {
				continue
			}
			var a frame.Ack
			if _, err := a.UnmarshalMsg(m.Data); err != nil {
				return progressed, fmt.Errorf("bad ack: %w", err)
			}
			arrived[id] = a
		}
		// Take acks in order.
		for len(queue) > 0 {
			head := queue[0]
			a, ok := arrived[head.id]
			if !ok {
				if time.Since(head.sent) > u.o.AckTimeout {
					u.metrics.batchesRetried.Inc()
					return progressed, fmt.Errorf("no ack for batch %d..%d within %s", head.first, head.last, u.o.AckTimeout)
				}
				break
			}
			delete(arrived, head.id)
			if a.Status != frame.AckOK {
				u.metrics.batchesRetried.Inc()
				return progressed, fmt.Errorf("batch %d..%d of %s: %s: %s", head.first, head.last, cls[head.class].writer, a.Status, a.Error)
			}
			if err := u.o.Log.Trim(ctx, head.class, head.last); err != nil {
				return progressed, fmt.Errorf("trim acknowledged points: %w", err)
			}
			cls[head.class].inflight -= int64(head.points)
			queue = queue[1:]
			progressed = true
			u.metrics.batchesAcked.Inc()
			u.metrics.pointsAcked.Add(float64(head.points))
			u.metrics.ackSeconds.Observe(time.Since(head.sent).Seconds())
		}
	}
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || b.Before(a) {
		return b
	}
	return a
}
