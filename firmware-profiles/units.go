package profiles

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// sizeUnits are the suffixes parseSize accepts, longest first so that
// "KiB" is tried before "B".
var sizeUnits = [...]struct {
	suffix string
	mult   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9},
	{"B", 1},
}

// parseSize parses a byte count: a plain integer or an integer followed by
// B, KB, MB, GB (powers of 1000) or KiB, MiB, GiB (powers of 1024). A space
// between number and unit is allowed.
func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range sizeUnits {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = strings.TrimSpace(n), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, errors.New("want a byte size such as 65536, 64KiB or 1MB")
	}
	if n > math.MaxInt64/mult {
		return 0, errors.New("byte size overflows")
	}
	return n * mult, nil
}

// parseDuration parses a Go duration ("90s", "1h30m") or a whole number of
// days ("7d").
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if n, ok := strings.CutSuffix(s, "d"); ok {
		d, err := strconv.ParseInt(n, 10, 64)
		if err != nil || d < 0 || d > math.MaxInt64/int64(24*time.Hour) {
			return 0, fmt.Errorf("bad duration %q (want e.g. 7d, 168h or 5m)", s)
		}
		return time.Duration(d) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("bad duration %q (want e.g. 7d, 168h or 5m)", s)
	}
	return d, nil
}

// formatSize renders n bytes the way a profile would write it.
func formatSize(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.Itoa(n>>20) + "MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.Itoa(n>>10) + "KiB"
	}
	return strconv.Itoa(n) + "B"
}
