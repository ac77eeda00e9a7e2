package cpuprof_test

import (
	"errors"
	"os"
	"slices"
	"testing"

	"github.com/tributary-iot/tributary/bench/cpuprof"
)

func read(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func find(entries []cpuprof.Entry, sym string) (cpuprof.Entry, bool) {
	for _, e := range entries {
		if e.Symbol == sym {
			return e, true
		}
	}
	return cpuprof.Entry{}, false
}

func TestParsePerf(t *testing.T) {
	es, err := cpuprof.ParsePerf(read(t, "perf-report.txt"))
	if err != nil {
		t.Fatal(err)
	}
	e, ok := find(es, "github.com/tributary-iot/tributary/protocols/jsonpoint.appendString")
	if !ok || e.Self != 19.08 || e.Total != 19.08 {
		t.Errorf("appendString = %+v, %t", e, ok)
	}
	e, ok = find(es, "github.com/tributary-iot/tributary/simulators/fleet.(*runner).work")
	if !ok || e.Self != 0.76 || e.Total != 95.42 {
		t.Errorf("work = %+v, %t", e, ok)
	}
	e, ok = find(es, "finish_task_switch.isra.0")
	if !ok || !e.Kernel || e.Group() != cpuprof.KernelGroup {
		t.Errorf("kernel entry = %+v, %t", e, ok)
	}
	if _, err := cpuprof.ParsePerf([]byte("# only a header\n")); !errors.Is(err, cpuprof.ErrNoSamples) {
		t.Errorf("header only: err %v", err)
	}
}

func TestParsePprofTop(t *testing.T) {
	es, err := cpuprof.ParsePprofTop(read(t, "pprof-top.txt"))
	if err != nil {
		t.Fatal(err)
	}
	e, ok := find(es, "github.com/tributary-iot/tributary/protocols/frame.(*Encoder).AppendBatch")
	if !ok || e.Self != 7.14 || e.Total != 92.86 {
		t.Errorf("AppendBatch = %+v, %t", e, ok)
	}
	if _, ok := find(es, "github.com/klauspost/compress/zstd.bitState.addState"); !ok {
		t.Error("the (inline) suffix was not stripped")
	}
}

func TestPackage(t *testing.T) {
	tests := map[string]string{
		"runtime.mallocgc": "runtime",
		"github.com/tributary-iot/tributary/simulators/fleet.(*runner).work": "github.com/tributary-iot/tributary/simulators/fleet",
		"internal/strconv.genericFtoa":                                       "internal/strconv",
		"github.com/mochi-mqtt/server/v2.(*Client).Read":                     "github.com/mochi-mqtt/server/v2",
		"go.etcd.io/bbolt.(*Tx).Commit":                                      "go.etcd.io/bbolt",
		"aeshashbody":                                                        "aeshashbody",
		"[unknown]":                                                          "[unknown]",
	}
	for sym, want := range tests {
		if got := cpuprof.Package(sym); got != want {
			t.Errorf("Package(%q) = %q, want %q", sym, got, want)
		}
	}
}

func TestAggregates(t *testing.T) {
	es := []cpuprof.Entry{
		{Symbol: "runtime.goexit", Self: 0, Total: 99},
		{Symbol: "runtime.mallocgc", Self: 10, Total: 12},
		{Symbol: "runtime.memmove", Self: 5, Total: 5},
		{Symbol: "example.com/m/p.F", Self: 20, Total: 60},
		{Symbol: "example.com/m/p.G", Self: 1, Total: 30},
		{Symbol: "cmpbody", Self: 3, Total: 3},
		{Symbol: "do_syscall_64", Self: 2, Total: 4, Kernel: true},
	}
	shares := cpuprof.ByPackage(es)
	want := []cpuprof.Share{{"example.com/m/p", 21}, {"runtime", 15}, {cpuprof.NoPackage, 3}, {cpuprof.KernelGroup, 2}}
	if !slices.Equal(shares, want) {
		t.Errorf("ByPackage = %+v", shares)
	}
	top := cpuprof.TopSelf(es, 2)
	if len(top) != 2 || top[0].Symbol != "example.com/m/p.F" || top[1].Symbol != "runtime.mallocgc" {
		t.Errorf("TopSelf = %+v", top)
	}
	tot := cpuprof.TopTotal(es, 5, "example.com/")
	if len(tot) != 2 || tot[0].Symbol != "example.com/m/p.F" {
		t.Errorf("TopTotal = %+v", tot)
	}
	if got := cpuprof.Short("example.com/m/p.F", "example.com/m"); got != "p.F" {
		t.Errorf("Short = %q", got)
	}
}

func TestDistinct(t *testing.T) {
	es := []cpuprof.Entry{
		{Symbol: "m/collect.(*hook).OnPublish", Total: 24.7},
		{Symbol: "m/collect.(*Handler).Handle", Total: 24.3},
		{Symbol: "m/locallog.(*Log).run", Total: 21.9},
		{Symbol: "m/locallog.(*Log).step", Total: 21.9},
		{Symbol: "m/collect.decode", Total: 21.8},
		{Symbol: "m/locallog.(*Log).commitTxn", Total: 21.1},
	}
	var got []string
	for _, e := range cpuprof.Distinct(es, 0.5) {
		got = append(got, e.Symbol)
	}
	want := []string{"m/collect.(*hook).OnPublish", "m/locallog.(*Log).run", "m/collect.decode", "m/locallog.(*Log).commitTxn"}
	if !slices.Equal(got, want) {
		t.Errorf("Distinct = %v, want %v", got, want)
	}
}
