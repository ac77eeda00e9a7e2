package svgplot

import (
	"math"
	"strconv"
)

// Ticks returns about n "nice" tick values (1, 2 or 5 times a power of
// ten apart) covering [lo, hi]: the first at or below lo, the last at or
// above hi. It returns nil for an empty or non-finite range or n < 1.
func Ticks(lo, hi float64, n int) []float64 {
	if n < 1 || !finite(lo) || !finite(hi) || hi <= lo {
		return nil
	}
	step := niceStep((hi - lo) / float64(n))
	first := math.Floor(lo/step) * step
	var out []float64
	for i := 0; ; i++ {
		t := first + float64(i)*step
		// Round away float noise (0.30000000000000004).
		t = math.Round(t/step) * step
		out = append(out, t)
		if t >= hi-step*1e-9 || i > 1000 {
			return out
		}
	}
}

func niceStep(raw float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	switch f := raw / p; {
	case f <= 1:
		return p
	case f <= 2:
		return 2 * p
	case f <= 5:
		return 5 * p
	}
	return 10 * p
}

// Format writes a tick value compactly: 1500 as "1.5k", 2000000 as "2M",
// 0.25 as "0.25".
func Format(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1e9:
		return trim(v/1e9) + "G"
	case a >= 1e6:
		return trim(v/1e6) + "M"
	case a >= 1e3:
		return trim(v/1e3) + "k"
	}
	return trim(v)
}

func trim(v float64) string {
	return strconv.FormatFloat(math.Round(v*1000)/1000, 'f', -1, 64)
}
