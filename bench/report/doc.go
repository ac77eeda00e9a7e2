// Package report holds the results of make bench (Report, written as
// bench/results/latest.json) and renders them: a Markdown table of each
// figure against its baseline (latest.md) and an SVG plot of throughput
// and backlog over the run (latest.svg).
package report
