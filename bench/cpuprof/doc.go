// Package cpuprof reads CPU profiles as text, from `perf report --stdio
// --children` or `go tool pprof -top`, into entries with self and
// cumulative shares, and groups them by Go package. make bench uses it to
// say where the edge agent spends its CPU under load.
package cpuprof
