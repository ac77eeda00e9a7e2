package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/tributary-iot/tributary/cloud-core/meta"
	"github.com/tributary-iot/tributary/cloud-core/segment"
)

// ErrScaleConflict is returned (wrapped) by SplitSegment and
// MergeSegments when the stream's epoch changed between reading the
// layout and committing the change (another split or merge got there
// first, in another process sharing the metadata). Try again.
var ErrScaleConflict = errors.New("stream epoch changed during a split or merge")

// SplitSegment seals segment seg of stream and gives its key range to
// parts new segments (0: the policy's scaling factor), in a new epoch.
// why describes the load that triggered it (its Kind, Sealed and Created
// are filled in). It returns the stream as stored.
//
// When it returns, no append can land in seg any more (its writer marks
// are final), every append routes by the new epoch, and appends that were
// in flight to seg either completed in it before the seal or are routed
// again, through the predecessor check, to a successor: none is lost,
// doubled or reordered.
func (s *Store) SplitSegment(ctx context.Context, stream, seg string, parts int, why segment.Change) (segment.Stream, error) {
	why.Kind = segment.KindSplit
	return s.rescale(ctx, stream, why, func(st *segment.Stream, now time.Time) (segment.Layout, error) {
		n := parts
		if n == 0 {
			n = st.Policy.Scaling.Parts()
		}
		if n < 2 || n > 16 {
			return segment.Layout{}, fmt.Errorf("%w: split in %d parts (want 2..16)", segment.ErrBadLayout, n)
		}
		return st.Layout.Split(seg, n, now)
	})
}

// MergeSegments seals the active segments segs, whose key ranges must be
// adjacent, and gives their ranges to one new segment, in a new epoch,
// with the same guarantees as SplitSegment.
func (s *Store) MergeSegments(ctx context.Context, stream string, segs []string, why segment.Change) (segment.Stream, error) {
	why.Kind = segment.KindMerge
	return s.rescale(ctx, stream, why, func(st *segment.Stream, now time.Time) (segment.Layout, error) {
		return st.Layout.Merge(segs, now)
	})
}

// rescale runs one split or merge: it computes the new layout, creates
// the new segments' tier-1 streams, seals the old segments (waiting for
// the appends in flight to them), commits the new epoch to the metadata
// and then routes by it.
func (s *Store) rescale(ctx context.Context, stream string, why segment.Change, change func(*segment.Stream, time.Time) (segment.Layout, error)) (segment.Stream, error) {
	if _, err := s.stream(ctx, stream, false); err != nil {
		return segment.Stream{}, err
	}
	r := s.rescaler(stream)
	r.mu.Lock()
	defer r.mu.Unlock()
	cur, err := s.meta.Stream(stream)
	if err != nil {
		return segment.Stream{}, err
	}
	next, err := change(&cur, time.Now())
	if err != nil {
		return segment.Stream{}, fmt.Errorf("cannot %s in stream %q: %w", why.Kind, stream, err)
	}
	ep := &next.Epochs[len(next.Epochs)-1]
	if len(ep.Segments) > segment.MaxSegments {
		return segment.Stream{}, fmt.Errorf("cannot %s in stream %q: %w: more than %d active segments", why.Kind, stream, segment.ErrBadLayout, segment.MaxSegments)
	}
	old := cur.Layout.Current()
	why.Sealed, why.Created = diffSegments(old.Segments, ep.Segments)
	if why.Manual && why.Rate == 0 {
		s.describeLoad(&why, stream, cur.Policy.Scaling)
	}
	ep.Change = &why

	// The successors' streams exist before any append can be routed to
	// them (a crash here leaves empty streams no layout names; the next
	// change reuses their ids).
	for _, id := range why.Created {
		if err := s.t1.Ensure(ctx, stream, id); err != nil {
			return segment.Stream{}, err
		}
	}
	// Seal: wait for the appends in flight, refuse new ones.
	for _, id := range why.Sealed {
		g := s.gate(stream, id)
		g.mu.Lock()
		g.closed = true
		g.mu.Unlock()
	}
	st, err := s.meta.UpdateStream(stream, func(st *segment.Stream) error {
		if n := st.Layout.Current().Number; n != old.Number {
			return fmt.Errorf("%w: epoch %d, was %d", ErrScaleConflict, n, old.Number)
		}
		st.Layout = next
		return nil
	})
	if err != nil {
		// Reopen what the stored layout still has active.
		s.resyncGates(stream, why.Sealed)
		return segment.Stream{}, fmt.Errorf("cannot commit the %s of stream %q: %w", why.Kind, stream, err)
	}
	if _, err := s.cacheStream(st); err != nil {
		return segment.Stream{}, err
	}
	s.epochChanged(stream)
	if s.scale.events != nil {
		s.scale.events.WithLabelValues(stream, why.Kind).Inc()
	}
	s.log.Info("segments "+why.Kind, "stream", stream, "epoch", ep.Number, "sealed", why.Sealed, "created", why.Created,
		"manual", why.Manual, "by", why.By, "window", why.Window, "rate", why.Rate, "target", why.Target)
	st.Layout = st.Layout.Clone()
	return st, nil
}

