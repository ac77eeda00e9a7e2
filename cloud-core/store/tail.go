package store

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/tributary-iot/tributary/cloud-core/segment"
	"github.com/tributary-iot/tributary/models"
)

// ErrBehindRetention is returned (wrapped) by Tail when a position it
// must read from was deleted by retention: the reader fell off the
// retained history and must start again from a later cut or "now".
var ErrBehindRetention = errors.New("position was deleted by retention")

// tailBatchPoints is the most points a tail hands over at a time.
const tailBatchPoints = 1024

// tailProgressEvery is how many skipped messages and chunks (all filtered
// out) a segment reader passes before it reports its position anyway.
const tailProgressEvery = 256

// TailOptions say where a tail starts and what it keeps.
type TailOptions struct {
	// From is where to start, one position per segment (the next message
	// to read, as in models.StreamCut). nil starts at the live end
	// ("now"). A segment the cut does not name is behind it when one of
	// its successors is named, and otherwise starts at its beginning once
	// its predecessors are read; so an empty cut reads everything
	// retained.
	From *models.StreamCut
	// Device keeps only that device's points; "" keeps all.
	Device string
	// Start keeps only points with a device time at or after it (Unix
	// ns; 0 keeps all): with From an empty cut, a resume by time.
	Start int64
	// Segments, if not nil, tails only these segments, each from its
	// position in From (its beginning if From does not name it, its end
	// if From is nil), and does not go on to their successors: a reader
	// group hands those out.
	Segments []string
	// Progress, if not nil, is called from fn's goroutine after each run
	// of points handed to fn, and every Heartbeat while nothing comes,
	// with the cut that resumes right after the points handed so far
	// (positions are advanced at message and chunk boundaries only) and
	// whether nothing else is waiting to be handed over (a good moment to
	// flush). It is first called before any point, with the start.
	// An error from it stops the tail and is returned as is.
	Progress func(cut models.StreamCut, idle bool) error
	// Heartbeat is how often Progress is called while nothing arrives
	// (0: only after points).
	Heartbeat time.Duration
	// Finished, if not nil, is called from fn's goroutine when a sealed
	// segment was read to its end (with Segments set, the tail then goes
	// on with the others, and returns nil once all are finished).
	Finished func(seg string) error
}

// TailFunc receives one point of a tail: its segment and tier-1 position
// (for a point read from a tier-2 chunk, the chunk's last position). p is
// only valid during the call.
type TailFunc func(seg string, pos uint64, p *models.Point) error

// Tail calls fn for each point of stream from the start position on, and
// then for each new point as it is appended, until ctx is done (it then
// returns ctx's error) or fn returns an error (returned as is). Catching
// up reads chunks and tier 1 exactly as Read does and passes to following
// the live end without a gap or a duplicate. Each device's points come in
// order, across splits and merges too: a segment's successors are read
// once it and their other predecessors have been read to the end. Points
// of different segments interleave. fn is called from one goroutine at a
// time. A tail holds about two batches of points per segment in memory; a
// slow fn slows only its own tail.
func (s *Store) Tail(ctx context.Context, stream string, opts TailOptions, fn TailFunc) error {
	ss, err := s.stream(ctx, stream, false)
	if err != nil {
		return err
	}
	t := &tailer{s: s, stream: stream, opts: opts, fn: fn, q: Query{Device: opts.Device, Start: opts.Start}}
	if err := t.plan(ctx, &ss.meta.Layout); err != nil {
		return err
	}
	s.metrics.tailReaders.Inc()
	defer s.metrics.tailReaders.Dec()
	return t.run(ctx)
}

// tailer is one running Tail.
type tailer struct {
	s      *Store
	stream string
	opts   TailOptions
	fn     TailFunc
	q      Query

	// The fields below are used by the goroutine that runs Tail only.
	cut      models.StreamCut
	starts   map[string]uint64 // segments to start, by start position
	explicit map[string]bool   // start positions that a cut asked for
	running  map[string]bool
	done     map[string]bool
}

