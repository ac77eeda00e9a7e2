package signal

import (
	"math"
	"slices"
	"time"

	"github.com/tributary-iot/tributary/firmware-profiles"
	"github.com/tributary-iot/tributary/models"
	"github.com/tributary-iot/tributary/simulators/truth"
)

// candidate is an anomaly that can happen to a vehicle: a kind on a signal.
type candidate struct {
	kind    truth.Kind
	sig     int
	related []int
}

// candidates lists the anomalies that fit the signals: the vehicle faults
// where a signal plays the part (an overheating coolant, a sagging supply
// voltage, a GPS jump, a fuel loss) and the sensor faults each signal's
// profile entry allows. kinds, when not nil, restricts the list.
func candidates(sigs []sigState, class Class, kinds []truth.Kind) []candidate {
	var out []candidate
	add := func(k truth.Kind, sig int, related ...int) {
		if kinds == nil || slices.Contains(kinds, k) {
			out = append(out, candidate{kind: k, sig: sig, related: related})
		}
	}
	lat, lon := -1, -1
	for i := range sigs {
		s := &sigs[i]
		num := numeric(s.def.Type)
		switch s.role {
		case RoleCoolant, RolePackTemp:
			if s.ranged {
				add(truth.KindOverheating, i)
			}
		case RoleBatteryVolts, RolePackVoltage:
			if s.ranged {
				add(truth.KindVoltageDrop, i)
			}
		case RoleFuelLevel:
			if class != ClassEV {
				add(truth.KindFuelLoss, i)
			}
		case RoleLat:
			lat = i
		case RoleLon:
			lon = i
		}
		for _, m := range s.def.Anomalies {
			switch {
			case m == profiles.AnomalyStuck:
				add(truth.KindStuck, i)
			case m == profiles.AnomalyDropout:
				add(truth.KindDropout, i)
			case !num || !s.ranged:
			case m == profiles.AnomalySpike:
				add(truth.KindSpike, i)
			case m == profiles.AnomalyDrift:
				add(truth.KindDrift, i)
			case m == profiles.AnomalyBurst:
				add(truth.KindBurst, i)
			}
		}
	}
	if lat >= 0 && lon >= 0 {
		add(truth.KindGPSJump, lat, lon)
	}
	return out
}

// anomaly is the anomaly in progress, if any.
type anomaly struct {
	on         bool
	kind       truth.Kind
	sig        int
	related    []int
	startK     int64 // first point of the window
	endK       int64 // one past the last point of the window
	maxSamples int   // end after this many samples of sig (0: no limit)
	samples    int   // samples of sig affected so far
	first      int64 // time of the first affected sample
	last       int64 // time of the last one
	level      float64
	offset     [2]float64
	sd         float64
	frozen     models.Value
	hasFrozen  bool
}

func (a *anomaly) affects(i int) bool {
	return i == a.sig || slices.Contains(a.related, i)
}

// progress returns how far the current point is into the window, 0 to 1.
func (a *anomaly) progress(k int64) float64 {
	if a.endK-a.startK <= 1 {
		return 1
	}
	return float64(k-a.startK) / float64(a.endK-a.startK-1)
}

// maybeStart starts an anomaly with the configured chance per point.
func (g *Generator) maybeStart() {
	if g.active.on || len(g.kinds) == 0 {
		return
	}
	r := g.anom
	if r.Float64() >= g.anomalyRate || g.k == 0 {
		return
	}
	kind := g.kinds[r.IntN(len(g.kinds))]
	var pick []candidate
	for _, c := range g.cands {
		if c.kind == kind {
			pick = append(pick, c)
		}
	}
	c := pick[r.IntN(len(pick))]
	s := &g.sigs[c.sig]
	span := s.hi - s.lo
	a := anomaly{on: true, kind: kind, sig: c.sig, related: c.related, startK: g.k}
	// window sets the window to secs seconds, but at least minSamples
	// samples of the signal.
	window := func(secs float64, minSamples int64) {
		n := max(int64(math.Ceil(secs/g.dt)), minSamples*s.perSamp)
		a.endK = g.k + n
	}
	switch kind {
	case truth.KindOverheating:
		window(uniform(r, 60, 300), 6)
		a.level = s.hi + max(3*s.conv.scale, span*uniform(r, 0.06, 0.15))
	case truth.KindVoltageDrop:
		window(uniform(r, 5, 40), 4)
		a.level = s.lo - span*uniform(r, 0.1, 0.3)
	case truth.KindGPSJump:
		a.maxSamples = 1 + r.IntN(4)
		window(0, int64(a.maxSamples)+1)
		for j := range a.offset {
			a.offset[j] = uniform(r, 0.05, 0.4)
			if r.IntN(2) == 0 {
				a.offset[j] = -a.offset[j]
			}
		}
	case truth.KindFuelLoss:
		v := g.veh
		drop := v.p.tankL * uniform(r, 0.1, 0.3)
		if drop > v.fuelL-0.03*v.p.tankL {
			return // not enough fuel left to lose: no anomaly this time
		}
		window(uniform(r, 5, 30), 4)
		v.fuelLoss = drop / (float64(a.endK-a.startK) * g.dt)
	case truth.KindStuck:
		window(uniform(r, 15, 120), 5)
	case truth.KindSpike:
		a.maxSamples = 1
		window(0, 2)
		a.level = s.hi + span*uniform(r, 0.5, 2)
		if s.def.Type != models.KindUint && s.lo-span*2 > -9e18 && r.IntN(2) == 0 {
			a.level = s.lo - span*uniform(r, 0.5, 2)
		}
	case truth.KindDrift:
		window(uniform(r, 120, 600), 6)
		a.level = span * uniform(r, 0.15, 0.4)
		if r.IntN(2) == 0 {
			a.level = -a.level
		}
	case truth.KindBurst:
		window(uniform(r, 10, 60), 5)
		a.sd = max(8*s.def.Noise, span*0.04)
	case truth.KindDropout:
		window(uniform(r, 10, 90), 3)
	}
	g.active = a
}

