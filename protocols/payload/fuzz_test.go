package payload_test

import (
	"errors"
	"math/big"
	"regexp"
	"strings"
	"testing"

	"github.com/tributary-iot/tributary/protocols/payload"
)

var plainDecimal = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

// FuzzParseTime checks that ParseTime never panics, fails only with
// ErrBadTime, and reads plain decimals exactly (against math/big).
//
//	go test ./protocols/payload -run '^$' -fuzz FuzzParseTime -fuzztime 20s
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"1764072000", "1764072000.123456789", "-1.5", "1764072000123456789",
		"9223372036854775808", "2025-11-25T12:00:00Z", "1.7e9", "00000000000000000000001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := payload.ParseTime(s)
		if err != nil && !errors.Is(err, payload.ErrBadTime) {
			t.Fatalf("ParseTime(%q): %v is not ErrBadTime", s, err)
		}
		if !plainDecimal.MatchString(s) {
			return
		}
		want, ok := reference(s)
		if ok != (err == nil) || ok && got != want {
			t.Fatalf("ParseTime(%q) = %d, %v; reference %d, %v", s, got, err, want, ok)
		}
	})
}

// reference converts a plain decimal epoch by magnitude with big numbers,
// truncating below the nanosecond.
func reference(s string) (int64, bool) {
	whole := strings.TrimPrefix(strings.SplitN(s, ".", 2)[0], "-")
	w, _ := new(big.Int).SetString(whole, 10)
	var mult int64
	switch {
	case w.Cmp(big.NewInt(1e11)) < 0:
		mult = 1e9
	case w.Cmp(big.NewInt(1e14)) < 0:
		mult = 1e6
	case w.Cmp(big.NewInt(1e17)) < 0:
		mult = 1e3
	default:
		mult = 1
	}
	r, _ := new(big.Rat).SetString(s)
	r.Mul(r, new(big.Rat).SetInt64(mult))
	q := new(big.Int).Quo(r.Num(), r.Denom()) // truncates toward zero
	if !q.IsInt64() {
		return 0, false
	}
	return q.Int64(), true
}
