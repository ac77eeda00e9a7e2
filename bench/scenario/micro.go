package scenario

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/tributary-iot/tributary/bench/gobench"
	"github.com/tributary-iot/tributary/bench/report"
)

// benchRun is one go test -bench invocation.
type benchRun struct {
	pkg, pattern, benchtime string
	timeout                 time.Duration
}

// benchRuns are the micro-benchmarks run, with -benchtime sized so that
// all of them take two to three minutes on the 2-core development machine
// (the tier-2 one is most of it: it compresses its baseline with zstd -19).
func benchRuns() []benchRun {
	return []benchRun{
		{"./protocols/frame/", "^BenchmarkEncodeBatch$/^points=2000$", "300x", 2 * time.Minute},
		{"./edge-agent/locallog/", "^(BenchmarkAppend|BenchmarkBareBolt)$/^fsync=true$/^appenders=(1|16)$", "200x", 3 * time.Minute},
		{"./cloud-core/store/", "^BenchmarkAppendVsJetStream$/^writers=8$/^points=1000$/^segments=1$", "2000x", 3 * time.Minute},
		{"./cloud-core/tier2/", "^BenchmarkChunkSize$", "1x", 6 * time.Minute},
	}
}

func (r benchRun) command() string {
	return fmt.Sprintf("go test -run '^$' -bench '%s' -benchtime %s %s", r.pattern, r.benchtime, r.pkg)
}

// micro runs the Go micro-benchmarks and turns their key figures into
// ratios. A benchmark that fails or is missing becomes a skipped figure.
func (s *state) micro(ctx context.Context) error {
	if s.o.Profiler == "gobench" {
		if err := s.benchProfile(ctx); err != nil {
			s.note("local log benchmark profile: %v", err)
		}
	}
	if !s.o.Micro {
		s.note("micro-benchmarks not run (--micro=false)")
		return nil
	}
	runs := benchRuns()
	outs := make([]*gobench.Output, len(runs))
	errs := make([]error, len(runs))
	for i, br := range runs {
		s.log.Info("micro-benchmark", "cmd", br.command())
		outs[i], errs[i] = s.goBench(ctx, br, nil)
		if errs[i] != nil {
			s.note("%s: %v", br.command(), errs[i])
		}
	}
	s.r.Micro = microFigures(outs, errs)
	return nil
}

// goBench runs one benchmark command in the repository and parses it.
func (s *state) goBench(ctx context.Context, br benchRun, extra []string) (*gobench.Output, error) {
	ctx, cancel := context.WithTimeout(ctx, br.timeout)
	defer cancel()
	args := append([]string{"test", "-count", "1", "-run", "^$", "-bench", br.pattern, "-benchtime", br.benchtime,
		"-timeout", br.timeout.String()}, extra...)
	cmd := exec.CommandContext(ctx, s.o.Go, append(args, br.pkg)...)
	cmd.Dir = s.o.Repo
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	name := strings.Trim(strings.ReplaceAll(br.pkg, "/", "_"), "._")
	_ = os.WriteFile(s.path("bench-"+name+".txt"), append(out, stderr.Bytes()...), 0o644)
	parsed, perr := gobench.Parse(bytes.NewReader(out))
	if err != nil {
		return parsed, fmt.Errorf("%w: %s", err, lastLine(stderr.Bytes(), out))
	}
	if perr != nil {
		return parsed, perr
	}
	if len(parsed.Failed) > 0 {
		return parsed, fmt.Errorf("failed: %v", parsed.Failed)
	}
	return parsed, nil
}

func lastLine(bufs ...[]byte) string {
	for _, b := range bufs {
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		if l := lines[len(lines)-1]; l != "" {
			return l
		}
	}
	return ""
}

