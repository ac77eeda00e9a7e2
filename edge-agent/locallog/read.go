package locallog

import (
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/tributary-iot/tributary/models"
)

// Read returns, in seq order, the points of class with seqs above afterSeq:
// at most maxPoints of them and, past the first, no more than maxBytes of
// encoded points (<= 0: no limit). It reuses dst's storage (from dst[:0])
// and returns the points; it returns none when there are none to read (see
// Wait and Notify to block until there are).
//
// A stored point that no longer decodes is skipped, logged, and dropped
// (counted as corrupt) by the committer shortly after.
func (l *Log) Read(ctx context.Context, class models.Priority, afterSeq uint64, maxPoints, maxBytes int, dst []models.Point) ([]models.Point, error) {
	if err := checkClass(class); err != nil {
		return dst[:0], err
	}
	if err := ctx.Err(); err != nil {
		return dst[:0], err
	}
	out := dst[:0]
	var corrupt []uint64
	err := l.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bktPoints).Bucket(classBucket(class))
		c := b.Cursor()
		size := 0
		for k, v := c.Seek(u64(afterSeq + 1)); k != nil; k, v = c.Next() {
			if maxPoints > 0 && len(out) >= maxPoints {
				break
			}
			if maxBytes > 0 && len(out) > 0 && size+len(v) > maxBytes {
				break
			}
			if len(out) < cap(out) {
				out = out[:len(out)+1]
			} else {
				out = append(out, models.Point{})
			}
			p := &out[len(out)-1]
			if _, err := p.UnmarshalMsg(v); err != nil {
				seq := getU64(k)
				l.logger.Error("stored point does not decode; dropping it", "class", class, "seq", seq, "err", err)
				corrupt = append(corrupt, seq)
				out = out[:len(out)-1]
				continue
			}
			size += len(v)
		}
		return nil
	})
	for _, seq := range corrupt {
		l.dropCorrupt(class, seq)
	}
	if err != nil {
		return out, fmt.Errorf("read: %w", err)
	}
	return out, nil
}

// DeadLetters returns up to limit of the newest dead letters, newest first
// (limit <= 0: all kept).
func (l *Log) DeadLetters(ctx context.Context, limit int) ([]DeadLetter, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []DeadLetter
	err := l.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bktMeta).Bucket(bktDeadLetters).Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			if limit > 0 && len(out) >= limit {
				break
			}
			d, err := decodeDeadLetter(v)
			if err != nil {
				l.logger.Error("stored dead letter does not decode; skipping it", "err", err)
				continue
			}
			d.ID = getU64(k)
			out = append(out, d)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("dead letters: %w", err)
	}
	return out, nil
}
