package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tributary-iot/tributary/cloud-core/segment"
	"github.com/tributary-iot/tributary/cloud-core/tier1"
	"github.com/tributary-iot/tributary/models"
)

// maxAppendAttempts bounds how often one run is retried after its
// writer's last position moved under it.
const maxAppendAttempts = 64

// run is the part of a batch that goes to one segment.
type run struct {
	st     *streamState
	seg    string
	points []models.Point
}

// Append stores b's points exactly once and returns when every one of
// them is durable in tier 1 (the ack). It is idempotent however late it is
// retried: points whose Seq is at or below the writer's mark in their
// segment are dropped as duplicates. Streams named by the points are
// created with the default policy on first write.
//
// The writer contract: b.Writer is a writer id (models.WriterID: the
// agent id, or the agent id and a class); every point has Agent set to
// the writer's agent, a valid stream and device, and Seq strictly
// increasing through the batch and across the writer's batches; a writer
// sends a batch only after the previous one was acknowledged, and retries
// a failed one before sending the next. Points may go to several segments
// and streams; on error some of them may be stored, and the retry stores
// the rest.
func (s *Store) Append(ctx context.Context, b *models.Batch) error {
	start := time.Now()
	err := s.appendBatch(ctx, b)
	if err != nil {
		s.metrics.appendErrors.Inc()
		return err
	}
	s.metrics.appendBatches.Inc()
	s.metrics.appendSeconds.Observe(time.Since(start).Seconds())
	return nil
}

