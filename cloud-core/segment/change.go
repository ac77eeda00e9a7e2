package segment

import "slices"

// Kinds of Change.
const (
	// KindSplit is a change that sealed one segment and gave its range to
	// several successors.
	KindSplit = "split"
	// KindMerge is a change that sealed adjacent segments and gave their
	// ranges to one successor.
	KindMerge = "merge"
)

// Names of the averaging windows a Change's Rate is measured over.
const (
	WindowShort  = "short"
	WindowMedium = "medium"
	WindowLong   = "long"
)

// Change says why an epoch began: the split or merge that started it and
// the load that triggered it. The first epoch has none.
type Change struct {
	// Kind is KindSplit or KindMerge.
	Kind string `json:"kind"`
	// Sealed are the segments the change sealed, Created the ones it made,
	// both ordered by range.
	Sealed  []string `json:"sealed"`
	Created []string `json:"created"`
	// Manual is set when an operator asked for the change.
	Manual bool `json:"manual,omitempty"`
	// By is the load measure (ByPoints or ByBytes) Rate is in.
	By string `json:"by,omitempty"`
	// Window names the averaging window Rate was measured over
	// (WindowShort, WindowMedium or WindowLong).
	Window string `json:"window,omitempty"`
	// Rate is the load that triggered the change, per second: the sealed
	// segment's for a split, the sealed segments' sum for a merge.
	Rate float64 `json:"rate,omitempty"`
	// Target is the policy's target per segment when the change was made.
	Target int64 `json:"target,omitempty"`
}

func (c *Change) clone() *Change {
	if c == nil {
		return nil
	}
	d := *c
	d.Sealed = slices.Clone(c.Sealed)
	d.Created = slices.Clone(c.Created)
	return &d
}

// Load counts what was appended to one segment.
type Load struct {
	// Points is the number of points stored.
	Points uint64 `json:"points"`
	// Bytes is the number of payload bytes stored (compressed, as tier 1
	// keeps them).
	Bytes uint64 `json:"bytes"`
}
