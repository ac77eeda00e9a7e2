// Package store is the cloud core's segment store: it ties the stream
// model (package segment), the metadata (package meta), tier 1 (package
// tier1, JetStream) and tier 2 (package tier2, Parquet chunks) together.
//
// Append routes a writer's batch to segments and stores it exactly once,
// however often and however late it is retried; Read and Count scan a
// stream by time and device across both tiers; Tail follows the live end;
// Tier moves closed tier-1 ranges into chunks; ApplyRetention deletes old
// chunks; Run does tiering by age and retention in the background. Open
// recovers from whatever a crash left. docs/cloud-store.md describes the
// protocols.
package store
