package uplink

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	batchesSent, batchesAcked, batchesRetried prometheus.Counter
	pointsSent, pointsAcked, wireBytes        prometheus.Counter
	sessions                                  prometheus.Counter
	ackSeconds                                prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	c := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: "tributary_uplink_" + name, Help: help})
	}
	m := &metrics{
		batchesSent:    c("batches_sent_total", "Batches sent to the cloud."),
		batchesAcked:   c("batches_acked_total", "Batches the cloud acknowledged."),
		batchesRetried: c("batches_retried_total", "Batches that failed (timeout, retry, out of order) and will be resent."),
		pointsSent:     c("points_sent_total", "Points sent (resends included)."),
		pointsAcked:    c("points_acked_total", "Points acknowledged by the cloud."),
		wireBytes:      c("wire_bytes_total", "Batch frame bytes sent."),
		sessions:       c("session_failures_total", "Sessions that ended in a failure and were restarted."),
		ackSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "tributary_uplink_ack_seconds", Help: "Time from sending a batch to its ack.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
		}),
	}
	if reg != nil {
		for _, col := range []prometheus.Collector{m.batchesSent, m.batchesAcked, m.batchesRetried, m.pointsSent,
			m.pointsAcked, m.wireBytes, m.sessions, m.ackSeconds} {
			if err := reg.Register(col); err != nil {
				return nil, fmt.Errorf("register uplink metrics: %w", err)
			}
		}
	}
	return m, nil
}