// resyncGates sets the gates of segs from the stored layout after a
// failed change.
func (s *Store) resyncGates(stream string, segs []string) {
	st, err := s.meta.Stream(stream)
	if err != nil {
		s.log.Error("cannot reload a stream after a failed change: its sealed segments stay sealed", "stream", stream, "err", err)
		return
	}
	if _, err := s.cacheStream(st); err != nil {
		s.log.Error("cannot cache a stream after a failed change", "stream", stream, "err", err)
	}
	for _, id := range segs {
		sg, err := st.Layout.Segment(id)
		g := s.gate(stream, id)
		g.mu.Lock()
		g.closed = err != nil || !sg.Active()
		g.mu.Unlock()
	}
}

// describeLoad fills in the load of the segments a manual change seals,
// from the scaler's last measurement.
func (s *Store) describeLoad(why *segment.Change, stream string, sc segment.Scaling) {
	rates, err := s.meta.StreamRates(stream)
	if err != nil || rates.Segments == nil {
		return
	}
	why.By = sc.By
	if !sc.Auto() {
		why.By = segment.ByPoints
	}
	why.Window, why.Target = segment.WindowShort, sc.Target
	for _, id := range why.Sealed {
		r := rates.Segments[id]
		if why.By == segment.ByBytes {
			why.Rate += r.Bytes.Short
		} else {
			why.Rate += r.Points.Short
		}
	}
}

// diffSegments returns the ids in old but not in next (sealed) and in
// next but not in old (created), each in range order.
func diffSegments(old, next []string) (sealed, created []string) {
	for _, id := range old {
		if !slices.Contains(next, id) {
			sealed = append(sealed, id)
		}
	}
	for _, id := range next {
		if !slices.Contains(old, id) {
			created = append(created, id)
		}
	}
	return sealed, created
}

// StreamLayout returns the stream's policy and successor graph as the
// store routes by them now (a copy).
func (s *Store) StreamLayout(ctx context.Context, stream string) (segment.Stream, error) {
	ss, err := s.stream(ctx, stream, false)
	if err != nil {
		return segment.Stream{}, err
	}
	st := ss.meta
	st.Layout = st.Layout.Clone()
	return st, nil
}

// WaitEpoch waits until stream's current epoch is past after and returns
// the stream then (a copy); it returns at once if it already is. Once a
// layout shows a segment sealed, no append can land in it any more: its
// tier-1 end is final.
func (s *Store) WaitEpoch(ctx context.Context, stream string, after uint64) (segment.Stream, error) {
	for {
		changed := s.epochWatch(stream)
		st, err := s.StreamLayout(ctx, stream)
		if err != nil {
			return segment.Stream{}, err
		}
		if st.Layout.Current().Number > after {
			return st, nil
		}
		select {
		case <-ctx.Done():
			return segment.Stream{}, ctx.Err()
		case <-changed:
		}
	}
}

// ScalingInfo is a stream's scaling state as GET /v1/streams/{stream}
// shows it.
type ScalingInfo struct {
	// Auto reports whether the policy lets the scaler split and merge.
	Auto bool `json:"auto"`
	// RatesAt is when the scaler last measured the rates.
	RatesAt time.Time `json:"rates_at,omitzero"`
	// Rates are the scaler's load averages of the active segments, by id.
	Rates map[string]meta.SegmentRates `json:"rates,omitempty"`
	// History lists the splits and merges, oldest first.
	History []ScalingEvent `json:"history"`
}

// ScalingEvent is one split or merge: the epoch it began, when, and why.
type ScalingEvent struct {
	// Epoch is the epoch the change began, Time when.
	Epoch uint64    `json:"epoch"`
	Time  time.Time `json:"time"`
	// Change says what changed and the load that triggered it.
	segment.Change
}

// scalingInfo describes the scaling of st.
func (s *Store) scalingInfo(st *segment.Stream) (ScalingInfo, error) {
	info := ScalingInfo{Auto: st.Policy.Scaling.Auto(), History: []ScalingEvent{}}
	for _, ep := range st.Layout.Epochs {
		if ep.Change != nil {
			info.History = append(info.History, ScalingEvent{Epoch: ep.Number, Time: ep.Created, Change: *ep.Change})
		}
	}
	rates, err := s.meta.StreamRates(st.Name)
	if err != nil {
		return info, err
	}
	if rates.At > 0 {
		info.RatesAt = time.Unix(0, rates.At).UTC()
	}
	for _, id := range st.Layout.Current().Segments {
		if r, ok := rates.Segments[id]; ok {
			if info.Rates == nil {
				info.Rates = map[string]meta.SegmentRates{}
			}
			info.Rates[id] = r
		}
	}
	return info, nil
}
