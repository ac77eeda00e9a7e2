package store

import (
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tributary-iot/tributary/cloud-core/segment"
)

// segKey names one segment of one stream.
type segKey struct{ stream, seg string }

// gate admits appends to one segment until the segment is sealed, and
// counts what they store.
type gate struct {
	// mu is held shared by each append to the segment for the whole of
	// its publish, and exclusively to seal the segment: sealing waits for
	// the appends in flight, and none starts after it.
	mu sync.RWMutex
	// closed is set when the segment is sealed; guarded by mu.
	closed bool
	// points and bytes count what appends stored in the segment since
	// the store opened.
	points, bytes atomic.Uint64
}

// rescaler coordinates the splits and merges of one stream.
type rescaler struct {
	// mu is held for the whole of a split or merge of the stream; an
	// append that found its segment sealed waits for it before routing
	// again.
	mu sync.Mutex
	// changed is closed (and replaced) when the stream's epoch changes;
	// guarded by scaling.mu.
	changed chan struct{}
}

// scaling is the store's part of dynamic scaling: segment gates, the
// per-stream rescale locks, the writers' final marks in sealed segments
// and the scaling metrics. Its zero value is ready to use (without
// metrics until registerScaling).
type scaling struct {
	// gates maps a segKey to the segment's *gate (read on every append).
	gates sync.Map
	// ancestry maps a segKey to the segment's ancestors, []ancestor
	// (fixed when the segment is made; read on every append).
	ancestry sync.Map

	mu sync.Mutex
	// streams holds each stream's rescaler; guarded by mu.
	streams map[string]*rescaler
	// final caches writers' marks in sealed segments, which never change;
	// guarded by mu.
	final map[markKey]uint64

	// events counts splits and merges by stream and kind.
	events *prometheus.CounterVec
}

// gate returns the gate of a segment. A gate made for a segment that the
// cached layout says is sealed starts closed.
func (s *Store) gate(stream, seg string) *gate {
	k := segKey{stream, seg}
	if g, ok := s.scale.gates.Load(k); ok {
		return g.(*gate)
	}
	sealed := false
	if ss := s.cachedStream(stream); ss != nil {
		if sg, err := ss.meta.Layout.Segment(seg); err == nil && !sg.Active() {
			sealed = true
		}
	}
	g, _ := s.scale.gates.LoadOrStore(k, &gate{closed: sealed})
	return g.(*gate)
}

// rescaler returns the rescale coordination of a stream.
func (s *Store) rescaler(stream string) *rescaler {
	s.scale.mu.Lock()
	defer s.scale.mu.Unlock()
	r := s.scale.streams[stream]
	if r == nil {
		if s.scale.streams == nil {
			s.scale.streams = map[string]*rescaler{}
		}
		r = &rescaler{changed: make(chan struct{})}
		s.scale.streams[stream] = r
	}
	return r
}

// epochWatch returns a channel that is closed when stream's epoch next
// changes.
func (s *Store) epochWatch(stream string) <-chan struct{} {
	r := s.rescaler(stream)
	s.scale.mu.Lock()
	defer s.scale.mu.Unlock()
	return r.changed
}

// epochChanged wakes the watchers of stream's epoch.
func (s *Store) epochChanged(stream string) {
	r := s.rescaler(stream)
	s.scale.mu.Lock()
	defer s.scale.mu.Unlock()
	close(r.changed)
	r.changed = make(chan struct{})
}

// ancestor is a sealed segment that once owned part of a later
// segment's range.
type ancestor struct {
	id  string
	rng segment.KeyRange
}

// ancestors returns the ancestors of segment seg of stream in layout l
// (cached: a segment's ancestors never change).
func (s *Store) ancestors(stream string, l *segment.Layout, seg string) ([]ancestor, error) {
	k := segKey{stream, seg}
	if a, ok := s.scale.ancestry.Load(k); ok {
		return a.([]ancestor), nil
	}
	var a []ancestor
	for _, id := range l.Ancestors(seg) {
		sg, err := l.Segment(id)
		if err != nil {
			return nil, err
		}
		a = append(a, ancestor{id: id, rng: sg.Range})
	}
	s.scale.ancestry.Store(k, a)
	return a, nil
}

// finalMark returns a cached final mark of writer in a sealed segment.
func (s *Store) finalMark(k markKey) (uint64, bool) {
	s.scale.mu.Lock()
	defer s.scale.mu.Unlock()
	m, ok := s.scale.final[k]
	return m, ok
}

func (s *Store) putFinalMark(k markKey, m uint64) {
	s.scale.mu.Lock()
	defer s.scale.mu.Unlock()
	if s.scale.final == nil || len(s.scale.final) >= maxCachedMarks {
		s.scale.final = map[markKey]uint64{}
	}
	s.scale.final[k] = m
}

// SegmentLoad returns what appends stored in each active segment of
// stream since the store opened (segments with none included); nil for a
// stream the store does not know. The scaler turns the counts into rates.
func (s *Store) SegmentLoad(stream string) map[string]segment.Load {
	ss := s.cachedStream(stream)
	if ss == nil {
		return nil
	}
	segs := ss.meta.Layout.Current().Segments
	out := make(map[string]segment.Load, len(segs))
	for _, id := range segs {
		g := s.gate(stream, id)
		out[id] = segment.Load{Points: g.points.Load(), Bytes: g.bytes.Load()}
	}
	return out
}

// registerScaling makes the scaling metrics and registers them with reg
// (nil: none).
func (s *Store) registerScaling(reg prometheus.Registerer) error {
	s.scale.events = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tributary_scaling_events_total", Help: "Splits and merges of segments, by stream and kind (split, merge).",
	}, []string{"stream", "kind"})
	if reg == nil {
		return nil
	}
	if err := reg.Register(s.scale.events); err != nil {
		return err
	}
	return reg.Register(segmentsCollector{s: s, desc: prometheus.NewDesc("tributary_store_segments",
		"Active segments of a stream (its current epoch).", []string{"stream"}, nil)})
}

// segmentsCollector exports the number of active segments of each stream.
type segmentsCollector struct {
	s    *Store
	desc *prometheus.Desc
}

// Describe implements prometheus.Collector.
func (c segmentsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect implements prometheus.Collector.
func (c segmentsCollector) Collect(ch chan<- prometheus.Metric) {
	c.s.mu.Lock()
	counts := make(map[string]int, len(c.s.streams))
	for name, ss := range c.s.streams {
		counts[name] = len(ss.meta.Layout.Current().Segments)
	}
	c.s.mu.Unlock()
	for name, n := range counts {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n), name)
	}
}

// settle waits for a split or merge of the stream in progress to finish.
func (r *rescaler) settle() {
	r.mu.Lock()
	r.mu.Unlock() //nolint:staticcheck // an empty critical section: waiting is the point
}
