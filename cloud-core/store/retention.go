package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/tributary-iot/tributary/cloud-core/meta"
)

// ApplyRetention deletes, in every stream with a retention limit, the
// tier-2 chunks past it: those whose newest point (device time) is older
// than the maximum age, then the oldest chunks (by newest point) while the
// stream's chunks hold more than the maximum bytes. Only whole chunks go.
// Each chunk leaves the index first and its file after, so readers are
// never sent to a missing file (a crash in between leaves a file that
// Open's sweep removes). Writer marks stay, so late retries of deleted
// points stay duplicates. It returns the number of chunks deleted.
func (s *Store) ApplyRetention(ctx context.Context, now time.Time) (int, error) {
	streams, err := s.meta.Streams()
	if err != nil {
		return 0, err
	}
	removed := 0
	for _, st := range streams {
		r := st.Policy.Retention
		if r.MaxAge == 0 && r.MaxBytes == 0 {
			continue
		}
		var chunks []meta.Chunk
		var total int64
		err := s.meta.Chunks(st.Name, func(c meta.Chunk) error {
			chunks = append(chunks, c)
			total += c.Bytes
			return nil
		})
		if err != nil {
			return removed, err
		}
		slices.SortFunc(chunks, func(a, b meta.Chunk) int { return cmp.Compare(a.MaxTime, b.MaxTime) })
		cutoff := now.Add(-time.Duration(r.MaxAge)).UnixNano()
		for _, c := range chunks {
			old := r.MaxAge > 0 && c.MaxTime < cutoff
			big := r.MaxBytes > 0 && total > r.MaxBytes
			if !old && !big {
				break
			}
			if err := s.removeChunk(ctx, c); err != nil {
				return removed, err
			}
			total -= c.Bytes
			removed++
		}
	}
	return removed, nil
}

func (s *Store) removeChunk(ctx context.Context, c meta.Chunk) error {
	if _, err := s.meta.DeleteChunk(c.Stream, c.Segment, c.FirstPos); err != nil && !errors.Is(err, meta.ErrNotFound) {
		return err
	}
	if err := s.t2.Remove(ctx, c.Path); err != nil {
		return fmt.Errorf("cannot remove chunk %s: %w", c.Path, err)
	}
	s.metrics.retentionChunks.Inc()
	s.log.Debug("retention removed a chunk", "path", c.Path, "max_time", time.Unix(0, c.MaxTime).UTC())
	return nil
}
