package scenario

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/tributary-iot/tributary/bench/procs"
	"github.com/tributary-iot/tributary/bench/procstat"
	"github.com/tributary-iot/tributary/bench/report"
)

// fleetReport is the part of fleetsim's --report that is used.
type fleetReport struct {
	Started    time.Time `json:"started"`
	ElapsedS   float64   `json:"elapsed_s"`
	Points     int64     `json:"points"`
	Messages   int64     `json:"messages"`
	Bytes      int64     `json:"bytes"`
	Errors     int64     `json:"errors"`
	PointsPerS float64   `json:"points_per_s"`
}

// maxFlags are fleetsim's flags for the max-load phase (and its dry run
// and the bare-broker run): a fixed start, so the data are the same.
func (s *state) maxFlags() []string {
	return []string{"--profile", s.o.Profile, "--vehicles", strconv.Itoa(s.o.Vehicles), "--rate", "max",
		"--batch", strconv.Itoa(s.o.Batch), "--points", strconv.Itoa(s.o.Points), "--clean",
		"--seed", strconv.Itoa(s.o.Seed), "--start", s.start, "--log-level", "warn"}
}

// generate writes the max-load phase's messages with a fleetsim dry run.
func (s *state) generate(ctx context.Context) error {
	if err := mkdir(s.o.WorkDir); err != nil {
		return err
	}
	// Device time runs ahead of the clock at --rate max: start in the
	// past, inside the profiles' window (168 h back, 5 min ahead).
	s.start = time.Now().Add(-2 * time.Hour).UTC().Truncate(time.Second).Format(time.RFC3339)
	s.msgsFile = s.path("max.msgs")
	p, err := procs.Start("fleetsim-dry-run", s.path("fleetsim-dry-run.log"), s.bin("fleetsim"),
		append(s.maxFlags(), "--out", s.msgsFile)...)
	if err != nil {
		return err
	}
	return p.Wait(ctx)
}

// runFleetsim runs fleetsim against broker and returns its report.
func (s *state) runFleetsim(ctx context.Context, name, broker string, flags []string, started func(*procs.Proc)) (fleetReport, *procs.Proc, error) {
	var rep fleetReport
	repFile := s.path(name + ".json")
	p, err := procs.Start(name, s.path(name+".log"), s.bin("fleetsim"),
		append(slices.Clone(flags), "--mqtt", "tcp://"+broker, "--report", repFile)...)
	if err != nil {
		return rep, nil, err
	}
	if started != nil {
		started(p)
	}
	if err := p.Wait(ctx); err != nil {
		_ = p.Stop(5 * time.Second)
		return rep, p, err
	}
	b, err := os.ReadFile(repFile)
	if err != nil {
		return rep, p, fmt.Errorf("%s report: %w", name, err)
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		return rep, p, fmt.Errorf("%s report: %w", name, err)
	}
	if rep.Errors > 0 {
		return rep, p, fmt.Errorf("%s: %d publishes failed (see %s)", name, rep.Errors, p.LogPath)
	}
	return rep, p, nil
}

// cpuOf reads the CPU time of the running processes by name.
func (s *state) cpuOf() map[string]procstat.CPU {
	out := map[string]procstat.CPU{}
	for name, p := range map[string]int{"edge-agent": s.agent.PID(), "cloud-core": s.cloud.PID(), "benchrun": os.Getpid()} {
		if c, err := procstat.Read(p); err == nil {
			out[name] = c
		}
	}
	return out
}

