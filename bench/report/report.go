package report

import (
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/tributary-iot/tributary/bench/cpuprof"
	"github.com/tributary-iot/tributary/bench/quantile"
)

// Version is the schema version of Report.
const Version = 1

// Report is one run of make bench.
type Report struct {
	Version   int       `json:"version"`
	Started   time.Time `json:"started"`
	DurationS float64   `json:"duration_s"`
	Machine   Machine   `json:"machine"`
	Config    Config    `json:"config"`
	// Figures are the pipeline's measures against their baselines.
	Figures []Figure `json:"figures"`
	// Micro are the Go micro-benchmarks' key figures.
	Micro      []Figure   `json:"micro"`
	Pipeline   Pipeline   `json:"pipeline"`
	Baseline   Baseline   `json:"baseline"`
	Bottleneck Bottleneck `json:"bottleneck"`
	// Phases lists the run's phases, how long each took, and the CPU
	// other work on the machine used meanwhile.
	Phases []Phase  `json:"phases"`
	Series []Sample `json:"series"`
	Notes  []string `json:"notes"`
}

// Machine describes where the run happened.
type Machine struct {
	CPUs      int    `json:"cpus"`
	CPUModel  string `json:"cpu_model"`
	GoVersion string `json:"go_version"`
	Kernel    string `json:"kernel"`
}

// Config is what the run was asked to do.
type Config struct {
	Profile  string `json:"profile"`
	Vehicles int    `json:"vehicles"`
	Batch    int    `json:"batch"`
	// Points is the size of the max-load phase.
	Points int `json:"points"`
	Seed   int `json:"seed"`
	// HalfRate is the half-load phase's rate in points/s (all vehicles).
	HalfRate float64 `json:"half_rate"`
	// LatencyWindowS is how long the latency probe ran.
	LatencyWindowS float64 `json:"latency_window_s"`
	UplinkBatch    int     `json:"uplink_batch,omitempty"`
	UplinkLinger   string  `json:"uplink_linger,omitempty"`
	ProbePoll      string  `json:"probe_poll"`
}

// Better says which way a figure improves.
type Better string

// The directions a figure improves in.
const (
	Higher Better = "higher"
	Lower  Better = "lower"
)

// Figure is one measure against its baseline.
type Figure struct {
	Key   string  `json:"key"`
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Unit  string  `json:"unit"`
	// Baseline describes what Value is set against.
	Baseline      string  `json:"baseline"`
	BaselineValue float64 `json:"baseline_value"`
	// Ratio is Value / BaselineValue (0 when there is no baseline value).
	Ratio  float64 `json:"ratio"`
	Better Better  `json:"better"`
	// Source says how it was measured (a command, an endpoint).
	Source string `json:"source,omitempty"`
	// Skipped, when set, says why there is no value.
	Skipped string `json:"skipped,omitempty"`
}

// NewFigure fills Ratio from value and base; non-finite inputs become 0.
func NewFigure(key, name string, value float64, unit, baseline string, base float64, better Better, source string) Figure {
	f := Figure{Key: key, Name: name, Value: finite(value), Unit: unit, Baseline: baseline,
		BaselineValue: finite(base), Better: better, Source: source}
	if f.BaselineValue != 0 {
		f.Ratio = finite(f.Value / f.BaselineValue)
	}
	return f
}

// SkippedFigure is a figure that could not be measured in this run.
func SkippedFigure(key, name, unit, baseline, why string) Figure {
	return Figure{Key: key, Name: name, Unit: unit, Baseline: baseline, Skipped: why}
}

func finite(f float64) float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return f
}

