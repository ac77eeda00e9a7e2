package gobench_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/tributary-iot/tributary/bench/gobench"
)

func TestParseRealOutput(t *testing.T) {
	f, err := os.Open("testdata/locallog.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out, err := gobench.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Results) != 4 || len(out.Failed) != 0 {
		t.Fatalf("got %d results, failed %v; want 4, none", len(out.Results), out.Failed)
	}
	tests := []struct {
		pkg, name, unit string
		want            float64
	}{
		{"edge-agent/locallog", "BenchmarkAppend/fsync=true/appenders=1", "points/s", 209200},
		{"edge-agent/locallog", "BenchmarkAppend/fsync=true/appenders=16", "commits/op", 0.14},
		{"locallog", "BenchmarkBareBolt/fsync=true/appenders=16", "ns/op", 1780040},
		{"github.com/tributary-iot/tributary/cloud-core/tier2", "BenchmarkChunkSize", "of-zstd", 0.6294},
		{"", "BenchmarkChunkSize", "allocs/op", 3484},
	}
	for _, tc := range tests {
		r, ok := out.Lookup(tc.pkg, tc.name)
		if !ok {
			t.Errorf("Lookup(%q, %q): not found", tc.pkg, tc.name)
			continue
		}
		if got, ok := r.Metric(tc.unit); !ok || got != tc.want {
			t.Errorf("%s %s = %v (%t), want %v", tc.name, tc.unit, got, ok, tc.want)
		}
		if r.Procs != 2 {
			t.Errorf("%s: procs %d, want 2", tc.name, r.Procs)
		}
	}
	r, _ := out.Lookup("", "BenchmarkAppend/fsync=true/appenders=1")
	if r.Iterations != 100 || r.Package != "github.com/tributary-iot/tributary/edge-agent/locallog" {
		t.Errorf("iterations %d package %q", r.Iterations, r.Package)
	}
	if _, ok := out.Lookup("cloud-core/store", "BenchmarkChunkSize"); ok {
		t.Error("Lookup matched a benchmark of another package")
	}
	if _, ok := out.Lookup("tier2", "BenchmarkChunkSize-2"); ok {
		t.Error("Lookup matched a name with the procs suffix")
	}
}

func TestParseCases(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		wantNames []string
		wantProcs []int
		wantFail  []string
		wantErr   error
	}{
		{
			name:      "no procs suffix (GOMAXPROCS=1)",
			in:        "BenchmarkMatch \t 1000 \t 52.5 ns/op\n",
			wantNames: []string{"BenchmarkMatch"},
			wantProcs: []int{1},
		},
		{
			name:      "name cut from its numbers by log output",
			in:        "BenchmarkX/a=1-4\n    x_test.go:10: hello\n     200\t 10 ns/op\t 3.5 points/s\n",
			wantNames: []string{"BenchmarkX/a=1"},
			wantProcs: []int{4},
		},
		{
			name:     "failures",
			in:       "--- FAIL: BenchmarkBad-2\n    bad_test.go:3: boom\nFAIL\tgithub.com/x/y\t0.1s\n",
			wantFail: []string{"BenchmarkBad", "github.com/x/y"},
		},
		{
			name:    "value without unit",
			in:      "BenchmarkX-2 10 5 ns/op 7\n",
			wantErr: gobench.ErrSyntax,
		},
		{
			name:    "bad number",
			in:      "BenchmarkX-2 10 five ns/op\n",
			wantErr: gobench.ErrSyntax,
		},
		{
			name: "noise only",
			in:   "goos: linux\nPASS\nok  \tgithub.com/x\t0.1s\n\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := gobench.Parse(strings.NewReader(tc.in))
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if len(out.Results) != len(tc.wantNames) {
				t.Fatalf("results %+v, want names %v", out.Results, tc.wantNames)
			}
			for i, r := range out.Results {
				if r.Name != tc.wantNames[i] || r.Procs != tc.wantProcs[i] {
					t.Errorf("result %d: %q procs %d, want %q procs %d", i, r.Name, r.Procs, tc.wantNames[i], tc.wantProcs[i])
				}
			}
			if strings.Join(out.Failed, ",") != strings.Join(tc.wantFail, ",") {
				t.Errorf("failed %v, want %v", out.Failed, tc.wantFail)
			}
		})
	}
}
