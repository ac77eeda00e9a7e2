package locallog

import (
	"encoding/binary"

	"github.com/tributary-iot/tributary/models"
)

// Bucket layout (see FORMAT.md):
//
//	root
//	├── meta          scalars and counters, 8-byte big-endian values
//	│   ├── deadletters   8-byte big-endian id -> dead letter
//	│   └── dlreasons     reason -> count
//	└── points
//	    ├── low           8-byte big-endian seq -> msgp point
//	    ├── normal
//	    └── high
//
// Both top-level buckets hold sub-buckets, so bbolt never inlines them, and
// no leaf holds more than three inline buckets: every node fits one page.

// formatVersion is the layout version in meta/version.
const formatVersion = 1

var (
	bktMeta        = []byte("meta")
	bktPoints      = []byte("points")
	bktDeadLetters = []byte("deadletters")
	bktDLReasons   = []byte("dlreasons")

	keyVersion = []byte("version")
	keyCreated = []byte("created")
	keyNextSeq = []byte("next_seq")
	keyNextDL  = []byte("next_dl")
	keyDLTotal = []byte("dl_total")
	keyDLDrop  = []byte("dl_dropped")
)

// maxDLReasons bounds the distinct dead-letter reasons counted; more are
// counted under dlOtherReason.
const (
	maxDLReasons  = 32
	dlOtherReason = "other"
)

// classBucket is the name of class c's bucket.
func classBucket(c models.Priority) []byte { return []byte(c.String()) }

// counterKeys are the meta keys of class c's counters.
type counterKeys struct {
	appended, synced []byte
	dropped          [numDropReasons][]byte
}

func newCounterKeys(c models.Priority) counterKeys {
	p := "c/" + c.String() + "/"
	k := counterKeys{appended: []byte(p + "appended"), synced: []byte(p + "synced")}
	for r := range numDropReasons {
		k.dropped[r] = []byte(p + r.String())
	}
	return k
}

// u64 encodes v as 8 bytes big-endian: the meta values, and the keys of
// points (seq) and dead letters (id).
func u64(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}

// getU64 decodes an 8-byte big-endian value or key; anything else is 0.
func getU64(b []byte) uint64 {
	if len(b) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}
