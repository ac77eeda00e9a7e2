// Package locallog is the edge agent's durable local log: the buffer
// between MQTT collection and the uplink to the cloud, on one bbolt file.
//
// Collectors call Append, which returns once the points are in an fsync'd
// transaction (guarantee 1: acknowledge only what is durable); one
// committer goroutine merges concurrent appends into one transaction (group
// commit). Every point gets a seq from one agent-wide, strictly increasing
// sequence that never goes backwards, even across a damaged log replaced by
// a fresh one (a lease file beside the log), so (agent, seq) names a point
// exactly once end to end (guarantee 2). The uplink reads each priority
// class in seq order (Read, Wait, Notify) and deletes what the cloud has
// acknowledged (Trim).
//
// The file never grows past Options.MaxBytes (guarantee 3): when it is
// full, Options.WhenFull decides, class by class, whether old points are
// evicted or new ones rejected, and every dropped point is counted. Bad
// input goes to a capped dead-letter store (AddDeadLetter, guarantee 4). A
// damaged file is moved aside at Open and a fresh log started, so the agent
// never crash-loops on it.
//
// FORMAT.md describes the file layout and the disk accounting.
package locallog
