// Package promtext reads sample values out of the Prometheus text format
// that /metrics serves, enough for make bench to follow counters such as
// tributary_uplink_wire_bytes_total without a Prometheus server.
package promtext
