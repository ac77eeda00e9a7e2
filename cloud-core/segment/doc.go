// Package segment is the stream model of the cloud core: a stream is cut
// into segments that own ranges of the hashed device-id space, an epoch is
// the set of segments active at one time, and the successor graph (sealed
// segments and their successors) keeps each device's order when segments
// split or merge.
//
// Everything here is pure: routing is a function of (epoch, device), and
// Split and Merge return a new Layout without touching storage. The
// metadata store (package meta) persists a Layout; tier 1 and the store
// act on it.
package segment
