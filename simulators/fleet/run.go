package fleet

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/tributary-iot/tributary/simulators/truth"
)

// ErrRunTwice is returned by Run on a Sim that has already run.
var ErrRunTwice = errors.New("simulation already run")

// pacingSlack is how early a paced vehicle may send rather than sleep
// (fewer wake-ups with thousands of vehicles).
const pacingSlack = 500 * time.Microsecond

// finalFlushTimeout bounds how long the messages still held by vehicles
// may take to send once the simulation stops.
const finalFlushTimeout = 30 * time.Second

// worker drives a contiguous range of vehicles.
type worker struct {
	id       int
	vehicles []*vehicle
	cur      *chunk
	out      chan *chunk // Ordered: chunks to the merger
	free     chan *chunk // Ordered: chunks back from the merger
}

// Run runs the simulation until every vehicle has sent its share of
// Config.Points, Config.Duration has passed, or ctx is done, whichever
// comes first; then every vehicle sends what it still holds (late and
// buffered messages), and Run returns the report. A stop through ctx is
// not an error. truth may be nil. Run returns an error only when the sink
// or the truth sink fails (the report covers what was sent until then).
func (s *Sim) Run(ctx context.Context, sink Sink, ts TruthSink) (Report, error) {
	if !s.ran.CompareAndSwap(false, true) {
		return Report{}, ErrRunTwice
	}
	ec, _ := sink.(ErrorCounter)
	s.counter.Store(counterBox{ec})
	parent := ctx
	if s.cfg.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.cfg.Duration)
		defer cancel()
	}
	ctx, fail := context.WithCancelCause(ctx)
	defer fail(nil)
	r := &runner{sim: s, sink: sink, ts: ts, fail: fail, paced: s.period > 0}
	if ts == nil {
		r.ts = discardTruth{}
	}
	workers := s.workers()
	start := time.Now()
	s.stats.started.Store(start.UnixNano())
	s.cfg.Logger.Info("simulation started", "vehicles", len(s.vehicles), "workers", len(workers),
		"rate", s.cfg.Rate, "batch", s.cfg.Batch, "ordered", s.cfg.Ordered)

	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Go(func() { r.work(ctx, w, start) })
	}
	if s.cfg.Ordered {
		r.merge(ctx, workers)
	}
	wg.Wait()
	s.stats.stopped.Store(time.Now().UnixNano())

	stopped := "points"
	switch {
	case r.err != nil:
		stopped = "error"
	case parent.Err() != nil:
		stopped = "interrupted"
	case ctx.Err() != nil:
		stopped = "duration"
	}
	rep := s.report(stopped)
	s.cfg.Logger.Info("simulation stopped", "reason", stopped, "points", rep.Points, "messages", rep.Messages,
		"errors", rep.Errors, "elapsed", time.Duration(rep.ElapsedSeconds*float64(time.Second)).Round(time.Millisecond))
	return rep, r.err
}

func (s *Sim) workers() []*worker {
	n := s.cfg.Workers
	ws := make([]*worker, n)
	for i := range ws {
		lo, hi := i*len(s.vehicles)/n, (i+1)*len(s.vehicles)/n
		w := &worker{id: i, vehicles: s.vehicles[lo:hi], cur: newChunk()}
		if s.cfg.Ordered {
			w.out = make(chan *chunk, 2)
			w.free = make(chan *chunk, 4)
			for range 3 {
				w.free <- newChunk()
			}
		}
		ws[i] = w
	}
	return ws
}

type discardTruth struct{}

func (discardTruth) Write(*truth.Record) error { return nil }

// runner is the state one Run shares among its goroutines.
type runner struct {
	sim   *Sim
	sink  Sink
	ts    TruthSink
	fail  context.CancelCauseFunc
	paced bool

	// mu guards err and serialises truth writes of unordered runs.
	mu  sync.Mutex
	err error
}

func (r *runner) setErr(err error) {
	r.mu.Lock()
	if r.err == nil {
		r.err = err
	}
	r.mu.Unlock()
	r.fail(err)
}

func (r *runner) failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err != nil
}