// maxLoad runs fleetsim as fast as the pipeline takes it and measures
// end-to-end throughput, CPU and memory, and profiles the agent.
func (s *state) maxLoad(ctx context.Context) error {
	// The dry run just wrote its messages: flush them now, not during the
	// measurement.
	syscall.Sync()
	m0, err := s.agentMetrics(ctx)
	if err != nil {
		return err
	}
	s.series = newSampler(s)
	prof, err := s.startProfile(ctx)
	if err != nil {
		s.note("edge agent profile: %v", err)
	}
	cpu0 := s.cpuOf()
	sys0, _ := procstat.ReadSystem()
	launch := time.Now()
	s.series.run(ctx, "max load")
	var fsProc *procs.Proc
	rep, fsProc, err := s.runFleetsim(ctx, "fleetsim-max", s.mqttAddr, s.maxFlags(), nil)
	fsWall := time.Since(launch)
	if err != nil {
		if prof != nil {
			prof.abandon()
		}
		s.series.end()
		return err
	}
	s.series.setPhase("drain")
	visibleAt, err := s.waitVisible(ctx, Stream, rep.Points, 3*time.Minute)
	cpu1 := s.cpuOf()
	sys1, _ := procstat.ReadSystem()
	window := visibleAt.Sub(launch)
	var profCPU time.Duration
	if prof != nil {
		var perr error
		if s.r.Bottleneck.Profile, profCPU, perr = prof.finish(ctx); perr != nil {
			s.note("edge agent profile: %v", perr)
		}
	}
	s.series.end()
	if err != nil {
		return err
	}
	m1, err := s.agentMetrics(ctx)
	if err != nil {
		return err
	}
	p := &s.r.Pipeline
	p.MaxPoints = rep.Points
	p.PayloadBytes = rep.Bytes
	p.FleetsimPerS = rep.PointsPerS
	p.MaxElapsedS = visibleAt.Sub(rep.Started).Seconds()
	p.MaxPointsPerS = float64(rep.Points) / p.MaxElapsedS
	p.SteadyPointsPerS = steadyRate(s.series.all(), "max load")
	p.VisibleDuringLoad, p.DrainPerS, p.BacklogPeak = loadAndDrain(s.series.all(), s.series.t0, visibleAt, rep.Points)
	p.ExactlyOnce = true
	p.ExactlyOnceMsg = fmt.Sprintf("max load: %d published, %d visible", rep.Points, rep.Points)

	coresOf := func(name string) float64 { return cpu1[name].Sub(cpu0[name]).Total().Seconds() / window.Seconds() }
	p.EdgeCores, p.CloudCores = coresOf("edge-agent"), coresOf("cloud-core")
	if mem, err := procstat.ReadMemory(s.agent.PID()); err == nil {
		p.EdgePeakRSS = mem.HWM
	}
	if mem, err := procstat.ReadMemory(s.cloud.PID()); err == nil {
		p.CloudPeakRSS = mem.HWM
	}
	d := func(name string) float64 { return m1[name] - m0[name] }
	p.WireBytes = int64(d("tributary_uplink_wire_bytes_total"))
	p.WirePoints = int64(d("tributary_uplink_points_sent_total"))
	p.UplinkBatches = int64(d("tributary_uplink_batches_sent_total"))
	if n := d("tributary_uplink_ack_seconds_count"); n > 0 {
		p.UplinkAckMs = 1000 * d("tributary_uplink_ack_seconds_sum") / n
	}
	if p.UplinkBatches > 0 {
		p.UplinkBatchPoints = float64(p.WirePoints) / float64(p.UplinkBatches)
	}

	bn := &s.r.Bottleneck
	bn.WindowS, bn.Cores = window.Seconds(), cores()
	fsCores := fsProc.CPUTime().Seconds() / fsWall.Seconds()
	bn.Processes = []report.ProcCPU{
		{Name: "edge-agent", Cores: p.EdgeCores},
		{Name: "fleetsim (load generator)", Cores: fsCores},
		{Name: "cloud-core", Cores: p.CloudCores},
		{Name: "benchrun (sampling, count polls)", Cores: coresOf("benchrun")},
	}
	if profCPU > 0 {
		bn.Processes = append(bn.Processes, report.ProcCPU{Name: "perf (profiler)", Cores: profCPU.Seconds() / window.Seconds()})
	}
	if d := sys1.Sub(sys0); d.Busy > 0 {
		sec := func(ticks uint64) float64 { return float64(ticks) / procstat.TicksPerSecond / window.Seconds() }
		bn.MachineBusy, bn.StealCores = sec(d.Busy), sec(d.Steal)
		ours := 0.0
		for _, pr := range bn.Processes {
			ours += pr.Cores
		}
		// fleetsim's share is over its own, shorter, life: count its CPU
		// seconds against the window.
		ours += fsCores*fsWall.Seconds()/window.Seconds() - fsCores
		bn.OtherCores = max(bn.MachineBusy-ours, 0)
		if bn.StealCores > 0.2 {
			s.note("the hypervisor stole %.2f cores during the max-load window", bn.StealCores)
		}
	}
	if n := d("tributary_edge_log_commit_duration_seconds_count"); n > 0 {
		bn.CommitBusy = d("tributary_edge_log_commit_duration_seconds_sum") / window.Seconds()
		bn.CommitPoints = d("tributary_edge_log_commit_batch_points_sum") / d("tributary_edge_log_commit_batch_points_count")
	}
	return nil
}

// steadyRate is the median cloud-visible rate between samples of phase,
// leaving out the first two and the last interval (ramp up and down).
func steadyRate(ss []report.Sample, phase string) float64 {
	var rates []float64
	var prev *report.Sample
	for i := range ss {
		cur := &ss[i]
		if cur.Phase != phase {
			prev = nil
			continue
		}
		if prev != nil && cur.T > prev.T {
			rates = append(rates, float64(cur.Visible-prev.Visible)/(cur.T-prev.T))
		}
		prev = cur
	}
	if len(rates) < 4 {
		return 0
	}
	rates = rates[2 : len(rates)-1]
	slices.Sort(rates)
	return rates[len(rates)/2]
}

// loadAndDrain returns the cloud-visible rate between the first and the
// last sample taken while the load ran, the rate from that last sample
// until all points were visible, and the largest edge backlog seen.
func loadAndDrain(ss []report.Sample, t0, visibleAt time.Time, points int64) (during, drain float64, peak int64) {
	var first, last *report.Sample
	for i := range ss {
		cur := &ss[i]
		if cur.Phase == "max load" || cur.Phase == "drain" && first != nil {
			peak = max(peak, cur.Backlog)
		}
		if cur.Phase != "max load" {
			continue
		}
		if first == nil {
			first = cur
		}
		last = cur
	}
	if first == nil {
		return 0, 0, peak
	}
	if last.T > first.T {
		during = float64(last.Visible-first.Visible) / (last.T - first.T)
	}
	lastAt := t0.Add(time.Duration(last.T * float64(time.Second)))
	if dt := visibleAt.Sub(lastAt).Seconds(); dt > 0 {
		drain = float64(points-last.Visible) / dt
	}
	return during, drain, peak
}

func writeFile(path string, b []byte) error {
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
