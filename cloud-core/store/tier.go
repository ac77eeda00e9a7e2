package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tributary-iot/tributary/cloud-core/meta"
	"github.com/tributary-iot/tributary/cloud-core/tier1"
	"github.com/tributary-iot/tributary/cloud-core/tier2"
	"github.com/tributary-iot/tributary/models"
)

// TierOptions say which tier-1 messages a tiering run moves.
type TierOptions struct {
	// Before moves only messages stored before this time; the zero time
	// moves everything tier 1 holds.
	Before time.Time
}

// TierResult counts what a tiering run moved.
type TierResult struct {
	Chunks   int   `json:"chunks"`
	Points   int64 `json:"points"`
	Messages int64 `json:"messages"`
	Bytes    int64 `json:"bytes"`
}

func (r *TierResult) add(o TierResult) {
	r.Chunks += o.Chunks
	r.Points += o.Points
	r.Messages += o.Messages
	r.Bytes += o.Bytes
}

// Tier moves closed tier-1 ranges of every segment of stream into tier-2
// chunks. For each segment, in a loop: read the messages after the
// segment's tiered position (up to the chunk size, and only those stored
// before opts.Before), write them as a chunk, index the chunk together
// with the writer marks of the range and the new tiered position in one
// metadata transaction, and then trim tier 1 up to there (not past any
// reader still in that range). A crash at any step leaves either an
// unindexed file (removed by Open's sweep) or an indexed chunk whose trim
// Open finishes.
func (s *Store) Tier(ctx context.Context, stream string, opts TierOptions) (TierResult, error) {
	ss, err := s.stream(ctx, stream, false)
	if err != nil {
		return TierResult{}, err
	}
	var total TierResult
	for _, seg := range ss.meta.Layout.Order() {
		r, err := s.tierSegment(ctx, stream, seg, opts.Before)
		total.add(r)
		if err != nil {
			s.metrics.tieringErrors.Inc()
			return total, err
		}
	}
	return total, nil
}

func (s *Store) tierSegment(ctx context.Context, stream, seg string, before time.Time) (TierResult, error) {
	ss := s.seg(stream, seg)
	ss.tierMu.Lock()
	defer ss.tierMu.Unlock()
	var total TierResult
	state, err := s.meta.SegmentState(stream, seg)
	if err != nil {
		return total, err
	}
	tiered := state.Tiered
	if err := s.trim(ctx, stream, seg, tiered); err != nil {
		return total, err
	}
	for {
		c, err := s.collect(ctx, stream, seg, tiered+1, before)
		if err != nil || len(c.points) == 0 {
			return total, err
		}
		spec := tier2.ChunkSpec{Stream: stream, Segment: seg, FirstPos: tiered + 1, LastPos: c.last, Positions: c.positions}
		info, err := s.t2.Write(ctx, spec, c.points)
		if err != nil {
			return total, fmt.Errorf("cannot write chunk of %s/%s [%d,%d]: %w", stream, seg, spec.FirstPos, spec.LastPos, err)
		}
		entry := meta.Chunk{
			Path: info.Path, Stream: stream, Segment: seg, FirstPos: spec.FirstPos, LastPos: spec.LastPos,
			MinTime: info.MinTime, MaxTime: info.MaxTime, MinDevice: info.MinDevice, MaxDevice: info.MaxDevice,
			Rows: info.Rows, Bytes: info.Bytes, Positions: info.Positions,
		}
		if err := s.meta.CommitChunk(entry, c.marks); err != nil {
			return total, fmt.Errorf("cannot index chunk %s: %w", info.Path, err)
		}
		tiered = c.last
		total.add(TierResult{Chunks: 1, Points: info.Rows, Messages: c.messages, Bytes: info.Bytes})
		s.metrics.tieredChunks.Inc()
		s.metrics.tieredPoints.Add(float64(info.Rows))
		s.log.Debug("tiered", "stream", stream, "segment", seg, "first", spec.FirstPos, "last", spec.LastPos, "points", info.Rows, "path", info.Path)
		if err := s.trim(ctx, stream, seg, tiered); err != nil {
			return total, err
		}
	}
}

// collected is one chunk's worth of tier-1 messages.
type collected struct {
	points []models.Point
	// positions holds each point's tier-1 position.
	positions []uint64
	marks     map[string]uint64
	last      uint64
	messages  int64
}

// collect reads tier-1 messages from position from on, stopping at the
// chunk size, at the first message stored at or after before (unless
// before is zero), or at the end.
func (s *Store) collect(ctx context.Context, stream, seg string, from uint64, before time.Time) (collected, error) {
	c := collected{marks: map[string]uint64{}}
	pos := from
	for len(c.points) < s.opts.ChunkPoints {
		m, err := s.t1.Next(ctx, stream, seg, pos)
		if errors.Is(err, tier1.ErrNoMessage) {
			break
		}
		if err != nil {
			return c, err
		}
		if !before.IsZero() && !m.Stored.Before(before) {
			break
		}
		var b models.Batch
		if err := m.Decode(s.codec, &b); err != nil {
			return c, err
		}
		c.points = append(c.points, b.Points...)
		for range b.Points {
			c.positions = append(c.positions, m.Pos)
		}
		c.marks[m.Summary.Writer] = max(c.marks[m.Summary.Writer], m.Summary.Mark)
		c.last = m.Pos
		c.messages++
		pos = m.Pos + 1
	}
	return c, nil
}

// trim removes tier-1 messages up to position tiered, but none at or after
// the position of a reader still in tier 1.
func (s *Store) trim(ctx context.Context, stream, seg string, tiered uint64) error {
	if tiered == 0 {
		return nil
	}
	ss := s.seg(stream, seg)
	keep := min(tiered+1, ss.fence.min())
	ss.trimMu.Lock()
	defer ss.trimMu.Unlock()
	return s.t1.Purge(ctx, stream, seg, keep)
}
