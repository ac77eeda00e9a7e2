package scenario

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"time"

	"github.com/tributary-iot/tributary/bench/cpuprof"
	"github.com/tributary-iot/tributary/bench/procs"
	"github.com/tributary-iot/tributary/bench/report"
)

// pprofSeconds is how long a /debug/pprof CPU profile of the agent runs.
const pprofSeconds = 10

// profiler profiles the edge agent during the max-load phase.
type profiler struct {
	s    *state
	tool string
	// perf mode: the perf record process and its output.
	perf     *procs.Proc
	perfData string
	// pprof mode: the fetch's result.
	fetched  chan error
	pprofOut string
}

// startProfile starts profiling the agent as Options.Profiler says. A nil
// profiler and nil error mean none now (none asked, or a Go benchmark's
// profile later, in the micro-benchmarks phase).
func (s *state) startProfile(ctx context.Context) (*profiler, error) {
	mode := s.o.Profiler
	if mode == "auto" {
		switch {
		case s.agentServesPprof(ctx):
			mode = "pprof"
		case hasCommand("perf"):
			mode = "perf"
		default:
			mode = "gobench"
		}
	}
	switch mode {
	case "none":
		return nil, nil
	case "gobench":
		s.note("the edge agent serves no /debug/pprof and perf is not installed: the profile is of the local log's " +
			"append benchmark (-cpuprofile), not of the running agent")
		s.o.Profiler = "gobench"
		return nil, nil
	case "pprof":
		p := &profiler{s: s, tool: "go tool pprof, the agent's /debug/pprof/profile", fetched: make(chan error, 1), pprofOut: s.path("agent.pprof")}
		go func() { p.fetched <- p.fetch(ctx) }()
		return p, nil
	case "perf":
		p := &profiler{s: s, tool: "perf record -F 499 -g", perfData: s.path("agent.perf")}
		var err error
		p.perf, err = procs.Start("perf", s.path("perf.log"), "perf", "record", "-F", "499", "-g",
			"-p", strconv.Itoa(s.agent.PID()), "-o", p.perfData)
		if err != nil {
			return nil, err
		}
		return p, nil
	}
	return nil, fmt.Errorf("unknown profiler %q", mode)
}

func hasCommand(name string) bool {
	_, err := exec.LookPath(name)
	return err == nil
}

func (s *state) agentServesPprof(ctx context.Context) bool {
	_, err := get(ctx, "http://"+s.agentHTTP+"/debug/pprof/")
	return err == nil
}

func (p *profiler) fetch(ctx context.Context) error {
	url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", p.s.agentHTTP, pprofSeconds)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Timeout: 2 * pprofSeconds * time.Second}).Do(req)
	if err != nil {
		return fmt.Errorf("fetch profile: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("fetch profile: %s", resp.Status)
	}
	f, err := os.Create(p.pprofOut)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return fmt.Errorf("fetch profile: %w", err)
	}
	return f.Close()
}

// finish stops profiling and summarises the profile. cpu is the CPU time
// the profiler itself used (perf), to charge it to the run.
func (p *profiler) finish(ctx context.Context) (_ *report.Profile, cpu time.Duration, err error) {
	var entries []cpuprof.Entry
	switch {
	case p.perf != nil:
		if err := p.perf.Stop(30 * time.Second); err != nil && !errors.Is(err, procs.ErrExited) {
			return nil, 0, err
		}
		cpu = p.perf.CPUTime()
		out, err2 := procs.Output(ctx, "perf", "report", "-i", p.perfData, "--stdio", "--children",
			"--sort", "symbol", "-g", "none", "--percent-limit", "0.2")
		if err2 != nil {
			return nil, cpu, fmt.Errorf("perf report (see %s): %w", p.perf.LogPath, err2)
		}
		entries, err = cpuprof.ParsePerf(out)
	default:
		if err := <-p.fetched; err != nil {
			return nil, 0, err
		}
		entries, err = p.s.pprofTop(ctx, p.s.bin("edge-agent"), p.pprofOut)
	}
	if err != nil {
		return nil, cpu, err
	}
	return summarize(p.tool, "edge agent under max load", entries), cpu, nil
}

// abandon stops profiling without a summary: it stops perf record; a
// pprof fetch ends on its own (the profile's seconds, or its timeout).
func (p *profiler) abandon() {
	if p.perf != nil {
		_ = p.perf.Stop(30 * time.Second)
	}
}

// pprofTop runs go tool pprof -top on a profile.
func (s *state) pprofTop(ctx context.Context, binary, profile string) ([]cpuprof.Entry, error) {
	out, err := procs.Output(ctx, s.o.Go, "tool", "pprof", "-top", "-nodecount=400", binary, profile)
	if err != nil {
		return nil, err
	}
	return cpuprof.ParsePprofTop(out)
}

func summarize(tool, target string, entries []cpuprof.Entry) *report.Profile {
	return &report.Profile{
		Tool: tool, Target: target,
		ByPackage: cpuprof.ByPackage(entries),
		TopSelf:   cpuprof.TopSelf(entries, 12),
		TopTotal:  firstN(cpuprof.Distinct(cpuprof.TopTotal(entries, 60, report.Module+"/"), 0.5), 12),
	}
}

func firstN[T any](s []T, n int) []T { return s[:min(n, len(s))] }
