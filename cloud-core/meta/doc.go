// Package meta keeps the cloud core's metadata in one bbolt file: each
// stream's policy and successor graph, the tier-2 chunk index, how far each
// segment has been tiered, and the writer marks recorded at tiering.
//
// Every change is one bbolt transaction, so a chunk's index entry, the
// writer marks of the tier-1 range it holds and the segment's tiered
// position move together: after a crash either all of them are there or
// none is. The layout of the file is drawn in docs/cloud-store.md.
package meta
