package probe_test

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/tributary-iot/tributary/bench/barebroker"
	"github.com/tributary-iot/tributary/bench/probe"
)

func TestPayload(t *testing.T) {
	got := string(probe.Payload("bench_probe_03", 7, time.Unix(1, 5)))
	if want := "bench_probe_03 marker=7i 1000000005"; got != want {
		t.Errorf("Payload = %q, want %q", got, want)
	}
}

// counts counts markers per stream as a subscriber of the broker sees
// them: the fake cloud.
type counts struct {
	mu sync.Mutex
	n  map[string]int64
}

func (c *counts) Count(_ context.Context, stream string) (int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[stream], nil
}

func TestRunAgainstBroker(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ready := make(chan string, 1)
	bctx, stopBroker := context.WithCancel(ctx)
	defer stopBroker()
	go func() { _ = barebroker.Run(bctx, barebroker.Options{Addr: "127.0.0.1:0", Ready: ready}) }()
	addr := "tcp://" + <-ready

	cloud := &counts{n: map[string]int64{}}
	sub := paho.NewClient(paho.NewClientOptions().AddBroker(addr).SetClientID("fake-cloud"))
	if tok := sub.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	defer sub.Disconnect(100)
	tok := sub.Subscribe("lp/#", 1, func(_ paho.Client, m paho.Message) {
		stream, _, _ := bytes.Cut(m.Payload(), []byte(" "))
		cloud.mu.Lock()
		cloud.n[string(stream)]++
		cloud.mu.Unlock()
	})
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}

	res, err := probe.Run(ctx, probe.Options{
		Broker: addr, Topic: "lp/bench-probe", Streams: []string{"p0", "p1", "p2"}, PerStream: 4,
		Poll: time.Millisecond, Timeout: 10 * time.Second, Cloud: cloud,
	})
	if !errors.Is(err, probe.ErrStreamsUsedUp) {
		t.Fatalf("Run: %v, want ErrStreamsUsedUp", err)
	}
	if len(res.Samples) != 12 || res.TimedOut != 0 || res.Polls < 12 {
		t.Fatalf("Run = %d samples, %d timed out, %d polls", len(res.Samples), res.TimedOut, res.Polls)
	}
	for _, s := range res.Samples {
		if s.Visible <= 0 || s.Acked <= 0 || s.Sent.IsZero() {
			t.Errorf("sample %+v", s)
		}
	}
	if cloud.n["p2"] != 4 {
		t.Errorf("stream p2 got %d markers, want 4", cloud.n["p2"])
	}
}

// never is a cloud that never shows anything.
type never struct{}

func (never) Count(context.Context, string) (int64, error) { return 0, nil }

func TestTimeoutsAndStop(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ready := make(chan string, 1)
	go func() { _ = barebroker.Run(ctx, barebroker.Options{Addr: "127.0.0.1:0", Ready: ready}) }()
	addr := "tcp://" + <-ready
	opts := probe.Options{Broker: addr, Topic: "lp/p", Streams: []string{"a", "b"}, PerStream: 3,
		Poll: time.Millisecond, Timeout: 30 * time.Millisecond, Cloud: never{}}

	// Each stream gives up at its first marker that does not show.
	res, err := probe.Run(ctx, opts)
	if !errors.Is(err, probe.ErrStreamsUsedUp) || res.TimedOut != 2 || len(res.Samples) != 0 {
		t.Errorf("timeouts: %+v, %v; want 2 timed out", res, err)
	}

	// The end of the run is not a timeout.
	opts.Timeout = time.Minute
	short, stop := context.WithTimeout(ctx, 100*time.Millisecond)
	defer stop()
	res, err = probe.Run(short, opts)
	if err != nil || res.TimedOut != 0 {
		t.Errorf("stopped run: %+v, %v; want no timeouts, no error", res, err)
	}
}
