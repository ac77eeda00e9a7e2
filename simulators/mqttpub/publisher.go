package mqttpub

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tributary-iot/tributary/simulators/fleet"
)

// Errors returned by New and Connect.
var (
	// ErrBrokerURL is returned (wrapped) by New for a broker URL it cannot
	// use.
	ErrBrokerURL = errors.New("bad broker URL")
	// ErrNoConnection is returned (wrapped) by Connect when no vehicle at
	// all could connect.
	ErrNoConnection = errors.New("cannot connect to the broker")
)

// Options configure a Publisher. The zero value of each field but Broker
// takes the default in its comment.
type Options struct {
	// Broker is the broker URL: tcp://, mqtt://, or ssl://, tls://,
	// mqtts:// for TLS; user and password may be given in it
	// (tcp://user:pass@host:1883).
	Broker string
	// QoS is the publish QoS, 0 or 1.
	QoS byte
	// TLS configures TLS connections (default: the system roots).
	TLS *tls.Config
	// ConnectTimeout bounds one connection attempt (default 10s).
	ConnectTimeout time.Duration
	// KeepAlive is the MQTT keep-alive (default 60s).
	KeepAlive time.Duration
	// MaxInflight is the most publishes per vehicle not yet acknowledged
	// (QoS 1) or written (QoS 0); beyond it, publishing waits (default 64).
	MaxInflight int
	// AckTimeout is how long a publish may wait for its acknowledgement
	// before it counts as an error (default 30s).
	AckTimeout time.Duration
	// ConnectParallel is how many vehicles connect at once (default 64).
	ConnectParallel int
	// Logger receives connection problems; nil discards them.
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 10 * time.Second
	}
	if o.KeepAlive <= 0 {
		o.KeepAlive = 60 * time.Second
	}
	if o.MaxInflight <= 0 {
		o.MaxInflight = 64
	}
	if o.AckTimeout <= 0 {
		o.AckTimeout = 30 * time.Second
	}
	if o.ConnectParallel <= 0 {
		o.ConnectParallel = 64
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Stats are a Publisher's counters.
type Stats struct {
	// Published is the number of publishes completed: acknowledged by the
	// broker (QoS 1) or written to the connection (QoS 0).
	Published int64
	// Errors is the number of publishes that failed.
	Errors int64
	// Connects is the number of successful connections, reconnections
	// included.
	Connects int64
	// ConnectErrors is the number of failed connection attempts.
	ConnectErrors int64
}

// Publisher is a fleet.Sink that publishes over MQTT, one client per
// vehicle. Send may be called from several goroutines at once, never for
// the same vehicle.
type Publisher struct {
	opts    Options
	uri     *url.URL
	clients []*client
	closed  atomic.Bool

	published, errs, connects, connectErrs atomic.Int64
}

// New returns a Publisher for the vehicles (fleet.Sim.Vehicles). It does
// not connect yet: call Connect.
func New(opts Options, vehicles []fleet.Vehicle) (*Publisher, error) {
	opts = opts.withDefaults()
	uri, err := parseBroker(opts.Broker)
	if err != nil {
		return nil, err
	}
	if opts.QoS > 1 {
		return nil, fmt.Errorf("mqtt: QoS %d: want 0 or 1", opts.QoS)
	}
	p := &Publisher{opts: opts, uri: uri, clients: make([]*client, len(vehicles))}
	for i, v := range vehicles {
		if v.Index != i {
			return nil, fmt.Errorf("mqtt: vehicle %d has index %d", i, v.Index)
		}
		p.clients[i] = p.newClient(v)
	}
	return p, nil
}

func parseBroker(s string) (*url.URL, error) {
	if !strings.Contains(s, "://") {
		s = "tcp://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBrokerURL, err)
	}
	switch u.Scheme {
	case "tcp", "mqtt", "ssl", "tls", "mqtts", "tcps":
	default:
		return nil, fmt.Errorf("%w: %q: scheme %q (want tcp, mqtt, ssl, tls or mqtts)", ErrBrokerURL, s, u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("%w: %q has no host", ErrBrokerURL, s)
	}
	if u.Port() == "" {
		port := "1883"
		if isTLS(u.Scheme) {
			port = "8883"
		}
		u.Host = net.JoinHostPort(u.Hostname(), port)
	}
	return u, nil
}

func isTLS(scheme string) bool { return scheme != "tcp" && scheme != "mqtt" }

// Connect connects every vehicle, a few at a time. A vehicle that cannot
// connect is counted and tried again when it next publishes; Connect fails
// (ErrNoConnection) only when none could, or when ctx ends first.
func (p *Publisher) Connect(ctx context.Context) error {
	sem := make(chan struct{}, p.opts.ConnectParallel)
	var wg sync.WaitGroup
	var firstErr atomic.Pointer[error]
	var ok atomic.Int64
	for _, c := range p.clients {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return ctx.Err()
		}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := c.connect(ctx); err != nil {
				firstErr.CompareAndSwap(nil, &err)
				return
			}
			ok.Add(1)
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	if ok.Load() == 0 && len(p.clients) > 0 {
		return fmt.Errorf("%w %s: %w", ErrNoConnection, redact(p.uri), *firstErr.Load())
	}
	if n := int64(len(p.clients)) - ok.Load(); n > 0 {
		p.opts.Logger.Warn("some vehicles could not connect; they will retry", "failed", n, "err", *firstErr.Load())
	}
	return nil
}

// Send publishes msgs and acts on connection events. Publishing failures
// are counted (Errors), not returned.
func (p *Publisher) Send(ctx context.Context, msgs []fleet.Message) error {
	for i := range msgs {
		m := &msgs[i]
		if m.Vehicle < 0 || m.Vehicle >= len(p.clients) {
			return fmt.Errorf("mqtt: message for unknown vehicle %d", m.Vehicle)
		}
		c := p.clients[m.Vehicle]
		switch m.Kind {
		case fleet.KindDisconnect:
			c.drop(ctx)
		case fleet.KindConnect:
			c.offline = false
			if !c.pc.IsConnectionOpen() {
				_ = c.connect(ctx) // failures are counted; publishes retry
			}
		default:
			c.publish(ctx, m.Topic, m.Payload)
		}
	}
	return nil
}

// Errors returns the number of failed publishes.
func (p *Publisher) Errors() int64 { return p.errs.Load() }

// Stats returns the counters.
func (p *Publisher) Stats() Stats {
	return Stats{Published: p.published.Load(), Errors: p.errs.Load(),
		Connects: p.connects.Load(), ConnectErrors: p.connectErrs.Load()}
}

// Close waits (until ctx is done) for the publishes in flight to complete,
// then disconnects every vehicle. Publishes still in flight when ctx ends
// count as errors.
func (p *Publisher) Close(ctx context.Context) error {
	if !p.closed.CompareAndSwap(false, true) {
		return nil
	}
	sem := make(chan struct{}, p.opts.ConnectParallel)
	var wg sync.WaitGroup
	for _, c := range p.clients {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			c.drain(ctx)
			if c.pc.IsConnectionOpen() {
				c.pc.Disconnect(100)
			}
		})
	}
	wg.Wait()
	return nil
}

// redact returns the broker URL without its password.
func redact(u *url.URL) string {
	c := *u
	if c.User != nil {
		c.User = url.User(c.User.Username())
	}
	return c.String()
}

// clonePayload copies a payload for paho, which keeps the slice until the
// packet is written, while the simulation reuses its buffers.
func clonePayload(b []byte) []byte { return bytes.Clone(b) }
