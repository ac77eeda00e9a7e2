package assemble_test

import (
	"math"
	"strconv"
	"testing"

	"github.com/tributary-iot/tributary/protocols/internal/assemble"
)

func TestFastNumbers(t *testing.T) {
	for _, s := range []string{"0", "-0", "1", "52.5", "-0.25", ".5", "5.", "123456789012345", "1234567890123456",
		"0.0000000000000000000001", "0.00000000000000000000001", "9007199254740993", "1.7976931348623157", ".", "-", "",
		"9223372036854775807", "-9223372036854775808", "9223372036854775808", "-9223372036854775809",
		"18446744073709551615", "1e3", "00000000000000000000"} {
		checkNumbers(t, s)
	}
	if f, ok := assemble.FastFloat("52.25"); !ok || f != 52.25 {
		t.Errorf("FastFloat(52.25) = %v, %v", f, ok)
	}
	if i, ok := assemble.FastInt([]byte("-9223372036854775808")); !ok || i != math.MinInt64 {
		t.Errorf("FastInt(min) = %v, %v", i, ok)
	}
}

// FuzzFastNumbers holds the fast paths to strconv.
//
//	go test ./protocols/internal/assemble -run '^$' -fuzz FuzzFastNumbers -fuzztime 20s
func FuzzFastNumbers(f *testing.F) {
	for _, s := range []string{"52.5", "-0", "9223372036854775807", "0.1", "1.000000000000001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkNumbers(t, s) })
}

func checkNumbers(t *testing.T, s string) {
	t.Helper()
	if got, ok := assemble.FastFloat(s); ok {
		want, err := strconv.ParseFloat(s, 64)
		if err != nil || math.Float64bits(got) != math.Float64bits(want) {
			t.Errorf("FastFloat(%q) = %v, strconv gives %v, %v", s, got, want, err)
		}
	}
	got, ok := assemble.FastInt(s)
	want, err := strconv.ParseInt(s, 10, 64)
	if ok && (err != nil || got != want) {
		t.Errorf("FastInt(%q) = %v, strconv gives %v, %v", s, got, want, err)
	}
	if !ok && err == nil && len(s) <= 19 && s[0] != '+' {
		t.Errorf("FastInt(%q) refused the valid int %d", s, want)
	}
}
