package store

import (
	"sync"

	"github.com/tributary-iot/tributary/cloud-core/tier1"
)

// maxCachedMarks bounds the mark cache; past it the cache starts over.
const maxCachedMarks = 1 << 17

type markKey struct {
	stream, seg, writer string
}

// markCache remembers each writer's last tier-1 message per segment, so
// an append needs no lookup. An entry is only a hint: the append names its
// position in the expected-last-subject-sequence header, and JetStream
// refuses the append if the writer's last message moved (a racing append,
// a trim), after which the entry is dropped and looked up again. Only
// entries with a tier-1 position are kept: a mark from the chunk index is
// re-read under the segment's trim lock every time (see appendRun).
type markCache struct {
	mu sync.Mutex
	// m maps a writer in a segment to its last message; guarded by mu.
	m map[markKey]tier1.Last
}

func newMarkCache() *markCache { return &markCache{m: map[markKey]tier1.Last{}} }

func (c *markCache) get(k markKey) (tier1.Last, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	l, ok := c.m[k]
	return l, ok
}

func (c *markCache) put(k markKey, l tier1.Last) {
	if l.Pos == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxCachedMarks {
		clear(c.m)
	}
	c.m[k] = l
}

func (c *markCache) forget(k markKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, k)
}
