package uplink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"

	"github.com/tributary-iot/tributary/models"
	"github.com/tributary-iot/tributary/protocols/frame"
)

// Log is what the uplink needs of the local log.
type Log interface {
	// Read returns up to maxPoints points (about maxBytes) of class with
	// Seq > afterSeq, in order.
	Read(ctx context.Context, class models.Priority, afterSeq uint64, maxPoints, maxBytes int, dst []models.Point) ([]models.Point, error)
	// Trim deletes the points of class with Seq <= uptoSeq: they are synced.
	Trim(ctx context.Context, class models.Priority, uptoSeq uint64) error
	// Backlog returns the number of points of class in the log (acked or
	// not, not yet trimmed). It must be cheap: it is called often.
	Backlog(class models.Priority) int64
	// Notify returns a channel that is closed when points are next appended.
	Notify() <-chan struct{}
}

// Options configures an Uplink.
type Options struct {
	// URL is cloud-core's NATS URL. Required.
	URL string
	// CredsFile is the agent's NATS credentials file ("" for none).
	CredsFile string
	// CAFile is a PEM file of CAs for a tls:// URL ("" for the system's).
	CAFile string
	// Agent is the agent id. Required.
	Agent string
	// Log is the local log. Required.
	Log Log
	// MaxBatchPoints and MaxBatchBytes bound a batch (defaults 5000, 1 MiB
	// of point data before encoding; at most 60000 and 8 MiB).
	MaxBatchPoints, MaxBatchBytes int
	// Linger is how long a batch that is not full waits for more points
	// (default 200ms). Larger batches compress better on the wire.
	Linger time.Duration
	// Window is the number of batches in flight (default 4).
	Window int
	// RateLimit caps the bytes sent per second (0: no cap).
	RateLimit int64
	// AckTimeout bounds the wait for one ack (default 30s).
	AckTimeout time.Duration
	// MinBackoff and MaxBackoff bound the wait between sessions (defaults 200ms, 30s).
	MinBackoff, MaxBackoff time.Duration
	// Logger; nil discards.
	Logger *slog.Logger
	// Registerer for metrics; nil registers nothing.
	Registerer prometheus.Registerer
}

// State is the uplink's connection state.
type State int32

// The states of an uplink.
const (
	Connecting State = iota
	Connected
	Disconnected
)

// String names the state.
func (s State) String() string {
	switch s {
	case Connecting:
		return "connecting"
	case Connected:
		return "connected"
	case Disconnected:
		return "disconnected"
	}
	return "unknown"
}

// Uplink replicates the local log to cloud-core. Create with New, run with Run.
type Uplink struct {
	o       Options
	logger  *slog.Logger
	metrics *metrics
	limiter *rate.Limiter
	state   atomic.Int32

	// mu guards lastErr.
	mu      sync.Mutex
	lastErr string
}

// New checks the options and returns an Uplink.
func New(o Options) (*Uplink, error) {
	if o.URL == "" || o.Agent == "" || o.Log == nil {
		return nil, errors.New("uplink: needs a URL, an agent id and a log")
	}
	if o.MaxBatchPoints <= 0 {
		o.MaxBatchPoints = 5000
	}
	if o.MaxBatchPoints > 60000 {
		o.MaxBatchPoints = 60000
	}
	if o.MaxBatchBytes <= 0 {
		o.MaxBatchBytes = 1 << 20
	}
	// A field or tag takes at least 3 bytes in the local log: 8 MiB keeps
	// a batch's fields and tags under frame.MaxBatchItems, and 60000
	// points under frame.MaxBatchPoints, which cloud ingest enforces.
	if o.MaxBatchBytes > 8<<20 {
		o.MaxBatchBytes = 8 << 20
	}
	if o.Linger <= 0 {
		o.Linger = 200 * time.Millisecond
	}
	if o.Window <= 0 {
		o.Window = 4
	}
	if o.AckTimeout <= 0 {
		o.AckTimeout = 30 * time.Second
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = 200 * time.Millisecond
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = max(30*time.Second, o.MinBackoff)
	}
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	m, err := newMetrics(o.Registerer)
	if err != nil {
		return nil, err
	}
	u := &Uplink{o: o, logger: logger.With("component", "uplink", "cloud", o.URL), metrics: m}
	if o.RateLimit > 0 {
		u.limiter = rate.NewLimiter(rate.Limit(o.RateLimit), int(max(o.RateLimit, frame.MaxFrameBytes)))
	}
	return u, nil
}

