package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tributary-iot/tributary/cloud-core/meta"
	"github.com/tributary-iot/tributary/cloud-core/segment"
	"github.com/tributary-iot/tributary/cloud-core/tier1"
	"github.com/tributary-iot/tributary/cloud-core/tier2"
	"github.com/tributary-iot/tributary/models"
)

// snapshotChunks is how many chunk index entries a reader loads at a time.
const snapshotChunks = 256

// tailPoll is how often a tail re-checks an idle segment even without a
// new-message signal (and notices that its segment was sealed).
const tailPoll = 2 * time.Second

// Query selects points of a stream.
type Query struct {
	// Start and End bound the points' device times to [Start, End), in
	// Unix ns; 0 leaves that side open.
	Start, End int64
	// Device keeps only that device's points; "" keeps all.
	Device string
	// Fields, when not nil, asks only for the fields with these keys:
	// points read from tier-2 chunks then hold no others (points from
	// tier 1 hold all theirs, so the caller still picks). nil reads all.
	Fields []string
}

func (q *Query) matchTime(t int64) bool {
	return (q.Start == 0 || t >= q.Start) && (q.End == 0 || t < q.End)
}

func (q *Query) match(p *models.Point) bool {
	return q.matchTime(p.Time) && (q.Device == "" || p.Device == q.Device)
}

// overlaps reports whether points with times in [lo, hi] may match.
func (q *Query) overlaps(lo, hi int64) bool {
	return (q.Start == 0 || hi >= q.Start) && (q.End == 0 || lo < q.End)
}

// covers reports whether every point with a time in [lo, hi] matches.
func (q *Query) covers(lo, hi int64) bool {
	return q.Device == "" && q.matchTime(lo) && q.matchTime(hi)
}

// segments returns the segments a query visits, predecessors first: a
// device's owners, or every segment.
func (q *Query) segments(l *segment.Layout) []string {
	if q.Device != "" {
		return l.Owners(segment.Hash(q.Device))
	}
	return l.Order()
}

// sink receives what a segment scan finds.
type sink interface {
	// point is called for each matching point; p is only valid during
	// the call. pos is the point's tier-1 position (for a tier-2 point,
	// the last position of its chunk).
	point(pos uint64, p *models.Point) error
	// covered is called instead of point for a whole message or chunk of
	// n points that all match, when the sink only counts (see counting).
	covered(n int64)
	// boundary is called after each tier-1 message and each chunk the
	// scan passed, read or skipped; last is its last position.
	boundary(last uint64) error
	// idle is called when a following scan has caught up with the end
	// and is about to wait for more.
	idle() error
	// counting reports whether covered may replace point calls.
	counting() bool
}

// Read calls fn for every point of stream that q selects: segment after
// segment (a segment after its predecessors), each segment's tier-2
// chunks in position order and then its tier-1 messages, up to what tier
// 1 held when the segment's turn came. Each device's points come in order:
// by (time, seq) within a chunk, in append order in tier 1 and from chunk
// to chunk. No point comes twice and none is skipped, even while tiering
// moves data from tier 1 to tier 2. The point passed to fn is only valid
// during the call. An error from fn stops Read and is returned as is.
func (s *Store) Read(ctx context.Context, stream string, q Query, fn func(*models.Point) error) error {
	return s.readAll(ctx, stream, q, &funcSink{fn: fn, metric: s.metrics})
}

// Count returns how many points of stream q selects. Chunks and messages
// that match whole are counted from the index and headers, unread.
func (s *Store) Count(ctx context.Context, stream string, q Query) (int64, error) {
	c := &countSink{}
	err := s.readAll(ctx, stream, q, c)
	return c.n, err
}

