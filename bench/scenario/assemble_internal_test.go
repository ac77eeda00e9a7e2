package scenario

import (
	"errors"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tributary-iot/tributary/bench/gobench"
	"github.com/tributary-iot/tributary/bench/report"
)

func TestMicroFigures(t *testing.T) {
	f, err := os.Open("testdata/micro.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	all, err := gobench.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	// Each benchmark command sees the whole sample: Lookup finds by name.
	outs := []*gobench.Output{all, all, all, all}
	errs := make([]error, 4)
	figs := microFigures(outs, errs)
	byKey := map[string]report.Figure{}
	for _, f := range figs {
		if f.Skipped != "" {
			t.Errorf("%s skipped: %s", f.Key, f.Skipped)
		}
		byKey[f.Key] = f
	}
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-6*math.Max(1, math.Abs(b)) }
	tests := []struct {
		key         string
		value, base float64
	}{
		{"micro_frame_wire", 12.32, 12.32 / 0.07596},
		{"micro_locallog_append_1", 209200, 919751},
		{"micro_locallog_append_16", 684053, 561785},
		{"micro_store_append", 3387721, 4612253},
		{"micro_store_append_preencoded", 3387721, 32100629},
		{"micro_tier2_size", 0.9908, 1.574},
		{"micro_tier2_raw", 0.9908, 30.36},
	}
	for _, tc := range tests {
		f, ok := byKey[tc.key]
		if !ok {
			t.Errorf("no figure %s", tc.key)
			continue
		}
		if !near(f.Value, tc.value) || !near(f.BaselineValue, tc.base) || !near(f.Ratio, tc.value/tc.base) {
			t.Errorf("%s = %v vs %v (ratio %v), want %v vs %v", tc.key, f.Value, f.BaselineValue, f.Ratio, tc.value, tc.base)
		}
	}
	if !strings.Contains(byKey["micro_tier2_size"].Baseline, "sorted by device") {
		t.Errorf("tier-2 baseline %q: want the sorted zstd -19 (the smallest)", byKey["micro_tier2_size"].Baseline)
	}

	// A failed or renamed benchmark is a skipped figure, not a zero.
	errs[1] = errors.New("exit status 1")
	outs[2] = &gobench.Output{}
	for _, f := range microFigures(outs, errs) {
		switch {
		case strings.HasPrefix(f.Key, "micro_locallog") || strings.HasPrefix(f.Key, "micro_store"):
			if f.Skipped == "" {
				t.Errorf("%s not skipped", f.Key)
			}
		case f.Skipped != "":
			t.Errorf("%s skipped: %s", f.Key, f.Skipped)
		}
	}
}

func TestSteadyRate(t *testing.T) {
	var ss []report.Sample
	visible := int64(0)
	for i := range 10 {
		rate := int64(100)
		if i == 1 || i == 9 {
			rate = 10 // ramp up and down
		}
		visible += rate
		ss = append(ss, report.Sample{T: float64(i), Phase: "max load", Visible: visible})
	}
	ss = append(ss, report.Sample{T: 20, Phase: "half load", Visible: visible + 5})
	if got := steadyRate(ss, "max load"); got != 100 {
		t.Errorf("steadyRate = %v, want 100", got)
	}
	if got := steadyRate(ss[:3], "max load"); got != 0 {
		t.Errorf("steadyRate of too few samples = %v, want 0", got)
	}
}

func TestBottleneckSummary(t *testing.T) {
	tests := []struct {
		name  string
		bn    report.Bottleneck
		wants []string
	}{
		{
			name:  "cpu-bound",
			bn:    report.Bottleneck{Cores: 2, Processes: []report.ProcCPU{{Name: "edge-agent", Cores: 1.2}, {Name: "fleetsim", Cores: 0.7}}},
			wants: []string{"CPU-bound: ", "1.90 of the 2 cores", "edge-agent 1.20, fleetsim 0.70"},
		},
		{
			name: "fsync-bound",
			bn: report.Bottleneck{Cores: 2, CommitBusy: 0.95, CommitPoints: 640,
				Processes: []report.ProcCPU{{Name: "fleetsim", Cores: 0.2}, {Name: "edge-agent", Cores: 0.5}}},
			wants: []string{"Not CPU-bound", "edge-agent 0.50, fleetsim 0.20", "95% of the window", "640 points a commit", "fsync latency"},
		},
	}
	for _, tc := range tests {
		got := bottleneckSummary(&tc.bn, &report.Pipeline{})
		for _, w := range tc.wants {
			if !strings.Contains(got, w) {
				t.Errorf("%s: summary %q lacks %q", tc.name, got, w)
			}
		}
	}
}

func TestPerTenK(t *testing.T) {
	if got := perTenK(0.5, 50000); got != 0.1 {
		t.Errorf("perTenK = %v, want 0.1", got)
	}
	if got := perTenK(1, 0); got != 0 {
		t.Errorf("perTenK without a rate = %v, want 0", got)
	}
}

func TestLoadAndDrain(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ss := []report.Sample{
		{T: 1, Phase: "max load", Visible: 0, Backlog: 10},
		{T: 2, Phase: "max load", Visible: 100, Backlog: 300},
		{T: 3, Phase: "max load", Visible: 200, Backlog: 500},
		{T: 4, Phase: "drain", Visible: 700, Backlog: 0},
		{T: 30, Phase: "half load", Visible: 900, Backlog: 9000},
	}
	during, drain, peak := loadAndDrain(ss, t0, t0.Add(5*time.Second), 1000)
	if during != 100 || drain != 400 || peak != 500 {
		t.Errorf("loadAndDrain = %v, %v, %v; want 100, 400, 500", during, drain, peak)
	}
	if d, r, p := loadAndDrain(nil, t0, t0, 5); d != 0 || r != 0 || p != 0 {
		t.Errorf("no samples: %v %v %v", d, r, p)
	}
}
