package ingest

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tributary-iot/tributary/models"
	"github.com/tributary-iot/tributary/protocols/frame"
)

// Subjects, header and queue group, as protocols/frame defines them. An
// agent publishes hellos on HelloPrefix+agent and batches on
// IngestPrefix+agent.
const (
	// HelloPrefix is frame.HelloPrefix.
	HelloPrefix = frame.HelloPrefix
	// IngestPrefix is frame.IngestPrefix.
	IngestPrefix = frame.IngestPrefix
	// PrevHeader carries the end of the writer's previous batch (frame.PrevHeader).
	PrevHeader = frame.PrevHeader
	// QueueGroup is the queue group ingest instances share (frame.QueueGroup).
	QueueGroup = frame.QueueGroup
)

// Appender is what ingest needs of the segment store.
type Appender interface {
	// Append writes the batch idempotently: points the store already holds
	// for this writer are skipped. It returns once the rest are durable.
	Append(ctx context.Context, b *models.Batch) error
}

// MarkStore keeps committed marks across restarts.
type MarkStore interface {
	LoadMarks(ctx context.Context) (map[string]uint64, error)
	SaveMarks(ctx context.Context, marks map[string]uint64) error
}

// Options configures a Server.
type Options struct {
	// Conn is the NATS connection to serve on. Required.
	Conn *nats.Conn
	// Store takes the points. Required.
	Store Appender
	// Marks keeps committed marks. Required.
	Marks MarkStore
	// Workers is the number of batches handled at once (default 4); one
	// writer's batches always go to the same worker, in order.
	Workers int
	// FlushInterval is how often dirty marks are saved (default 1s).
	FlushInterval time.Duration
	// Logger; nil discards.
	Logger *slog.Logger
	// Registerer for metrics; nil registers nothing.
	Registerer prometheus.Registerer
}

// Server serves ingest requests. Create with New, serve with Run.
type Server struct {
	o       Options
	logger  *slog.Logger
	metrics *metrics

	ready chan struct{}

	// mu guards marks and dirty.
	mu    sync.Mutex
	marks map[string]uint64
	dirty bool
}

// New checks the options and returns a Server.
func New(o Options) (*Server, error) {
	if o.Conn == nil || o.Store == nil || o.Marks == nil {
		return nil, errors.New("ingest: needs a NATS connection, a store and a mark store")
	}
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.FlushInterval <= 0 {
		o.FlushInterval = time.Second
	}
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	m, err := newMetrics(o.Registerer)
	if err != nil {
		return nil, err
	}
	return &Server{o: o, logger: logger.With("component", "ingest"), metrics: m, ready: make(chan struct{})}, nil
}

// Ready returns a channel closed once Run has subscribed and serves.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Mark returns the committed mark of a writer.
func (s *Server) Mark(writer string) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.marks[writer]
}

// Run loads the marks, subscribes, and serves until ctx ends; then it
// drains the subscriptions, waits for the batches in hand and saves the marks.
func (s *Server) Run(ctx context.Context) error {
	marks, err := s.o.Marks.LoadMarks(ctx)
	if err != nil {
		return fmt.Errorf("load committed marks: %w", err)
	}
	s.mu.Lock()
	s.marks = marks
	if s.marks == nil {
		s.marks = map[string]uint64{}
	}
	s.mu.Unlock()

	queues := make([]chan *nats.Msg, s.o.Workers)
	var wg sync.WaitGroup
	for i := range queues {
		queues[i] = make(chan *nats.Msg, 64)
		wg.Add(1)
		go func(q <-chan *nats.Msg) {
			defer wg.Done()
			s.worker(ctx, q)
		}(queues[i])
	}
	// One writer's batches arrive in order on one subject; routing by
	// subject keeps them in order through the workers.
	msgs := make(chan *nats.Msg, 1024)
	batchSub, err := s.o.Conn.ChanQueueSubscribe(IngestPrefix+"*", QueueGroup, msgs)
	if err != nil {
		return fmt.Errorf("subscribe to batches: %w", err)
	}
	helloSub, err := s.o.Conn.QueueSubscribe(HelloPrefix+"*", QueueGroup, s.hello)
	if err != nil {
		_ = batchSub.Unsubscribe()
		return fmt.Errorf("subscribe to hellos: %w", err)
	}
	close(s.ready)
	s.logger.Info("ingest serving", "workers", s.o.Workers, "writers_known", len(marks))

	tick := time.NewTicker(s.o.FlushInterval)
	defer tick.Stop()
loop:
	for {
		select {
		case m := <-msgs:
			h := fnv.New32a()
			h.Write([]byte(m.Subject))
			select {
			case queues[h.Sum32()%uint32(len(queues))] <- m:
			case <-ctx.Done():
				break loop
			}
		case <-tick.C:
			s.flush(ctx)
		case <-ctx.Done():
			break loop
		}
	}
	_ = helloSub.Unsubscribe()
	_ = batchSub.Unsubscribe()
	for _, q := range queues {
		close(q)
	}
	wg.Wait()
	s.flush(context.WithoutCancel(ctx))
	return nil
}

func (s *Server) flush(ctx context.Context) {
	s.mu.Lock()
	if !s.dirty {
		s.mu.Unlock()
		return
	}
	snapshot := make(map[string]uint64, len(s.marks))
	for w, m := range s.marks {
		snapshot[w] = m
	}
	s.dirty = false
	s.mu.Unlock()
	if err := s.o.Marks.SaveMarks(ctx, snapshot); err != nil {
		s.logger.Warn("save committed marks (will retry)", "err", err)
		s.mu.Lock()
		s.dirty = true
		s.mu.Unlock()
	}
}

