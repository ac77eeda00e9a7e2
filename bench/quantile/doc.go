// Package quantile computes percentiles of latency samples for make bench:
// linear interpolation between closest ranks (the definition numpy and R
// use by default), so p50 of 1..100 is 50.5 and p99 is 99.01.
package quantile
