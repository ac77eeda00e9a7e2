// Package tier1 is the hot tier of the segment store: one JetStream stream
// per segment, holding compressed batches of points (package batchmsg).
//
// Each writer publishes on its own subject inside a segment's stream, with
// the expected last subject sequence header, so two racing copies of a
// batch cannot both be stored; the last message on a writer's subject
// carries the writer's high-water mark in a header, read back in O(1) by a
// direct get. Positions are JetStream stream sequences; tiering trims a
// stream from the front with a purge.
package tier1