// plan works out where each segment starts and which are already behind.
func (t *tailer) plan(ctx context.Context, l *segment.Layout) error {
	t.cut = models.StreamCut{Stream: t.stream, Positions: map[string]uint64{}}
	t.starts, t.explicit = map[string]uint64{}, map[string]bool{}
	t.running, t.done = map[string]bool{}, map[string]bool{}
	from := t.opts.From
	if from != nil {
		if from.Stream != "" && from.Stream != t.stream {
			return fmt.Errorf("%w: cut of stream %q for stream %q", ErrBadCut, from.Stream, t.stream)
		}
		for seg := range from.Positions {
			if _, err := l.Segment(seg); err != nil {
				return fmt.Errorf("%w: %w", ErrBadCut, err)
			}
		}
	}
	for _, seg := range t.opts.Segments {
		if _, err := l.Segment(seg); err != nil {
			return fmt.Errorf("%w: %w", ErrBadCut, err)
		}
	}
	if from == nil {
		segs := t.opts.Segments
		if segs == nil {
			segs = l.Current().Segments
			if t.q.Device != "" {
				segs = []string{ownerNow(l, t.q.Device)}
			}
		}
		for _, seg := range segs {
			st, err := t.s.t1.State(ctx, t.stream, seg)
			if err != nil {
				return err
			}
			t.starts[seg] = st.Last + 1
		}
		return nil
	}
	if t.opts.Segments != nil {
		for _, seg := range t.opts.Segments {
			t.start(seg, from.Positions)
		}
		return t.checkStarts(ctx)
	}
	markBehindCut(l, from.Positions, t.done)
	for _, seg := range t.ready(l) {
		t.start(seg, from.Positions)
	}
	return t.checkStarts(ctx)
}

// start schedules seg at its position in positions, or its beginning.
func (t *tailer) start(seg string, positions map[string]uint64) {
	p, named := positions[seg]
	t.starts[seg] = max(p, 1)
	t.explicit[seg] = named && p > 1
}

// ready returns the segments that may start now: not started, not done,
// every predecessor done, and (for a device tail) owners of the device.
func (t *tailer) ready(l *segment.Layout) []string {
	var owners []string
	if t.q.Device != "" {
		owners = l.Owners(segment.Hash(t.q.Device))
	}
	var out []string
	for _, seg := range l.Order() {
		if t.done[seg] || t.running[seg] || t.starts[seg] > 0 {
			continue
		}
		if owners != nil && !slices.Contains(owners, seg) {
			continue
		}
		sg, err := l.Segment(seg)
		if err != nil {
			continue
		}
		ok := true
		for _, p := range sg.Predecessors {
			if !t.done[p] && (owners == nil || slices.Contains(owners, p)) {
				ok = false
			}
		}
		if ok {
			out = append(out, seg)
		}
	}
	return out
}

// ownerNow returns the segment that owns device in the current epoch.
func ownerNow(l *segment.Layout, device string) string {
	owners := l.Owners(segment.Hash(device))
	if len(owners) == 0 {
		return l.Current().Segments[0]
	}
	return owners[len(owners)-1]
}

// markBehindCut sets done for the segments behind a cut's positions:
// those the cut does not name that have a named descendant.
func markBehindCut(l *segment.Layout, positions map[string]uint64, done map[string]bool) {
	for _, seg := range l.Order() {
		if _, named := positions[seg]; !named && namedDescendant(l, seg, positions) {
			done[seg] = true
		}
	}
}

// namedDescendant reports whether a successor of seg, at any depth, is
// named in positions.
func namedDescendant(l *segment.Layout, seg string, positions map[string]uint64) bool {
	sg, err := l.Segment(seg)
	if err != nil {
		return false
	}
	for _, s := range sg.Successors {
		if _, ok := positions[s]; ok || namedDescendant(l, s, positions) {
			return true
		}
	}
	return false
}

