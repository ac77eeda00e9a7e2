package meta

import (
	"fmt"

	"go.etcd.io/bbolt"
)

// bucketCommitted holds ingest's committed marks: writer id -> big-endian
// seq of the end of the last batch acknowledged to that writer.
const bucketCommitted = "committed"

// CommittedMarks returns every writer's committed mark (see sync/ingest).
func (db *DB) CommittedMarks() (map[string]uint64, error) {
	out := map[string]uint64{}
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(bucketCommitted))
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			m, err := decodeU64(bucketCommitted, string(k), v)
			if err != nil {
				return err
			}
			out[string(k)] = m
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("cannot read committed marks: %w", err)
	}
	return out, nil
}

// SaveCommittedMarks records the given committed marks (others are kept).
// A mark never moves back.
func (db *DB) SaveCommittedMarks(marks map[string]uint64) error {
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte(bucketCommitted))
		if err != nil {
			return err
		}
		for w, m := range marks {
			// A missing or malformed old mark is overwritten.
			if old, err := decodeU64(bucketCommitted, w, b.Get([]byte(w))); err == nil && old >= m {
				continue
			}
			if err := b.Put([]byte(w), u64Key(m)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("cannot save committed marks: %w", err)
	}
	return nil
}
