package model

import (
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/tributary-iot/tributary/models"
)

// reservoirSize is how many values a reservoir keeps.
const reservoirSize = 2048

// reservoir is a uniform sample of the values seen.
type reservoir struct {
	seen int64
	vals []float64
}

func (r *reservoir) add(rng *rand.Rand, v float64) {
	r.seen++
	if len(r.vals) < reservoirSize {
		r.vals = append(r.vals, v)
		return
	}
	if j := rng.Int64N(r.seen); j < reservoirSize {
		r.vals[j] = v
	}
}

// merge makes r a sample of what r and o saw.
func (r *reservoir) merge(rng *rand.Rand, o *reservoir) {
	if o.seen == 0 {
		return
	}
	if r.seen+o.seen <= reservoirSize || len(r.vals)+len(o.vals) <= reservoirSize {
		r.vals = append(r.vals, o.vals...)
		r.seen += o.seen
		return
	}
	a, b := slices.Clone(r.vals), slices.Clone(o.vals)
	rng.Shuffle(len(a), func(i, j int) { a[i], a[j] = a[j], a[i] })
	rng.Shuffle(len(b), func(i, j int) { b[i], b[j] = b[j], b[i] })
	out := make([]float64, 0, reservoirSize)
	total := float64(r.seen + o.seen)
	for len(out) < reservoirSize && (len(a) > 0 || len(b) > 0) {
		if len(b) == 0 || len(a) > 0 && rng.Float64() < float64(r.seen)/total {
			out, a = append(out, a[0]), a[1:]
		} else {
			out, b = append(out, b[0]), b[1:]
		}
	}
	r.vals = out
	r.seen += o.seen
}

// quantile returns the q-quantile of sorted values.
func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := q * float64(len(sorted)-1)
	lo := int(math.Floor(i))
	hi := min(lo+1, len(sorted)-1)
	return sorted[lo] + (sorted[hi]-sorted[lo])*(i-float64(lo))
}

// acc accumulates one signal of one device.
type acc struct {
	values, steps  reservoir
	pairs, repeats int64
	last           float64
	run            uint64 // the Trainer's run of the last sample
	samples        int64
}

// devAcc accumulates one device.
type devAcc struct {
	points  int64
	signals map[string]*acc
}

// Trainer learns a model from points. Feed each independent, ordered run
// of points (a split) to a Trainer with Begin before it and Add for each
// point; Trainers fed in parallel are combined with Merge. It is not safe
// for concurrent use.
type Trainer struct {
	rng    *rand.Rand
	points int64
	// run numbers the current run (from 1, so that a new acc, at run 0,
	// has no last sample in it).
	run     uint64
	devices map[string]*devAcc
}

// NewTrainer returns an empty Trainer; seed makes its sampling
// repeatable.
func NewTrainer(seed uint64) *Trainer {
	return &Trainer{rng: rand.New(rand.NewPCG(seed, 0x7472696275)), run: 1, devices: map[string]*devAcc{}}
}

// Begin starts a new run of points: changes from one sample to the next
// are only learned within a run.
func (t *Trainer) Begin() { t.run++ }

// Add learns from one point: each numeric field (floats, ints, uints).
func (t *Trainer) Add(p *models.Point) {
	d := t.devices[p.Device]
	if d == nil {
		d = &devAcc{signals: map[string]*acc{}}
		t.devices[p.Device] = d
	}
	d.points++
	t.points++
	for _, f := range p.Fields {
		x, ok := numeric(f.Value)
		if !ok {
			continue
		}
		a := d.signals[f.Key]
		if a == nil {
			a = &acc{}
			d.signals[f.Key] = a
		}
		a.samples++
		a.values.add(t.rng, x)
		if a.run == t.run {
			a.steps.add(t.rng, math.Abs(x-a.last))
			if a.last != 0 {
				a.pairs++
				if x == a.last {
					a.repeats++
				}
			}
		}
		a.last, a.run = x, t.run
	}
}

// numeric returns a field value as a float, for numeric kinds.
func numeric(v models.Value) (float64, bool) {
	switch v.Kind() {
	case models.KindFloat, models.KindInt, models.KindUint:
		x := v.FloatV()
		return x, !math.IsNaN(x) && !math.IsInf(x, 0)
	}
	return 0, false
}

// Merge adds what o learned to t.
func (t *Trainer) Merge(o *Trainer) {
	t.points += o.points
	// Past every run of o's accs taken over, so Begin ends them too.
	t.run = max(t.run, o.run)
	for dev, od := range o.devices {
		d := t.devices[dev]
		if d == nil {
			t.devices[dev] = od
			continue
		}
		d.points += od.points
		for sig, oa := range od.signals {
			a := d.signals[sig]
			if a == nil {
				d.signals[sig] = oa
				continue
			}
			a.values.merge(t.rng, &oa.values)
			a.steps.merge(t.rng, &oa.steps)
			a.pairs += oa.pairs
			a.repeats += oa.repeats
			a.samples += oa.samples
		}
	}
}

// Points returns the number of points learned from.
func (t *Trainer) Points() int64 { return t.points }

// Model returns the model learned so far, with params.
func (t *Trainer) Model(stream string, params Params) *Model {
	m := &Model{
		Version: Version, Stream: stream, Trained: time.Now().UTC(), Points: t.points, Params: params,
		Fleet: map[string]*Stats{}, Devices: map[string]map[string]*Stats{},
	}
	fleet := map[string]*acc{}
	fleetPoints := map[string]int64{}
	for _, dev := range slices.Sorted(maps.Keys(t.devices)) {
		d := t.devices[dev]
		m.Devices[dev] = map[string]*Stats{}
		for _, sig := range slices.Sorted(maps.Keys(d.signals)) {
			a := d.signals[sig]
			m.Devices[dev][sig] = a.stats(d.points)
			f := fleet[sig]
			if f == nil {
				f = &acc{}
				fleet[sig] = f
			}
			f.values.merge(t.rng, &a.values)
			f.steps.merge(t.rng, &a.steps)
			f.pairs += a.pairs
			f.repeats += a.repeats
			f.samples += a.samples
			fleetPoints[sig] += d.points
		}
	}
	for sig, f := range fleet {
		st := f.stats(fleetPoints[sig])
		// Anomalies in the history stretch the pooled quantiles; the
		// devices' own ranges, taken at their 10th and 90th percentiles,
		// stand up to a few devices that had one.
		var los, his []float64
		for _, dev := range m.Devices {
			if d := dev[sig]; d != nil && d.N >= params.MinSamples {
				los, his = append(los, d.Lo), append(his, d.Hi)
			}
		}
		if len(los) >= 5 {
			slices.Sort(los)
			slices.Sort(his)
			st.Lo, st.Hi = quantile(los, 0.1), quantile(his, 0.9)
		}
		m.Fleet[sig] = st
	}
	return m
}

func (a *acc) stats(points int64) *Stats {
	vals := slices.Clone(a.values.vals)
	slices.Sort(vals)
	steps := slices.Clone(a.steps.vals)
	slices.Sort(steps)
	s := &Stats{
		N: a.samples, Lo: quantile(vals, 0.01), Hi: quantile(vals, 0.99), Median: quantile(vals, 0.5),
		Step: quantile(steps, 0.995),
	}
	if a.pairs > 0 {
		s.Repeat = float64(a.repeats) / float64(a.pairs)
	}
	if points > 0 {
		s.Rate = min(float64(a.samples)/float64(points), 1)
	}
	return s
}