// checkStarts refuses explicit start positions that cannot be resumed
// exactly: past the end, inside a chunk, or deleted by retention.
func (t *tailer) checkStarts(ctx context.Context) error {
	for seg, pos := range t.starts {
		if !t.explicit[seg] {
			continue
		}
		if err := t.s.checkPosition(ctx, t.stream, seg, pos); err != nil {
			return err
		}
	}
	return nil
}

// checkPosition checks that reading seg may start exactly at pos.
func (s *Store) checkPosition(ctx context.Context, stream, seg string, pos uint64) error {
	if pos <= 1 {
		return nil
	}
	st, err := s.t1.State(ctx, stream, seg)
	if err != nil {
		return err
	}
	if pos > st.Last+1 {
		return fmt.Errorf("%w: %s/%s position %d is past the end (%d)", ErrBadCut, stream, seg, pos, st.Last+1)
	}
	if pos >= st.First && pos <= st.Last {
		return nil // tier 1 still holds it
	}
	snap, err := s.meta.Snapshot(stream, seg, pos, 1)
	if err != nil {
		return err
	}
	if len(snap.Chunks) > 0 && snap.Chunks[0].FirstPos <= pos {
		// A chunk holds pos: it can be entered there if pos is its first
		// position or its rows hold their positions.
		c := snap.Chunks[0]
		if c.FirstPos == pos || c.Positions {
			return nil
		}
		return fmt.Errorf("%s/%s position %d is inside chunk [%d,%d]: %w", stream, seg, pos, c.FirstPos, c.LastPos, ErrCutTiered)
	}
	if pos <= snap.Tiered {
		return fmt.Errorf("%s/%s position %d: %w", stream, seg, pos, ErrBehindRetention)
	}
	return nil
}

// run reads the planned segments (and, unless Segments is set, their
// successors as they become ready) and hands their points to fn.
func (t *tailer) run(ctx context.Context) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	batches := make(chan *tailBatch, 16)
	var wg sync.WaitGroup
	defer func() {
		cancel(nil)
		go func() {
			wg.Wait()
			close(batches)
		}()
		for range batches { // let the segment readers finish
		}
	}()
	launch := func() {
		for seg, pos := range t.starts {
			t.cut.Positions[seg] = pos
			t.running[seg] = true
			explicit := t.explicit[seg]
			wg.Go(func() { t.readSegment(ctx, cancel, seg, pos, explicit, batches) })
		}
		clear(t.starts)
	}
	launch()
	if err := t.progress(true); err != nil {
		return err
	}
	var tick <-chan time.Time
	if t.opts.Heartbeat > 0 {
		tk := time.NewTicker(t.opts.Heartbeat)
		defer tk.Stop()
		tick = tk.C
	}
	lastProgress := time.Now()
	for len(t.running) > 0 {
		var b *tailBatch
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case now := <-tick:
			if now.Sub(lastProgress) >= t.opts.Heartbeat {
				if err := t.progress(true); err != nil {
					return err
				}
				lastProgress = now
			}
			continue
		case b = <-batches:
		}
		for i := range b.points {
			if err := t.fn(b.seg, b.pos[i], &b.points[i]); err != nil {
				return err
			}
		}
		if b.next > 0 {
			t.cut.Positions[b.seg] = b.next
		}
		if b.finished {
			delete(t.running, b.seg)
			t.done[b.seg] = true
			if t.opts.Finished != nil {
				if err := t.opts.Finished(b.seg); err != nil {
					return err
				}
			}
			if t.opts.Segments == nil {
				t.follow()
				launch()
			}
		}
		b.recycle()
		if err := t.progress(len(batches) == 0); err != nil {
			return err
		}
		lastProgress = time.Now()
	}
	return nil
}

// follow schedules the successors that the segments finished so far made
// ready, from their beginning.
func (t *tailer) follow() {
	ss := t.s.cachedStream(t.stream)
	if ss == nil {
		return
	}
	l := &ss.meta.Layout
	for _, seg := range t.ready(l) {
		t.start(seg, nil)
	}
}

