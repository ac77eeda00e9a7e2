package tier2

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are a Store's Prometheus collectors.
type metrics struct {
	chunksWritten prometheus.Counter
	rowsWritten   prometheus.Counter
	bytesWritten  prometheus.Counter
	writeSeconds  prometheus.Histogram
	writeErrors   prometheus.Counter
	rowsRead      prometheus.Counter
	corrupt       prometheus.Counter
	chunksRemoved prometheus.Counter
	swept         prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "tributary", Subsystem: "tier2", Name: name, Help: help,
		})
	}
	m := &metrics{
		chunksWritten: counter("chunks_written_total", "Chunks written whole."),
		rowsWritten:   counter("rows_written_total", "Points written into chunks."),
		bytesWritten:  counter("bytes_written_total", "Bytes of chunk files written."),
		writeSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "tributary", Subsystem: "tier2", Name: "write_seconds",
			Help:    "Time to write one chunk, sort to fsync.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2, 12),
		}),
		writeErrors:   counter("write_errors_total", "Chunk writes that failed."),
		rowsRead:      counter("rows_read_total", "Points returned by Read."),
		corrupt:       counter("corrupt_chunks_total", "Reads that met a corrupt chunk."),
		chunksRemoved: counter("chunks_removed_total", "Chunks removed by Remove."),
		swept:         counter("swept_files_total", "Partial files and unindexed chunks removed by Sweep."),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.chunksWritten, m.rowsWritten, m.bytesWritten, m.writeSeconds,
		m.writeErrors, m.rowsRead, m.corrupt, m.chunksRemoved, m.swept} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("cannot register tier-2 metrics: %w", err)
		}
	}
	return m, nil
}
