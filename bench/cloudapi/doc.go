// Package cloudapi is the small client of cloud-core's HTTP read API that
// make bench needs: counts, stream info, tiering, and timed reads of a
// stream's events as NDJSON (whole, or split by /splits when the server
// serves it). Reads count points without decoding them, as a trainer's
// loader would receive them.
package cloudapi
