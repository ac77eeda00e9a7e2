package scaler

import (
	"math"
	"time"

	"github.com/tributary-iot/tributary/cloud-core/meta"
	"github.com/tributary-iot/tributary/cloud-core/segment"
)

// Windows are the time constants of the three moving averages.
type Windows struct {
	// Short, Medium and Long are the averages' time constants: a load
	// change shows 63% in an average after that long.
	Short, Medium, Long time.Duration
}

// Default windows and timings.
const (
	DefaultShort    = time.Minute
	DefaultMedium   = 5 * time.Minute
	DefaultLong     = 15 * time.Minute
	DefaultCooldown = 2 * time.Minute
	DefaultInterval = 10 * time.Second
)

func (w Windows) withDefaults() Windows {
	if w.Short <= 0 {
		w.Short = DefaultShort
	}
	if w.Medium <= 0 {
		w.Medium = DefaultMedium
	}
	if w.Long <= 0 {
		w.Long = DefaultLong
	}
	return w
}

// update moves each average of w towards rate x, measured over dt.
func (w Windows) update(avg *meta.Windows, x float64, dt time.Duration) {
	ewma := func(v *float64, tau time.Duration) {
		alpha := 1 - math.Exp(-dt.Seconds()/tau.Seconds())
		*v += alpha * (x - *v)
		if *v < 0 {
			*v = 0
		}
	}
	ewma(&avg.Short, w.Short)
	ewma(&avg.Medium, w.Medium)
	ewma(&avg.Long, w.Long)
}

// sample adds one measurement of a segment's load to r: the counters
// moved by d over dt.
func (w Windows) sample(r *meta.SegmentRates, d segment.Load, dt time.Duration) {
	w.update(&r.Points, float64(d.Points)/dt.Seconds(), dt)
	w.update(&r.Bytes, float64(d.Bytes)/dt.Seconds(), dt)
	r.Observed += int64(dt)
}

// prior returns the rates a new segment starts with: its predecessors'
// rates, each scaled by the share of the predecessor's range the new
// segment took over (half of it after a split in two, all of each after
// a merge). A segment without measured predecessors starts at zero.
func prior(l *segment.Layout, id string, known map[string]meta.SegmentRates) meta.SegmentRates {
	var out meta.SegmentRates
	sg, err := l.Segment(id)
	if err != nil {
		return out
	}
	first := true
	for _, pid := range sg.Predecessors {
		pr, ok := known[pid]
		if !ok {
			continue
		}
		ps, err := l.Segment(pid)
		if err != nil {
			continue
		}
		f := overlap(ps.Range, sg.Range)
		add := func(dst *meta.Windows, src meta.Windows) {
			dst.Short += f * src.Short
			dst.Medium += f * src.Medium
			dst.Long += f * src.Long
		}
		add(&out.Points, pr.Points)
		add(&out.Bytes, pr.Bytes)
		if first || pr.Observed < out.Observed {
			out.Observed = pr.Observed
		}
		first = false
	}
	return out
}

// overlap returns the share of range p that range s also covers.
func overlap(p, s segment.KeyRange) float64 {
	lo, hi := max(p.Lo, s.Lo), min(p.Hi, s.Hi)
	if lo > hi {
		return 0
	}
	return (float64(hi-lo) + 1) / (float64(p.Hi-p.Lo) + 1)
}
