package store

import (
	"math"
	"sync"
)

// fence keeps the tier-1 positions that readers are at from being
// trimmed. A reader that has read part of a tier-1 range reads the rest
// of it from tier 1: a scan enters a chunk in the middle only where it
// starts (a cut), and chunks written before rows kept their tier-1
// positions cannot be entered there at all. Trims therefore stop at the
// lowest registered position.
type fence struct {
	mu sync.Mutex
	// readers maps a registered reader to its next position; guarded by mu.
	readers map[*fenceReader]uint64
}

// fenceReader is one reader's registration.
type fenceReader struct {
	f *fence
}

// enter registers a reader at position pos.
func (f *fence) enter(pos uint64) *fenceReader {
	r := &fenceReader{f: f}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.readers == nil {
		f.readers = map[*fenceReader]uint64{}
	}
	f.readers[r] = pos
	return r
}

// move records that the reader moved on to pos.
func (r *fenceReader) move(pos uint64) {
	r.f.mu.Lock()
	defer r.f.mu.Unlock()
	r.f.readers[r] = pos
}

// leave unregisters the reader.
func (r *fenceReader) leave() {
	r.f.mu.Lock()
	defer r.f.mu.Unlock()
	delete(r.f.readers, r)
}

// min returns the lowest registered position (MaxUint64 if none).
func (f *fence) min() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	low := uint64(math.MaxUint64)
	for _, p := range f.readers {
		low = min(low, p)
	}
	return low
}
