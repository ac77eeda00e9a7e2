package store

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	appendBatches   prometheus.Counter
	appendPoints    prometheus.Counter
	duplicatePoints prometheus.Counter
	appendConflicts prometheus.Counter
	appendErrors    prometheus.Counter
	appendSeconds   prometheus.Histogram
	tieredChunks    prometheus.Counter
	tieredPoints    prometheus.Counter
	tieringErrors   prometheus.Counter
	retentionChunks prometheus.Counter
	readPoints      prometheus.Counter
	tailReaders     prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		appendBatches: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tributary_store_append_batches_total", Help: "Batches appended (acknowledged).",
		}),
		appendPoints: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tributary_store_appended_points_total", Help: "Points written to tier 1.",
		}),
		duplicatePoints: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tributary_store_duplicate_points_total", Help: "Points dropped because the writer's mark already covered them.",
		}),
		appendConflicts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tributary_store_append_conflicts_total", Help: "Appends retried because the writer's last position moved (racing retries, trims).",
		}),
		appendErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tributary_store_append_errors_total", Help: "Appends that failed.",
		}),
		appendSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "tributary_store_append_seconds", Help: "Time to make a batch durable in tier 1.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 4, 9),
		}),
		tieredChunks: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tributary_store_tiered_chunks_total", Help: "Tier-2 chunks written and indexed by tiering.",
		}),
		tieredPoints: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tributary_store_tiered_points_total", Help: "Points moved from tier 1 to tier 2.",
		}),
		tieringErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tributary_store_tiering_errors_total", Help: "Tiering runs that failed.",
		}),
		retentionChunks: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tributary_store_retention_removed_chunks_total", Help: "Chunks deleted by retention.",
		}),
		readPoints: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tributary_store_read_points_total", Help: "Points returned by reads and tails.",
		}),
		tailReaders: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "tributary_store_tail_readers", Help: "Live tails running.",
		}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.appendBatches, m.appendPoints, m.duplicatePoints, m.appendConflicts,
		m.appendErrors, m.appendSeconds, m.tieredChunks, m.tieredPoints, m.tieringErrors, m.retentionChunks,
		m.readPoints, m.tailReaders} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("cannot register store metrics: %w", err)
		}
	}
	return m, nil
}