func (s *Store) readAll(ctx context.Context, stream string, q Query, out sink) error {
	ss, err := s.stream(ctx, stream, false)
	if err != nil {
		return err
	}
	for _, seg := range q.segments(&ss.meta.Layout) {
		st, err := s.t1.State(ctx, stream, seg)
		if err != nil {
			return err
		}
		sc := scan{s: s, stream: stream, seg: seg, q: q, out: out, end: st.Last}
		if err := sc.run(ctx, 1); err != nil {
			return err
		}
	}
	return nil
}

// scan reads one segment across both tiers.
type scan struct {
	s           *Store
	stream, seg string
	q           Query
	out         sink
	// end is the last tier-1 position to read, unless follow is set.
	end uint64
	// bounded also stops at end in tier 2: chunks that start after end
	// are not read, and one that holds end and more is an error (a split
	// read must hold exactly its positions).
	bounded bool
	// follow waits for new messages at the end instead of stopping; a
	// following scan of a sealed segment stops once it has read it all
	// (see finished).
	follow bool
	// inside is returned (wrapped) when the start position lies inside
	// a chunk; nil treats that as a broken invariant.
	inside error
	// tier1First starts in tier 1 when it still holds the start
	// position, even if tiering has copied it into a chunk: a position
	// inside a chunk can only be resumed from tier 1.
	tier1First bool
	// fromTier1 records that the scan started in tier 1 that way: a
	// trim racing with it shows as a chunk around the position reached.
	fromTier1 bool
	// gaps refuses to pass over positions that retention deleted (the
	// start excepted when explicit is false).
	gaps bool
	// explicit says the start position was asked for (a cut), not just
	// the beginning of the segment.
	explicit bool
	// finished is set when a following scan has read a sealed segment
	// to its end.
	finished bool
	batch    models.Batch
}

// run scans the segment from position from on.
func (sc *scan) run(ctx context.Context, from uint64) error {
	from = max(from, 1)
	pos := from
	if sc.tier1First {
		moved, err := sc.tier1(ctx, &pos, true)
		if err != nil || !moved {
			return err
		}
	}
	for {
		snap, err := sc.s.meta.Snapshot(sc.stream, sc.seg, pos, snapshotChunks)
		if err != nil {
			return err
		}
		for _, c := range snap.Chunks {
			if sc.bounded && c.FirstPos > sc.end {
				return nil
			}
			fromPos := c.FirstPos // the chunk is read from this position on
			if c.FirstPos < pos {
				if (pos == from || sc.fromTier1) && sc.inside != nil {
					// A resume inside the chunk: its rows hold their
					// positions, unless it was written before they did.
					if !c.Positions {
						return fmt.Errorf("%s/%s position %d is inside chunk [%d,%d]: %w", sc.stream, sc.seg, pos, c.FirstPos, c.LastPos, sc.inside)
					}
					fromPos = pos
				} else {
					// Chunks are contiguous and the fence keeps trims behind
					// readers in tier 1: a chunk never starts behind a
					// position a reader reached.
					return fmt.Errorf("BUG: %s/%s: chunk [%d,%d] starts before read position %d", sc.stream, sc.seg, c.FirstPos, c.LastPos, pos)
				}
			}
			if c.FirstPos > pos {
				if err := sc.gap(pos, c.FirstPos-1, from); err != nil {
					return err
				}
			}
			var toPos uint64 // the chunk is read up to this position (0: to its end)
			if sc.bounded && c.LastPos > sc.end {
				if !c.Positions {
					return fmt.Errorf("%s/%s positions [%d,%d] end inside chunk [%d,%d]: %w", sc.stream, sc.seg, from, sc.end, c.FirstPos, c.LastPos, ErrSplitExpired)
				}
				toPos = sc.end
			}
			if err := sc.chunk(ctx, &c, fromPos, toPos); err != nil {
				return err
			}
			pos = c.LastPos + 1
		}
		if snap.More {
			continue
		}
		if snap.Tiered >= pos {
			// The chunks after pos were deleted by retention.
			if err := sc.gap(pos, snap.Tiered, from); err != nil {
				return err
			}
			pos = snap.Tiered + 1
		}
		if sc.bounded && pos > sc.end {
			return nil
		}
		moved, err := sc.tier1(ctx, &pos, false)
		if err != nil || !moved {
			return err
		}
		// Tiering trimmed tier 1 past pos: the chunks hold the rest.
	}
}

