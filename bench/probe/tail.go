package probe

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// TailOptions configure RunTail.
type TailOptions struct {
	// Broker and Topic are as in Options; Stream is the probe stream.
	Broker, Topic, Stream string
	// Every is the mean time between markers (uniformly 0.5x to 1.5x).
	Every time.Duration
	// Grace is how long to wait for the last markers after ctx ends.
	Grace time.Duration
	// Open opens the stream's tail from now (cloudapi.Client.Tail).
	Open func(ctx context.Context, stream, from string) (io.ReadCloser, error)
	Seed uint64
}

// tailLine is what the probe reads of a tail line: a point's marker
// field, or a cut.
type tailLine struct {
	Cut    *string `json:"cut"`
	Fields struct {
		Marker *int64 `json:"marker"`
	} `json:"fields"`
}

// RunTail follows the probe stream's tail and sends markers until ctx is
// done, then waits up to Grace for the ones still out (those that never
// come count as TimedOut).
func RunTail(ctx context.Context, opts TailOptions) (Result, error) {
	var res Result
	if opts.Open == nil || opts.Every <= 0 || opts.Stream == "" {
		return res, errors.New("probe: tail options incomplete")
	}
	tctx, stopTail := context.WithCancel(context.WithoutCancel(ctx))
	defer stopTail()
	body, err := opts.Open(tctx, opts.Stream, "now")
	if err != nil {
		return res, fmt.Errorf("probe: tail: %w", err)
	}
	defer body.Close()
	lines := bufio.NewReaderSize(body, 64<<10)
	// The first line is the cut the tail starts at: it is following now.
	first, err := lines.ReadBytes('\n')
	var tl tailLine
	if err != nil || json.Unmarshal(first, &tl) != nil || tl.Cut == nil {
		return res, fmt.Errorf("probe: tail did not start with a cut: %q, %v", first, err)
	}

	c := paho.NewClient(paho.NewClientOptions().AddBroker(opts.Broker).
		SetClientID("bench-tail-probe").SetCleanSession(true).SetAutoReconnect(false))
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		return res, fmt.Errorf("probe: connect %s: %v", opts.Broker, tok.Error())
	}
	defer c.Disconnect(100)

	var (
		mu      sync.Mutex
		samples = map[int64]*Sample{} // by marker
		seen    = map[int64]bool{}
		sent    int64
	)
	allSeen := make(chan struct{}, 1)
	readErr := make(chan error, 1)
	go func() {
		for {
			line, err := lines.ReadBytes('\n')
			now := time.Now()
			if err != nil {
				readErr <- err
				return
			}
			var tl tailLine
			if !bytes.Contains(line, []byte(`"marker"`)) || json.Unmarshal(line, &tl) != nil || tl.Fields.Marker == nil {
				continue
			}
			mu.Lock()
			if s, ok := samples[*tl.Fields.Marker]; ok && !seen[*tl.Fields.Marker] {
				s.Visible = now.Sub(s.Sent)
				seen[*tl.Fields.Marker] = true
				if int64(len(seen)) == sent && ctx.Err() != nil {
					select {
					case allSeen <- struct{}{}:
					default:
					}
				}
			}
			mu.Unlock()
		}
	}()

	rng := rand.New(rand.NewPCG(opts.Seed, 2))
	var acks sync.WaitGroup
	for k := int64(0); ctx.Err() == nil; k++ {
		s := &Sample{Sent: time.Now()}
		mu.Lock()
		samples[k], sent = s, k+1
		mu.Unlock()
		tok := c.Publish(opts.Topic, 1, false, Payload(opts.Stream, int(k), s.Sent))
		acks.Go(func() {
			if tok.WaitTimeout(time.Minute) && tok.Error() == nil {
				d := time.Since(s.Sent)
				mu.Lock()
				s.Acked = d
				mu.Unlock()
			}
		})
		gap := opts.Every/2 + time.Duration(rng.Int64N(int64(opts.Every)))
		select {
		case <-ctx.Done():
		case <-time.After(gap):
		case err := <-readErr:
			return res, fmt.Errorf("probe: tail ended: %w", err)
		}
	}
	mu.Lock()
	done := int64(len(seen)) == sent
	mu.Unlock()
	if !done {
		select {
		case <-allSeen:
		case <-time.After(opts.Grace):
		case err := <-readErr:
			return res, fmt.Errorf("probe: tail ended: %w", err)
		}
	}
	acks.Wait()
	mu.Lock()
	defer mu.Unlock()
	for k := range sent {
		if seen[k] {
			res.Samples = append(res.Samples, *samples[k])
		} else {
			res.TimedOut++
		}
	}
	return res, nil
}
