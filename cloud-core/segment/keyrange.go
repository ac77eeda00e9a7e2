package segment

import (
	"fmt"
	"math"
	"math/bits"
)

// KeyRange is an inclusive range [Lo, Hi] of the 64-bit routing-hash space.
type KeyRange struct {
	Lo uint64 `json:"lo"`
	Hi uint64 `json:"hi"`
}

// FullRange is the whole hash space.
var FullRange = KeyRange{Lo: 0, Hi: math.MaxUint64}

// Contains reports whether h falls in r.
func (r KeyRange) Contains(h uint64) bool { return h >= r.Lo && h <= r.Hi }

// String returns the range in hex, e.g. "[0000000000000000,7fffffffffffffff]".
func (r KeyRange) String() string { return fmt.Sprintf("[%016x,%016x]", r.Lo, r.Hi) }

// Split cuts r into n adjacent ranges of (nearly) equal width, lowest
// first. It returns nil when n < 1 or r holds fewer than n hashes.
func (r KeyRange) Split(n int) []KeyRange {
	if n < 1 {
		return nil
	}
	width := r.Hi - r.Lo // number of hashes minus one
	if width < uint64(n-1) {
		return nil
	}
	out := make([]KeyRange, n)
	lo := r.Lo
	for i := 0; i < n; i++ {
		// The end of part i is Lo + floor((width+1)*(i+1)/n) - 1, computed
		// in 128 bits because width+1 may be 2^64.
		var hi uint64
		if i == n-1 {
			hi = r.Hi
		} else {
			hiW, loW := bits.Mul64(width, uint64(i+1))
			// (width+1)*(i+1) = width*(i+1) + (i+1)
			loW, c := bits.Add64(loW, uint64(i+1), 0)
			hiW += c
			q, _ := bits.Div64(hiW, loW, uint64(n))
			hi = r.Lo + q - 1
		}
		out[i] = KeyRange{Lo: lo, Hi: hi}
		lo = hi + 1
	}
	return out
}
