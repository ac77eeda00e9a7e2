package segment

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// Errors returned by Layout methods.
var (
	// ErrUnknownSegment is returned when a segment id is not in the layout.
	ErrUnknownSegment = errors.New("unknown segment")
	// ErrUnknownEpoch is returned when an epoch number is not in the layout.
	ErrUnknownEpoch = errors.New("unknown epoch")
	// ErrSealed is returned when a split or merge names a sealed segment.
	ErrSealed = errors.New("segment is sealed")
	// ErrNotAdjacent is returned when a merge names segments whose ranges
	// do not touch.
	ErrNotAdjacent = errors.New("segments are not adjacent")
	// ErrBadLayout is returned (wrapped) by Validate and by constructors
	// given impossible arguments.
	ErrBadLayout = errors.New("invalid layout")
)

// Segment is one part of a stream: the owner of a range of the hash space
// from the epoch that created it until the epoch that sealed it.
type Segment struct {
	// ID names the segment within its stream (a decimal number, "0", "1", ...).
	ID string `json:"id"`
	// Range is the part of the hash space the segment owns.
	Range KeyRange `json:"range"`
	// CreatedEpoch is the first epoch the segment is active in.
	CreatedEpoch uint64 `json:"created_epoch"`
	// SealedEpoch is the first epoch the segment is no longer active in;
	// 0 while it is active.
	SealedEpoch uint64 `json:"sealed_epoch,omitempty"`
	// Predecessors are the sealed segments whose ranges this one took over.
	Predecessors []string `json:"predecessors,omitempty"`
	// Successors are the segments that took over this one's range when it
	// was sealed.
	Successors []string `json:"successors,omitempty"`
}

// Active reports whether the segment is active in the latest epoch.
func (s *Segment) Active() bool { return s.SealedEpoch == 0 }

// ActiveIn reports whether the segment is active in epoch e.
func (s *Segment) ActiveIn(e uint64) bool {
	return e >= s.CreatedEpoch && (s.SealedEpoch == 0 || e < s.SealedEpoch)
}

// Epoch is the set of segments active from one time on.
type Epoch struct {
	// Number counts epochs from 1.
	Number uint64 `json:"number"`
	// Segments lists the active segments' ids, ordered by range.
	Segments []string `json:"segments"`
	// Created is when the epoch began.
	Created time.Time `json:"created"`
	// Change is the split or merge that began the epoch (nil for the
	// first).
	Change *Change `json:"change,omitempty"`
}

// Layout is a stream's successor graph: every segment it ever had and
// every epoch. The zero Layout is empty; use NewLayout.
type Layout struct {
	Segments []Segment `json:"segments"`
	Epochs   []Epoch   `json:"epochs"`
	// NextID is the number the next new segment gets.
	NextID int `json:"next_id"`
}

// NewLayout returns the layout of a new stream: epoch 1 with n segments
// that cut the hash space evenly.
func NewLayout(n int, now time.Time) (Layout, error) {
	ranges := FullRange.Split(n)
	if ranges == nil {
		return Layout{}, fmt.Errorf("%w: %d initial segments", ErrBadLayout, n)
	}
	var l Layout
	ep := Epoch{Number: 1, Created: now.UTC()}
	for _, r := range ranges {
		id := l.newID()
		l.Segments = append(l.Segments, Segment{ID: id, Range: r, CreatedEpoch: 1})
		ep.Segments = append(ep.Segments, id)
	}
	l.Epochs = []Epoch{ep}
	return l, nil
}

func (l *Layout) newID() string {
	id := strconv.Itoa(l.NextID)
	l.NextID++
	return id
}

// Clone returns a deep copy of l.
func (l *Layout) Clone() Layout {
	c := Layout{NextID: l.NextID, Segments: make([]Segment, len(l.Segments)), Epochs: make([]Epoch, len(l.Epochs))}
	for i, s := range l.Segments {
		s.Predecessors = slices.Clone(s.Predecessors)
		s.Successors = slices.Clone(s.Successors)
		c.Segments[i] = s
	}
	for i, e := range l.Epochs {
		e.Segments = slices.Clone(e.Segments)
		e.Change = e.Change.clone()
		c.Epochs[i] = e
	}
	return c
}

