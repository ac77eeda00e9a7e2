package model

import (
	"maps"
	"math"
	"slices"
	"time"

	"github.com/tributary-iot/tributary/models"
)

// Kinds of anomaly the scorer reports.
const (
	// KindRange is a value outside the signal's learned range.
	KindRange = "range"
	// KindJump is a change from the previous sample far larger than the
	// signal's learned changes.
	KindJump = "jump"
	// KindStuck is a run of equal values longer than the signal's learned
	// repeats make likely.
	KindStuck = "stuck"
	// KindDropout is a run of points without a signal that the device
	// normally sends.
	KindDropout = "dropout"
)

// Anomaly is one anomaly found in a point.
type Anomaly struct {
	Device string
	// Time is the device time of the point it was found in.
	Time   int64
	Signal string
	Kind   string
	// Value is the signal's value (0 for a dropout).
	Value float64
	// Score says how far out it is: learned widths or steps beyond the
	// limit, or the odds against a stuck run or a dropout.
	Score float64
}

// sigState is the scorer's memory of one signal of one device.
type sigState struct {
	stats    *Stats
	stuckLen int   // run length that counts as stuck (0: never)
	gapLen   int64 // points without a sample that count as a dropout (0: never)
	last     float64
	hasLast  bool
	run      int   // equal values in a row
	stuck    bool  // the current run was reported
	bad      bool  // the last value was out of range
	seen     int64 // the device's point count at the last sample
	quiet    int64 // no report before this device time
	reported bool  // the current dropout was reported
}

// devState is the scorer's memory of one device.
type devState struct {
	points  int64
	signals map[string]*sigState
	// known lists the signals with a dropout limit, to check each point.
	known []*sigState
	names []string
}

// Scorer scores points one at a time against a model, remembering what
// each device sent last. It is not safe for concurrent use; each
// device's points must come in order.
type Scorer struct {
	m       *Model
	devices map[string]*devState
	hold    int64
}

// NewScorer returns a Scorer of m.
func NewScorer(m *Model) *Scorer {
	return &Scorer{m: m, devices: map[string]*devState{}, hold: int64(time.Duration(m.Params.Hold))}
}

// device returns the state of a device, set up with the signals the model
// knows for it.
func (s *Scorer) device(name string) *devState {
	d := s.devices[name]
	if d != nil {
		return d
	}
	d = &devState{signals: map[string]*sigState{}}
	sigs := s.m.Devices[name]
	if sigs == nil {
		sigs = s.m.Fleet
	}
	for _, sig := range slices.Sorted(maps.Keys(sigs)) {
		if st := s.sig(d, name, sig); st != nil && st.gapLen > 0 {
			d.known = append(d.known, st)
			d.names = append(d.names, sig)
		}
	}
	s.devices[name] = d
	return d
}

// sig returns the state of one signal of a device (nil if the model has
// no usable stats for it).
func (s *Scorer) sig(d *devState, device, signal string) *sigState {
	if st, ok := d.signals[signal]; ok {
		return st
	}
	stats := s.m.stats(device, signal)
	if stats == nil {
		d.signals[signal] = nil
		return nil
	}
	if f := s.m.Fleet[signal]; f != nil && f != stats {
		// The fleet has seen states the device has not yet (a motorway,
		// a long stop): judge changes and repeats by both.
		c := *stats
		c.Step, c.Repeat = max(c.Step, f.Step), max(c.Repeat, f.Repeat)
		if c.Hi-c.Lo < s.m.Params.Narrow*(f.Hi-f.Lo) {
			// One device's history covers part of what the fleet has
			// seen (a motorway, a position on the route): widen its
			// range to the fleet's.
			c.Lo, c.Hi = min(c.Lo, f.Lo), max(c.Hi, f.Hi)
		}
		stats = &c
	}
	p := &s.m.Params
	st := &sigState{stats: stats}
	if stats.Repeat > 0 && stats.Repeat < 1 {
		n := math.Ceil(math.Log(p.StuckOdds) / math.Log(stats.Repeat))
		if n <= float64(p.MaxStuck) {
			st.stuckLen = max(int(n), p.MinStuck)
		}
	} else if stats.Repeat == 0 {
		st.stuckLen = p.MinStuck
	}
	if stats.Rate >= p.MinRate {
		st.gapLen = int64(math.Ceil(p.Dropout/stats.Rate)) + 2
	}
	d.signals[signal] = st
	return st
}

// Score scores one point and calls report for each anomaly found (at most
// one per signal).
func (s *Scorer) Score(p *models.Point, report func(*Anomaly)) {
	d := s.device(p.Device)
	d.points++
	p0 := &s.m.Params
	var a Anomaly
	for _, f := range p.Fields {
		x, ok := numeric(f.Value)
		if !ok {
			continue
		}
		st := s.sig(d, p.Device, f.Key)
		if st == nil {
			continue
		}
		kind, score := "", 0.0
		stats := st.stats
		width := max(stats.Hi-stats.Lo, stats.Step, 1e-9)
		switch {
		case x > stats.Hi+p0.Margin*width:
			kind, score = KindRange, (x-stats.Hi)/width
		case x < stats.Lo-p0.Margin*width:
			kind, score = KindRange, (stats.Lo-x)/width
		case st.hasLast && !st.bad && math.Abs(x-st.last) > p0.Jump*max(stats.Step, 1e-9)+1e-9:
			// (Coming back from an out-of-range value is no jump.)
			kind, score = KindJump, math.Abs(x-st.last)/max(stats.Step, 1e-9)
		}
		st.bad = kind == KindRange
		if st.hasLast && x == st.last && x != 0 {
			st.run++
		} else {
			st.run, st.stuck = 0, false
		}
		if kind == "" && st.stuckLen > 0 && st.run >= st.stuckLen && !st.stuck && p.Time >= st.quiet {
			kind, score, st.stuck = KindStuck, float64(st.run), true
		}
		st.last, st.hasLast, st.seen, st.reported = x, true, d.points, false
		if kind == "" || p.Time < st.quiet {
			continue
		}
		st.quiet = p.Time + s.hold
		a = Anomaly{Device: p.Device, Time: p.Time, Signal: f.Key, Kind: kind, Value: x, Score: score}
		report(&a)
	}
	for i, st := range d.known {
		if st.reported || !st.hasLast || d.points-st.seen < st.gapLen {
			continue
		}
		st.reported = true
		if p.Time < st.quiet {
			continue
		}
		st.quiet = p.Time + s.hold
		a = Anomaly{Device: p.Device, Time: p.Time, Signal: d.names[i], Kind: KindDropout, Score: float64(d.points - st.seen)}
		report(&a)
	}
}