// microFigures picks the key figures out of the outputs, in benchRuns'
// order.
func microFigures(outs []*gobench.Output, errs []error) []report.Figure {
	var figs []report.Figure
	benchRuns := benchRuns()
	lookup := func(i int, name string) (gobench.Result, string) {
		if errs[i] != nil || outs[i] == nil {
			return gobench.Result{}, fmt.Sprintf("benchmark failed: %v", errs[i])
		}
		r, ok := outs[i].Lookup("", name)
		if !ok {
			return r, name + " not in the output"
		}
		return r, ""
	}
	metric := func(r gobench.Result, unit string) float64 { v, _ := r.Metric(unit); return v }

	// protocols/frame: wire bytes per point against the points as raw JSON.
	const frameName = "Uplink frame bytes per point (frame BenchmarkEncodeBatch, 2,000 car points)"
	if r, why := lookup(0, "BenchmarkEncodeBatch/points=2000"); why != "" {
		figs = append(figs, report.SkippedFigure("micro_frame_wire", frameName, "B/point", "the same points as raw JSON", why))
	} else {
		wire, ratio := metric(r, "wire_B/point"), metric(r, "ratio_to_json")
		json := 0.0
		if ratio > 0 {
			json = wire / ratio
		}
		figs = append(figs, report.NewFigure("micro_frame_wire", frameName, wire, "B/point", "the same points as raw JSON", json,
			report.Lower, benchRuns[0].command()))
	}
	// edge-agent/locallog against bare bbolt.
	for _, n := range []string{"1", "16"} {
		name := fmt.Sprintf("Local log append, fsync, %s appender(s) (locallog BenchmarkAppend)", n)
		key := "micro_locallog_append_" + n
		a, why := lookup(1, "BenchmarkAppend/fsync=true/appenders="+n)
		b, why2 := lookup(1, "BenchmarkBareBolt/fsync=true/appenders="+n)
		if why != "" || why2 != "" {
			figs = append(figs, report.SkippedFigure(key, name, "points/s", "bare bbolt, same points", why+why2))
			continue
		}
		figs = append(figs, report.NewFigure(key, name, metric(a, "points/s"), "points/s",
			"bare bbolt, same points (BenchmarkBareBolt)", metric(b, "points/s"), report.Higher, benchRuns[1].command()))
	}
	// cloud-core/store against bare JetStream.
	const storeName = "Store append, 8 writers x 1,000 points (store BenchmarkAppendVsJetStream)"
	if r, why := lookup(2, "BenchmarkAppendVsJetStream/writers=8/points=1000/segments=1"); why != "" {
		figs = append(figs, report.SkippedFigure("micro_store_append", storeName, "points/s", "bare JetStream", why))
	} else {
		figs = append(figs,
			report.NewFigure("micro_store_append", storeName, metric(r, "store-points/s"), "points/s",
				"bare JetStream async publish, encoding included", metric(r, "bare-encode-points/s"), report.Higher, benchRuns[2].command()),
			report.NewFigure("micro_store_append_preencoded", storeName, metric(r, "store-points/s"), "points/s",
				"bare JetStream async publish of pre-encoded payloads", metric(r, "bare-points/s"), report.Higher, benchRuns[2].command()))
	}
	// cloud-core/tier2 against zstd -19.
	const tierName = "Tier-2 chunk bytes per field value (tier2 BenchmarkChunkSize, 100 trucks x 1 h)"
	if r, why := lookup(3, "BenchmarkChunkSize"); why != "" {
		figs = append(figs, report.SkippedFigure("micro_tier2_size", tierName, "B/value", "zstd -19 of line protocol", why))
	} else {
		best, how := metric(r, "lp-zstd-go-B/value"), "klauspost zstd best (zstd command not installed)"
		for _, c := range []struct{ unit, how string }{
			{"lp-zstd19-B/value", "zstd -19 of the line protocol"},
			{"lp-zstd19-sorted-B/value", "zstd -19 of the line protocol sorted by device"},
		} {
			if v := metric(r, c.unit); v > 0 && v < best {
				best, how = v, c.how
			}
		}
		figs = append(figs,
			report.NewFigure("micro_tier2_size", tierName, metric(r, "tier2-B/value"), "B/value", how, best, report.Lower, benchRuns[3].command()),
			report.NewFigure("micro_tier2_raw", tierName, metric(r, "tier2-B/value"), "B/value", "raw line protocol",
				metric(r, "lp-B/value"), report.Lower, benchRuns[3].command()))
	}
	return figs
}

// benchProfile profiles the local log's append benchmark, when the
// running agent cannot be profiled.
func (s *state) benchProfile(ctx context.Context) error {
	br := benchRun{"./edge-agent/locallog/", "^BenchmarkAppend$/^fsync=true$/^appenders=16$", "200x", 3 * time.Minute}
	prof, test := s.path("locallog.cpu"), s.path("locallog.test")
	if _, err := s.goBench(ctx, br, []string{"-cpuprofile", prof, "-o", test}); err != nil {
		return err
	}
	entries, err := s.pprofTop(ctx, test, prof)
	if err != nil {
		return err
	}
	s.r.Bottleneck.Profile = summarize("go test -cpuprofile, "+br.command(), "local log append benchmark", entries)
	return nil
}
