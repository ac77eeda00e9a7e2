package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tributary-iot/tributary/cloud-core/meta"
	"github.com/tributary-iot/tributary/cloud-core/segment"
	"github.com/tributary-iot/tributary/cloud-core/tier1"
)

// stream returns the named stream, creating it with the default policy
// when create is set and it does not exist.
func (s *Store) stream(ctx context.Context, name string, create bool) (*streamState, error) {
	if ss := s.cachedStream(name); ss != nil {
		return ss, nil
	}
	st, err := s.meta.Stream(name)
	if err == nil {
		return s.cacheStream(st)
	}
	if !errors.Is(err, meta.ErrNotFound) {
		return nil, err
	}
	if !create {
		return nil, fmt.Errorf("%w: %q", ErrUnknownStream, name)
	}
	ss, _, err := s.create(ctx, name, s.opts.DefaultPolicy)
	return ss, err
}

// create makes a stream with policy p unless it exists; it returns the
// stream and whether this call made it. The metadata record comes first,
// then the segments' tier-1 streams (Open re-creates any a crash missed).
func (s *Store) create(ctx context.Context, name string, p segment.Policy) (*streamState, bool, error) {
	s.createMu.Lock()
	defer s.createMu.Unlock()
	fresh, err := segment.New(name, p, time.Now())
	if err != nil {
		return nil, false, err
	}
	st, created, err := s.meta.CreateStream(fresh)
	if err != nil {
		return nil, false, err
	}
	for _, seg := range st.Layout.Segments {
		if err := s.t1.Ensure(ctx, name, seg.ID); err != nil {
			return nil, false, err
		}
	}
	if created {
		s.log.Info("stream created", "stream", name, "segments", p.Segments)
	}
	ss, err := s.cacheStream(st)
	return ss, created, err
}

// PutStream creates the stream with policy p, or sets the policy of an
// existing stream. An existing stream keeps its segments: p.Segments only
// applies at creation (the scaler changes segments). It reports whether
// the stream was created.
func (s *Store) PutStream(ctx context.Context, name string, p segment.Policy) (StreamInfo, bool, error) {
	if err := p.Validate(); err != nil {
		return StreamInfo{}, false, err
	}
	_, created, err := s.create(ctx, name, p)
	if err != nil {
		return StreamInfo{}, false, err
	}
	if !created {
		st, err := s.meta.UpdateStream(name, func(st *segment.Stream) error {
			st.Policy = p
			return nil
		})
		if err != nil {
			return StreamInfo{}, false, err
		}
		if _, err := s.cacheStream(st); err != nil {
			return StreamInfo{}, false, err
		}
	}
	info, err := s.Stream(ctx, name)
	return info, created, err
}

// StreamInfo describes a stream: its policy, epochs and segments with
// what each tier holds.
type StreamInfo struct {
	Name    string          `json:"name"`
	Policy  segment.Policy  `json:"policy"`
	Created time.Time       `json:"created"`
	Epoch   uint64          `json:"epoch"`
	Epochs  []segment.Epoch `json:"epochs"`
	// Segments lists every segment, sealed ones included.
	Segments []SegmentInfo `json:"segments"`
	// Tier1Messages, Tier2Points and Tier2Bytes sum the segments'.
	Tier1Messages uint64 `json:"tier1_messages"`
	Tier1Bytes    uint64 `json:"tier1_bytes"`
	Tier2Chunks   int64  `json:"tier2_chunks"`
	Tier2Points   int64  `json:"tier2_points"`
	Tier2Bytes    int64  `json:"tier2_bytes"`
	// Scaling shows the scaler's rates and the history of splits and
	// merges (scale.go).
	Scaling ScalingInfo `json:"scaling"`
}

// SegmentInfo describes one segment.
type SegmentInfo struct {
	segment.Segment
	// Tier1 is the extent of the segment's tier-1 stream.
	Tier1 tier1.State `json:"tier1"`
	// Tiered is the last position moved to tier 2.
	Tiered uint64 `json:"tiered"`
	// Chunks, Points and Bytes count the segment's tier-2 chunks.
	Chunks int64 `json:"chunks"`
	Points int64 `json:"points"`
	Bytes  int64 `json:"bytes"`
}

// Streams returns the names of all streams.
func (s *Store) Streams() ([]string, error) {
	all, err := s.meta.Streams()
	if err != nil {
		return nil, err
	}
	names := make([]string, len(all))
	for i, st := range all {
		names[i] = st.Name
	}
	return names, nil
}

// Stream describes the named stream.
func (s *Store) Stream(ctx context.Context, name string) (StreamInfo, error) {
	ss, err := s.stream(ctx, name, false)
	if err != nil {
		return StreamInfo{}, err
	}
	st := ss.meta
	info := StreamInfo{Name: st.Name, Policy: st.Policy, Created: st.Created, Epoch: st.Layout.Current().Number, Epochs: st.Layout.Epochs}
	if info.Scaling, err = s.scalingInfo(&st); err != nil {
		return StreamInfo{}, err
	}
	for _, seg := range st.Layout.Segments {
		si := SegmentInfo{Segment: seg}
		if si.Tier1, err = s.t1.State(ctx, name, seg.ID); err != nil {
			return StreamInfo{}, err
		}
		t2, err := s.meta.SegmentState(name, seg.ID)
		if err != nil {
			return StreamInfo{}, err
		}
		si.Tiered, si.Chunks, si.Points, si.Bytes = t2.Tiered, t2.Chunks, t2.Rows, t2.Bytes
		info.Tier1Messages += si.Tier1.Msgs
		info.Tier1Bytes += si.Tier1.Bytes
		info.Tier2Chunks += si.Chunks
		info.Tier2Points += si.Points
		info.Tier2Bytes += si.Bytes
		info.Segments = append(info.Segments, si)
	}
	return info, nil
}
