package segment

import (
	"fmt"
	"sort"
)

// Router routes devices to the segments of one epoch in O(log n) without
// allocating. Build one with Layout.Router and reuse it; it is immutable
// and safe for concurrent use.
type Router struct {
	epoch uint64
	his   []uint64 // upper bounds of the epoch's segments, ascending
	ids   []string
}

// Router returns a Router for epoch e.
func (l *Layout) Router(e uint64) (*Router, error) {
	ep, err := l.Epoch(e)
	if err != nil {
		return nil, err
	}
	r := &Router{epoch: e, his: make([]uint64, len(ep.Segments)), ids: ep.Segments}
	for i, id := range ep.Segments {
		s, err := l.Segment(id)
		if err != nil {
			return nil, fmt.Errorf("%w: epoch %d: %w", ErrBadLayout, e, err)
		}
		r.his[i] = s.Range.Hi
	}
	if len(r.his) == 0 || r.his[len(r.his)-1] != FullRange.Hi {
		return nil, fmt.Errorf("%w: epoch %d does not cover the hash space", ErrBadLayout, e)
	}
	return r, nil
}

// Epoch returns the epoch number the router routes for.
func (r *Router) Epoch() uint64 { return r.epoch }

// Route returns the id of the segment that owns device.
func (r *Router) Route(device string) string { return r.RouteHash(Hash(device)) }

// RouteHash returns the id of the segment that owns hash h.
func (r *Router) RouteHash(h uint64) string {
	return r.ids[sort.Search(len(r.his), func(i int) bool { return r.his[i] >= h })]
}