// gap handles positions [lo, hi] that no chunk holds any more.
func (sc *scan) gap(lo, hi, from uint64) error {
	if !sc.gaps || lo == from && !sc.explicit {
		return nil
	}
	return fmt.Errorf("%s/%s positions [%d,%d] were deleted by retention: %w", sc.stream, sc.seg, lo, hi, ErrBehindRetention)
}

// chunk reads one tier-2 chunk: its rows of positions fromPos to toPos
// (0: to its end).
func (sc *scan) chunk(ctx context.Context, c *meta.Chunk, fromPos, toPos uint64) error {
	q := &sc.q
	path, last := c.Path, c.LastPos
	if !q.overlaps(c.MinTime, c.MaxTime) || q.Device != "" && (q.Device < c.MinDevice || q.Device > c.MaxDevice) {
		return sc.out.boundary(last)
	}
	if sc.out.counting() && fromPos == c.FirstPos && toPos == 0 && q.covers(c.MinTime, c.MaxTime) {
		sc.out.covered(c.Rows)
		return sc.out.boundary(last)
	}
	// The filter selects exactly the points q matches.
	f := tier2.Filter{Start: q.Start, End: q.End, Device: q.Device, Fields: q.Fields, FromPos: fromPos, ToPos: toPos}
	var err error
	if sc.out.counting() {
		var n int64
		if n, err = sc.s.t2.Count(ctx, path, f); err == nil {
			sc.out.covered(n)
		}
	} else {
		err = sc.s.t2.Read(ctx, path, f, func(p *models.Point) error {
			return sc.out.point(last, p)
		})
	}
	if errors.Is(err, tier2.ErrNotFound) {
		// Retention deleted the chunk after the snapshot was taken.
		sc.s.log.Debug("chunk gone during a read", "path", path)
		if sc.gaps {
			return fmt.Errorf("%s/%s chunk %s was deleted by retention: %w", sc.stream, sc.seg, path, ErrBehindRetention)
		}
		return sc.out.boundary(last)
	}
	if err != nil {
		return err
	}
	return sc.out.boundary(last)
}

