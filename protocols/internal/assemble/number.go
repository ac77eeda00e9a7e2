package assemble

import "math"

// pow10 holds the powers of ten that float64 represents exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// FastFloat parses [-]digits[.digits] with at most 15 significant digits
// and at most 22 fraction digits, exactly as strconv.ParseFloat would: the
// mantissa and the power of ten are both exact in float64, so one division
// rounds correctly (Clinger's fast path). ok is false for any other form,
// which the caller hands to strconv.
func FastFloat[S string | []byte](s S) (f float64, ok bool) {
	i, neg := 0, false
	if len(s) > 0 && s[0] == '-' {
		i, neg = 1, true
	}
	var mant uint64
	digits, frac, dot, any := 0, 0, false, false
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if mant != 0 || c != '0' {
				digits++
			}
			mant = mant*10 + uint64(c-'0')
			any = true
			if dot {
				frac++
			}
		case c == '.' && !dot:
			dot = true
		default:
			return 0, false
		}
	}
	if !any || digits > 15 || frac >= len(pow10) {
		return 0, false
	}
	f = float64(mant) / pow10[frac]
	if neg {
		f = -f
	}
	return f, true
}

// FastInt parses [-]digits with at most 19 digits exactly, and reports
// false for other forms and for values outside the int64 range.
func FastInt[S string | []byte](s S) (int64, bool) {
	i, neg := 0, false
	if len(s) > 0 && s[0] == '-' {
		i, neg = 1, true
	}
	if len(s)-i == 0 || len(s)-i > 19 {
		return 0, false
	}
	var n uint64 // 19 digits fit
	for ; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	if neg {
		if n > 1<<63 {
			return 0, false
		}
		return int64(-n), true
	}
	if n > math.MaxInt64 {
		return 0, false
	}
	return int64(n), true
}
