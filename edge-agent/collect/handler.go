package collect

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tributary-iot/tributary/edge-agent/locallog"
	profiles "github.com/tributary-iot/tributary/firmware-profiles"
	"github.com/tributary-iot/tributary/models"
)

// Log is what the collector needs of the local log.
type Log interface {
	Append(ctx context.Context, class models.Priority, pts []models.Point) (locallog.AppendResult, error)
	AddDeadLetter(ctx context.Context, dl locallog.DeadLetter) error
}

// Outcome says what became of one message.
type Outcome uint8

// The outcomes of Handle.
const (
	// Stored: every point is durable in the local log; acknowledge.
	Stored Outcome = iota
	// DeadLettered: the message was bad and is durable in the dead-letter
	// store; acknowledge (resending it would not help).
	DeadLettered
	// Rejected: the full-buffer policy refused some or all points; they are
	// counted as dropped. Do not acknowledge, so the publisher may resend.
	Rejected
	// Failed: the log could not take the message (closed, I/O error); do not acknowledge.
	Failed
)

// String names the outcome.
func (o Outcome) String() string {
	switch o {
	case Stored:
		return "stored"
	case DeadLettered:
		return "dead_lettered"
	case Rejected:
		return "rejected"
	case Failed:
		return "failed"
	}
	return fmt.Sprintf("outcome(%d)", uint8(o))
}

// Ack reports whether the message may be acknowledged.
func (o Outcome) Ack() bool { return o == Stored || o == DeadLettered }

// Result is what Handle did with one message.
type Result struct {
	Outcome Outcome
	// Points is the number of points decoded from the message.
	Points int
	// Reason is the dead-letter reason when Outcome is DeadLettered.
	Reason string
	// Err is the cause of a dead letter, a rejection or a failure.
	Err error
}

// HandlerOptions configures a Handler.
type HandlerOptions struct {
	// Profiles matches topics and decodes payloads. Required.
	Profiles *profiles.Set
	// Log is the local log. Required.
	Log Log
	// Logger receives warnings about bad input (rate is the caller's concern); nil discards.
	Logger *slog.Logger
	// Registerer receives the collector's metrics; nil registers nothing.
	Registerer prometheus.Registerer
}

// Handler decodes messages and appends their points to the log. It is safe
// for concurrent use.
type Handler struct {
	profiles *profiles.Set
	log      Log
	logger   *slog.Logger
	metrics  *handlerMetrics
	// bufs recycles decode buffers ([]models.Point with their field slices).
	bufs sync.Pool
}

type handlerMetrics struct {
	messages *prometheus.CounterVec
	points   prometheus.Counter
	bytes    prometheus.Counter
}

// NewHandler returns a Handler.
func NewHandler(o HandlerOptions) (*Handler, error) {
	if o.Profiles == nil || o.Log == nil {
		return nil, errors.New("collect: handler needs profiles and a log")
	}
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	m := &handlerMetrics{
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tributary_edge_messages_total",
			Help: "MQTT messages taken in, by outcome (stored, dead_lettered, rejected, failed).",
		}, []string{"outcome"}),
		points: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tributary_edge_points_received_total",
			Help: "Points decoded from MQTT messages.",
		}),
		bytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tributary_edge_payload_bytes_total",
			Help: "MQTT payload bytes taken in.",
		}),
	}
	if o.Registerer != nil {
		for _, c := range []prometheus.Collector{m.messages, m.points, m.bytes} {
			if err := o.Registerer.Register(c); err != nil {
				return nil, fmt.Errorf("register collector metrics: %w", err)
			}
		}
	}
	h := &Handler{profiles: o.Profiles, log: o.Log, logger: logger, metrics: m}
	h.bufs.New = func() any { s := make([]models.Point, 0, 64); return &s }
	return h, nil
}

// Handle takes one message in: it returns only once the points are durable
// in the local log (Stored), the message is in the dead-letter store
// (DeadLettered), or it could not be taken (Rejected, Failed).
func (h *Handler) Handle(ctx context.Context, topic string, payload []byte, received time.Time) Result {
	r := h.handle(ctx, topic, payload, received)
	h.metrics.messages.WithLabelValues(r.Outcome.String()).Inc()
	h.metrics.bytes.Add(float64(len(payload)))
	h.metrics.points.Add(float64(r.Points))
	return r
}

func (h *Handler) handle(ctx context.Context, topic string, payload []byte, received time.Time) Result {
	bp := h.bufs.Get().(*[]models.Point)
	defer h.bufs.Put(bp)
	pts, prof, err := h.profiles.Decode((*bp)[:0], topic, payload, received)
	*bp = pts
	if err != nil {
		return h.deadLetter(ctx, topic, payload, received, profiles.Reason(err), err)
	}
	res, err := h.log.Append(ctx, prof.Priority, pts)
	if errors.Is(err, locallog.ErrPointTooLarge) {
		return h.deadLetter(ctx, topic, payload, received, profiles.ReasonOversized, err)
	}
	if err != nil {
		return Result{Outcome: Failed, Points: len(pts), Err: fmt.Errorf("append to local log: %w", err)}
	}
	if res.Rejected > 0 {
		return Result{Outcome: Rejected, Points: len(pts),
			Err: fmt.Errorf("local log full: %d of %d points rejected by the %s policy", res.Rejected, len(pts), res.Policy)}
	}
	return Result{Outcome: Stored, Points: len(pts)}
}

func (h *Handler) deadLetter(ctx context.Context, topic string, payload []byte, received time.Time, reason string, cause error) Result {
	h.logger.Debug("dead letter", "topic", topic, "reason", reason, "err", cause)
	err := h.log.AddDeadLetter(ctx, locallog.DeadLetter{Time: received, Topic: topic, Reason: reason, Payload: payload, Error: cause.Error()})
	if err != nil {
		return Result{Outcome: Failed, Reason: reason, Err: fmt.Errorf("store dead letter: %w", err)}
	}
	return Result{Outcome: DeadLettered, Reason: reason, Err: cause}
}
