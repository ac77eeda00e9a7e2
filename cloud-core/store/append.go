package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
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

// maxRouteAttempts bounds how often a batch is routed again because
// segments it was routed to were sealed under it.
const maxRouteAttempts = 16

// errSegmentSealed is returned by appendRun when the run's segment was
// sealed by a split or merge: the run must be routed again.
var errSegmentSealed = errors.New("segment sealed")

// run is the part of a batch that goes to one segment.
type run struct {
	st     *streamState
	seg    string
	points []models.Point
	// buf, when set, is the pooled buffer that points came from
	// (Store.pointBufs); releaseRuns gives it back.
	buf *[]models.Point
}

// maxPooledPoints is the capacity above which a run's buffer is not kept.
const maxPooledPoints = 1 << 16

// releaseRuns gives the runs' pooled buffers back, cleared so that the
// pool holds no references to the batch.
func (s *Store) releaseRuns(runs []run) {
	for _, r := range runs {
		if r.buf == nil || cap(r.points) > maxPooledPoints {
			continue
		}
		clear(r.points)
		*r.buf = r.points[:0]
		s.pointBufs.Put(r.buf)
	}
}

// pointBuf returns a pooled buffer with room for n points.
func (s *Store) pointBuf(n int) *[]models.Point {
	buf, ok := s.pointBufs.Get().(*[]models.Point)
	if !ok {
		buf = new([]models.Point)
	}
	if cap(*buf) < n {
		*buf = make([]models.Point, 0, n)
	}
	return buf
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
// the rest. A split or merge during the append is invisible to the
// caller: points routed to a segment sealed under them are routed again
// by the new epoch.
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
	pts := b.Points
	for attempt := 1; ; attempt++ {
		runs, err := s.route(ctx, pts)
		if err != nil {
			return err
		}
		sealed, err := s.appendRuns(ctx, runs, b.Writer)
		if err != nil || len(sealed) == 0 {
			s.releaseRuns(runs)
			return err
		}
		if attempt == maxRouteAttempts {
			s.releaseRuns(runs)
			return fmt.Errorf("append of %s: segments sealed under it %d times in a row: %w", b.Writer, attempt, errSegmentSealed)
		}
		// A split or merge sealed these runs' segments: wait until it is
		// done, then route their points again by the new epoch. Each run
		// holds every point of its devices, so no device's points get
		// ahead of each other.
		pts = pts[:0:0]
		for _, r := range sealed {
			s.rescaler(r.st.meta.Name).settle()
			pts = append(pts, r.points...)
		}
		s.releaseRuns(runs)
		slices.SortFunc(pts, func(a, b models.Point) int { return cmp.Compare(a.Seq, b.Seq) })
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// appendRuns stores runs in parallel. It returns the runs whose segment
// was sealed, which stored nothing.
func (s *Store) appendRuns(ctx context.Context, runs []run, writer string) ([]run, error) {
	errs := make([]error, len(runs))
	var wg sync.WaitGroup
	for i := range runs[1:] {
		wg.Go(func() { errs[i+1] = s.appendRun(ctx, runs[i+1], writer) })
	}
	errs[0] = s.appendRun(ctx, runs[0], writer)
	wg.Wait()
	var sealed []run
	for i, err := range errs {
		if errors.Is(err, errSegmentSealed) {
			sealed = append(sealed, runs[i])
			errs[i] = nil
		}
	}
	return sealed, errors.Join(errs...)
}

// validateBatch checks the writer contract that Append can check.
func validateBatch(b *models.Batch) error {
	agent, err := WriterAgent(b.Writer)
	if err != nil {
		return err
	}
	var (
		prev       uint64
		lastStream string // the previous point's stream, already checked
		lastDevice string // and device
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
		if p.Device != lastDevice {
			if err := models.ValidateDevice(p.Device); err != nil {
				return fmt.Errorf("%w: point %d: %w", ErrBadBatch, i, err)
			}
			lastDevice = p.Device
		}
		for _, f := range p.Fields {
			if !f.Value.IsValid() {
				return fmt.Errorf("%w: point %d: field %q has no value", ErrBadBatch, i, f.Key)
			}
		}
	}
	return nil
}

// WriterAgent checks a writer id ("agent" or "agent.class") and returns
// its agent. A bad id gives an error wrapping ErrBadBatch.
func WriterAgent(w string) (string, error) {
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

// route splits points by (stream, segment) in the current epochs, keeping
// the points' order within each run. When every point goes to one
// segment (the common case), the run is points itself, not a copy.
func (s *Store) route(ctx context.Context, points []models.Point) ([]run, error) {
	var (
		runs   []run
		counts []int
		cur    *streamState
		last   int     // the previous point's run
		which  []int32 // each point's run, once there is a second run
	)
	for i := range points {
		p := &points[i]
		if cur == nil || cur.meta.Name != p.Stream {
			var err error
			if cur, err = s.stream(ctx, p.Stream, true); err != nil {
				return nil, err
			}
		}
		seg := cur.router.Route(p.Device)
		if len(runs) == 0 || runs[last].st != cur || runs[last].seg != seg {
			// Runs are few (the segments a batch touches): look them up.
			last = slices.IndexFunc(runs, func(r run) bool { return r.st == cur && r.seg == seg })
			if last < 0 {
				last = len(runs)
				runs = append(runs, run{st: cur, seg: seg})
				counts = append(counts, 0)
				if last == 1 {
					which = make([]int32, len(points)) // the points so far are run 0's
				}
			}
		}
		if which != nil {
			which[i] = int32(last)
		}
		counts[last]++
	}
	if len(runs) == 1 {
		runs[0].points = points
		return runs, nil
	}
	for j := range runs {
		runs[j].buf = s.pointBuf(counts[j])
		runs[j].points = (*runs[j].buf)[:0]
	}
	for i, j := range which {
		runs[j].points = append(runs[j].points, points[i])
	}
	return runs, nil
}

// appendRun stores one segment's run of a writer's points. It holds the
// segment's gate open for the whole append, so a seal waits for it; it
// returns errSegmentSealed, storing nothing, if the segment was sealed.
func (s *Store) appendRun(ctx context.Context, r run, writer string) error {
	stream := r.st.meta.Name
	g := s.gate(stream, r.seg)
	g.mu.RLock()
	defer g.mu.RUnlock()
	if g.closed {
		return errSegmentSealed
	}
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
		err := s.appendOnce(ctx, key, g, pts)
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
// the rest after the writer's last message, counting them on g.
func (s *Store) appendOnce(ctx context.Context, key markKey, g *gate, pts []models.Point) error {
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
	if s.hookBeforeAppend != nil {
		s.hookBeforeAppend()
	}
	next, err := s.t1.Append(ctx, key.stream, key.seg, key.writer, last.Pos, pts[i:])
	if err != nil {
		s.marks.forget(key)
		return err
	}
	s.marks.put(key, next.Last)
	g.points.Add(uint64(len(pts) - i))
	g.bytes.Add(uint64(next.Bytes))
	s.metrics.duplicatePoints.Add(float64(i))
	s.metrics.appendPoints.Add(float64(len(pts) - i))
	return nil
}

// dropPredecessorDuplicates drops the points that an earlier owner of
// their device already holds: a retry that crosses an epoch change must
// not store them again in the successor. The earlier owners of a point's
// device are the ancestors of the run's segment (its predecessors,
// theirs, and so on) whose range holds the device's hash. They are
// sealed, and a seal waits for the appends in flight and refuses later
// ones, so the writer's marks in them are final (and cached).
//
// Under the writer contract the points a writer stored in one segment
// are a prefix of those it routed there, so a point at or below the
// writer's mark in an earlier owner of its device was stored there.
func (s *Store) dropPredecessorDuplicates(ctx context.Context, r run, writer string) ([]models.Point, error) {
	ancestors, err := s.ancestors(r.st.meta.Name, &r.st.meta.Layout, r.seg)
	if err != nil || len(ancestors) == 0 {
		return r.points, err
	}
	type owner struct {
		ancestor
		mark  uint64
		known bool
	}
	owners := make([]owner, len(ancestors))
	for i, a := range ancestors {
		owners[i].ancestor = a
	}
	var out []models.Point // nil until the first duplicate
	for i := range r.points {
		p := &r.points[i]
		h := segment.Hash(p.Device)
		dup := false
		for j := range owners {
			o := &owners[j]
			if !o.rng.Contains(h) {
				continue
			}
			if !o.known {
				m, err := s.sealedMark(ctx, r.st.meta.Name, o.id, writer)
				if err != nil {
					return nil, err
				}
				o.mark, o.known = m, true
			}
			if p.Seq <= o.mark {
				dup = true
				break
			}
		}
		switch {
		case dup && out == nil:
			out = append(make([]models.Point, 0, len(r.points)), r.points[:i]...)
		case !dup && out != nil:
			out = append(out, *p)
		}
	}
	if out == nil {
		return r.points, nil
	}
	return out, nil
}

// sealedMark returns writer's final mark in a sealed segment: from the
// last message of the writer that tier 1 holds, else (tiering trimmed it,
// after recording the mark) from the chunk index.
func (s *Store) sealedMark(ctx context.Context, stream, seg, writer string) (uint64, error) {
	key := markKey{stream: stream, seg: seg, writer: writer}
	if m, ok := s.finalMark(key); ok {
		return m, nil
	}
	last, err := s.t1.Last(ctx, stream, seg, writer)
	if err != nil && !errors.Is(err, tier1.ErrNoSegment) {
		return 0, err
	}
	m := last.Mark
	if last.Pos == 0 {
		if m, err = s.meta.Mark(stream, seg, writer); err != nil {
			return 0, err
		}
	}
	s.putFinalMark(key, m)
	return m, nil
}
