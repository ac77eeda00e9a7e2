package rawlog

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// PacedOptions configure Paced.
type PacedOptions struct {
	// Rate is the background load in points/s, spread evenly.
	Rate float64
	// Duration is how long to run.
	Duration time.Duration
	// MarkerEvery is the time between latency markers.
	MarkerEvery time.Duration
}

// Paced publishes msgs (cycling) asynchronously at opts.Rate points/s and,
// every opts.MarkerEvery, one more message synchronously, timing it from
// the publish call to JetStream's ack, which is when the plain log makes
// a message durable and readable. It returns the markers' latencies.
func (l *Log) Paced(ctx context.Context, msgs []Message, opts PacedOptions) ([]time.Duration, error) {
	if len(msgs) == 0 || opts.Rate <= 0 || opts.MarkerEvery <= 0 {
		return nil, fmt.Errorf("paced: nothing to publish")
	}
	load := make(chan error, 1)
	stop := make(chan struct{})
	go func() { load <- l.background(ctx, msgs, opts, stop) }()
	var lat []time.Duration
	tick := time.NewTicker(opts.MarkerEvery)
	defer tick.Stop()
	end := time.Now().Add(opts.Duration)
	for i := 0; time.Now().Before(end); i++ {
		select {
		case <-ctx.Done():
			close(stop)
			return lat, ctx.Err()
		case err := <-load:
			return lat, fmt.Errorf("paced load: %w", err)
		case <-tick.C:
		}
		m := msgs[(i*7919)%len(msgs)]
		t0 := time.Now()
		if _, err := l.js.Publish(ctx, m.Subject, m.Data); err != nil {
			close(stop)
			return lat, fmt.Errorf("marker: %w", err)
		}
		lat = append(lat, time.Since(t0))
	}
	close(stop)
	return lat, <-load
}

// background publishes msgs at opts.Rate points/s until stop is closed.
func (l *Log) background(ctx context.Context, msgs []Message, opts PacedOptions, stop <-chan struct{}) error {
	const step = 5 * time.Millisecond
	tick := time.NewTicker(step)
	defer tick.Stop()
	start := time.Now()
	sent, i := 0.0, 0
	for {
		select {
		case <-stop:
			select {
			case <-l.js.PublishAsyncComplete():
			case <-ctx.Done():
			}
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		due := time.Since(start).Seconds() * opts.Rate
		for sent < due {
			m := msgs[i%len(msgs)]
			i++
			if _, err := l.js.PublishAsync(m.Subject, m.Data, jetstream.WithStallWait(time.Minute)); err != nil {
				return err
			}
			sent += float64(max(m.Points, 1))
		}
	}
}
