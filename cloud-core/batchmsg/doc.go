// Package batchmsg is the payload format of a tier-1 message: one writer's
// run of points for one segment, as a msgp-encoded models.Batch compressed
// with S2 and checksummed (Format); payloads of the earlier zstd format
// (FormatZstd) still decode. It is pure (no I/O); package tier1 puts the payloads in
// JetStream with headers that Summarize computes, and tiering and readers
// decode them with a Codec.
package batchmsg
