package quantile_test

import (
	"math"
	"testing"

	"github.com/tributary-iot/tributary/bench/quantile"
)

func seq(n int) []float64 {
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = float64(n - i) // descending: Of must sort
	}
	return xs
}

func TestOf(t *testing.T) {
	tests := []struct {
		name string
		xs   []float64
		q    float64
		want float64
	}{
		{"median of 1..100", seq(100), 0.5, 50.5},
		{"p99 of 1..100", seq(100), 0.99, 99.01},
		{"p90 of 1..10", seq(10), 0.9, 9.1},
		{"min", seq(10), 0, 1},
		{"max", seq(10), 1, 10},
		{"q clamped above", seq(10), 1.5, 10},
		{"q clamped below", seq(10), -1, 1},
		{"one sample", []float64{7}, 0.99, 7},
		{"two samples", []float64{10, 0}, 0.25, 2.5},
		{"NaN ignored", []float64{math.NaN(), 1, 3}, 0.5, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := quantile.Of(tc.xs, tc.q); math.Abs(got-tc.want) > 1e-9 {
				t.Errorf("Of(%v) = %v, want %v", tc.q, got, tc.want)
			}
		})
	}
	if got := quantile.Of(nil, 0.5); !math.IsNaN(got) {
		t.Errorf("Of(nil) = %v, want NaN", got)
	}
}

func TestOfLeavesInputAlone(t *testing.T) {
	xs := []float64{3, 1, 2}
	quantile.Of(xs, 0.5)
	if xs[0] != 3 || xs[1] != 1 || xs[2] != 2 {
		t.Errorf("input reordered: %v", xs)
	}
}

func TestSummarize(t *testing.T) {
	s := quantile.Summarize(seq(100))
	want := quantile.Summary{N: 100, Min: 1, Mean: 50.5, P50: 50.5, P90: 90.1, P99: 99.01, Max: 100}
	if math.Abs(s.P90-want.P90) > 1e-9 || math.Abs(s.P99-want.P99) > 1e-9 {
		t.Errorf("Summarize = %+v, want %+v", s, want)
	}
	s.P90, s.P99 = want.P90, want.P99
	if s != want {
		t.Errorf("Summarize = %+v, want %+v", s, want)
	}
	e := quantile.Summarize(nil)
	if e != (quantile.Summary{}) {
		t.Errorf("Summarize(nil) = %+v", e)
	}
}
