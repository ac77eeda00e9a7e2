// Package httpapi is the cloud core's HTTP interface on the segment
// store: health and metrics, stream metadata and policy, counts and event
// reads (NDJSON points in the shape of protocols/jsonpoint), on-demand
// tiering, and a write endpoint that takes NDJSON points with their
// writer, agent and seq (for tools and tests; agents use NATS).
//
// Every error is JSON {"error": "..."} with 400, 404 or 409 for bad
// input; 500 only for failures of the store itself.
package httpapi
