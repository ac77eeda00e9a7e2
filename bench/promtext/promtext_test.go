package promtext_test

import (
	"errors"
	"testing"

	"github.com/tributary-iot/tributary/bench/promtext"
)

const sample = `# HELP tributary_uplink_wire_bytes_total Batch frame bytes sent.
# TYPE tributary_uplink_wire_bytes_total counter
tributary_uplink_wire_bytes_total 8.14623e+06
tributary_edge_log_synced_points_total{class="high"} 0
tributary_edge_log_synced_points_total{class="low"} 5
tributary_edge_log_synced_points_total{class="normal"} 1e+06
weird{a="x}y",b="q\"}"} 2 1700000000000
gauge_nan NaN
`

func TestParse(t *testing.T) {
	s, err := promtext.Parse([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]float64{
		"tributary_uplink_wire_bytes_total":      8146230,
		"tributary_edge_log_synced_points_total": 1000005,
		"weird":                                  2,
		"gauge_nan":                              0,
	}
	for name, want := range tests {
		if got, ok := s.Get(name); !ok || got != want {
			t.Errorf("%s = %v (%t), want %v", name, got, ok, want)
		}
	}
	if _, ok := s.Get("missing"); ok {
		t.Error("missing metric reported present")
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{"x{a=\"1\" 3\n", "x\n", "x 1 2 3\n", "x abc\n", "{a=\"1\"} 3\n"} {
		if _, err := promtext.Parse([]byte(in)); !errors.Is(err, promtext.ErrFormat) {
			t.Errorf("Parse(%q): err %v, want ErrFormat", in, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(sample))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = promtext.Parse(b)
	})
}
