package scenario

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tributary-iot/tributary/bench/cpuprof"
	"github.com/tributary-iot/tributary/bench/report"
)

// perTenK scales a per-run figure to 10,000 points/s of load.
func perTenK(v, rate float64) float64 {
	if rate <= 0 {
		return 0
	}
	return v * 10000 / rate
}

const mb = 1 << 20

// assemble turns the measurements into the headline figures and the
// bottleneck summary.
func (s *state) assemble() {
	p, b := &s.r.Pipeline, &s.r.Baseline
	rawPerPoint := float64(p.PayloadBytes) / float64(max(p.MaxPoints, 1))
	logDiskPerPoint := float64(b.LogDiskBytes) / float64(max(b.LogPoints, 1))
	const rawLog = "plain JetStream log of the raw JSON payloads"
	figs := []report.Figure{
		report.NewFigure("e2e_points_per_s", "End-to-end throughput: MQTT publish to visible in /count", p.MaxPointsPerS, "points/s",
			rawLog+": async publish of the same payloads", b.LogPublishPerS, report.Higher, "fleetsim --rate max; poll /v1/streams/{s}/count"),
		report.NewFigure("latency_p50_ms", "Publish-to-visible latency p50, at half that load", p.Latency.P50, "ms",
			rawLog+": publish-to-ack at the same load", b.LogAckLatency.P50, report.Lower, "marker points over MQTT; poll count"),
		report.NewFigure("latency_p99_ms", "Publish-to-visible latency p99, at half that load", p.Latency.P99, "ms",
			rawLog+": publish-to-ack at the same load", b.LogAckLatency.P99, report.Lower, "marker points over MQTT; poll count"),
	}
	const tailName = "Publish-to-tail latency %s (a /tail reader), same load"
	for _, q := range []struct {
		key, name string
		v, base   float64
	}{
		{"tail_p50_ms", "p50", p.TailLatency.P50, b.LogAckLatency.P50},
		{"tail_p99_ms", "p99", p.TailLatency.P99, b.LogAckLatency.P99},
	} {
		if s.tailSkip != "" {
			figs = append(figs, report.SkippedFigure(q.key, fmt.Sprintf(tailName, q.name), "ms", rawLog+": publish-to-ack", s.tailSkip))
			continue
		}
		figs = append(figs, report.NewFigure(q.key, fmt.Sprintf(tailName, q.name), q.v, "ms",
			rawLog+": publish-to-ack at the same load", q.base, report.Lower, "marker points over MQTT; GET /v1/streams/{s}/tail"))
	}
	figs = append(figs,
		report.NewFigure("puback_p50_ms", "MQTT PUBACK p50 (durable in the edge log), same probe", p.Ack.P50, "ms",
			rawLog+": publish-to-ack at the same load", b.LogAckLatency.P50, report.Lower, "marker points over MQTT, QoS 1"),
		report.NewFigure("puback_p99_ms", "MQTT PUBACK p99 (durable in the edge log), same probe", p.Ack.P99, "ms",
			rawLog+": publish-to-ack at the same load", b.LogAckLatency.P99, report.Lower, "marker points over MQTT, QoS 1"),
		report.NewFigure("edge_cpu_per_10k", "Edge agent CPU per 10k points/s (max load)", perTenK(p.EdgeCores, p.MaxPointsPerS), "cores",
			"bare mochi-mqtt broker, same fleetsim load", perTenK(b.BrokerCores, b.BrokerPointsPerS), report.Lower, "/proc/PID/stat utime+stime"),
		report.NewFigure("edge_rss_per_10k", "Edge agent peak RSS per 10k points/s", perTenK(float64(p.EdgePeakRSS)/mb, p.MaxPointsPerS), "MiB",
			"bare mochi-mqtt broker, same fleetsim load", perTenK(float64(b.BrokerPeakRSS)/mb, b.BrokerPointsPerS), report.Lower, "/proc/PID/status VmHWM"),
		report.NewFigure("wire_bytes_per_point", "Bytes on the wire (edge to cloud) per point", float64(p.WireBytes)/float64(max(p.WirePoints, 1)), "B",
			"raw JSON payload", rawPerPoint, report.Lower, "agent metric tributary_uplink_wire_bytes_total"),
		report.NewFigure("tier1_bytes_per_point", "Tier-1 (JetStream) bytes per point", float64(p.Tier1Bytes)/float64(max(p.MaxPoints, 1)), "B",
			rawLog+", on disk", logDiskPerPoint, report.Lower, "GET /v1/streams/{s} tier1_bytes"),
		report.NewFigure("tier2_bytes_per_point", "Tier-2 (Parquet) bytes per point", float64(p.Tier2DirBytes)/float64(max(p.Tier2Points, 1)), "B",
			rawLog+", on disk", logDiskPerPoint, report.Lower, "POST /v1/streams/{s}/tier; size of the tier-2 directory"),
		report.NewFigure("tier2_vs_raw_json", "Tier-2 (Parquet) bytes per point", float64(p.Tier2DirBytes)/float64(max(p.Tier2Points, 1)), "B",
			"raw JSON payload", rawPerPoint, report.Lower, "POST /v1/streams/{s}/tier; size of the tier-2 directory"),
		report.NewFigure("read_tier2_points_per_s", "History read for training: /events NDJSON from tier 2", p.ReadTier2PerS, "points/s",
			rawLog+": read back with an ordered consumer", b.LogReadPerS, report.Higher, "GET /v1/streams/{s}/events?format=ndjson"),
		report.NewFigure("read_tier1_points_per_s", "Read of the same data from tier 1, before tiering", p.ReadTier1PerS, "points/s",
			rawLog+": read back with an ordered consumer", b.LogReadPerS, report.Higher, "GET /v1/streams/{s}/events?format=ndjson"),
	)
	const splitsName = "History read through /splits, parallel readers"
	if s.splitsSkip != "" {
		figs = append(figs, report.SkippedFigure("read_splits_points_per_s", splitsName, "points/s", rawLog, s.splitsSkip))
	} else {
		figs = append(figs, report.NewFigure("read_splits_points_per_s", fmt.Sprintf("%s (%d splits, %d readers)", splitsName, p.Splits, cores()),
			p.ReadSplitsPerS, "points/s", rawLog+": read back with an ordered consumer", b.LogReadPerS, report.Higher, "GET /v1/streams/{s}/splits"))
	}
	s.r.Figures = figs
	s.r.Bottleneck.Summary = bottleneckSummary(&s.r.Bottleneck, p)
}