func (s *Store) appendBatch(ctx context.Context, b *models.Batch) error {
	if err := validateBatch(b); err != nil {
		return err
	}
	if len(b.Points) == 0 {
		return nil
	}
	runs, err := s.route(ctx, b)
	if err != nil {
		return err
	}
	if len(runs) == 1 {
		return s.appendRun(ctx, runs[0], b.Writer)
	}
	var (
		wg   sync.WaitGroup
		errs = make([]error, len(runs))
	)
	for i := range runs {
		wg.Go(func() { errs[i] = s.appendRun(ctx, runs[i], b.Writer) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// validateBatch checks the writer contract that Append can check.
func validateBatch(b *models.Batch) error {
	agent, err := writerAgent(b.Writer)
	if err != nil {
		return err
	}
	var (
		prev       uint64
		lastStream string // the previous point's stream, already checked
	)
	for i := range b.Points {
		p := &b.Points[i]
		if p.Seq <= prev {
			return fmt.Errorf("%w: point %d: seq %d does not follow %d", ErrBadBatch, i, p.Seq, prev)
		}
		prev = p.Seq
		if b.LastSeq != 0 && (p.Seq < b.FirstSeq || p.Seq > b.LastSeq) {
			return fmt.Errorf("%w: point %d: seq %d outside the batch's [%d,%d]", ErrBadBatch, i, p.Seq, b.FirstSeq, b.LastSeq)
		}
		if p.Agent != agent {
			return fmt.Errorf("%w: point %d: agent %q in a batch of writer %q", ErrBadBatch, i, p.Agent, b.Writer)
		}
		if p.Stream != lastStream {
			if err := models.ValidateID("stream", p.Stream); err != nil {
				return fmt.Errorf("%w: point %d: %w", ErrBadBatch, i, err)
			}
			lastStream = p.Stream
		}
		if err := models.ValidateDevice(p.Device); err != nil {
			return fmt.Errorf("%w: point %d: %w", ErrBadBatch, i, err)
		}
		for _, f := range p.Fields {
			if !f.Value.IsValid() {
				return fmt.Errorf("%w: point %d: field %q has no value", ErrBadBatch, i, f.Key)
			}
		}
	}
	return nil
}

// writerAgent checks a writer id ("agent" or "agent.class") and returns
// its agent.
func writerAgent(w string) (string, error) {
	if err := tier1.ValidateWriter(w); err != nil {
		return "", fmt.Errorf("%w: %w", ErrBadBatch, err)
	}
	if !strings.Contains(w, ".") {
		return w, nil
	}
	agent, _, err := models.ParseWriterID(w)
	if err != nil || strings.Contains(agent, ".") {
		return "", fmt.Errorf("%w: writer id %q is neither AGENT nor AGENT.CLASS", ErrBadBatch, w)
	}
	return agent, nil
}

// route splits b by (stream, segment) in the current epochs, keeping the
// points' order within each run. A batch for one segment is not copied.
func (s *Store) route(ctx context.Context, b *models.Batch) ([]run, error) {
	type target struct {
		st  *streamState
		seg string
	}
	targets := make([]target, len(b.Points))
	var cur *streamState
	single := true
	for i := range b.Points {
		p := &b.Points[i]
		if cur == nil || cur.meta.Name != p.Stream {
			var err error
			if cur, err = s.stream(ctx, p.Stream, true); err != nil {
				return nil, err
			}
		}
		targets[i] = target{st: cur, seg: cur.router.Route(p.Device)}
		if targets[i] != targets[0] {
			single = false
		}
	}
	if single {
		return []run{{st: targets[0].st, seg: targets[0].seg, points: b.Points}}, nil
	}
	var runs []run
	index := map[target]int{}
	for i, t := range targets {
		j, ok := index[t]
		if !ok {
			j = len(runs)
			index[t] = j
			runs = append(runs, run{st: t.st, seg: t.seg})
		}
		runs[j].points = append(runs[j].points, b.Points[i])
	}
	return runs, nil
}

// appendRun stores one segment's run of a writer's points.
func (s *Store) appendRun(ctx context.Context, r run, writer string) error {
	stream := r.st.meta.Name
	key := markKey{stream: stream, seg: r.seg, writer: writer}
	pts, err := s.dropPredecessorDuplicates(ctx, r, writer)
	if err != nil {
		return err
	}
	if len(pts) == 0 {
		s.metrics.duplicatePoints.Add(float64(len(r.points)))
		return nil
	}
	for range maxAppendAttempts {
		err := s.appendOnce(ctx, key, pts)
		switch {
		case err == nil:
			s.metrics.duplicatePoints.Add(float64(len(r.points) - len(pts)))
			return nil
		case errors.Is(err, tier1.ErrConflict):
			s.metrics.appendConflicts.Inc()
		case errors.Is(err, tier1.ErrNoSegment):
			if err := s.t1.Ensure(ctx, stream, r.seg); err != nil {
				return err
			}
		default:
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return fmt.Errorf("append of %s to %s/%s: %d conflicts in a row: %w", writer, stream, r.seg, maxAppendAttempts, tier1.ErrConflict)
}

// appendOnce filters pts by the writer's mark in the segment and stores
// the rest after the writer's last message.
func (s *Store) appendOnce(ctx context.Context, key markKey, pts []models.Point) error {
	last, cached := s.marks.get(key)
	if !cached {
		// Without a tier-1 message the mark comes from the chunk index,
		// and nothing then tells JetStream about it: hold off trims until
		// the publish is done, so no message of this writer can be stored
		// and trimmed (its mark moving into the index) in between.
		ss := s.seg(key.stream, key.seg)
		ss.trimMu.RLock()
		defer ss.trimMu.RUnlock()
		var err error
		if last, err = s.t1.Last(ctx, key.stream, key.seg, key.writer); err != nil {
			return err
		}
		if last.Pos == 0 {
			if last.Mark, err = s.meta.Mark(key.stream, key.seg, key.writer); err != nil {
				return err
			}
		}
	}
	i := sort.Search(len(pts), func(i int) bool { return pts[i].Seq > last.Mark })
	if i == len(pts) {
		s.marks.put(key, last)
		s.metrics.duplicatePoints.Add(float64(len(pts)))
		return nil
	}
	next, err := s.t1.Append(ctx, key.stream, key.seg, key.writer, last.Pos, pts[i:])
	if err != nil {
		s.marks.forget(key)
		return err
	}
	s.marks.put(key, next)
	s.metrics.duplicatePoints.Add(float64(i))
	s.metrics.appendPoints.Add(float64(len(pts) - i))
	return nil
}

// dropPredecessorDuplicates drops points that an earlier owner of their
// device (a segment sealed by a split or merge) already holds: a retry
// that crosses an epoch change must not store them again in the
// successor. Sealed segments take no appends, so their marks are final.
func (s *Store) dropPredecessorDuplicates(ctx context.Context, r run, writer string) ([]models.Point, error) {
	l := &r.st.meta.Layout
	sg, err := l.Segment(r.seg)
	if err != nil {
		return nil, err
	}
	if len(sg.Predecessors) == 0 {
		return r.points, nil
	}
	marks := map[string]uint64{}
	out := make([]models.Point, 0, len(r.points))
	for _, p := range r.points {
		owners := l.Owners(segment.Hash(p.Device))
		keep := true
		for _, o := range owners[:len(owners)-1] {
			m, ok := marks[o]
			if !ok {
				if m, err = s.sealedMark(ctx, r.st.meta.Name, o, writer); err != nil {
					return nil, err
				}
				marks[o] = m
			}
			if p.Seq <= m {
				keep = false
				break
			}
		}
		if keep {
			out = append(out, p)
		}
	}
	return out, nil
}

// sealedMark returns writer's final mark in a sealed segment.
func (s *Store) sealedMark(ctx context.Context, stream, seg, writer string) (uint64, error) {
	last, err := s.t1.Last(ctx, stream, seg, writer)
	if err != nil && !errors.Is(err, tier1.ErrNoSegment) {
		return 0, err
	}
	if last.Pos > 0 {
		return last.Mark, nil
	}
	return s.meta.Mark(stream, seg, writer)
}
