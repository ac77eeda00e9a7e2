// Package uplink is the edge side of replication: it reads the local log
// per priority class, sends batch frames to cloud ingest over NATS with
// several in flight, and trims the log only up to what the cloud has
// acknowledged.
//
// A session starts with a Hello: the cloud answers with each writer's
// committed mark, the uplink trims what the mark covers and resumes after
// it. Batches go out in order on one connection, highest class first;
// acknowledgements are taken in order. Any failure (timeout, lost
// connection, a retry or out-of-order answer) ends the session; the next
// one, after an exponential backoff with jitter, starts again from a Hello,
// so the log is the only state that matters and a crash at any moment
// loses nothing and doubles nothing (ingest drops what it already holds).
package uplink
