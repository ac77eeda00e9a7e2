package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tributary-iot/tributary/cloud-core/meta"
	"github.com/tributary-iot/tributary/models"
)

// Errors returned by Splits and ReadSplit.
var (
	// ErrSplitExpired is returned (wrapped) by ReadSplit when a split's
	// positions can no longer be read exactly: after the split's lease
	// ran out, tiering rewrote them into a chunk that also holds
	// positions outside the split and, written by an earlier version,
	// keeps no per-row positions. List the splits again.
	ErrSplitExpired = errors.New("split can no longer be read exactly")
	// ErrBadSplit is returned (wrapped) for a split token that does not
	// decode, or a split that names a segment the stream does not have.
	ErrBadSplit = errors.New("invalid split")
)

// DefaultSplitLease is how long Splits keeps the tier-1 ranges it hands
// out from being trimmed, so that they stay exactly readable.
const DefaultSplitLease = 10 * time.Minute

// tier1SplitBytes is about how many tier-1 bytes (compressed) one split
// of a tier-1 range covers.
const tier1SplitBytes = 4 << 20

// Split is one independent piece of a stream's history: a range of
// positions of one segment, with the time bounds of the listing. The
// splits of one listing hold every point of its range exactly once,
// whichever tier each is in when it is read.
type Split struct {
	// Stream and Segment say whose positions the split holds.
	Stream  string `json:"stream"`
	Segment string `json:"segment"`
	// First and Last bound the positions, inclusive.
	First uint64 `json:"first"`
	Last  uint64 `json:"last"`
	// Start and End bound the points' device times to [Start, End), Unix
	// ns; 0 leaves a side open.
	Start int64 `json:"start,omitempty"`
	End   int64 `json:"end,omitempty"`
	// Tier is where the positions were when the split was listed: 2 for
	// whole tier-2 chunks, 1 for a tier-1 range.
	Tier int `json:"tier"`
	// Points is the number of points in the split's chunks (tier 2; the
	// time bounds may keep fewer); 0 when not known.
	Points int64 `json:"points,omitempty"`
	// Messages is the number of tier-1 messages (tier 1).
	Messages uint64 `json:"messages,omitempty"`
	// MinTime and MaxTime bound the device times of the chunks' points
	// (tier 2).
	MinTime int64 `json:"min_time,omitempty"`
	MaxTime int64 `json:"max_time,omitempty"`
}

// SplitOptions say which part of a stream Splits cuts up.
type SplitOptions struct {
	// Start and End bound the points' device times to [Start, End), Unix
	// ns; 0 leaves a side open.
	Start, End int64
	// TargetPoints is about how many points a split of chunks holds
	// (adjacent small chunks are joined up to it; 0: DefaultChunkPoints).
	TargetPoints int64
	// Lease is how long the tier-1 ranges listed stay in tier 1 (0:
	// DefaultSplitLease, negative: no lease). A tier-1 split read after
	// its lease reads its positions from the chunks tiering moved them
	// to; only chunks without per-row positions (written by earlier
	// versions) make it fail with ErrSplitExpired.
	Lease time.Duration
}

