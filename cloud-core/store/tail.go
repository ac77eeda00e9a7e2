package store

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/tributary-iot/tributary/models"
)

// tailBatchPoints is the most points a tail hands over at a time.
const tailBatchPoints = 1024

// TailOptions say where a tail starts and what it keeps.
type TailOptions struct {
	// From is where to start, one position per segment (the next message
	// to read, as in models.StreamCut); segments it does not name start
	// at their beginning. nil starts at the live end ("now").
	From *models.StreamCut
	// Device keeps only that device's points; "" keeps all.
	Device string
}

// TailFunc receives one point of a tail: its segment and tier-1 position
// (a cut that resumes after it names pos+1 for seg, once every point of
// pos was handled). p is only valid during the call.
type TailFunc func(seg string, pos uint64, p *models.Point) error

// Tail calls fn for each point of stream from the start position on, and
// then for each new point as it is appended, until ctx is done (it then
// returns ctx's error) or fn returns an error (returned as is). Each
// device's points come in order; points of different segments interleave.
// fn is called from one goroutine at a time. A tail holds about one
// message per segment in memory.
func (s *Store) Tail(ctx context.Context, stream string, opts TailOptions, fn TailFunc) error {
	ss, err := s.stream(ctx, stream, false)
	if err != nil {
		return err
	}
	l := &ss.meta.Layout
	q := Query{Device: opts.Device}
	segs := l.Current().Segments
	if q.Device != "" {
		segs = []string{ss.router.Route(q.Device)}
	}
	starts := make(map[string]uint64, len(segs))
	if opts.From == nil {
		for _, seg := range segs {
			st, err := s.t1.State(ctx, stream, seg)
			if err != nil {
				return err
			}
			starts[seg] = st.Last + 1
		}
	} else {
		if opts.From.Stream != "" && opts.From.Stream != stream {
			return fmt.Errorf("%w: cut of stream %q for stream %q", ErrBadCut, opts.From.Stream, stream)
		}
		for seg := range opts.From.Positions {
			if _, err := l.Segment(seg); err != nil {
				return fmt.Errorf("%w: %w", ErrBadCut, err)
			}
			if !slices.Contains(segs, seg) && q.Device == "" {
				return fmt.Errorf("%w: segment %q is sealed (following successors arrives with scaling)", ErrBadCut, seg)
			}
		}
		for _, seg := range segs {
			starts[seg] = max(opts.From.Positions[seg], 1)
		}
	}

	s.metrics.tailReaders.Inc()
	defer s.metrics.tailReaders.Dec()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	batches := make(chan tailBatch)
	var wg sync.WaitGroup
	for _, seg := range segs {
		wg.Go(func() {
			out := &tailSink{ctx: ctx, seg: seg, ch: batches, metric: s.metrics}
			sc := scan{s: s, stream: stream, seg: seg, q: q, out: out, follow: true, exact: true}
			if err := sc.run(ctx, starts[seg]); err != nil {
				cancel(err)
			}
		})
	}
	go func() {
		wg.Wait()
		close(batches)
	}()
	defer func() {
		cancel(nil)
		for range batches { // let the segment readers finish
		}
	}()
	for b := range batches {
		for i := range b.points {
			if err := fn(b.seg, b.pos[i], &b.points[i]); err != nil {
				cancel(err)
				return err
			}
		}
	}
	return context.Cause(ctx)
}

// tailBatch is a run of points handed from a segment reader to Tail.
type tailBatch struct {
	seg    string
	pos    []uint64
	points []models.Point
}

// tailSink collects a segment's points and hands them over at message
// and chunk boundaries.
type tailSink struct {
	ctx    context.Context
	seg    string
	ch     chan<- tailBatch
	cur    tailBatch
	metric *metrics
}

func (t *tailSink) point(pos uint64, p *models.Point) error {
	t.cur.pos = append(t.cur.pos, pos)
	t.cur.points = append(t.cur.points, p.Clone())
	t.metric.readPoints.Inc()
	if len(t.cur.points) >= tailBatchPoints {
		return t.boundary()
	}
	return nil
}

func (t *tailSink) boundary() error {
	if len(t.cur.points) == 0 {
		return nil
	}
	b := t.cur
	b.seg = t.seg
	t.cur = tailBatch{}
	select {
	case t.ch <- b:
		return nil
	case <-t.ctx.Done():
		return context.Cause(t.ctx)
	}
}

func (t *tailSink) covered(int64)  {}
func (t *tailSink) counting() bool { return false }
