package quantile

import (
	"math"
	"slices"
)

// Of returns the q-quantile (0 <= q <= 1, clamped) of xs, interpolating
// linearly between the two closest ranks. xs is not modified and need not
// be sorted. Of returns NaN for no samples; NaN samples are ignored.
func Of(xs []float64, q float64) float64 {
	s := sorted(xs)
	return ofSorted(s, q)
}

// Summary describes a sample.
type Summary struct {
	N    int     `json:"n"`
	Min  float64 `json:"min"`
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
}

// Summarize returns the summary of xs: the zero Summary (N == 0, safe to
// encode as JSON) for no samples. NaN samples are ignored.
func Summarize(xs []float64) Summary {
	s := sorted(xs)
	if len(s) == 0 {
		return Summary{}
	}
	sum := 0.0
	for _, x := range s {
		sum += x
	}
	return Summary{
		N:    len(s),
		Min:  s[0],
		Mean: sum / float64(len(s)),
		P50:  ofSorted(s, 0.50),
		P90:  ofSorted(s, 0.90),
		P99:  ofSorted(s, 0.99),
		Max:  s[len(s)-1],
	}
}

func sorted(xs []float64) []float64 {
	s := make([]float64, 0, len(xs))
	for _, x := range xs {
		if !math.IsNaN(x) {
			s = append(s, x)
		}
	}
	slices.Sort(s)
	return s
}

func ofSorted(s []float64, q float64) float64 {
	if len(s) == 0 {
		return math.NaN()
	}
	q = min(max(q, 0), 1)
	h := q * float64(len(s)-1)
	lo := int(math.Floor(h))
	if lo >= len(s)-1 {
		return s[len(s)-1]
	}
	return s[lo] + (h-float64(lo))*(s[lo+1]-s[lo])
}