// bottleneckSummary says in a few sentences what limited the max-load
// phase, from the CPU use, the local log's commit time and the profile.
func bottleneckSummary(bn *report.Bottleneck, p *report.Pipeline) string {
	var sb strings.Builder
	total := 0.0
	procs := slices.Clone(bn.Processes)
	for _, pr := range procs {
		total += pr.Cores
	}
	slices.SortFunc(procs, func(a, b report.ProcCPU) int {
		switch {
		case a.Cores > b.Cores:
			return -1
		case a.Cores < b.Cores:
			return 1
		}
		return 0
	})
	var parts []string
	for _, pr := range procs {
		parts = append(parts, fmt.Sprintf("%s %.2f", pr.Name, pr.Cores))
	}
	switch busy := total / float64(max(bn.Cores, 1)); {
	case busy >= 0.9:
		fmt.Fprintf(&sb, "CPU-bound: during the max-load phase the processes kept %.2f of the %d cores busy (%s). ",
			total, bn.Cores, strings.Join(parts, ", "))
	case busy >= 0.6:
		fmt.Fprintf(&sb, "Close to CPU-bound: the processes used %.2f of the %d cores (%s); the rest of the time went to waiting. ",
			total, bn.Cores, strings.Join(parts, ", "))
	default:
		fmt.Fprintf(&sb, "Not CPU-bound: the processes used %.2f of the %d cores (%s), so the limit is waiting, not computing. ",
			total, bn.Cores, strings.Join(parts, ", "))
	}
	if p.BacklogPeak > 0 && p.VisibleDuringLoad > 0 && p.FleetsimPerS > 1.15*p.VisibleDuringLoad {
		fmt.Fprintf(&sb, "The uplink limits the end-to-end rate: the agent took in %s points/s (acked to fleetsim) while the cloud made %s points/s visible, "+
			"so up to %s points waited at the edge and drained at %s points/s once the load stopped. "+
			"Batches of %.0f points took %.0f ms from send to ack on average, about %s points in flight (visible rate x ack time). ",
			report.Int(p.FleetsimPerS), report.Int(p.VisibleDuringLoad), report.Int(float64(p.BacklogPeak)), report.Int(p.DrainPerS),
			p.UplinkBatchPoints, p.UplinkAckMs, report.Int(p.VisibleDuringLoad*p.UplinkAckMs/1000))
		if p.DrainPerS > 1.5*p.VisibleDuringLoad {
			fmt.Fprintf(&sb, "Draining without the load, it ran %.1fx faster: the uplink is short of CPU while the intake runs, not slow by itself. ",
				p.DrainPerS/p.VisibleDuringLoad)
		}
	}
	if bn.CommitBusy > 0 {
		fmt.Fprintf(&sb, "The edge agent's local log spent %.0f%% of the window in group commits (write + fsync), %.0f points a commit on average",
			100*min(bn.CommitBusy, 9.99), bn.CommitPoints)
		if bn.CommitBusy >= 0.8 {
			sb.WriteString(": commits run back to back, so fsync latency and the commit group size cap the intake. ")
		} else {
			sb.WriteString(". ")
		}
	}
	if pr := bn.Profile; pr != nil && len(pr.ByPackage) > 0 {
		var top []string
		for _, sh := range pr.ByPackage[:min(4, len(pr.ByPackage))] {
			top = append(top, fmt.Sprintf("%s %.0f%%", cpuprof.Short(sh.Package, report.Module), sh.Self))
		}
		fmt.Fprintf(&sb, "In the %s, self time by package: %s.", pr.Target, strings.Join(top, ", "))
	}
	if p.EdgeHalfRate > 0 {
		fmt.Fprintf(&sb, " At half load (%.0f points/s into the agent) the agent used %.2f cores.", p.EdgeHalfRate, p.EdgeHalfCores)
	}
	return strings.TrimSpace(sb.String())
}