func (t *tailer) progress(idle bool) error {
	if t.opts.Progress == nil {
		return nil
	}
	return t.opts.Progress(models.StreamCut{Stream: t.stream, Positions: maps.Clone(t.cut.Positions)}, idle)
}

// readSegment runs one segment's scan, handing batches to the tail.
func (t *tailer) readSegment(ctx context.Context, cancel context.CancelCauseFunc, seg string, pos uint64, explicit bool, out chan<- *tailBatch) {
	sink := &tailSink{ctx: ctx, seg: seg, ch: out, metric: t.s.metrics, free: make(chan *tailBatch, 2)}
	sc := scan{
		s: t.s, stream: t.stream, seg: seg, q: t.q, out: sink, follow: true,
		inside: ErrCutTiered, gaps: true, explicit: explicit, tier1First: explicit,
	}
	err := sc.run(ctx, pos)
	if err == nil && sc.finished {
		err = sink.finish()
	}
	if err != nil {
		cancel(err)
	}
}

// tailBatch is a run of points handed from a segment reader to Tail.
type tailBatch struct {
	seg    string
	pos    []uint64
	points []models.Point
	// next, when not 0, is the position after the last message or chunk
	// whose points were all handed over (with this batch).
	next uint64
	// finished says the segment is sealed and was read to its end.
	finished bool
	// free takes the batch back for reuse.
	free chan<- *tailBatch
}

// recycle hands b back to its segment reader.
func (b *tailBatch) recycle() {
	if b.free == nil {
		return
	}
	select {
	case b.free <- b:
	default:
	}
}

// tailSink collects a segment's points and hands them over at message
// and chunk boundaries.
type tailSink struct {
	ctx    context.Context
	seg    string
	ch     chan<- *tailBatch
	metric *metrics
	free   chan *tailBatch
	cur    *tailBatch
	// skipped counts boundaries passed without a point since the last
	// hand-over.
	skipped int
}

func (t *tailSink) batch() *tailBatch {
	if t.cur == nil {
		select {
		case b := <-t.free:
			b.pos, b.points, b.next, b.finished = b.pos[:0], b.points[:0], 0, false
			t.cur = b
		default:
			t.cur = &tailBatch{seg: t.seg, free: t.free}
		}
	}
	return t.cur
}

func (t *tailSink) point(pos uint64, p *models.Point) error {
	b := t.batch()
	b.pos = append(b.pos, pos)
	if len(b.points) < cap(b.points) {
		b.points = b.points[:len(b.points)+1]
		dst := &b.points[len(b.points)-1]
		fields, tags := dst.Fields[:0], dst.Tags[:0]
		*dst = *p
		dst.Fields = append(fields, p.Fields...)
		dst.Tags = append(tags, p.Tags...)
	} else {
		b.points = append(b.points, p.Clone())
	}
	t.metric.readPoints.Inc()
	if len(b.points) >= tailBatchPoints {
		return t.hand()
	}
	return nil
}

func (t *tailSink) boundary(last uint64) error {
	b := t.batch()
	b.next = last + 1
	if len(b.points) > 0 {
		return t.hand()
	}
	t.skipped++
	if t.skipped >= tailProgressEvery {
		return t.hand()
	}
	return nil
}

// idle hands over what progress is pending before the scan waits.
func (t *tailSink) idle() error {
	if t.cur != nil && (t.cur.next > 0 || len(t.cur.points) > 0) {
		return t.hand()
	}
	return nil
}

// finish hands over the segment's end.
func (t *tailSink) finish() error {
	t.batch().finished = true
	return t.hand()
}

func (t *tailSink) hand() error {
	b := t.cur
	t.cur, t.skipped = nil, 0
	select {
	case t.ch <- b:
		return nil
	case <-t.ctx.Done():
		return context.Cause(t.ctx)
	}
}

func (t *tailSink) covered(int64)  {}
func (t *tailSink) counting() bool { return false }