// Splits cuts the points of stream with device times in [Start, End) into
// independent splits that parallel readers can read with ReadSplit: every
// segment's chunks (those whose time bounds meet the range), joined up to
// TargetPoints, and its tier-1 messages up to the end, in pieces. Together
// the splits hold every such point stored when Splits ran exactly once,
// in segment order (a segment after its predecessors).
func (s *Store) Splits(ctx context.Context, stream string, opts SplitOptions) ([]Split, error) {
	ss, err := s.stream(ctx, stream, false)
	if err != nil {
		return nil, err
	}
	if opts.TargetPoints <= 0 {
		opts.TargetPoints = DefaultChunkPoints
	}
	if opts.Lease == 0 {
		opts.Lease = DefaultSplitLease
	}
	var out []Split
	for _, seg := range ss.meta.Layout.Order() {
		if out, err = s.segmentSplits(ctx, stream, seg, opts, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// segmentSplits appends the splits of one segment to out.
func (s *Store) segmentSplits(ctx context.Context, stream, seg string, opts SplitOptions, out []Split) ([]Split, error) {
	// Hold every trim of the segment while listing: the tier-1 range
	// found after the last chunk is then still whole in tier 1.
	lease := s.seg(stream, seg).fence.enter(1)
	held := false
	defer func() {
		if !held {
			lease.leave()
		}
	}()
	q := Query{Start: opts.Start, End: opts.End}
	var (
		cur  *Split
		pos  = uint64(1)
		snap meta.Snapshot
		err  error
	)
	flush := func() {
		if cur != nil {
			out = append(out, *cur)
			cur = nil
		}
	}
	for {
		if snap, err = s.meta.Snapshot(stream, seg, pos, snapshotChunks); err != nil {
			return nil, err
		}
		for _, c := range snap.Chunks {
			pos = c.LastPos + 1
			if !q.overlaps(c.MinTime, c.MaxTime) || c.Rows == 0 {
				flush()
				continue
			}
			if cur != nil && (cur.Last+1 != c.FirstPos || cur.Points+c.Rows > opts.TargetPoints) {
				flush()
			}
			if cur == nil {
				cur = &Split{Stream: stream, Segment: seg, First: c.FirstPos, Start: opts.Start, End: opts.End, Tier: 2, MinTime: c.MinTime, MaxTime: c.MaxTime}
			}
			cur.Last = c.LastPos
			cur.Points += c.Rows
			cur.MinTime, cur.MaxTime = min(cur.MinTime, c.MinTime), max(cur.MaxTime, c.MaxTime)
		}
		if !snap.More {
			break
		}
	}
	flush()
	st, err := s.t1.State(ctx, stream, seg)
	if err != nil {
		return nil, err
	}
	first := snap.Tiered + 1
	if st.Last < first || st.Msgs == 0 {
		return out, nil
	}
	if opts.Lease > 0 {
		// The tier-1 range [first, st.Last] stays in tier 1 for the lease.
		lease.move(first)
		held = true
		time.AfterFunc(opts.Lease, lease.leave)
	}
	n := st.Last - first + 1
	pieces := (st.Bytes/st.Msgs*n + tier1SplitBytes - 1) / tier1SplitBytes
	pieces = min(max(pieces, 1), n)
	step := (n + pieces - 1) / pieces
	for lo := first; lo <= st.Last; lo += step {
		hi := min(lo+step-1, st.Last)
		out = append(out, Split{Stream: stream, Segment: seg, First: lo, Last: hi, Start: opts.Start, End: opts.End, Tier: 1, Messages: hi - lo + 1})
	}
	return out, nil
}

// ReadSplit calls fn for every point of the split with a device time in
// its bounds: the points stored at its positions, from tier 1 or from the
// chunks that replaced them. Each device's points come in order. The
// point passed to fn is only valid during the call; an error from fn
// stops ReadSplit and is returned as is. Chunks deleted by retention are
// skipped, as Read does.
func (s *Store) ReadSplit(ctx context.Context, sp Split, fn func(*models.Point) error) error {
	ss, err := s.stream(ctx, sp.Stream, false)
	if err != nil {
		return err
	}
	if _, err := ss.meta.Layout.Segment(sp.Segment); err != nil {
		return fmt.Errorf("%w: %w", ErrBadSplit, err)
	}
	if sp.First == 0 || sp.Last < sp.First {
		return fmt.Errorf("%w: positions [%d,%d]", ErrBadSplit, sp.First, sp.Last)
	}
	sc := scan{
		s: s, stream: sp.Stream, seg: sp.Segment, q: Query{Start: sp.Start, End: sp.End},
		out: &funcSink{fn: fn, metric: s.metrics}, end: sp.Last, bounded: true, inside: ErrSplitExpired,
	}
	// A tier-1 range is read from tier 1 while its lease keeps it there.
	sc.tier1First = sp.Tier == 1
	return sc.run(ctx, sp.First)
}
