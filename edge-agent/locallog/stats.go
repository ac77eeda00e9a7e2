package locallog

import (
	"maps"
	"time"

	"github.com/tributary-iot/tributary/models"
)

// DropReason is why a point left the log without being synced.
type DropReason uint8

// The drop reasons.
const (
	// DropEvicted: the oldest points, evicted to admit newer ones.
	DropEvicted DropReason = iota
	// DropRejected: new points refused by the full-log policy.
	DropRejected
	// DropExpired: points older than their class's TTL.
	DropExpired
	// DropCorrupt: stored points that no longer decode.
	DropCorrupt
	numDropReasons
)

// String returns "evicted", "rejected", "expired" or "corrupt".
func (r DropReason) String() string {
	switch r {
	case DropEvicted:
		return "evicted"
	case DropRejected:
		return "rejected"
	case DropExpired:
		return "expired"
	case DropCorrupt:
		return "corrupt"
	}
	return "unknown"
}

// Stats is a snapshot of the log, taken from memory (no I/O).
//
// Every point offered to Append is accounted for exactly once, per class
// and in total: PointsAppended + rejected = PointsBuffered + PointsSynced +
// PointsDropped (PointsDropped includes the rejected ones).
type Stats struct {
	// PointsBuffered and BytesBuffered count the points held (bytes: their
	// encoded size).
	PointsBuffered int64
	BytesBuffered  int64
	// PointsAppended counts points accepted by Append, ever.
	PointsAppended int64
	// PointsDropped counts points evicted, rejected, expired or found
	// corrupt, ever.
	PointsDropped int64
	// PointsSynced counts points removed by Trim, ever.
	PointsSynced int64
	// DeadLetters counts dead letters recorded, ever; DeadLettersByReason
	// splits them by reason. DeadLettersStored is how many are kept now,
	// DeadLettersDropped how many were removed (oldest first) to keep the
	// dead-letter store within its caps or the disk cap.
	DeadLetters         int64
	DeadLettersByReason map[string]int64
	DeadLettersStored   int64
	DeadLettersDropped  int64
	// OldestUnsynced is the receive time of the oldest point held (zero if
	// none).
	OldestUnsynced time.Time
	// FileBytes is the file's size on disk; MaxBytes the cap.
	FileBytes int64
	MaxBytes  int64
	// Classes holds the same figures per priority class.
	Classes [models.NumPriorities]ClassStats
	// NextSeq is the seq the next point will get.
	NextSeq uint64
	// Commits counts write transactions since Open.
	Commits int64
	// SpaceRetries counts transactions bbolt refused for lack of room
	// since Open (the accounting is meant to keep this at zero).
	SpaceRetries int64
	// Created is when the log file was created.
	Created time.Time
	// Recovered is non-nil when Open found the file damaged, moved it
	// aside and started a fresh log.
	Recovered *Recovery
}

// ClassStats are the figures of one priority class.
type ClassStats struct {
	// PointsBuffered and BytesBuffered count the points held.
	PointsBuffered int64
	BytesBuffered  int64
	// PointsAppended counts points accepted, ever; PointsSynced points
	// trimmed, ever.
	PointsAppended int64
	PointsSynced   int64
	// Dropped counts dropped points by reason ("evicted", "rejected",
	// "expired", "corrupt"); PointsDropped is their sum.
	Dropped       map[string]int64
	PointsDropped int64
	// FirstSeq and LastSeq bound the points held (both 0 when none).
	FirstSeq uint64
	LastSeq  uint64
	// OldestReceived is the receive time of the oldest point held.
	OldestReceived time.Time
}

// Recovery says what Open did with a damaged file.
type Recovery struct {
	// MovedTo is where the damaged file now is.
	MovedTo string
	// Reason is why it was found unusable.
	Reason string
	// At is when it was moved.
	At time.Time
}

// counters are the persisted totals of one class.
type counters struct {
	appended uint64
	synced   uint64
	dropped  [numDropReasons]uint64
}

// classState is what the log knows of one class.
type classState struct {
	count     int64
	bytes     int64
	firstSeq  uint64 // 0 when empty
	lastSeq   uint64 // highest seq held or appended since Open
	firstRecv int64  // Received of the first point (Unix ns)
	ctr       counters
}

// state is the log's in-memory view, owned by the committer and published
// to Stats, Wait and Read under Log.mu.
type state struct {
	classes   [models.NumPriorities]classState
	nextSeq   uint64
	leaseCeil uint64
	nextDL    uint64
	dlStored  int64
	dlElem    int64 // element bytes of stored dead letters
	dlTotal   uint64
	dlDropped uint64
	dlReasons map[string]uint64
	fileBytes int64
	commits   int64
	retries   int64
	created   time.Time
}

// clone returns a copy of s that shares no map.
func (s *state) clone() state {
	c := *s
	c.dlReasons = maps.Clone(s.dlReasons)
	return c
}

// stats builds a Stats from s.
func (s *state) stats(maxBytes int64, rec *Recovery) Stats {
	st := Stats{
		DeadLetters:         int64(s.dlTotal),
		DeadLettersByReason: make(map[string]int64, len(s.dlReasons)),
		DeadLettersStored:   s.dlStored,
		DeadLettersDropped:  int64(s.dlDropped),
		FileBytes:           s.fileBytes,
		MaxBytes:            maxBytes,
		NextSeq:             s.nextSeq,
		Commits:             s.commits,
		SpaceRetries:        s.retries,
		Created:             s.created,
	}
	for r, n := range s.dlReasons {
		st.DeadLettersByReason[r] = int64(n)
	}
	if rec != nil {
		r := *rec
		st.Recovered = &r
	}
	for c := range s.classes {
		cs := &s.classes[c]
		out := ClassStats{
			PointsBuffered: cs.count,
			BytesBuffered:  cs.bytes,
			PointsAppended: int64(cs.ctr.appended),
			PointsSynced:   int64(cs.ctr.synced),
			Dropped:        make(map[string]int64, numDropReasons),
			LastSeq:        cs.lastSeq,
		}
		for r := range numDropReasons {
			out.Dropped[r.String()] = int64(cs.ctr.dropped[r])
			out.PointsDropped += int64(cs.ctr.dropped[r])
		}
		if cs.count > 0 {
			out.FirstSeq = cs.firstSeq
			out.OldestReceived = time.Unix(0, cs.firstRecv)
			if st.OldestUnsynced.IsZero() || out.OldestReceived.Before(st.OldestUnsynced) {
				st.OldestUnsynced = out.OldestReceived
			}
		} else {
			out.LastSeq = 0
		}
		st.Classes[c] = out
		st.PointsBuffered += out.PointsBuffered
		st.BytesBuffered += out.BytesBuffered
		st.PointsAppended += out.PointsAppended
		st.PointsSynced += out.PointsSynced
		st.PointsDropped += out.PointsDropped
	}
	return st
}