// work runs the rounds of one worker: in each, every vehicle it owns takes
// one tick, at its due time when paced.
func (r *runner) work(ctx context.Context, w *worker, start time.Time) {
	if w.out != nil {
		defer close(w.out)
	}
	s := r.sim
	n := time.Duration(len(s.vehicles))
	var timer *time.Timer
	if r.paced {
		timer = time.NewTimer(time.Hour)
		timer.Stop()
	}
	round, steps := int64(0), 0
loop:
	for ; ; round++ {
		active := false
		for _, v := range w.vehicles {
			if v.done {
				continue
			}
			active = true
			if r.paced {
				due := start.Add(s.period*time.Duration(round) + s.period*time.Duration(v.info.Index)/n)
				if wait := time.Until(due); wait > pacingSlack {
					if !r.flush(ctx, w, round-1) {
						return
					}
					timer.Reset(wait)
					select {
					case <-ctx.Done():
						timer.Stop()
						break loop
					case <-timer.C:
					}
				}
			}
			if _, err := v.step(w.cur, round); err != nil {
				r.setErr(err)
				return
			}
			r.countTruth(w.cur)
			if w.cur.full() && !r.flush(ctx, w, round-1) {
				return
			}
			if steps++; steps&63 == 0 && ctx.Err() != nil {
				break loop
			}
		}
		if !active {
			break
		}
		if ctx.Err() != nil {
			round++
			break
		}
	}
	if r.failed() {
		return
	}
	// Stopped: every vehicle sends what it holds, even though ctx is done.
	for _, v := range w.vehicles {
		v.finish(w.cur, round)
		r.countTruth(w.cur)
	}
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finalFlushTimeout)
	defer cancel()
	r.flush(fctx, w, round)
}

// countTruth counts the anomalies of truth records added to c since the
// last call.
func (r *runner) countTruth(c *chunk) {
	for _, rec := range c.truth[c.counted:] {
		r.sim.stats.anomaly(rec.Kind)
	}
	c.counted = len(c.truth)
}

// flush hands the worker's chunk on: to the merger when ordered, else to
// the sink (and its truth to the truth sink). through is the last round
// the chunk completes. It reports false when the run must stop.
func (r *runner) flush(ctx context.Context, w *worker, through int64) bool {
	c := w.cur
	if len(c.msgs) == 0 && len(c.truth) == 0 && w.out == nil {
		return true
	}
	c.through = max(c.through, through)
	c.seal()
	if w.out != nil {
		select {
		case w.out <- c:
		case <-ctx.Done():
			if r.failed() {
				return false
			}
			w.out <- c // stopping: the merger still drains
		}
		w.cur = <-w.free
		w.cur.reset()
		return true
	}
	err := r.send(ctx, c.msgs)
	if err == nil {
		r.mu.Lock()
		for i := range c.truth {
			if err = r.ts.Write(&c.truth[i]); err != nil {
				err = fmt.Errorf("write truth: %w", err)
				break
			}
		}
		r.mu.Unlock()
	}
	c.reset()
	if err != nil {
		r.setErr(err)
		return false
	}
	return true
}

func (r *runner) send(ctx context.Context, msgs []Message) error {
	if len(msgs) == 0 {
		return nil
	}
	if err := r.sink.Send(ctx, msgs); err != nil {
		return fmt.Errorf("send: %w", err)
	}
	r.sim.stats.count(msgs, r.sim.vehicles)
	return nil
}

// merge sends the workers' chunks to the sink in (round, vehicle) order:
// workers own increasing ranges of vehicles, so that is round by round,
// worker by worker.
func (r *runner) merge(ctx context.Context, workers []*worker) {
	type head struct {
		c          *chunk
		msg, trRec int // next message and truth record to send
		done       bool
	}
	heads := make([]head, len(workers))
	var out []Message
	var release []*chunk // chunks whose messages are in out
	var releaseTo []*worker
	ok := true // false once the run has failed: chunks are only drained
	// sendOut sends out (unless the run has failed) and gives the chunks
	// it came from back to their workers.
	sendOut := func() bool {
		var err error
		if ok {
			err = r.send(context.WithoutCancel(ctx), out)
		}
		clear(out)
		out = out[:0]
		for i, c := range release {
			releaseTo[i].free <- c
		}
		release, releaseTo = release[:0], releaseTo[:0]
		if err != nil {
			r.setErr(err)
			return false
		}
		return true
	}
	for round := int64(0); ; round++ {
		live := false
		for i, w := range workers {
			h := &heads[i]
			for !h.done {
				if h.c == nil {
					if len(out) > 0 || len(release) > 0 {
						ok = sendOut() && ok // before waiting, so the worker can go on
					}
					c, more := <-w.out
					if !more {
						h.done = true
						break
					}
					*h = head{c: c}
				}
				c := h.c
				for h.msg < len(c.msgs) && c.meta[h.msg].round <= round {
					if ok {
						out = append(out, c.msgs[h.msg])
					}
					h.msg++
				}
				for h.trRec < len(c.truth) && c.trRnd[h.trRec] <= round {
					if ok {
						if err := r.ts.Write(&c.truth[h.trRec]); err != nil {
							r.setErr(fmt.Errorf("write truth: %w", err))
							ok = false
						}
					}
					h.trRec++
				}
				if h.msg < len(c.msgs) || h.trRec < len(c.truth) {
					break // the rest belongs to later rounds
				}
				through := c.through
				release, releaseTo = append(release, c), append(releaseTo, w)
				h.c = nil
				if through >= round {
					break
				}
			}
			live = live || !h.done
			if len(out) >= chunkMessages || len(release) > 2*len(workers) {
				ok = sendOut() && ok
			}
		}
		if !live {
			break
		}
	}
	sendOut()
}
