package segment

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// Split returns a new layout in which segment id is sealed and n new
// segments share its range, in a new epoch.
func (l *Layout) Split(id string, n int, now time.Time) (Layout, error) {
	c := l.Clone()
	old, err := c.Segment(id)
	if err != nil {
		return Layout{}, err
	}
	if !old.Active() {
		return Layout{}, fmt.Errorf("%w: %q", ErrSealed, id)
	}
	if n < 2 {
		return Layout{}, fmt.Errorf("%w: split into %d parts", ErrBadLayout, n)
	}
	ranges := old.Range.Split(n)
	if ranges == nil {
		return Layout{}, fmt.Errorf("%w: range %s too narrow to split in %d", ErrBadLayout, old.Range, n)
	}
	next := uint64(len(c.Epochs)) + 1
	var succ []string
	for _, r := range ranges {
		nid := c.newID()
		c.Segments = append(c.Segments, Segment{ID: nid, Range: r, CreatedEpoch: next, Predecessors: []string{id}})
		succ = append(succ, nid)
	}
	old, _ = c.Segment(id) // the append may have moved it
	old.SealedEpoch = next
	old.Successors = succ
	c.startEpoch(next, now)
	return c, nil
}

// Merge returns a new layout in which the active segments ids, whose
// ranges must be adjacent, are sealed and one new segment owns their
// union, in a new epoch.
func (l *Layout) Merge(ids []string, now time.Time) (Layout, error) {
	if len(ids) < 2 {
		return Layout{}, fmt.Errorf("%w: merge of %d segments", ErrBadLayout, len(ids))
	}
	c := l.Clone()
	var segs []*Segment
	for _, id := range ids {
		s, err := c.Segment(id)
		if err != nil {
			return Layout{}, err
		}
		if !s.Active() {
			return Layout{}, fmt.Errorf("%w: %q", ErrSealed, id)
		}
		if slices.Contains(segs, s) {
			return Layout{}, fmt.Errorf("%w: %q named twice", ErrBadLayout, id)
		}
		segs = append(segs, s)
	}
	slices.SortFunc(segs, func(a, b *Segment) int { return cmp.Compare(a.Range.Lo, b.Range.Lo) })
	for i := 1; i < len(segs); i++ {
		if segs[i-1].Range.Hi+1 != segs[i].Range.Lo {
			return Layout{}, fmt.Errorf("%w: %q and %q", ErrNotAdjacent, segs[i-1].ID, segs[i].ID)
		}
	}
	next := uint64(len(c.Epochs)) + 1
	merged := Segment{
		Range:        KeyRange{Lo: segs[0].Range.Lo, Hi: segs[len(segs)-1].Range.Hi},
		CreatedEpoch: next,
	}
	merged.ID = c.newID()
	for _, s := range segs {
		merged.Predecessors = append(merged.Predecessors, s.ID)
		s.SealedEpoch = next
		s.Successors = []string{merged.ID}
	}
	c.Segments = append(c.Segments, merged)
	c.startEpoch(next, now)
	return c, nil
}

// startEpoch appends epoch n made of the active segments, ordered by range.
func (l *Layout) startEpoch(n uint64, now time.Time) {
	ep := Epoch{Number: n, Created: now.UTC()}
	var active []*Segment
	for i := range l.Segments {
		if l.Segments[i].Active() {
			active = append(active, &l.Segments[i])
		}
	}
	slices.SortFunc(active, func(a, b *Segment) int { return cmp.Compare(a.Range.Lo, b.Range.Lo) })
	for _, s := range active {
		ep.Segments = append(ep.Segments, s.ID)
	}
	l.Epochs = append(l.Epochs, ep)
}

// Validate checks the layout's invariants: every epoch's segments exist,
// are active in it, and cover the hash space in order without overlap;
// successor and predecessor links agree.
func (l *Layout) Validate() error {
	if len(l.Epochs) == 0 {
		return fmt.Errorf("%w: no epochs", ErrBadLayout)
	}
	seen := make(map[string]bool, len(l.Segments))
	for _, s := range l.Segments {
		if seen[s.ID] {
			return fmt.Errorf("%w: segment %q twice", ErrBadLayout, s.ID)
		}
		seen[s.ID] = true
	}
	for i, ep := range l.Epochs {
		if ep.Number != uint64(i+1) {
			return fmt.Errorf("%w: epoch %d numbered %d", ErrBadLayout, i+1, ep.Number)
		}
		var next uint64
		for j, id := range ep.Segments {
			s, err := l.Segment(id)
			if err != nil {
				return fmt.Errorf("%w: epoch %d: %w", ErrBadLayout, ep.Number, err)
			}
			if !s.ActiveIn(ep.Number) {
				return fmt.Errorf("%w: epoch %d lists segment %q not active in it", ErrBadLayout, ep.Number, id)
			}
			if s.Range.Lo != next || (j > 0 && next == 0) {
				return fmt.Errorf("%w: epoch %d: segment %q starts at %016x, want %016x", ErrBadLayout, ep.Number, id, s.Range.Lo, next)
			}
			next = s.Range.Hi + 1
			if j == len(ep.Segments)-1 && s.Range.Hi != FullRange.Hi {
				return fmt.Errorf("%w: epoch %d does not cover the hash space", ErrBadLayout, ep.Number)
			}
		}
	}
	for _, s := range l.Segments {
		for _, p := range s.Predecessors {
			ps, err := l.Segment(p)
			if err != nil || !slices.Contains(ps.Successors, s.ID) {
				return fmt.Errorf("%w: %q lists predecessor %q without the back link", ErrBadLayout, s.ID, p)
			}
		}
	}
	return nil
}
