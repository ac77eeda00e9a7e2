package ingest

import (
	"context"
	"maps"
	"sync"

	"github.com/tributary-iot/tributary/models"
)

// MemStore is an in-memory Appender and MarkStore for tests and
// experiments. Like the segment store, it keeps a mark per writer and
// device-group and drops points at or under it, so retries are harmless.
type MemStore struct {
	// mu guards everything below.
	mu     sync.Mutex
	points []models.Point
	// segMarks: writer -> device -> last seq written (a device stands for
	// its segment: dedup per device is at least as strict).
	segMarks map[string]map[string]uint64
	saved    map[string]uint64
	// failAppends: the next n appends write half a batch, then fail.
	failAppends int
}

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore {
	return &MemStore{segMarks: map[string]map[string]uint64{}, saved: map[string]uint64{}}
}

// FailNextAppends makes the next n appends write only the first half of
// their new points and then fail.
func (m *MemStore) FailNextAppends(n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failAppends = n
}

// Append implements Appender.
func (m *MemStore) Append(ctx context.Context, b *models.Batch) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	marks := m.segMarks[b.Writer]
	if marks == nil {
		marks = map[string]uint64{}
		m.segMarks[b.Writer] = marks
	}
	limit := len(b.Points)
	if m.failAppends > 0 {
		limit /= 2
	}
	for i := range b.Points[:limit] {
		p := &b.Points[i]
		if p.Seq <= marks[p.Device] {
			continue
		}
		marks[p.Device] = p.Seq
		m.points = append(m.points, p.Clone())
	}
	if m.failAppends > 0 {
		m.failAppends--
		return context.DeadlineExceeded
	}
	return nil
}

// LoadMarks implements MarkStore.
func (m *MemStore) LoadMarks(context.Context) (map[string]uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return maps.Clone(m.saved), nil
}

// SaveMarks implements MarkStore.
func (m *MemStore) SaveMarks(_ context.Context, marks map[string]uint64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.saved = maps.Clone(marks)
	return nil
}

// Points returns a copy of every point written, in write order.
func (m *MemStore) Points() []models.Point {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]models.Point, len(m.points))
	copy(out, m.points)
	return out
}
