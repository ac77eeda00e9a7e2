// Package client is the Go client of the cloud core's HTTP read API: it
// lists streams, counts and reads points (as Go 1.23 iterators), lists a
// stream's splits and reads them in parallel, follows the live tail,
// reads as a member of a reader group (reconnecting and checkpointing on
// its own), and writes points (to the write endpoint, idempotently). It
// sends a bearer token when given one.
//
// It speaks only HTTP and imports nothing of the server: the ML jobs in
// ml/ use it. Points are read as MessagePack where the API offers it (a
// tenth of the work of JSON) and as NDJSON from tails.
package client
