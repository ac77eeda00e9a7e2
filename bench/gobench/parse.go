package gobench

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ErrSyntax is returned (wrapped) for a benchmark line whose iteration
// count or values are not numbers, or whose values lack a unit.
var ErrSyntax = errors.New("bad benchmark line")

// Result is one benchmark line.
type Result struct {
	// Package is the import path from the preceding "pkg:" line.
	Package string
	// Name is the full benchmark name without the -GOMAXPROCS suffix,
	// e.g. "BenchmarkAppend/fsync=true/appenders=16".
	Name string
	// Procs is the GOMAXPROCS suffix (1 when there is none).
	Procs int
	// Iterations is b.N.
	Iterations int64
	// Metrics maps each unit to its value: "ns/op", "MB/s", "B/op",
	// "allocs/op" and any custom unit.
	Metrics map[string]float64
}

// Metric returns the value reported with unit, and whether there is one.
func (r Result) Metric(unit string) (float64, bool) {
	v, ok := r.Metrics[unit]
	return v, ok
}

// Output is everything Parse found.
type Output struct {
	Results []Result
	// Failed lists the benchmarks and packages reported as failing
	// ("--- FAIL: X" and "FAIL pkg" lines).
	Failed []string
}

// Lookup returns the result named name (without the -N suffix); when pkg
// is not empty, only results of that package (or one whose path ends in
// "/"+pkg) match.
func (o *Output) Lookup(pkg, name string) (Result, bool) {
	for _, r := range o.Results {
		if r.Name != name {
			continue
		}
		if pkg == "" || r.Package == pkg || strings.HasSuffix(r.Package, "/"+pkg) {
			return r, true
		}
	}
	return Result{}, false
}

// Parse reads go test -bench output. Lines it does not know (logs, PASS,
// goos/goarch/cpu headers) are skipped. A benchmark whose name line was
// cut by log output from its numbers ("BenchmarkX-2" alone, the numbers
// on a later line) is joined back.
func Parse(r io.Reader) (*Output, error) {
	out := &Output{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	var pkg, pending string
	lineNo := 0
	for sc.Scan() {
		lineNo++
		line := strings.TrimRight(sc.Text(), " \t\r")
		switch {
		case strings.HasPrefix(line, "pkg: "):
			pkg = strings.TrimSpace(strings.TrimPrefix(line, "pkg: "))
			continue
		case strings.HasPrefix(line, "--- FAIL: "):
			name, _, _ := strings.Cut(strings.TrimPrefix(line, "--- FAIL: "), " ")
			name, _ = splitProcs(name)
			out.Failed = append(out.Failed, name)
			continue
		case strings.HasPrefix(line, "FAIL\t") || strings.HasPrefix(line, "FAIL "):
			out.Failed = append(out.Failed, strings.Fields(line)[1])
			continue
		}
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		if strings.HasPrefix(fields[0], "Benchmark") {
			if len(fields) == 1 {
				pending = fields[0]
				continue
			}
			pending = ""
			res, err := parseFields(pkg, fields[0], fields[1:])
			if err != nil {
				return out, fmt.Errorf("line %d: %w", lineNo, err)
			}
			out.Results = append(out.Results, res)
			continue
		}
		if pending != "" && isCount(fields[0]) {
			res, err := parseFields(pkg, pending, fields)
			if err != nil {
				return out, fmt.Errorf("line %d: %w", lineNo, err)
			}
			pending = ""
			out.Results = append(out.Results, res)
		}
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("read benchmark output: %w", err)
	}
	return out, nil
}

// parseFields parses the iteration count and value-unit pairs of name.
func parseFields(pkg, name string, fields []string) (Result, error) {
	res := Result{Package: pkg, Metrics: map[string]float64{}}
	res.Name, res.Procs = splitProcs(name)
	n, err := strconv.ParseInt(fields[0], 10, 64)
	if err != nil {
		return res, fmt.Errorf("%w: %s: iterations %q", ErrSyntax, name, fields[0])
	}
	res.Iterations = n
	rest := fields[1:]
	if len(rest)%2 != 0 {
		return res, fmt.Errorf("%w: %s: a value without a unit", ErrSyntax, name)
	}
	for i := 0; i < len(rest); i += 2 {
		v, err := strconv.ParseFloat(rest[i], 64)
		if err != nil {
			return res, fmt.Errorf("%w: %s: value %q", ErrSyntax, name, rest[i])
		}
		res.Metrics[rest[i+1]] = v
	}
	return res, nil
}

// splitProcs splits a trailing -N (GOMAXPROCS, N >= 1) from a benchmark
// name; without one, the name is whole and procs is 1.
func splitProcs(name string) (string, int) {
	i := strings.LastIndexByte(name, '-')
	if i < 0 || !isCount(name[i+1:]) {
		return name, 1
	}
	n, err := strconv.Atoi(name[i+1:])
	if err != nil || n < 1 {
		return name, 1
	}
	return name[:i], n
}

func isCount(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
