// Package scaler is the cloud core's auto-scaler: it measures the load of
// every segment of every stream (points/s and stored bytes/s, averaged
// over a short, a medium and a long window), splits a segment that stays
// above its stream's target and merges neighbours that together stay well
// below it, with a cooldown so it never flaps. The store does the split
// or merge (seal, successors, new epoch); the scaler only decides. Its
// rate history is kept in the metadata so a restart does not forget it.
//
// Policies, windows and the decision rules are described in
// docs/scaling.md.
package scaler
