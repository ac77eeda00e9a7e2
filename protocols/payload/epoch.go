package payload

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// Numeric timestamps carry no unit, so the unit is read from the magnitude
// of the number (its absolute value):
//
//	|x| < 1e11         seconds       (up to the year 5138)
//	1e11 <= |x| < 1e14 milliseconds  (from 1973-03-03 on)
//	1e14 <= |x| < 1e17 microseconds  (from 1973-03-03 on)
//	|x| >= 1e17        nanoseconds   (from 1973-03-03 on)
//
// So any epoch time after March 1973 is read right in every unit; earlier
// times only in seconds. Fractions are kept down to the nanosecond.
const (
	secLimit   = 1e11
	milliLimit = 1e14
	microLimit = 1e17
)

// unit returns the unit of an epoch number of magnitude abs (see above):
// the factor to nanoseconds, and how many fraction digits that keeps (9
// for seconds). Integers are compared as integers, so that 1e17-1, which
// float64 rounds to 1e17, is still microseconds.
func unit[T uint64 | float64](abs T) (mul uint64, digits int) {
	switch {
	case abs < secLimit:
		return 1e9, 9
	case abs < milliLimit:
		return 1e6, 6
	case abs < microLimit:
		return 1e3, 3
	}
	return 1, 0
}

// EpochInt converts an epoch number in s, ms, us or ns (chosen by magnitude,
// see above) to Unix nanoseconds. It fails with ErrBadTime when the result
// does not fit in int64.
func EpochInt(x int64) (int64, error) {
	abs := uint64(x)
	if x < 0 {
		abs = -abs // 2^63 for math.MinInt64: nanoseconds
	}
	m, _ := unit(abs)
	mul := int64(m)
	ns := x * mul
	if ns/mul != x {
		return 0, fmt.Errorf("%w: %d out of range", ErrBadTime, x)
	}
	return ns, nil
}

// EpochUint is EpochInt for an unsigned number.
func EpochUint(x uint64) (int64, error) {
	if x > math.MaxInt64 {
		return 0, fmt.Errorf("%w: %d out of range", ErrBadTime, x)
	}
	return EpochInt(int64(x))
}

// EpochFloat is EpochInt for a float; the fraction is kept to the nearest
// nanosecond that float64 precision allows.
func EpochFloat(f float64) (int64, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%w: %v", ErrBadTime, f)
	}
	m, _ := unit(math.Abs(f))
	ns := math.Round(f * float64(m))
	// float64(math.MaxInt64) rounds up to 2^63, which does not fit.
	if ns >= math.MaxInt64 || ns < math.MinInt64 {
		return 0, fmt.Errorf("%w: %v out of range", ErrBadTime, f)
	}
	return int64(ns), nil
}

// EpochDecimal reads a decimal epoch number such as "1732536000",
// "-12.5" or "1732536000123.456" exactly (no float rounding), with the
// unit chosen by magnitude; an exponent ("1.7e9") is read as a float.
func EpochDecimal(s string) (int64, error) {
	ns, ok, err := epochDecimal(s)
	if ok {
		return ns, err
	}
	f, ferr := strconv.ParseFloat(s, 64)
	if ferr != nil {
		return 0, fmt.Errorf("%w: %q is not a number", ErrBadTime, s)
	}
	return EpochFloat(f)
}

// epochDecimal parses [-]digits[.digits]. ok is false when s has another
// form (exponent, '+', no digits), which the caller reads as a float.
func epochDecimal(s string) (ns int64, ok bool, err error) {
	i := 0
	neg := false
	if i < len(s) && s[i] == '-' {
		neg = true
		i++
	}
	start := i
	var whole uint64
	sig := 0 // significant digits of whole
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		if whole == 0 && s[i] == '0' {
			continue
		}
		if sig++; sig > 19 {
			return 0, true, fmt.Errorf("%w: %q out of range", ErrBadTime, s)
		}
		whole = whole*10 + uint64(s[i]-'0')
	}
	if i == start {
		return 0, false, nil
	}
	var frac string
	if i < len(s) && s[i] == '.' {
		i++
		fs := i
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		}
		if i == fs {
			return 0, false, nil
		}
		frac = s[fs:i]
	}
	if i != len(s) {
		return 0, false, nil
	}
	mul, digits := unit(whole)
	var f uint64
	for k := 0; k < digits; k++ {
		f *= 10
		if k < len(frac) {
			f += uint64(frac[k] - '0')
		}
	}
	limit := uint64(math.MaxInt64)
	if neg {
		limit++
	}
	if whole > limit/mul || whole*mul+f > limit {
		return 0, true, fmt.Errorf("%w: %q out of range", ErrBadTime, s)
	}
	u := whole*mul + f
	if neg {
		return int64(-u), true, nil // -(2^63) wraps to MinInt64, as wanted
	}
	return int64(u), true, nil
}

var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

// ParseTime reads a timestamp given as text: RFC 3339 (with any fraction
// of a second, any offset), or an epoch number read as EpochDecimal.
func ParseTime(s string) (int64, error) {
	if len(s) > 0 && (s[0] == '-' || s[0] >= '0' && s[0] <= '9') {
		if ns, ok, err := epochDecimal(s); ok {
			return ns, err
		}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		if f, ferr := strconv.ParseFloat(s, 64); ferr == nil {
			return EpochFloat(f)
		}
		return 0, fmt.Errorf("%w: %q is neither RFC 3339 nor an epoch number", ErrBadTime, s)
	}
	return TimeNanos(t)
}

// TimeNanos returns t in Unix nanoseconds, or ErrBadTime when t lies
// outside the int64 range.
func TimeNanos(t time.Time) (int64, error) {
	if t.Before(minTime) || t.After(maxTime) {
		return 0, fmt.Errorf("%w: %s out of range", ErrBadTime, t.UTC().Format(time.RFC3339))
	}
	return t.UnixNano(), nil
}
