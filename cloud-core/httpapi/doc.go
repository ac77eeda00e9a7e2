// Package httpapi is the cloud core's HTTP interface on the segment
// store: health and metrics, stream metadata and policy, counts, event
// reads (NDJSON in the shape of protocols/jsonpoint, CSV, Parquet,
// MessagePack), splits of a stream's history for parallel readers, live
// tails and reader groups, on-demand tiering, and a write endpoint that
// takes NDJSON points with their writer, agent and seq (for tools, tests
// and the ML jobs; agents use NATS). docs/read-api.md describes the read
// side.
//
// Every error is JSON {"error": "..."} with 400, 404 or 409 for bad
// input; 500 only for failures of the store itself. Streamed answers send
// their status with their first point and end a body that fails later as
// the format allows.
package httpapi
