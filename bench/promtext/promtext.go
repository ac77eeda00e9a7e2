package promtext

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
)

// ErrFormat is returned (wrapped) for a sample line that does not parse.
var ErrFormat = errors.New("bad metrics line")

// Sums maps a metric name to the sum of its samples over all label sets
// (a histogram's _bucket, _sum and _count are separate names).
type Sums map[string]float64

// Get returns the sum for name and whether the metric was present.
func (s Sums) Get(name string) (float64, bool) {
	v, ok := s[name]
	return v, ok
}

// Parse sums the samples of text by metric name. Comments (# HELP,
// # TYPE) and blank lines are skipped; NaN samples are left out of sums.
func Parse(text []byte) (Sums, error) {
	out := Sums{}
	sc := bufio.NewScanner(bytes.NewReader(text))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		name, rest, err := splitName(line)
		if err != nil {
			return out, fmt.Errorf("line %d: %w", n, err)
		}
		f := bytes.Fields(rest)
		if len(f) < 1 || len(f) > 2 {
			return out, fmt.Errorf("line %d: %w: %q", n, ErrFormat, line)
		}
		v, err := strconv.ParseFloat(string(f[0]), 64)
		if err != nil {
			return out, fmt.Errorf("line %d: %w: value %q", n, ErrFormat, f[0])
		}
		if math.IsNaN(v) {
			if _, ok := out[name]; !ok {
				out[name] = 0
			}
			continue
		}
		out[name] += v
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("read metrics: %w", err)
	}
	return out, nil
}

// splitName returns the metric name and what follows its labels.
func splitName(line []byte) (string, []byte, error) {
	i := bytes.IndexAny(line, "{ \t")
	if i <= 0 {
		return "", nil, fmt.Errorf("%w: %q", ErrFormat, line)
	}
	name := string(line[:i])
	if line[i] != '{' {
		return name, line[i:], nil
	}
	// Skip the labels; values are quoted and may hold '}' or escaped quotes.
	inQuote := false
	for j := i + 1; j < len(line); j++ {
		switch c := line[j]; {
		case inQuote && c == '\\':
			j++
		case c == '"':
			inQuote = !inQuote
		case !inQuote && c == '}':
			return name, line[j+1:], nil
		}
	}
	return "", nil, fmt.Errorf("%w: unterminated labels: %q", ErrFormat, line)
}
