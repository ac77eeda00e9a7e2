package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/tributary-iot/tributary/bench/cpuprof"
)

// Module is the repository's module path, stripped from symbols in
// tables.
const Module = "github.com/tributary-iot/tributary"

// Markdown renders the report as bench/results/latest.md.
func (r *Report) Markdown() []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# make bench: latest run\n\n")
	fmt.Fprintf(&b, "%s, %s in all, on %d CPUs (%s), %s, Linux %s.\n",
		r.Started.UTC().Format(time.RFC3339), (time.Duration(r.DurationS * float64(time.Second))).Round(time.Second),
		r.Machine.CPUs, r.Machine.CPUModel, r.Machine.GoVersion, r.Machine.Kernel)
	c := r.Config
	fmt.Fprintf(&b, "Load: fleetsim, profile %s, %d vehicles, %d points a message, QoS 1; max-load phase %s points; "+
		"latency phase at %s points/s for %.0f s.", c.Profile, c.Vehicles, c.Batch, Int(float64(c.Points)), Int(c.HalfRate), c.LatencyWindowS)
	if c.UplinkBatch > 0 || c.UplinkLinger != "" {
		fmt.Fprintf(&b, " Edge agent: --uplink-batch %d --uplink-linger %s.", c.UplinkBatch, c.UplinkLinger)
	} else {
		b.WriteString(" Edge agent: default uplink batching.")
	}
	b.WriteString("\n\n")
	b.WriteString(Table(r.Figures))
	if len(r.Micro) > 0 {
		b.WriteString("\n## Micro-benchmarks (go test -bench, same run)\n\n")
		b.WriteString(Table(r.Micro))
	}
	b.WriteString("\n## Bottleneck\n\n")
	r.bottleneck(&b)
	if len(r.Phases) > 0 {
		b.WriteString("\n## Phases\n\n| phase | seconds | other work on the machine (cores) |\n| --- | ---: | ---: |\n")
		for _, p := range r.Phases {
			fmt.Fprintf(&b, "| %s | %.1f | %.2f |\n", p.Name, p.Seconds, p.OtherCores)
		}
	}
	if len(r.Notes) > 0 {
		b.WriteString("\n## Notes\n\n")
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
	}
	b.WriteString("\nPlot: [latest.svg](latest.svg) (throughput and edge backlog over the run). How each figure is measured: [bench/README.md](../README.md).\n")
	return []byte(b.String())
}

// Table renders figures as a Markdown table.
func Table(figs []Figure) string {
	var b strings.Builder
	b.WriteString("| measure | Tributary | baseline | baseline value | ratio |\n")
	b.WriteString("| --- | ---: | --- | ---: | ---: |\n")
	for _, f := range figs {
		if f.Skipped != "" {
			fmt.Fprintf(&b, "| %s | skipped | %s | | %s |\n", f.Name, f.Baseline, f.Skipped)
			continue
		}
		ratio := ""
		if f.BaselineValue != 0 {
			ratio = Ratio(f.Ratio) + " (" + string(f.Better) + " is better)"
		}
		base := ""
		if f.BaselineValue != 0 {
			base = Value(f.BaselineValue, f.Unit)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", f.Name, Value(f.Value, f.Unit), f.Baseline, base, ratio)
	}
	return b.String()
}

func (r *Report) bottleneck(b *strings.Builder) {
	bn := r.Bottleneck
	if bn.Summary != "" {
		b.WriteString(bn.Summary + "\n\n")
	}
	if len(bn.Processes) > 0 {
		fmt.Fprintf(b, "CPU use over the max-load window (%.1f s, %d cores):\n\n| process | cores |\n| --- | ---: |\n", bn.WindowS, bn.Cores)
		for _, p := range bn.Processes {
			fmt.Fprintf(b, "| %s | %.2f |\n", p.Name, p.Cores)
		}
		if bn.MachineBusy > 0 {
			fmt.Fprintf(b, "| other work on the machine | %.2f |\n| whole machine (/proc/stat) | %.2f |\n", bn.OtherCores, bn.MachineBusy)
		}
		b.WriteString("\n")
	}
	p := bn.Profile
	if p == nil {
		return
	}
	fmt.Fprintf(b, "CPU profile of the %s (%s), by package (self time):\n\n| package | self |\n| --- | ---: |\n", p.Target, p.Tool)
	for _, s := range p.ByPackage[:min(12, len(p.ByPackage))] {
		fmt.Fprintf(b, "| %s | %.1f%% |\n", cpuprof.Short(s.Package, Module), s.Self)
	}
	b.WriteString("\nFunctions with the most self time:\n\n| function | self | with callees |\n| --- | ---: | ---: |\n")
	for _, e := range p.TopSelf {
		fmt.Fprintf(b, "| `%s` | %.1f%% | %.1f%% |\n", cpuprof.Short(e.Symbol, Module), e.Self, e.Total)
	}
	if len(p.TopTotal) > 0 {
		b.WriteString("\nThe agent's own call paths (time with callees):\n\n| function | with callees |\n| --- | ---: |\n")
		for _, e := range p.TopTotal {
			fmt.Fprintf(b, "| `%s` | %.1f%% |\n", cpuprof.Short(e.Symbol, Module), e.Total)
		}
	}
}

// Value formats v with its unit: big numbers with thousands separators,
// small ones with three significant digits.
func Value(v float64, unit string) string {
	s := Num(v)
	if unit != "" {
		s += " " + unit
	}
	return s
}

// Num formats a number for a table.
func Num(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1000:
		return Int(v)
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 1 || a == 0:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

// Int formats v rounded, with thousands separators: 1234567 -> "1,234,567".
func Int(v float64) string {
	n := int64(math.Round(v))
	neg := n < 0
	if neg {
		n = -n
	}
	s := strconv.FormatInt(n, 10)
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

// Ratio formats a ratio: "0.21x", "3.4x", "27x".
func Ratio(r float64) string {
	a := math.Abs(r)
	switch {
	case a >= 10:
		return strconv.FormatFloat(r, 'f', 0, 64) + "x"
	case a >= 1:
		return strconv.FormatFloat(r, 'f', 1, 64) + "x"
	}
	return strconv.FormatFloat(r, 'f', 2, 64) + "x"
}
