package scenario

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/tributary-iot/tributary/bench/cloudapi"
	"github.com/tributary-iot/tributary/bench/procs"
	"github.com/tributary-iot/tributary/bench/procstat"
	"github.com/tributary-iot/tributary/bench/report"
)

// state is one run in progress. Measurements go straight into r; the
// fields here are what phases hand to later ones.
type state struct {
	o   Options
	r   *report.Report
	log *slog.Logger

	// The pipeline's processes and addresses.
	cloud, agent        *procs.Proc
	natsAddr, cloudHTTP string
	mqttAddr, agentHTTP string
	api                 *cloudapi.Client
	tier2Dir            string
	// start is fleetsim's --start for the max-load phase (the dry run and
	// the bare-broker run use the same, so the payloads are identical).
	start    string
	msgsFile string
	series   *sampler
	// splitsSkip and tailSkip say why the splits read or the tail probe
	// was skipped.
	splitsSkip, tailSkip string
}

// Run runs the benchmark. On error the report holds what was measured so
// far and the work directory keeps the processes' logs.
func Run(ctx context.Context, o Options) (*report.Report, error) {
	o.defaults()
	s := &state{o: o, log: o.Logger}
	s.r = &report.Report{
		Version: report.Version,
		Started: time.Now().UTC(),
		Machine: machine(ctx, o),
		Config: report.Config{
			Profile: o.Profile, Vehicles: o.Vehicles, Batch: o.Batch, Points: o.Points, Seed: o.Seed,
			LatencyWindowS: o.LatencyWindow.Seconds(), UplinkBatch: o.UplinkBatch, ProbePoll: o.ProbePoll.String(),
		},
	}
	if o.UplinkLinger > 0 {
		s.r.Config.UplinkLinger = o.UplinkLinger.String()
	}
	defer func() { _ = s.stopPipeline(context.Background()) }()
	steps := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"wait for a quiet machine", s.waitQuiet},
		{"generate", s.generate},
		{"start", s.startPipeline},
		{"max load", s.maxLoad},
		{"storage and reads", s.storageAndReads},
		{"half load", s.halfLoad},
		{"stop", s.stopPipeline},
		{"bare broker", s.bareBroker},
		{"raw log", s.rawLog},
		{"micro-benchmarks", s.micro},
	}
	for _, st := range steps {
		t0, ours0 := time.Now(), s.ownCPU()
		sys0, _ := procstat.ReadSystem()
		s.log.Info("phase", "name", st.name)
		if err := st.fn(ctx); err != nil {
			s.r.DurationS = time.Since(s.r.Started).Seconds()
			return s.r, fmt.Errorf("%s: %w", st.name, err)
		}
		took := time.Since(t0)
		sys1, _ := procstat.ReadSystem()
		other := (float64(sys1.Sub(sys0).Busy)/procstat.TicksPerSecond - (s.ownCPU() - ours0).Seconds()) / took.Seconds()
		s.r.Phases = append(s.r.Phases, report.Phase{Name: st.name, Seconds: took.Seconds(), OtherCores: max(other, 0)})
		if other > 0.25 && took > 2*time.Second && st.name != "wait for a quiet machine" {
			s.note("other work on this machine used %.2f cores during the %s phase (%.0f s): its figures are lower than an idle machine would give",
				other, st.name, took.Seconds())
		}
		s.log.Info("phase done", "name", st.name, "took", took.Round(100*time.Millisecond), "other_cores", fmt.Sprintf("%.2f", other))
	}
	s.assemble()
	s.r.DurationS = time.Since(s.r.Started).Seconds()
	return s.r, nil
}

// waitQuiet waits until the machine's CPU use (this run does nothing
// yet) stays under QuietCores for three seconds, or QuietWait has passed.
func (s *state) waitQuiet(ctx context.Context) error {
	if s.o.QuietWait <= 0 {
		return nil
	}
	deadline := time.Now().Add(s.o.QuietWait)
	const window = 3 * time.Second
	for {
		a, err := procstat.ReadSystem()
		if err != nil {
			return nil // no /proc/stat: nothing to wait for
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(window):
		}
		b, err := procstat.ReadSystem()
		if err != nil {
			return nil
		}
		busy := float64(b.Sub(a).Busy) / procstat.TicksPerSecond / window.Seconds()
		if busy < s.o.QuietCores {
			return nil
		}
		if time.Now().After(deadline) {
			s.note("the machine was not quiet when the run started (%.2f cores busy after waiting %v)", busy, s.o.QuietWait)
			return nil
		}
		s.log.Info("waiting for a quiet machine", "busy_cores", fmt.Sprintf("%.2f", busy))
	}
}

// ownCPU returns the CPU time of this process, the children it has
// waited for, and the pipeline's processes still running: everything the
// run has used so far.
func (s *state) ownCPU() time.Duration {
	var d time.Duration
	if c, err := procstat.Read(os.Getpid()); err == nil {
		d += c.WithChildren()
	}
	for _, p := range []*procs.Proc{s.cloud, s.agent} {
		if p == nil {
			continue
		}
		if c, err := procstat.Read(p.PID()); err == nil {
			d += c.Total()
		}
	}
	return d
}

// path returns a path in the work directory.
func (s *state) path(name string) string { return filepath.Join(s.o.WorkDir, name) }

func (s *state) bin(name string) string { return filepath.Join(s.o.Bin, name) }

func (s *state) note(format string, args ...any) {
	s.r.Notes = append(s.r.Notes, fmt.Sprintf(format, args...))
}

func ms(ds []time.Duration) []float64 {
	out := make([]float64, len(ds))
	for i, d := range ds {
		out[i] = float64(d) / float64(time.Millisecond)
	}
	return out
}

func mkdir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	return nil
}
