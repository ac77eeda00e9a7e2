package report_test

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/tributary-iot/tributary/bench/cpuprof"
	"github.com/tributary-iot/tributary/bench/report"
)

func TestNewFigure(t *testing.T) {
	f := report.NewFigure("k", "n", 50, "points/s", "b", 200, report.Higher, "")
	if f.Ratio != 0.25 {
		t.Errorf("ratio %v, want 0.25", f.Ratio)
	}
	f = report.NewFigure("k", "n", math.NaN(), "", "b", 0, report.Lower, "")
	if f.Value != 0 || f.Ratio != 0 {
		t.Errorf("NaN figure %+v", f)
	}
	f = report.NewFigure("k", "n", 5, "", "b", 0, report.Lower, "")
	if f.Ratio != 0 {
		t.Errorf("ratio without a baseline: %v", f.Ratio)
	}
}

func TestFormatting(t *testing.T) {
	tests := []struct{ got, want string }{
		{report.Int(1234567.4), "1,234,567"},
		{report.Int(-1000), "-1,000"},
		{report.Int(999), "999"},
		{report.Num(181234.5), "181,235"},
		{report.Num(123.4), "123"},
		{report.Num(12.34), "12.3"},
		{report.Num(1.234), "1.23"},
		{report.Num(0.01234), "0.0123"},
		{report.Num(0), "0.00"},
		{report.Ratio(0.2134), "0.21x"},
		{report.Ratio(3.44), "3.4x"},
		{report.Ratio(27.4), "27x"},
		{report.Value(8.1, "B/point"), "8.10 B/point"},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func sampleReport() *report.Report {
	return &report.Report{
		Version: report.Version, Started: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC), DurationS: 300,
		Machine: report.Machine{CPUs: 2, CPUModel: "test cpu", GoVersion: "go1.26", Kernel: "6.1"},
		Config:  report.Config{Profile: "passenger-car", Vehicles: 500, Batch: 10, Points: 2000000, HalfRate: 90000, LatencyWindowS: 30},
		Figures: []report.Figure{
			report.NewFigure("e2e", "end-to-end throughput", 180000, "points/s", "plain JetStream log", 900000, report.Higher, ""),
			report.SkippedFigure("splits", "read via splits", "points/s", "plain JetStream log", "no /splits endpoint"),
		},
		Micro: []report.Figure{report.NewFigure("frame", "frame wire bytes", 12.3, "B/point", "raw JSON", 162, report.Lower, "go test")},
		Bottleneck: report.Bottleneck{WindowS: 11, Cores: 2, Summary: "CPU-bound.",
			Processes: []report.ProcCPU{{Name: "edge-agent", Cores: 1.2}},
			Profile: &report.Profile{Tool: "perf", Target: "edge agent",
				ByPackage: []cpuprof.Share{{Package: "github.com/tributary-iot/tributary/edge-agent/locallog", Self: 12}},
				TopSelf:   []cpuprof.Entry{{Symbol: "runtime.mallocgc", Self: 9, Total: 11}}}},
		Series: []report.Sample{
			{T: 0, Phase: "max load", Visible: 0, Received: 0},
			{T: 1, Phase: "max load", Visible: 100, Received: 150, Backlog: 50},
			{T: 2, Phase: "max load", Visible: 300, Received: 300},
			{T: 10, Phase: "half load", Visible: 300, Received: 300},
			{T: 12, Phase: "half load", Visible: 500, Received: 500},
		},
		Notes: []string{"a note"},
	}
}

func TestMarkdown(t *testing.T) {
	md := string(sampleReport().Markdown())
	for _, want := range []string{
		"| end-to-end throughput | 180,000 points/s | plain JetStream log | 900,000 points/s | 0.20x (higher is better) |",
		"| read via splits | skipped | plain JetStream log | | no /splits endpoint |",
		"| frame wire bytes | 12.3 B/point | raw JSON | 162 B/point | 0.08x (lower is better) |",
		"| edge-agent/locallog | 12.0% |",
		"| `runtime.mallocgc` | 9.0% | 11.0% |",
		"CPU-bound.", "- a note", "2,000,000 points",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md)
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	r := sampleReport()
	b, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var back report.Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Figures[0].Ratio != 0.2 || len(back.Series) != 5 || back.Bottleneck.Profile.Tool != "perf" {
		t.Errorf("round trip lost data: %+v", back)
	}
}

func TestChartRates(t *testing.T) {
	c := sampleReport().Chart()
	if len(c.Panels) != 2 || len(c.Marks) != 2 || c.Marks[1].X != 10 || c.Marks[1].Label != "half load" {
		t.Fatalf("chart %+v", c)
	}
	vis := c.Panels[0].Series[1].Y
	want := []float64{math.NaN(), 100, 200, math.NaN(), 100} // no rate across the 8 s pause
	for i := range want {
		if math.IsNaN(want[i]) != math.IsNaN(vis[i]) || !math.IsNaN(want[i]) && vis[i] != want[i] {
			t.Errorf("visible rate %d = %v, want %v", i, vis[i], want[i])
		}
	}
	if in := c.Panels[0].Series[0].Y[1]; in != 150 {
		t.Errorf("ingest rate %v, want 150", in)
	}
	if len(c.SVG()) == 0 {
		t.Error("empty SVG")
	}
}