// anomalous returns signal i's reading under the active anomaly.
func (g *Generator) anomalous(i int, noise float64) (models.Value, bool) {
	a := &g.active
	s := &g.sigs[i]
	primary := i == a.sig
	if primary {
		a.samples++
		if a.samples == 1 {
			a.first = g.pointTime
		}
		a.last = g.pointTime
	}
	u := a.progress(g.k)
	switch a.kind {
	case truth.KindDropout:
		return models.Value{}, false
	case truth.KindStuck:
		if !a.hasFrozen {
			a.frozen, a.hasFrozen = s.last, s.hasLast
			if !s.hasLast {
				a.frozen, a.hasFrozen = g.normal(s, noise), true
			}
		}
		return a.frozen, true
	case truth.KindFuelLoss:
		return g.normal(s, noise), true // the vehicle really loses the fuel
	}
	x := g.model(s)
	switch a.kind {
	case truth.KindOverheating:
		// Up over the first quarter, held, down over the last tenth.
		x += (a.level - x) * plateau(u, 0.25, 0.9)
		x += noise
	case truth.KindVoltageDrop:
		x += (a.level - x) * plateau(u, 0.1, 0.85)
		x += noise
	case truth.KindGPSJump:
		j := 0
		if !primary {
			j = 1
		}
		x += a.offset[j] + noise
		if s.ranged {
			x = min(max(x, s.lo), s.hi)
		}
	case truth.KindSpike:
		x = a.level
	case truth.KindDrift:
		x = min(max(x+noise, s.lo), s.hi) + a.level*u
	case truth.KindBurst:
		x += noise + a.sd*g.anom.NormFloat64()
	}
	return s.quantize(x), true
}

// plateau rises smoothly from 0 at u=0 to 1 at u=up, stays at 1, and falls
// back to 0 from u=down to u=1.
func plateau(u, up, down float64) float64 {
	smooth := func(x float64) float64 { x = min(max(x, 0), 1); return x * x * (3 - 2*x) }
	switch {
	case u < up:
		return smooth(u / up)
	case u > down:
		return smooth((1 - u) / (1 - down))
	}
	return 1
}

// maybeEnd closes the active anomaly after the last point of its window.
func (g *Generator) maybeEnd() {
	a := &g.active
	if !a.on {
		return
	}
	if g.k+1 >= a.endK || (a.maxSamples > 0 && a.samples >= a.maxSamples) {
		g.endAnomaly(false)
	}
}

func (g *Generator) endAnomaly(truncated bool) {
	a := &g.active
	if a.kind == truth.KindFuelLoss {
		g.veh.fuelLoss = 0
	}
	if a.samples > 0 {
		rec := truth.Record{
			Device:  g.device,
			Profile: g.profile,
			Stream:  g.stream,
			Kind:    a.kind,
			Signal:  g.sigs[a.sig].def.Name,
			Start:   time.Unix(0, a.first).UTC(),
			End:     time.Unix(0, a.last).UTC(),
			Points:  a.samples,
			// A window cut short by the end of the run may not show
			// what its kind promises.
			Truncated: truncated,
		}
		for _, j := range a.related {
			rec.Related = append(rec.Related, g.sigs[j].def.Name)
		}
		g.done = append(g.done, rec)
	}
	*a = anomaly{}
}

// Finish ends the anomaly in progress, if any, at the last point
// generated, so that Truth reports it (marked Truncated). Call it when the
// vehicle stops.
func (g *Generator) Finish() {
	if g.active.on {
		g.endAnomaly(true)
	}
}

// Truth appends the anomalies that have ended since the last call to dst.
func (g *Generator) Truth(dst []truth.Record) []truth.Record {
	dst = append(dst, g.done...)
	clear(g.done)
	g.done = g.done[:0]
	return dst
}
