package fleet

import "github.com/tributary-iot/tributary/simulators/truth"

// Limits of a chunk before its worker hands it on.
const (
	chunkMessages = 512
	chunkBytes    = 512 << 10
)

// chunk is a run of one worker's traffic: messages whose payloads live in
// one arena, and the truth records that ended meanwhile.
type chunk struct {
	msgs  []Message
	meta  []msgMeta
	arena []byte
	truth []truth.Record
	trRnd []int64 // round of each truth record
	// counted is how many truth records the statistics have seen.
	counted int
	// through is the last round all of whose traffic is in this chunk or
	// an earlier one (-1: none yet).
	through int64
}

type msgMeta struct {
	round    int64
	off, end int // payload in arena
}

func newChunk() *chunk { return &chunk{through: -1} }

func (c *chunk) reset() {
	clear(c.msgs) // drop topic and payload references
	c.msgs, c.meta, c.arena = c.msgs[:0], c.meta[:0], c.arena[:0]
	clear(c.truth)
	c.truth, c.trRnd = c.truth[:0], c.trRnd[:0]
	c.through = -1
	c.counted = 0
}

func (c *chunk) full() bool { return len(c.msgs) >= chunkMessages || len(c.arena) >= chunkBytes }

// add appends a message whose payload is arena[off:end].
func (c *chunk) add(round int64, m Message, off, end int) {
	c.msgs = append(c.msgs, m)
	c.meta = append(c.meta, msgMeta{round: round, off: off, end: end})
}

// addOwned appends a message with a payload from elsewhere (copied in).
func (c *chunk) addOwned(round int64, m Message, payload []byte) {
	off := len(c.arena)
	c.arena = append(c.arena, payload...)
	c.add(round, m, off, len(c.arena))
}

// seal points every message's Payload at its bytes in the arena; after
// it the chunk must not grow until reset.
func (c *chunk) seal() {
	for i := range c.msgs {
		if c.msgs[i].Kind == KindPublish {
			c.msgs[i].Payload = c.arena[c.meta[i].off:c.meta[i].end:c.meta[i].end]
		}
	}
}
