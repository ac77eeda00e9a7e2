package mqttpub

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/tributary-iot/tributary/simulators/fleet"
)

const (
	minBackoff = 500 * time.Millisecond
	maxBackoff = 30 * time.Second
	// lostWait bounds the wait for paho to notice a dropped connection.
	lostWait = 5 * time.Second
)

// client is one vehicle's MQTT connection. Its fields other than mu and
// conn are used only by the goroutine sending for the vehicle.
type client struct {
	p  *Publisher
	v  fleet.Vehicle
	pc paho.Client

	// mu guards conn, set by paho's connecting goroutine.
	mu   sync.Mutex
	conn *cutConn

	lost     chan struct{} // receives when paho reports the connection lost
	offline  bool          // dropped on purpose; no reconnecting until told
	nextTry  time.Time     // no reconnect attempt before this
	backoff  time.Duration
	inflight []paho.Token // oldest first
}

func (p *Publisher) newClient(v fleet.Vehicle) *client {
	c := &client{p: p, v: v, lost: make(chan struct{}, 1)}
	o := paho.NewClientOptions().
		AddBroker(p.uri.String()).
		SetClientID(v.ClientID).
		SetCleanSession(true).
		SetAutoReconnect(false).
		SetConnectRetry(false).
		SetKeepAlive(p.opts.KeepAlive).
		SetConnectTimeout(p.opts.ConnectTimeout).
		SetWriteTimeout(p.opts.AckTimeout).
		SetOrderMatters(false).
		SetCustomOpenConnectionFn(c.dial).
		SetConnectionLostHandler(func(paho.Client, error) {
			select {
			case c.lost <- struct{}{}:
			default:
			}
		})
	c.pc = paho.NewClient(o)
	return c
}

// dial opens the TCP (or TLS) connection and keeps it, so that a
// simulated drop can cut it.
func (c *client) dial(uri *url.URL, o paho.ClientOptions) (net.Conn, error) {
	d := &net.Dialer{Timeout: o.ConnectTimeout}
	var conn net.Conn
	var err error
	if isTLS(uri.Scheme) {
		cfg := c.p.opts.TLS
		if cfg == nil {
			cfg = &tls.Config{ServerName: uri.Hostname()}
		}
		conn, err = (&tls.Dialer{NetDialer: d, Config: cfg}).Dial("tcp", uri.Host)
	} else {
		conn, err = d.Dial("tcp", uri.Host)
	}
	if err != nil {
		return nil, err
	}
	cc := &cutConn{Conn: conn}
	c.mu.Lock()
	c.conn = cc
	c.mu.Unlock()
	return cc, nil
}

// errLinkCut is what a cut connection reports. paho takes a plain
// "use of closed network connection" for a close of its own and would not
// notice the loss; this error it reports as a lost connection.
var errLinkCut = errors.New("simulated link loss")

// cutConn is a connection the simulation can cut.
type cutConn struct {
	net.Conn
	cut atomic.Bool
}

// Read reads from the connection; after Cut it fails with errLinkCut.
func (c *cutConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if err != nil && c.cut.Load() {
		err = errLinkCut
	}
	return n, err
}

// Write writes to the connection; after Cut it fails with errLinkCut.
func (c *cutConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	if err != nil && c.cut.Load() {
		err = errLinkCut
	}
	return n, err
}

// Cut closes the connection; reads and writes fail with errLinkCut.
func (c *cutConn) Cut() {
	c.cut.Store(true)
	_ = c.Conn.Close()
}

// connect connects now, waiting at most the connect timeout or ctx.
func (c *client) connect(ctx context.Context) error {
	select {
	case <-c.lost: // a stale notice from an earlier connection
	default:
	}
	tok := c.pc.Connect()
	if err := wait(ctx, tok, c.p.opts.ConnectTimeout+time.Second); err != nil {
		c.p.connectErrs.Add(1)
		c.backoff = min(max(2*c.backoff, minBackoff), maxBackoff)
		c.nextTry = time.Now().Add(c.backoff)
		c.p.opts.Logger.Debug("connect failed", "client", c.v.ClientID, "err", err)
		return fmt.Errorf("connect %s: %w", c.v.ClientID, err)
	}
	c.p.connects.Add(1)
	c.backoff = 0
	return nil
}

// publish sends one message, reconnecting first if the connection was lost.
func (c *client) publish(ctx context.Context, topic string, payload []byte) {
	p := c.p
	if c.offline {
		p.errs.Add(1) // the simulation publishes nothing while offline
		return
	}
	if !c.pc.IsConnectionOpen() {
		if time.Now().Before(c.nextTry) || c.connect(ctx) != nil {
			p.errs.Add(1)
			return
		}
	}
	c.reap()
	if len(c.inflight) >= p.opts.MaxInflight {
		c.settle(context.WithoutCancel(ctx), c.inflight[0]) // its ack is due, stopping or not
		c.inflight = c.inflight[1:]
	}
	tok := c.pc.Publish(topic, p.opts.QoS, false, clonePayload(payload))
	c.inflight = append(c.inflight, tok)
}

// reap settles the publishes at the head of the queue that are done.
func (c *client) reap() {
	n := 0
	for n < len(c.inflight) {
		select {
		case <-c.inflight[n].Done():
			c.count(c.inflight[n].Error())
			n++
			continue
		default:
		}
		break
	}
	if n > 0 {
		clear(c.inflight[:n])
		c.inflight = c.inflight[n:]
	}
}

// settle waits for one publish and counts its outcome.
func (c *client) settle(ctx context.Context, tok paho.Token) {
	c.count(wait(ctx, tok, c.p.opts.AckTimeout))
}

func (c *client) count(err error) {
	if err != nil {
		c.p.errs.Add(1)
		return
	}
	c.p.published.Add(1)
}

// drain settles every publish in flight.
func (c *client) drain(ctx context.Context) {
	for _, tok := range c.inflight {
		c.settle(ctx, tok)
	}
	clear(c.inflight)
	c.inflight = c.inflight[:0]
}

// drop cuts the connection as a lost link would: what is in flight is
// settled first (so the counts stay exact), then the TCP connection is
// closed without an MQTT DISCONNECT.
func (c *client) drop(ctx context.Context) {
	c.offline = true
	c.drain(context.WithoutCancel(ctx))
	if !c.pc.IsConnectionOpen() {
		return
	}
	c.mu.Lock()
	conn := c.conn
	c.mu.Unlock()
	if conn == nil {
		return
	}
	conn.Cut()
	t := time.NewTimer(lostWait)
	defer t.Stop()
	select {
	case <-c.lost:
	case <-t.C:
	case <-ctx.Done():
	}
}

// wait waits for tok, at most timeout or until ctx is done.
func wait(ctx context.Context, tok paho.Token, timeout time.Duration) error {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-tok.Done():
		return tok.Error()
	case <-t.C:
		return fmt.Errorf("no answer within %v", timeout)
	case <-ctx.Done():
		return ctx.Err()
	}
}