// tier1 reads tier-1 messages from *pos on. It returns moved when tiering
// trimmed tier 1 past *pos (the caller goes back to the chunk index).
// With held, it reads tier 1 from *pos if tier 1 holds the message there,
// tiered or not, and otherwise returns moved.
func (sc *scan) tier1(ctx context.Context, pos *uint64, held bool) (moved bool, err error) {
	seg := sc.s.seg(sc.stream, sc.seg)
	reader := seg.fence.enter(*pos)
	defer reader.leave()
	var first *tier1.Message // the message at *pos, when held fetched it
	if held {
		m, err := sc.s.t1.Next(ctx, sc.stream, sc.seg, *pos)
		if errors.Is(err, tier1.ErrNoMessage) || err == nil && m.Pos != *pos {
			return true, nil
		}
		if err != nil {
			return false, err
		}
		sc.fromTier1 = true
		first = &m
	} else {
		// A trim that decided what to keep before the fence took this
		// reader may not have purged yet: the reader would read messages
		// at *pos and then find the rest gone, inside a chunk. Such a
		// trim follows a commit that moved the tiered position, so look
		// again.
		st, err := sc.s.meta.SegmentState(sc.stream, sc.seg)
		if err != nil {
			return false, err
		}
		if st.Tiered >= *pos {
			return true, nil
		}
	}
	var wake <-chan struct{}
	if sc.follow {
		ch, stop, err := sc.s.t1.Watch(ctx, sc.stream, sc.seg)
		if err != nil {
			return false, err
		}
		defer stop()
		wake = ch
	}
	sealed := false
	for {
		if !sc.follow && *pos > sc.end {
			return false, nil
		}
		var m tier1.Message
		var err error
		if first != nil {
			m, first = *first, nil
		} else {
			m, err = sc.s.t1.Next(ctx, sc.stream, sc.seg, *pos)
		}
		if errors.Is(err, tier1.ErrNoMessage) || err == nil && m.Pos > *pos {
			// Nothing at *pos: the end, or tiering trimmed it (between
			// the caller's snapshot and the fence) into a chunk.
			st, serr := sc.s.meta.SegmentState(sc.stream, sc.seg)
			if serr != nil {
				return false, serr
			}
			if st.Tiered >= *pos {
				return true, nil
			}
			if err == nil {
				sc.s.log.Warn("tier-1 positions missing", "stream", sc.stream, "segment", sc.seg, "from", *pos, "to", m.Pos-1)
			}
		}
		if errors.Is(err, tier1.ErrNoMessage) {
			if !sc.follow {
				return false, nil
			}
			if sealed {
				// Sealed before the last look: nothing more can come.
				sc.finished = true
				return false, nil
			}
			// Watch the epoch before looking at the seal, so that a
			// split or merge right after the look wakes the wait.
			epoch := sc.s.epochWatch(sc.stream)
			if sc.s.sealed(sc.stream, sc.seg) {
				// A sealed segment takes no more appends; one more look
				// finds whatever was stored before the seal.
				sealed = true
				continue
			}
			if err := sc.out.idle(); err != nil {
				return false, err
			}
			select {
			case <-ctx.Done():
				return false, ctx.Err()
			case <-wake:
			case <-epoch:
			case <-time.After(tailPoll):
			}
			continue
		}
		if err != nil {
			return false, err
		}
		if !sc.follow && m.Pos > sc.end {
			return false, nil
		}
		if err := sc.message(&m); err != nil {
			return false, err
		}
		*pos = m.Pos + 1
		reader.move(*pos)
	}
}

// sealed reports whether the cached layout of stream says seg is sealed.
func (s *Store) sealed(stream, seg string) bool {
	ss := s.cachedStream(stream)
	if ss == nil {
		return false
	}
	sg, err := ss.meta.Layout.Segment(seg)
	return err == nil && !sg.Active()
}

// message handles one tier-1 message.
func (sc *scan) message(m *tier1.Message) error {
	q := &sc.q
	if !q.overlaps(m.Summary.MinTime, m.Summary.MaxTime) {
		return sc.out.boundary(m.Pos)
	}
	if sc.out.counting() && q.covers(m.Summary.MinTime, m.Summary.MaxTime) {
		sc.out.covered(int64(m.Summary.Points))
		return sc.out.boundary(m.Pos)
	}
	if err := m.Decode(sc.s.codec, &sc.batch); err != nil {
		return err
	}
	for i := range sc.batch.Points {
		p := &sc.batch.Points[i]
		if !q.match(p) {
			continue
		}
		if err := sc.out.point(m.Pos, p); err != nil {
			return err
		}
	}
	return sc.out.boundary(m.Pos)
}

// funcSink passes points to a callback.
type funcSink struct {
	fn     func(*models.Point) error
	metric *metrics
}

func (f *funcSink) point(_ uint64, p *models.Point) error {
	f.metric.readPoints.Inc()
	return f.fn(p)
}
func (f *funcSink) covered(int64)         {}
func (f *funcSink) boundary(uint64) error { return nil }
func (f *funcSink) idle() error           { return nil }
func (f *funcSink) counting() bool        { return false }

// countSink counts points.
type countSink struct{ n int64 }

func (c *countSink) point(uint64, *models.Point) error { c.n++; return nil }
func (c *countSink) covered(n int64)                   { c.n += n }
func (c *countSink) boundary(uint64) error             { return nil }
func (c *countSink) idle() error                       { return nil }
func (c *countSink) counting() bool                    { return true }
