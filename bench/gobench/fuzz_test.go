package gobench_test

import (
	"os"
	"strings"
	"testing"

	"github.com/tributary-iot/tributary/bench/gobench"
)

// FuzzParse checks that Parse never panics and that every result it
// returns has a name without the procs suffix and a metrics map.
func FuzzParse(f *testing.F) {
	if b, err := os.ReadFile("testdata/locallog.txt"); err == nil {
		f.Add(string(b))
	}
	f.Add("BenchmarkX-2\n 10 1 ns/op\n")
	f.Add("--- FAIL: B\nFAIL\n")
	f.Fuzz(func(t *testing.T, s string) {
		out, err := gobench.Parse(strings.NewReader(s))
		if out == nil {
			t.Fatalf("nil output (err %v)", err)
		}
		for _, r := range out.Results {
			if r.Metrics == nil || r.Procs < 1 || !strings.HasPrefix(r.Name, "Benchmark") {
				t.Fatalf("bad result %+v", r)
			}
		}
	})
}
