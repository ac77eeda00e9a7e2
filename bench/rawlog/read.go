package rawlog

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Read is the outcome of ReadAll.
type Read struct {
	Messages int           `json:"messages"`
	Points   int           `json:"points"`
	Bytes    int64         `json:"bytes"`
	Elapsed  time.Duration `json:"elapsed_ns"`
}

// PointsPerSecond returns the read rate.
func (r Read) PointsPerSecond() float64 { return rate(r.Points, r.Elapsed) }

// ReadAll reads the whole stream back in order with an ordered consumer
// (what a training job reading the log would use), without decoding the
// payloads; points(i) says how many points message i (from 0) holds.
func (l *Log) ReadAll(ctx context.Context, points func(i int) int) (Read, error) {
	var r Read
	s, err := l.js.Stream(ctx, StreamName)
	if err != nil {
		return r, fmt.Errorf("stream: %w", err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		return r, fmt.Errorf("stream info: %w", err)
	}
	want := int(info.State.Msgs)
	start := time.Now()
	cons, err := l.js.OrderedConsumer(ctx, StreamName, jetstream.OrderedConsumerConfig{})
	if err != nil {
		return r, fmt.Errorf("consumer: %w", err)
	}
	done := make(chan struct{})
	cc, err := cons.Consume(func(m jetstream.Msg) {
		if r.Messages >= want {
			return
		}
		r.Points += points(r.Messages)
		r.Bytes += int64(len(m.Data()))
		r.Messages++
		if r.Messages == want {
			close(done)
		}
	}, jetstream.PullMaxMessages(4096))
	if err != nil {
		return r, fmt.Errorf("consume: %w", err)
	}
	defer cc.Stop()
	if want == 0 {
		close(done)
	}
	select {
	case <-done:
	case <-ctx.Done():
		return r, fmt.Errorf("read back after %d of %d messages: %w", r.Messages, want, ctx.Err())
	}
	r.Elapsed = time.Since(start)
	return r, nil
}
