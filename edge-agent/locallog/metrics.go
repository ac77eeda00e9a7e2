package locallog

import (
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tributary-iot/tributary/models"
)

// metrics are the log's Prometheus metrics. A nil *metrics records nothing.
type metrics struct {
	reg        prometheus.Registerer
	collectors []prometheus.Collector

	appended      *prometheus.CounterVec // class
	dropped       *prometheus.CounterVec // class, reason
	synced        *prometheus.CounterVec // class
	deadLetters   *prometheus.CounterVec // reason
	points        *prometheus.GaugeVec   // class
	bytes         *prometheus.GaugeVec   // class
	fileBytes     prometheus.Gauge
	maxBytes      prometheus.Gauge
	commitSeconds prometheus.Histogram
	commitPoints  prometheus.Histogram
}

// newMetrics registers the metrics with reg; nil reg means none.
func newMetrics(reg prometheus.Registerer, maxBytes int64) (*metrics, error) {
	if reg == nil {
		return nil, nil
	}
	const ns, sub = "tributary", "edge_log"
	m := &metrics{
		reg: reg,
		appended: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "appended_points_total", Help: "Points accepted into the local log."}, []string{"class"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "dropped_points_total", Help: "Points dropped from the local log, by reason (evicted, rejected, expired, corrupt)."},
			[]string{"class", "reason"}),
		synced: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "synced_points_total", Help: "Points acknowledged by the cloud and trimmed from the local log."}, []string{"class"}),
		deadLetters: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "dead_letters_total", Help: "Messages recorded as dead letters, by reason."}, []string{"reason"}),
		points: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub,
			Name: "buffered_points", Help: "Points held in the local log."}, []string{"class"}),
		bytes: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub,
			Name: "buffered_bytes", Help: "Encoded bytes of the points held in the local log."}, []string{"class"}),
		fileBytes: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub,
			Name: "file_bytes", Help: "Size of the local log file on disk."}),
		maxBytes: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub,
			Name: "max_bytes", Help: "Cap on the local log file's size."}),
		commitSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: ns, Subsystem: sub,
			Name: "commit_duration_seconds", Help: "Time to plan, write and fsync one group commit.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14)}),
		commitPoints: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: ns, Subsystem: sub,
			Name: "commit_batch_points", Help: "Points appended by one group commit.",
			Buckets: prometheus.ExponentialBuckets(1, 4, 10)}),
	}
	m.collectors = []prometheus.Collector{m.appended, m.dropped, m.synced, m.deadLetters, m.points, m.bytes,
		m.fileBytes, m.maxBytes, m.commitSeconds, m.commitPoints}
	for i, c := range m.collectors {
		if err := reg.Register(c); err != nil {
			for _, done := range m.collectors[:i] {
				reg.Unregister(done)
			}
			var are prometheus.AlreadyRegisteredError
			if errors.As(err, &are) {
				return nil, fmt.Errorf("register metrics: %w (is another log open with this registerer?)", err)
			}
			return nil, fmt.Errorf("register metrics: %w", err)
		}
	}
	m.maxBytes.Set(float64(maxBytes))
	// Create the series up front so they read 0 rather than being absent.
	for c := range models.NumPriorities {
		class := models.Priority(c).String()
		m.appended.WithLabelValues(class)
		m.synced.WithLabelValues(class)
		for r := range numDropReasons {
			m.dropped.WithLabelValues(class, r.String())
		}
	}
	return m, nil
}

// unregister removes the metrics from the registerer.
func (m *metrics) unregister() {
	if m == nil {
		return
	}
	for _, c := range m.collectors {
		m.reg.Unregister(c)
	}
}

// committed records one commit.
func (m *metrics) committed(p *plan, d time.Duration) {
	if m == nil {
		return
	}
	m.commitSeconds.Observe(d.Seconds())
	m.commitPoints.Observe(float64(p.appended()))
	for c := range p.cls {
		cp, class := &p.cls[c], models.Priority(c).String()
		m.appended.WithLabelValues(class).Add(float64(cp.appendN))
		m.synced.WithLabelValues(class).Add(float64(cp.synced))
		for r := range numDropReasons {
			if n := cp.dropped[r]; n > 0 {
				m.dropped.WithLabelValues(class, r.String()).Add(float64(n))
			}
		}
	}
	for r, n := range p.dl.reasons {
		m.deadLetters.WithLabelValues(r).Add(float64(n))
	}
}

// publish sets the gauges from s.
func (m *metrics) publish(s *state) {
	if m == nil {
		return
	}
	for c := range s.classes {
		class := models.Priority(c).String()
		m.points.WithLabelValues(class).Set(float64(s.classes[c].count))
		m.bytes.WithLabelValues(class).Set(float64(s.classes[c].bytes))
	}
	m.fileBytes.Set(float64(s.fileBytes))
}