// Pipeline holds the details of the pipeline's phases.
type Pipeline struct {
	// Max-load phase.
	MaxPoints        int64   `json:"max_points"`
	MaxElapsedS      float64 `json:"max_elapsed_s"`
	MaxPointsPerS    float64 `json:"max_points_per_s"`
	SteadyPointsPerS float64 `json:"steady_points_per_s"`
	FleetsimPerS     float64 `json:"fleetsim_points_per_s"`
	// VisibleDuringLoad is the cloud's rate while fleetsim ran; DrainPerS
	// the rate from then until all points were visible; BacklogPeak the
	// most points waiting at the edge.
	VisibleDuringLoad float64 `json:"visible_during_load_points_per_s"`
	DrainPerS         float64 `json:"drain_points_per_s"`
	BacklogPeak       int64   `json:"backlog_peak_points"`
	// UplinkAckMs is the mean time from sending a batch to its ack;
	// UplinkBatchPoints the mean points a batch.
	UplinkAckMs       float64 `json:"uplink_ack_mean_ms"`
	UplinkBatchPoints float64 `json:"uplink_batch_points"`
	PayloadBytes      int64   `json:"payload_bytes"`
	// Edge agent over the max-load window.
	EdgeCores      float64 `json:"edge_cores"`
	EdgePeakRSS    int64   `json:"edge_peak_rss_bytes"`
	EdgeHalfCores  float64 `json:"edge_half_load_cores"`
	EdgeHalfRate   float64 `json:"edge_half_load_points_per_s"`
	CloudCores     float64 `json:"cloud_cores"`
	CloudPeakRSS   int64   `json:"cloud_peak_rss_bytes"`
	WireBytes      int64   `json:"wire_bytes"`
	WirePoints     int64   `json:"wire_points"`
	UplinkBatches  int64   `json:"uplink_batches"`
	Tier1Bytes     uint64  `json:"tier1_bytes"`
	Tier1Messages  uint64  `json:"tier1_messages"`
	Tier2DirBytes  int64   `json:"tier2_dir_bytes"`
	Tier2Points    int64   `json:"tier2_points"`
	TierSeconds    float64 `json:"tier_seconds"`
	ReadTier1PerS  float64 `json:"read_tier1_points_per_s"`
	ReadTier2PerS  float64 `json:"read_tier2_points_per_s"`
	ReadSplitsPerS float64 `json:"read_splits_points_per_s,omitempty"`
	Splits         int     `json:"splits,omitempty"`
	// Half-load phase.
	HalfPoints    int64            `json:"half_points"`
	Latency       quantile.Summary `json:"latency_ms"`
	Ack           quantile.Summary `json:"puback_ms"`
	ProbeTimedOut int              `json:"probe_timed_out"`
	// TailLatency is publish to the marker's line on a /tail reader.
	TailLatency    quantile.Summary `json:"tail_latency_ms"`
	TailTimedOut   int              `json:"tail_timed_out"`
	ProbePolls     int              `json:"probe_polls"`
	ExactlyOnce    bool             `json:"exactly_once"`
	ExactlyOnceMsg string           `json:"exactly_once_detail"`
}

// Baseline holds the details of the baselines.
type Baseline struct {
	LogMessages      int              `json:"log_messages"`
	LogPoints        int              `json:"log_points"`
	LogPayloadBytes  int64            `json:"log_payload_bytes"`
	LogPublishPerS   float64          `json:"log_publish_points_per_s"`
	LogStoredBytes   uint64           `json:"log_stored_bytes"`
	LogDiskBytes     int64            `json:"log_disk_bytes"`
	LogReadPerS      float64          `json:"log_read_points_per_s"`
	LogAckLatency    quantile.Summary `json:"log_ack_latency_ms"`
	BrokerCores      float64          `json:"broker_cores"`
	BrokerPeakRSS    int64            `json:"broker_peak_rss_bytes"`
	BrokerPointsPerS float64          `json:"broker_points_per_s"`
}

// Bottleneck says where the max-load phase's time went.
type Bottleneck struct {
	WindowS   float64   `json:"window_s"`
	Cores     int       `json:"cores"`
	Processes []ProcCPU `json:"processes"`
	// MachineBusy is the whole machine's CPU use over the window (from
	// /proc/stat), OtherCores the part no process of the run accounts
	// for (other work on a shared machine), StealCores the hypervisor's.
	MachineBusy float64 `json:"machine_busy_cores"`
	OtherCores  float64 `json:"other_cores"`
	StealCores  float64 `json:"steal_cores"`
	// CommitBusy is the share of the window the local log spent in group
	// commits (write + fsync); CommitPoints the mean points per commit.
	CommitBusy   float64  `json:"commit_busy"`
	CommitPoints float64  `json:"commit_points"`
	Profile      *Profile `json:"profile,omitempty"`
	Summary      string   `json:"summary"`
}

// ProcCPU is one process's CPU use in cores (1.0 = one core busy).
type ProcCPU struct {
	Name  string  `json:"name"`
	Cores float64 `json:"cores"`
}

// Profile is a CPU profile's summary.
type Profile struct {
	Tool      string          `json:"tool"`
	Target    string          `json:"target"`
	ByPackage []cpuprof.Share `json:"by_package"`
	TopSelf   []cpuprof.Entry `json:"top_self"`
	TopTotal  []cpuprof.Entry `json:"top_total"`
}

// Phase is one phase of the run.
type Phase struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds"`
	// OtherCores is the machine's CPU use (/proc/stat) that the run's
	// processes do not account for, in cores.
	OtherCores float64 `json:"other_cores"`
}

// Sample is one point of the time series, taken about once a second.
type Sample struct {
	// T is seconds since the pipeline started.
	T     float64 `json:"t"`
	Phase string  `json:"phase"`
	// Visible is the cloud's count of the load stream.
	Visible int64 `json:"visible"`
	// Received counts points the edge agent took in.
	Received int64 `json:"received"`
	// Backlog is points durable at the edge, not yet acked by the cloud.
	Backlog int64 `json:"backlog"`
}

// JSON returns r as indented JSON.
func (r *Report) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode report: %w", err)
	}
	return append(b, '\n'), nil
}
