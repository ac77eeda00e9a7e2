package probe_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/tributary-iot/tributary/bench/barebroker"
	"github.com/tributary-iot/tributary/bench/probe"
)

// fakeTail turns what a subscriber of the broker sees into tail lines:
// a cut first, then a point line per marker, as cloud-core writes them.
func fakeTail(t *testing.T, broker string) func(ctx context.Context, stream, from string) (io.ReadCloser, error) {
	return func(ctx context.Context, stream, from string) (io.ReadCloser, error) {
		pr, pw := io.Pipe()
		sub := paho.NewClient(paho.NewClientOptions().AddBroker(broker).SetClientID("fake-tail"))
		if tok := sub.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			return nil, tok.Error()
		}
		lines := make(chan []byte, 1024)
		tok := sub.Subscribe("lp/#", 1, func(_ paho.Client, m paho.Message) {
			// "stream marker=Ni ts"
			var n int
			f := bytes.Fields(m.Payload())
			fmt.Sscanf(string(f[1]), "marker=%di", &n)
			lines <- fmt.Appendf(nil, `{"device":"bench-probe","stream":%q,"fields":{"marker":%d},"seq":99,"seg":"0","pos":%d}`+"\n", stream, n, n+1)
		})
		if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			return nil, tok.Error()
		}
		go func() {
			defer sub.Disconnect(10)
			io.WriteString(pw, `{"cut":"0:1"}`+"\n")
			for {
				select {
				case <-ctx.Done():
					pw.CloseWithError(ctx.Err())
					return
				case l := <-lines:
					if _, err := pw.Write(l); err != nil {
						return
					}
				}
			}
		}()
		return pr, nil
	}
}

func TestRunTail(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ready := make(chan string, 1)
	go func() { _ = barebroker.Run(ctx, barebroker.Options{Addr: "127.0.0.1:0", Ready: ready}) }()
	broker := "tcp://" + <-ready

	run, stop := context.WithTimeout(ctx, 300*time.Millisecond)
	defer stop()
	res, err := probe.RunTail(run, probe.TailOptions{
		Broker: broker, Topic: "lp/bench-tail", Stream: "bench_tail", Every: 10 * time.Millisecond,
		Grace: 5 * time.Second, Open: fakeTail(t, broker),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Samples) < 5 || res.TimedOut != 0 {
		t.Fatalf("RunTail: %d samples, %d timed out", len(res.Samples), res.TimedOut)
	}
	for i, s := range res.Samples {
		if s.Visible <= 0 || s.Acked <= 0 {
			t.Errorf("sample %d: %+v", i, s)
		}
		if i > 0 && !s.Sent.After(res.Samples[i-1].Sent) {
			t.Errorf("samples out of order at %d", i)
		}
	}
}

func TestRunTailNeedsACut(t *testing.T) {
	open := func(context.Context, string, string) (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader([]byte("{\"device\":\"x\"}\n"))), nil
	}
	_, err := probe.RunTail(context.Background(), probe.TailOptions{Stream: "s", Every: time.Millisecond, Open: open})
	if err == nil {
		t.Error("RunTail accepted a tail that did not start with a cut")
	}
}
