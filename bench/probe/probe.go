package probe

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/tributary-iot/tributary/bench/cloudapi"
)

// Counter is the part of the cloud API the probe polls.
type Counter interface {
	Count(ctx context.Context, stream string) (int64, error)
}

var _ Counter = (*cloudapi.Client)(nil)

// Options configure Run.
type Options struct {
	// Broker is the MQTT broker URL, e.g. "tcp://127.0.0.1:1883".
	Broker string
	// Topic is where markers go; the line-protocol profile's "lp/DEVICE".
	Topic string
	// Streams are the probe streams, used in turn, PerStream markers each.
	Streams   []string
	PerStream int
	// Poll is the interval between count polls while a marker is out.
	Poll time.Duration
	// MaxGap is the most time (uniformly random) between a marker showing
	// and the next one being sent.
	MaxGap time.Duration
	// Timeout gives up on a marker (and its stream) after this long.
	Timeout time.Duration
	Cloud   Counter
	// Seed seeds the gaps.
	Seed uint64
}

// Sample is one marker's timing.
type Sample struct {
	// Sent is when the publish was called.
	Sent time.Time `json:"sent"`
	// Acked is the time to the MQTT PUBACK: durable in the edge log.
	Acked time.Duration `json:"acked_ns"`
	// Visible is the time until a count first included the marker.
	Visible time.Duration `json:"visible_ns"`
}

// Result is what Run measured.
type Result struct {
	Samples []Sample `json:"samples"`
	// TimedOut counts markers not seen within Options.Timeout.
	TimedOut int `json:"timed_out"`
	// Polls counts count requests made.
	Polls int `json:"polls"`
}

// ErrStreamsUsedUp is returned when every probe stream has had its
// markers before the run's end.
var ErrStreamsUsedUp = errors.New("probe streams used up")

// Payload returns a marker in line protocol: the measurement names the
// stream, the timestamp is the send time in ns.
func Payload(stream string, seq int, sent time.Time) []byte {
	b := make([]byte, 0, 64)
	b = append(b, stream...)
	b = append(b, " marker="...)
	b = strconv.AppendInt(b, int64(seq), 10)
	b = append(b, "i "...)
	b = strconv.AppendInt(b, sent.UnixNano(), 10)
	return b
}

// Run sends markers until ctx is done or the streams are used up.
func Run(ctx context.Context, opts Options) (Result, error) {
	var res Result
	if len(opts.Streams) == 0 || opts.PerStream < 1 || opts.Poll <= 0 || opts.Cloud == nil {
		return res, errors.New("probe: options incomplete")
	}
	c := paho.NewClient(paho.NewClientOptions().AddBroker(opts.Broker).
		SetClientID("bench-probe").SetCleanSession(true).SetAutoReconnect(false))
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		return res, fmt.Errorf("probe: connect %s: %v", opts.Broker, tok.Error())
	}
	defer c.Disconnect(100)
	rng := rand.New(rand.NewPCG(opts.Seed, 1))
	seq := 0
	for _, stream := range opts.Streams {
		for i := range opts.PerStream {
			if ctx.Err() != nil {
				return res, nil
			}
			s, out, err := marker(ctx, c, opts, stream, seq, int64(i+1), &res.Polls)
			if err != nil {
				return res, err
			}
			seq++
			if out == stopped {
				return res, nil
			}
			if out == timedOut {
				res.TimedOut++
				break // The stream's count is no longer a clean sequence.
			}
			res.Samples = append(res.Samples, s)
			if opts.MaxGap > 0 {
				select {
				case <-ctx.Done():
					return res, nil
				case <-time.After(time.Duration(rng.Int64N(int64(opts.MaxGap)))):
				}
			}
		}
	}
	if ctx.Err() != nil {
		return res, nil
	}
	return res, ErrStreamsUsedUp
}

// outcome is how a marker ended.
type outcome int

const (
	shown    outcome = iota // counted in the cloud, and acked
	timedOut                // not within Options.Timeout
	stopped                 // ctx ended first: not a measurement
)

// marker sends one marker to stream and waits until its count reaches
// want.
func marker(ctx context.Context, c paho.Client, opts Options, stream string, seq int, want int64, polls *int) (Sample, outcome, error) {
	sent := time.Now()
	tok := c.Publish(opts.Topic, 1, false, Payload(stream, seq, sent))
	acked := make(chan time.Duration, 1)
	go func() {
		tok.Wait()
		acked <- time.Since(sent)
	}()
	s := Sample{Sent: sent}
	deadline := sent.Add(opts.Timeout)
	for {
		n, err := opts.Cloud.Count(ctx, stream)
		*polls++
		now := time.Now()
		if ctx.Err() != nil {
			return s, stopped, nil
		}
		if err != nil {
			return s, stopped, fmt.Errorf("probe: %w", err)
		}
		if n >= want {
			s.Visible = now.Sub(sent)
			break
		}
		if now.After(deadline) {
			return s, timedOut, nil
		}
		select {
		case <-ctx.Done():
			return s, stopped, nil
		case <-time.After(opts.Poll):
		}
	}
	select {
	case s.Acked = <-acked:
	case <-time.After(opts.Timeout):
		return s, timedOut, nil
	case <-ctx.Done():
		return s, stopped, nil
	}
	if err := tok.Error(); err != nil {
		return s, stopped, fmt.Errorf("probe: publish: %w", err)
	}
	return s, shown, nil
}