// Current returns the latest epoch.
func (l *Layout) Current() Epoch {
	if len(l.Epochs) == 0 {
		return Epoch{}
	}
	return l.Epochs[len(l.Epochs)-1]
}

// Epoch returns epoch number n.
func (l *Layout) Epoch(n uint64) (Epoch, error) {
	if n == 0 || n > uint64(len(l.Epochs)) {
		return Epoch{}, fmt.Errorf("%w: %d", ErrUnknownEpoch, n)
	}
	return l.Epochs[n-1], nil
}

// Segment returns the segment with the given id.
func (l *Layout) Segment(id string) (*Segment, error) {
	for i := range l.Segments {
		if l.Segments[i].ID == id {
			return &l.Segments[i], nil
		}
	}
	return nil, fmt.Errorf("%w: %q", ErrUnknownSegment, id)
}

// Route returns the segment that owns device in epoch e.
func (l *Layout) Route(e uint64, device string) (string, error) {
	return l.RouteHash(e, Hash(device))
}

// RouteHash returns the segment that owns hash h in epoch e.
func (l *Layout) RouteHash(e uint64, h uint64) (string, error) {
	ep, err := l.Epoch(e)
	if err != nil {
		return "", err
	}
	// Epoch segments are ordered by range and cover the hash space.
	i, _ := slices.BinarySearchFunc(ep.Segments, h, func(id string, h uint64) int {
		s, _ := l.Segment(id)
		switch {
		case s == nil || s.Range.Hi < h:
			return -1
		case s.Range.Lo > h:
			return 1
		}
		return 0
	})
	if i == len(ep.Segments) {
		return "", fmt.Errorf("%w: epoch %d does not cover hash %016x", ErrBadLayout, e, h)
	}
	return ep.Segments[i], nil
}

// Owners returns every segment that ever owned hash h, oldest first: the
// path through the successor graph that one device's points follow. Its
// last element is the owner in the current epoch.
func (l *Layout) Owners(h uint64) []string {
	var out []string
	for e := range l.Epochs {
		id, err := l.RouteHash(uint64(e+1), h)
		if err != nil {
			continue
		}
		if len(out) == 0 || out[len(out)-1] != id {
			out = append(out, id)
		}
	}
	return out
}

// Ancestors returns the transitive predecessors of segment id: every
// sealed segment whose range it (partly) took over, directly or through
// other splits and merges, oldest first.
func (l *Layout) Ancestors(id string) []string {
	seen := map[string]bool{}
	var out []*Segment
	queue := []string{id}
	for len(queue) > 0 {
		s, err := l.Segment(queue[0])
		queue = queue[1:]
		if err != nil {
			continue
		}
		for _, p := range s.Predecessors {
			if seen[p] {
				continue
			}
			seen[p] = true
			if ps, err := l.Segment(p); err == nil {
				out = append(out, ps)
				queue = append(queue, p)
			}
		}
	}
	slices.SortFunc(out, byCreation)
	ids := make([]string, len(out))
	for i, s := range out {
		ids[i] = s.ID
	}
	return ids
}

// Order returns every segment id in an order where each segment comes
// after all its predecessors (by creation epoch, then by range), the order
// a reader visits segments in to keep each device's points in order.
func (l *Layout) Order() []string {
	idx := make([]int, len(l.Segments))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return byCreation(&l.Segments[a], &l.Segments[b]) })
	out := make([]string, len(idx))
	for i, j := range idx {
		out[i] = l.Segments[j].ID
	}
	return out
}

// byCreation orders segments by creation epoch, then by range.
func byCreation(a, b *Segment) int {
	return cmp.Or(cmp.Compare(a.CreatedEpoch, b.CreatedEpoch), cmp.Compare(a.Range.Lo, b.Range.Lo))
}
