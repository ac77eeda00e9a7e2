package ingest

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	batches    *prometheus.CounterVec
	refused    *prometheus.CounterVec
	points     prometheus.Counter
	duplicates prometheus.Counter
	wireBytes  prometheus.Counter
	latency    prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		batches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tributary_ingest_batches_total", Help: "Batches answered, by ack status.",
		}, []string{"status"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tributary_ingest_refused_total", Help: "Requests refused, by reason (corrupt, invalid, impersonation).",
		}, []string{"reason"}),
		points: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tributary_ingest_points_total", Help: "Points in acknowledged batches (the store drops those it already held: tributary_store_duplicate_points_total).",
		}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tributary_ingest_duplicate_points_total", Help: "Points in batches wholly under the writer's committed mark, acked again without a write.",
		}),
		wireBytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tributary_ingest_wire_bytes_total", Help: "Batch frame bytes received.",
		}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "tributary_ingest_batch_seconds", Help: "Time from receiving a batch to its ack.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.batches, m.refused, m.points, m.duplicates, m.wireBytes, m.latency} {
			if err := reg.Register(c); err != nil {
				return nil, fmt.Errorf("register ingest metrics: %w", err)
			}
		}
	}
	return m, nil
}