func (s *Server) hello(m *nats.Msg) {
	agent := strings.TrimPrefix(m.Subject, HelloPrefix)
	var h frame.Hello
	reply := frame.HelloReply{Marks: map[string]uint64{}}
	if _, err := h.UnmarshalMsg(m.Data); err != nil {
		reply.Error = "bad hello: " + err.Error()
	} else if h.Agent != agent {
		reply.Error = fmt.Sprintf("agent %q may not speak as %q", agent, h.Agent)
		s.metrics.refused.WithLabelValues("impersonation").Inc()
	} else {
		s.mu.Lock()
		for _, w := range h.Writers {
			if a, _, err := models.ParseWriterID(w); err == nil && a == agent {
				reply.Marks[w] = s.marks[w]
			}
		}
		s.mu.Unlock()
		s.logger.Info("agent connected", "agent", agent, "marks", reply.Marks)
	}
	b, _ := reply.MarshalMsg(nil)
	_ = m.Respond(b)
}

func (s *Server) worker(ctx context.Context, q <-chan *nats.Msg) {
	dec, err := frame.NewDecoder()
	if err != nil {
		s.logger.Error("BUG: zstd decoder", "err", err)
		return
	}
	defer dec.Close()
	var b models.Batch
	for m := range q {
		start := time.Now()
		ack := s.handle(ctx, dec, &b, m)
		s.metrics.batches.WithLabelValues(ack.Status.String()).Inc()
		s.metrics.latency.Observe(time.Since(start).Seconds())
		out, _ := ack.MarshalMsg(nil)
		if err := m.Respond(out); err != nil {
			s.logger.Debug("ack not sent", "err", err)
		}
	}
}

// handle applies one batch and returns its ack.
func (s *Server) handle(ctx context.Context, dec *frame.Decoder, b *models.Batch, m *nats.Msg) frame.Ack {
	agent := strings.TrimPrefix(m.Subject, IngestPrefix)
	s.metrics.wireBytes.Add(float64(len(m.Data)))
	if err := dec.DecodeBatch(b, m.Data); err != nil {
		s.metrics.refused.WithLabelValues("corrupt").Inc()
		return frame.Ack{Status: frame.AckRefused, Error: err.Error()}
	}
	if err := checkBatch(agent, b); err != nil {
		s.metrics.refused.WithLabelValues("invalid").Inc()
		s.logger.Warn("batch refused", "agent", agent, "err", err)
		return frame.Ack{Status: frame.AckRefused, Error: err.Error()}
	}
	prev, err := strconv.ParseUint(m.Header.Get(PrevHeader), 10, 64)
	if err != nil {
		s.metrics.refused.WithLabelValues("invalid").Inc()
		return frame.Ack{Status: frame.AckRefused, Error: "missing or bad " + PrevHeader + " header"}
	}
	s.mu.Lock()
	mark := s.marks[b.Writer]
	s.mu.Unlock()
	switch {
	case b.LastSeq <= mark:
		s.metrics.duplicates.Add(float64(len(b.Points)))
		return frame.Ack{Status: frame.AckOK, Mark: mark}
	case prev > mark:
		return frame.Ack{Status: frame.AckOutOfOrder, Mark: mark,
			Error: fmt.Sprintf("writer %s: batch follows %d but the committed mark is %d", b.Writer, prev, mark)}
	}
	if err := s.o.Store.Append(ctx, b); err != nil {
		s.logger.Warn("append failed; the agent will retry", "writer", b.Writer, "err", err)
		return frame.Ack{Status: frame.AckRetry, Mark: mark, Error: err.Error()}
	}
	s.mu.Lock()
	if b.LastSeq > s.marks[b.Writer] {
		s.marks[b.Writer] = b.LastSeq
		s.dirty = true
	}
	mark = s.marks[b.Writer]
	s.mu.Unlock()
	s.metrics.points.Add(float64(len(b.Points)))
	return frame.Ack{Status: frame.AckOK, Mark: mark, Written: len(b.Points)}
}

// checkBatch enforces that an agent writes only as itself and that the
// batch is well formed: seqs strictly increase within [FirstSeq, LastSeq].
func checkBatch(agent string, b *models.Batch) error {
	wAgent, _, err := models.ParseWriterID(b.Writer)
	if err != nil {
		return err
	}
	if wAgent != agent {
		return fmt.Errorf("agent %q may not write as %q", agent, b.Writer)
	}
	if b.FirstSeq > b.LastSeq {
		return fmt.Errorf("batch range %d..%d is empty", b.FirstSeq, b.LastSeq)
	}
	var prev uint64
	for i := range b.Points {
		p := &b.Points[i]
		if p.Agent != agent {
			return fmt.Errorf("point %d names agent %q, not %q", i, p.Agent, agent)
		}
		if p.Seq < b.FirstSeq || p.Seq > b.LastSeq || (i > 0 && p.Seq <= prev) {
			return fmt.Errorf("point %d: seq %d out of order or outside %d..%d", i, p.Seq, b.FirstSeq, b.LastSeq)
		}
		prev = p.Seq
		if err := models.ValidateID("stream", p.Stream); err != nil {
			return fmt.Errorf("point %d: %w", i, err)
		}
		if err := models.ValidateDevice(p.Device); err != nil {
			return fmt.Errorf("point %d: %w", i, err)
		}
	}
	return nil
}
