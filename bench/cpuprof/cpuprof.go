package cpuprof

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// ErrNoSamples is returned when the text holds no profile rows.
var ErrNoSamples = errors.New("no profile rows")

// Entry is one function of a profile.
type Entry struct {
	Symbol string `json:"symbol"`
	// Self is the share (percent) of samples in the function itself.
	Self float64 `json:"self_pct"`
	// Total is the share (percent) of samples in it or its callees.
	Total float64 `json:"total_pct"`
	// Kernel marks a kernel function (perf's [k]): system calls, page
	// faults, scheduling.
	Kernel bool `json:"kernel,omitempty"`
}

// Group names for functions that have no Go package.
const (
	KernelGroup = "[kernel]"
	NoPackage   = "[assembly, no package]"
)

// Group returns the entry's package, KernelGroup for a kernel function,
// or NoPackage for a symbol without one (Go assembly such as cmpbody).
func (e Entry) Group() string {
	if e.Kernel {
		return KernelGroup
	}
	if p := Package(e.Symbol); p != e.Symbol {
		return p
	}
	return NoPackage
}

// perfRow: "    95.42%     0.76%  [.] symbol    -      -".
var perfRow = regexp.MustCompile(`^\s*([0-9.]+)%\s+([0-9.]+)%\s+\[([.kgu])\]\s+(.+?)(?:\s{2,}.*)?$`)

// ParsePerf parses `perf report --stdio --children --sort symbol -g none`.
func ParsePerf(text []byte) ([]Entry, error) {
	var out []Entry
	sc := bufio.NewScanner(bytes.NewReader(text))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		m := perfRow.FindSubmatch(sc.Bytes())
		if m == nil {
			continue
		}
		total, err1 := strconv.ParseFloat(string(m[1]), 64)
		self, err2 := strconv.ParseFloat(string(m[2]), 64)
		if err1 != nil || err2 != nil {
			continue
		}
		out = append(out, Entry{Symbol: string(m[4]), Self: self, Total: total, Kernel: string(m[3]) == "k"})
	}
	if len(out) == 0 {
		return nil, ErrNoSamples
	}
	return out, sc.Err()
}

// pprofRow: "      50ms 17.86% 17.86%       60ms 21.43%  symbol (inline)".
var pprofRow = regexp.MustCompile(`^\s*[0-9.]+[a-zµ]*s?\s+([0-9.]+)%\s+[0-9.]+%\s+[0-9.]+[a-zµ]*s?\s+([0-9.]+)%\s+(.+?)(?: \(inline\))?\s*$`)

// ParsePprofTop parses `go tool pprof -top`.
func ParsePprofTop(text []byte) ([]Entry, error) {
	var out []Entry
	sc := bufio.NewScanner(bytes.NewReader(text))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		m := pprofRow.FindSubmatch(sc.Bytes())
		if m == nil {
			continue
		}
		self, err1 := strconv.ParseFloat(string(m[1]), 64)
		total, err2 := strconv.ParseFloat(string(m[2]), 64)
		if err1 != nil || err2 != nil {
			continue
		}
		out = append(out, Entry{Symbol: string(m[3]), Self: self, Total: total})
	}
	if len(out) == 0 {
		return nil, ErrNoSamples
	}
	return out, sc.Err()
}

// Package returns the Go package of a symbol: the import path up to the
// first '.' after its last '/' ("github.com/a/b.(*T).M" -> "github.com/a/b",
// "runtime.mallocgc" -> "runtime"). A symbol that is no Go function (a C
// or kernel one) is returned as it is.
func Package(symbol string) string {
	start := strings.LastIndexByte(symbol, '/') + 1
	if i := strings.IndexByte(symbol[start:], '.'); i > 0 {
		return symbol[:start+i]
	}
	return symbol
}

// Share is a package's part of a profile.
type Share struct {
	Package string  `json:"package"`
	Self    float64 `json:"self_pct"`
}

// ByPackage sums self shares by Entry.Group, largest first.
func ByPackage(entries []Entry) []Share {
	sums := map[string]float64{}
	for _, e := range entries {
		sums[e.Group()] += e.Self
	}
	out := make([]Share, 0, len(sums))
	for p, s := range sums {
		out = append(out, Share{Package: p, Self: s})
	}
	slices.SortFunc(out, func(a, b Share) int {
		if c := cmp.Compare(b.Self, a.Self); c != 0 {
			return c
		}
		return strings.Compare(a.Package, b.Package)
	})
	return out
}

// TopSelf returns the n entries with the largest self share.
func TopSelf(entries []Entry, n int) []Entry {
	s := slices.Clone(entries)
	slices.SortStableFunc(s, func(a, b Entry) int { return cmp.Compare(b.Self, a.Self) })
	return s[:min(n, len(s))]
}

// TopTotal returns the n entries with the largest cumulative share whose
// symbol contains one of the substrings in keep (all entries when keep is
// empty): the program's own call paths, without runtime roots such as
// runtime.goexit that hold every sample.
func TopTotal(entries []Entry, n int, keep ...string) []Entry {
	var s []Entry
	for _, e := range entries {
		if len(keep) == 0 || slices.ContainsFunc(keep, func(k string) bool { return strings.Contains(e.Symbol, k) }) {
			s = append(s, e)
		}
	}
	slices.SortStableFunc(s, func(a, b Entry) int { return cmp.Compare(b.Total, a.Total) })
	return s[:min(n, len(s))]
}

// Distinct drops, from entries sorted by Total, each one whose Total is
// within tol percentage points of an entry of the same package kept
// before it: the wrappers along one call path (a method, the closure it
// runs, the function that calls both) that hold the same samples.
func Distinct(entries []Entry, tol float64) []Entry {
	var out []Entry
	for _, e := range entries {
		dup := slices.ContainsFunc(out, func(k Entry) bool {
			return Package(k.Symbol) == Package(e.Symbol) && k.Total-e.Total < tol && e.Total-k.Total < tol
		})
		if !dup {
			out = append(out, e)
		}
	}
	return out
}

// Short shortens a symbol for a table: the module prefix goes.
func Short(symbol, module string) string {
	if module == "" {
		return symbol
	}
	return strings.ReplaceAll(symbol, strings.TrimSuffix(module, "/")+"/", "")
}

// String formats an entry as "12.3% self, 45.6% total  symbol".
func (e Entry) String() string {
	return fmt.Sprintf("%5.1f%% self %5.1f%% total  %s", e.Self, e.Total, e.Symbol)
}
