package testbroker

import (
	"bytes"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"
)

// Message is one message the broker received.
type Message struct {
	Client  string
	Topic   string
	Payload []byte
	At      time.Time
}

// Broker is a running test broker.
type Broker struct {
	srv  *mqtt.Server
	addr string
	hook *hook
}

// Options configure Start.
type Options struct {
	// Keep keeps every message received (Messages); otherwise they are
	// only counted.
	Keep bool
}

// Start starts a broker on a free loopback port; the test's cleanup
// stops it.
func Start(t testing.TB, o Options) *Broker {
	t.Helper()
	srv := mqtt.New(&mqtt.Options{Logger: slog.New(slog.DiscardHandler)})
	h := &hook{keep: o.Keep, clients: map[string]int{}}
	if err := srv.AddHook(new(auth.AllowHook), nil); err != nil {
		t.Fatal(err)
	}
	if err := srv.AddHook(h, nil); err != nil {
		t.Fatal(err)
	}
	l := listeners.NewTCP(listeners.Config{ID: "test", Address: "127.0.0.1:0"})
	if err := srv.AddListener(l); err != nil {
		t.Fatal(err)
	}
	if err := srv.Serve(); err != nil {
		t.Fatal(err)
	}
	b := &Broker{srv: srv, addr: l.Address(), hook: h}
	t.Cleanup(func() { _ = srv.Close() })
	return b
}

// URL returns the broker's URL, tcp://127.0.0.1:PORT.
func (b *Broker) URL() string { return "tcp://" + b.addr }

// Count returns the number of messages published so far.
func (b *Broker) Count() int64 { return b.hook.count.Load() }

// Messages returns the messages kept so far (Options.Keep).
func (b *Broker) Messages() []Message {
	b.hook.mu.Lock()
	defer b.hook.mu.Unlock()
	return append([]Message(nil), b.hook.msgs...)
}

// Connects returns how many times each client id connected.
func (b *Broker) Connects() map[string]int {
	b.hook.mu.Lock()
	defer b.hook.mu.Unlock()
	out := make(map[string]int, len(b.hook.clients))
	for k, v := range b.hook.clients {
		out[k] = v
	}
	return out
}

// WaitCount waits until at least n messages arrived or timeout passed,
// and returns the count.
func (b *Broker) WaitCount(n int64, timeout time.Duration) int64 {
	deadline := time.Now().Add(timeout)
	for b.Count() < n && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	return b.Count()
}

type hook struct {
	mqtt.HookBase
	keep  bool
	count atomic.Int64

	// mu guards msgs and clients.
	mu      sync.Mutex
	msgs    []Message
	clients map[string]int
}

func (h *hook) ID() string { return "count" }

func (h *hook) Provides(b byte) bool {
	return bytes.Contains([]byte{mqtt.OnPublished, mqtt.OnSessionEstablished}, []byte{b})
}

func (h *hook) OnSessionEstablished(cl *mqtt.Client, _ packets.Packet) {
	h.mu.Lock()
	h.clients[cl.ID]++
	h.mu.Unlock()
}

func (h *hook) OnPublished(cl *mqtt.Client, pk packets.Packet) {
	h.count.Add(1)
	if !h.keep {
		return
	}
	m := Message{Client: cl.ID, Topic: pk.TopicName, Payload: bytes.Clone(pk.Payload), At: time.Now()}
	h.mu.Lock()
	h.msgs = append(h.msgs, m)
	h.mu.Unlock()
}