// State returns the connection state.
func (u *Uplink) State() State { return State(u.state.Load()) }

// LastError returns the last session error ("" if none yet).
func (u *Uplink) LastError() string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.lastErr
}

// Run replicates until ctx ends. It returns nil on a clean stop.
func (u *Uplink) Run(ctx context.Context) error {
	opts := []nats.Option{
		nats.Name("tributary-edge-" + u.o.Agent),
		nats.CustomInboxPrefix(frame.InboxPrefix + u.o.Agent),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		nats.RetryOnFailedConnect(true),
		nats.ReconnectBufSize(-1), // never buffer batches while disconnected: the log is the buffer
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			u.state.Store(int32(Disconnected))
			if err != nil {
				u.logger.Warn("disconnected from cloud", "err", err)
			}
		}),
		nats.ReconnectHandler(func(*nats.Conn) { u.logger.Info("reconnected to cloud") }),
	}
	if u.o.CredsFile != "" {
		opts = append(opts, nats.UserCredentials(u.o.CredsFile))
	}
	if u.o.CAFile != "" {
		opts = append(opts, nats.RootCAs(u.o.CAFile))
	}
	nc, err := nats.Connect(u.o.URL, opts...)
	if err != nil {
		return fmt.Errorf("connect to cloud %s: %w", u.o.URL, err)
	}
	defer nc.Close()

	backoff := u.o.MinBackoff
	for ctx.Err() == nil {
		u.state.Store(int32(Connecting))
		progressed, err := u.session(ctx, nc)
		if ctx.Err() != nil {
			break
		}
		u.state.Store(int32(Disconnected))
		u.mu.Lock()
		u.lastErr = err.Error()
		u.mu.Unlock()
		u.metrics.sessions.Inc()
		if progressed {
			backoff = u.o.MinBackoff
		}
		wait := backoff/2 + rand.N(backoff/2+1) // jitter: [backoff/2, backoff]
		u.logger.Warn("uplink session ended; retrying", "err", err, "in", wait.Round(time.Millisecond))
		select {
		case <-time.After(wait):
		case <-ctx.Done():
		}
		backoff = min(backoff*2, u.o.MaxBackoff)
	}
	u.state.Store(int32(Disconnected))
	return nil
}

// hello asks the cloud for the committed marks of this agent's writers.
func (u *Uplink) hello(ctx context.Context, nc *nats.Conn) (map[string]uint64, error) {
	h := frame.Hello{Version: 1, Agent: u.o.Agent}
	for _, c := range models.Priorities() {
		h.Writers = append(h.Writers, models.WriterID(u.o.Agent, c))
	}
	b, err := h.MarshalMsg(nil)
	if err != nil {
		return nil, fmt.Errorf("BUG: encode hello: %w", err)
	}
	hctx, cancel := context.WithTimeout(ctx, u.o.AckTimeout)
	defer cancel()
	msg, err := nc.RequestWithContext(hctx, frame.HelloPrefix+u.o.Agent, b)
	if err != nil {
		return nil, fmt.Errorf("hello: %w", err)
	}
	var r frame.HelloReply
	if _, err := r.UnmarshalMsg(msg.Data); err != nil {
		return nil, fmt.Errorf("hello: bad reply: %w", err)
	}
	if r.Error != "" {
		return nil, fmt.Errorf("hello refused: %s", r.Error)
	}
	return r.Marks, nil
}
