package scaler

import (
	"time"

	"github.com/tributary-iot/tributary/cloud-core/meta"
	"github.com/tributary-iot/tributary/cloud-core/segment"
)

// decision is one split or merge the scaler asks the store for.
type decision struct {
	// split names the segment to split into parts, or
	split string
	parts int
	// merge names the adjacent segments to merge.
	merge []string
	why   segment.Change
}

// rules decide when segments split and merge.
type rules struct {
	windows Windows
	// cooldown applies to policies that set none.
	cooldown time.Duration
}

// decide returns the change st needs now, if any: at most one per call.
//
// A segment splits when its short average is above the target and it
// stays there: its long average is above the target too, or its medium
// average above twice the target, or its short average above four times
// the target (a load that jumped). Two neighbours merge when the sums of
// their short, medium and long averages are all below the target divided
// by max(2, factor), and both have been measured for a long window. A
// split leaves parts that are each above target/factor, so siblings never
// qualify for a merge right after a split, and a merge leaves a segment
// below half the target, which does not split until the load more than
// doubles: the gap between the two thresholds is what keeps a load that
// hovers near either one from flapping. No segment splits or merges
// before it is cooldown old, and the active segments stay within the
// policy's min and max.
func (r rules) decide(st *segment.Stream, rates map[string]meta.SegmentRates, now time.Time) (decision, bool) {
	sc := st.Policy.Scaling
	if !sc.Auto() {
		return decision{}, false
	}
	target := float64(sc.Target)
	cooldown := time.Duration(sc.Cooldown)
	if cooldown == 0 {
		cooldown = r.cooldown
	}
	measure := func(id string) meta.Windows {
		if sc.By == segment.ByBytes {
			return rates[id].Bytes
		}
		return rates[id].Points
	}
	ready := func(id string) bool {
		sg, err := st.Layout.Segment(id)
		if err != nil {
			return false
		}
		ep, err := st.Layout.Epoch(sg.CreatedEpoch)
		return err == nil && now.Sub(ep.Created) >= cooldown
	}
	cur := st.Layout.Current().Segments
	parts := sc.Parts()

	if len(cur)+parts-1 <= sc.Ceiling() {
		var (
			best  decision
			found bool
			hot   float64
		)
		for _, id := range cur {
			if !ready(id) {
				continue
			}
			w := measure(id)
			window, rate, ok := overTarget(w, target)
			if !ok || found && w.Short <= hot {
				continue
			}
			best = decision{split: id, parts: parts, why: segment.Change{By: sc.By, Window: window, Rate: rate, Target: sc.Target}}
			found, hot = true, w.Short
		}
		if found {
			return best, true
		}
	}

	if len(cur)-1 < sc.Floor() {
		return decision{}, false
	}
	below := target / float64(max(2, parts))
	var (
		best    decision
		found   bool
		coldest float64
	)
	for i := 0; i+1 < len(cur); i++ {
		a, b := cur[i], cur[i+1]
		if !ready(a) || !ready(b) || rates[a].Observed < int64(r.windows.Long) || rates[b].Observed < int64(r.windows.Long) {
			continue
		}
		wa, wb := measure(a), measure(b)
		sum := meta.Windows{Short: wa.Short + wb.Short, Medium: wa.Medium + wb.Medium, Long: wa.Long + wb.Long}
		if sum.Short >= below || sum.Medium >= below || sum.Long >= below {
			continue
		}
		if found && sum.Long >= coldest {
			continue
		}
		// Record the sum that came closest to the threshold.
		window, rate := segment.WindowLong, sum.Long
		if sum.Medium > rate {
			window, rate = segment.WindowMedium, sum.Medium
		}
		if sum.Short > rate {
			window, rate = segment.WindowShort, sum.Short
		}
		best = decision{merge: []string{a, b}, why: segment.Change{By: sc.By, Window: window, Rate: rate, Target: sc.Target}}
		found, coldest = true, sum.Long
	}
	return best, found
}

// overTarget reports whether averages w stay above target, and by which
// window.
func overTarget(w meta.Windows, target float64) (string, float64, bool) {
	switch {
	case w.Short <= target:
		return "", 0, false
	case w.Long > target:
		return segment.WindowLong, w.Long, true
	case w.Medium > 2*target:
		return segment.WindowMedium, w.Medium, true
	case w.Short > 4*target:
		return segment.WindowShort, w.Short, true
	}
	return "", 0, false
}
