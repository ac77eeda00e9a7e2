package mqttdirect

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tributary-iot/tributary/edge-agent/collect"
	"github.com/tributary-iot/tributary/edge-agent/locallog"
	profiles "github.com/tributary-iot/tributary/firmware-profiles"
	"github.com/tributary-iot/tributary/models"
)

// Agent is the writer name of points that arrive by direct MQTT.
const Agent = "mqtt-direct"

// Store is what direct ingest needs of the segment store.
type Store interface {
	Append(ctx context.Context, b *models.Batch) error
}

// Options configures a Server.
type Options struct {
	// Addr is the MQTT listen address, e.g. ":1884". Required.
	Addr string
	// Store takes the points. Required.
	Store Store
	// Profiles decode the messages. Required.
	Profiles *profiles.Set
	// Authenticate, if set, checks each client's CONNECT username and
	// password; nil admits everyone.
	Authenticate func(username, password []byte) bool
	// MaxPacketSize caps an MQTT packet (0: 1 MiB).
	MaxPacketSize uint32
	// Logger; nil discards.
	Logger *slog.Logger
	// Registerer for metrics (labelled source="mqtt_direct"); nil registers none.
	Registerer prometheus.Registerer
	// Now is the clock for sequence numbers; nil means time.Now.
	Now func() time.Time
}

// Server is the direct MQTT ingest. Create with New, run with Run.
type Server struct {
	broker *collect.Broker
}

// New binds the listener.
func New(o Options) (*Server, error) {
	if o.Addr == "" || o.Store == nil || o.Profiles == nil {
		return nil, errors.New("mqttdirect: needs an address, a store and profiles")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxPacketSize == 0 {
		o.MaxPacketSize = 1 << 20
	}
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	reg := o.Registerer
	if reg != nil {
		reg = prometheus.WrapRegistererWith(prometheus.Labels{"source": "mqtt_direct"}, reg)
	}
	dead := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tributary_direct_dead_letters_total", Help: "Direct MQTT messages refused, by reason.",
	}, []string{"reason"})
	if reg != nil {
		if err := reg.Register(dead); err != nil {
			return nil, fmt.Errorf("register metrics: %w", err)
		}
	}
	w := &writer{store: o.Store, now: o.Now, logger: logger, dead: dead}
	h, err := collect.NewHandler(collect.HandlerOptions{Profiles: o.Profiles, Log: w, Logger: logger, Registerer: reg})
	if err != nil {
		return nil, err
	}
	b, err := collect.NewBroker(collect.BrokerOptions{Addr: o.Addr, Handler: h, MaxPacketSize: o.MaxPacketSize,
		Authenticate: o.Authenticate, Logger: logger})
	if err != nil {
		return nil, err
	}
	return &Server{broker: b}, nil
}

// Addr returns the address the broker listens on.
func (s *Server) Addr() string { return s.broker.Addr() }

// Run serves until ctx ends.
func (s *Server) Run(ctx context.Context) error { return s.broker.Run(ctx) }

// Close stops a server whose Run was never called.
func (s *Server) Close() error { return s.broker.Close() }

// writer turns decoded messages into store appends: it plays the part the
// local log plays in the agent.
type writer struct {
	store  Store
	now    func() time.Time
	logger *slog.Logger
	dead   *prometheus.CounterVec

	// mu serialises each class's appends and guards next: a writer's
	// sequence numbers must reach the store in increasing order, or the
	// store would take a later one's mark as covering an earlier one.
	mu   [models.NumPriorities]sync.Mutex
	next [models.NumPriorities]uint64
}

// Append gives the points sequence numbers above any given before (and
// above the clock, so a restart continues past the last run) and appends
// them to the store; it returns once they are durable.
func (w *writer) Append(ctx context.Context, class models.Priority, pts []models.Point) (locallog.AppendResult, error) {
	if int(class) >= models.NumPriorities {
		return locallog.AppendResult{}, fmt.Errorf("priority class %d out of range", class)
	}
	if len(pts) == 0 {
		return locallog.AppendResult{}, nil
	}
	w.mu[class].Lock()
	defer w.mu[class].Unlock()
	now := w.now()
	seq := max(w.next[class], uint64(now.UnixNano()))
	for i := range pts {
		p := &pts[i]
		seq++
		p.Agent, p.Seq = Agent, seq
		if p.Received == 0 {
			p.Received = now.UnixNano()
		}
	}
	b := models.Batch{Writer: models.WriterID(Agent, class), FirstSeq: pts[0].Seq, LastSeq: seq, Points: pts}
	if err := w.store.Append(ctx, &b); err != nil {
		return locallog.AppendResult{}, fmt.Errorf("append to the segment store: %w", err)
	}
	w.next[class] = seq
	return locallog.AppendResult{Accepted: len(pts), FirstSeq: b.FirstSeq, LastSeq: seq}, nil
}

// AddDeadLetter counts and logs a refused message; the broker then
// acknowledges it (resending would not help).
func (w *writer) AddDeadLetter(_ context.Context, d locallog.DeadLetter) error {
	w.dead.WithLabelValues(d.Reason).Inc()
	w.logger.Warn("direct MQTT message refused", "topic", d.Topic, "reason", d.Reason, "err", d.Error)
	return nil
}
