// Package gobench parses the text that `go test -bench` prints: one Result
// per benchmark line, with every value-unit pair it reports (ns/op, MB/s,
// B/op, allocs/op and custom b.ReportMetric units such as points/s).
//
// make bench runs the repository's micro-benchmarks through it and turns
// their key figures into ratios in bench/results.
package gobench
