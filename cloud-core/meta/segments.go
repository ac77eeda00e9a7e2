package meta

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"go.etcd.io/bbolt"
)

// SegmentState sums up what tier 2 holds of one segment.
type SegmentState struct {
	// Tiered is the last tier-1 position moved to tier 2 (0: none yet).
	// Tier 1 holds the segment from Tiered+1 on.
	Tiered uint64
	// Chunks, Rows and Bytes count the segment's indexed chunks.
	Chunks int64
	Rows   int64
	Bytes  int64
}

// Snapshot is a consistent view of one segment's chunk index.
type Snapshot struct {
	// Tiered is the segment's tiered position when the snapshot was taken.
	Tiered uint64
	// Chunks are the chunks asked for, in position order.
	Chunks []Chunk
	// More reports that chunks past the last one returned exist (the
	// snapshot was cut at its limit).
	More bool
}

// segBucket returns the bucket of one segment, or nil.
func segBucket(tx *bbolt.Tx, stream, seg string) *bbolt.Bucket {
	sb := tx.Bucket(bucketSegments).Bucket([]byte(stream))
	if sb == nil {
		return nil
	}
	return sb.Bucket([]byte(seg))
}

func createSegBucket(tx *bbolt.Tx, stream, seg string) (*bbolt.Bucket, error) {
	sb, err := tx.Bucket(bucketSegments).CreateBucketIfNotExists([]byte(stream))
	if err != nil {
		return nil, err
	}
	b, err := sb.CreateBucketIfNotExists([]byte(seg))
	if err != nil {
		return nil, err
	}
	for _, name := range [][]byte{bucketChunks, bucketMarks} {
		if _, err := b.CreateBucketIfNotExists(name); err != nil {
			return nil, err
		}
	}
	return b, nil
}

func readU64(b *bbolt.Bucket, where string, key []byte) (uint64, error) {
	v := b.Get(key)
	if v == nil {
		return 0, nil
	}
	return decodeU64(where, string(key), v)
}

func readState(b *bbolt.Bucket, where string) (SegmentState, error) {
	var st SegmentState
	if b == nil {
		return st, nil
	}
	var vals [4]uint64
	for i, k := range [][]byte{keyTiered, keyRows, keyBytes, keyCount} {
		v, err := readU64(b, where, k)
		if err != nil {
			return st, err
		}
		vals[i] = v
	}
	st.Tiered = vals[0]
	st.Rows, st.Bytes, st.Chunks = int64(vals[1]), int64(vals[2]), int64(vals[3])
	return st, nil
}

func writeState(b *bbolt.Bucket, st SegmentState) error {
	for k, v := range map[string]uint64{
		string(keyTiered): st.Tiered, string(keyRows): uint64(st.Rows),
		string(keyBytes): uint64(st.Bytes), string(keyCount): uint64(st.Chunks),
	} {
		if err := b.Put([]byte(k), u64Key(v)); err != nil {
			return err
		}
	}
	return nil
}

// SegmentState returns the tier-2 summary of a segment (zero if nothing
// was tiered yet).
func (db *DB) SegmentState(stream, seg string) (SegmentState, error) {
	var st SegmentState
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		var err error
		st, err = readState(segBucket(tx, stream, seg), stream+"/"+seg)
		return err
	})
	return st, err
}

// Snapshot returns the segment's tiered position and, in position order,
// up to limit chunks that hold positions at or after from (limit <= 0: no
// limit), all read in one transaction.
func (db *DB) Snapshot(stream, seg string, from uint64, limit int) (Snapshot, error) {
	var snap Snapshot
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		b := segBucket(tx, stream, seg)
		if b == nil {
			return nil
		}
		where := stream + "/" + seg
		st, err := readState(b, where)
		if err != nil {
			return err
		}
		snap.Tiered = st.Tiered
		c := b.Bucket(bucketChunks).Cursor()
		// The chunk that starts before from may still hold it.
		k, _ := c.Seek(u64Key(from))
		if pk, pv := prevOf(c, k); pk != nil {
			ch, err := decodeChunk(where, pk, pv)
			if err != nil {
				return err
			}
			if ch.LastPos >= from {
				snap.Chunks = append(snap.Chunks, ch)
			}
		}
		k, v := c.Seek(u64Key(from))
		for ; k != nil; k, v = c.Next() {
			if limit > 0 && len(snap.Chunks) == limit {
				snap.More = true
				break
			}
			ch, err := decodeChunk(where, k, v)
			if err != nil {
				return err
			}
			snap.Chunks = append(snap.Chunks, ch)
		}
		return nil
	})
	return snap, err
}

// prevOf returns the entry before the cursor's position k (the last entry
// when k is nil).
func prevOf(c *bbolt.Cursor, k []byte) ([]byte, []byte) {
	if k == nil {
		return c.Last()
	}
	return c.Prev()
}

// Mark returns writer's mark recorded for the segment at tiering (0: none).
func (db *DB) Mark(stream, seg, writer string) (uint64, error) {
	var m uint64
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		b := segBucket(tx, stream, seg)
		if b == nil {
			return nil
		}
		var err error
		m, err = readU64(b.Bucket(bucketMarks), stream+"/"+seg+"/marks", []byte(writer))
		return err
	})
	return m, err
}

// Marks returns every writer mark recorded for the segment.
func (db *DB) Marks(stream, seg string) (map[string]uint64, error) {
	out := map[string]uint64{}
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		b := segBucket(tx, stream, seg)
		if b == nil {
			return nil
		}
		where := stream + "/" + seg + "/marks"
		return b.Bucket(bucketMarks).ForEach(func(k, v []byte) error {
			m, err := decodeU64(where, string(k), v)
			out[string(k)] = m
			return err
		})
	})
	return out, err
}

// CommitChunk indexes c and records the writer marks of the tier-1 range it
// replaced, in one transaction: the chunk entry, each writer's mark (kept
// at the larger of the old and new value) and the segment's tiered
// position (set to c.LastPos). c must start right after the tiered
// position, otherwise ErrConflict.
func (db *DB) CommitChunk(c Chunk, marks map[string]uint64) error {
	if err := c.validate(); err != nil {
		return err
	}
	if c.Created == 0 {
		c.Created = time.Now().UnixNano()
	}
	c.Writers = len(marks)
	val, err := jsonChunk(&c)
	if err != nil {
		return err
	}
	return db.bolt.Update(func(tx *bbolt.Tx) error {
		b, err := createSegBucket(tx, c.Stream, c.Segment)
		if err != nil {
			return err
		}
		where := c.Stream + "/" + c.Segment
		st, err := readState(b, where)
		if err != nil {
			return err
		}
		if c.FirstPos != st.Tiered+1 {
			return fmt.Errorf("chunk [%d,%d] of %s after tiered position %d: %w", c.FirstPos, c.LastPos, where, st.Tiered, ErrConflict)
		}
		if err := b.Bucket(bucketChunks).Put(u64Key(c.FirstPos), val); err != nil {
			return err
		}
		mb := b.Bucket(bucketMarks)
		for _, w := range sortedKeys(marks) {
			old, err := readU64(mb, where+"/marks", []byte(w))
			if err != nil {
				return err
			}
			if m := marks[w]; m > old {
				if err := mb.Put([]byte(w), u64Key(m)); err != nil {
					return err
				}
			}
		}
		st.Tiered = c.LastPos
		st.Chunks++
		st.Rows += c.Rows
		st.Bytes += c.Bytes
		return writeState(b, st)
	})
}

func sortedKeys(m map[string]uint64) []string {
	// Sorted keys make bbolt's inserts sequential.
	return slices.Sorted(maps.Keys(m))
}

// DeleteChunk removes the index entry of the chunk of stream/seg that
// starts at firstPos and returns it. The segment's tiered position and
// writer marks stay: a deleted chunk's positions never come back, and its
// writers' retries stay duplicates.
func (db *DB) DeleteChunk(stream, seg string, firstPos uint64) (Chunk, error) {
	var c Chunk
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		b := segBucket(tx, stream, seg)
		if b == nil {
			return fmt.Errorf("chunk %s/%s@%d: %w", stream, seg, firstPos, ErrNotFound)
		}
		where := stream + "/" + seg
		cb := b.Bucket(bucketChunks)
		v := cb.Get(u64Key(firstPos))
		if v == nil {
			return fmt.Errorf("chunk %s@%d: %w", where, firstPos, ErrNotFound)
		}
		var err error
		if c, err = decodeChunk(where, u64Key(firstPos), v); err != nil {
			return err
		}
		if err := cb.Delete(u64Key(firstPos)); err != nil {
			return err
		}
		st, err := readState(b, where)
		if err != nil {
			return err
		}
		st.Chunks--
		st.Rows -= c.Rows
		st.Bytes -= c.Bytes
		return writeState(b, st)
	})
	return c, err
}

// Chunks calls fn with every chunk of stream, segment by segment in
// position order. fn runs inside a read transaction and must not call the
// DB's write methods.
func (db *DB) Chunks(stream string, fn func(Chunk) error) error {
	return db.bolt.View(func(tx *bbolt.Tx) error {
		sb := tx.Bucket(bucketSegments).Bucket([]byte(stream))
		if sb == nil {
			return nil
		}
		return forEachChunk(sb, stream, fn)
	})
}

// ChunkPaths returns the paths of every indexed chunk of every stream.
func (db *DB) ChunkPaths() (map[string]struct{}, error) {
	out := map[string]struct{}{}
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		root := tx.Bucket(bucketSegments)
		return root.ForEachBucket(func(stream []byte) error {
			return forEachChunk(root.Bucket(stream), string(stream), func(c Chunk) error {
				out[c.Path] = struct{}{}
				return nil
			})
		})
	})
	return out, err
}

// forEachChunk calls fn with every chunk of sb, stream's bucket of
// segments, segment by segment in position order.
func forEachChunk(sb *bbolt.Bucket, stream string, fn func(Chunk) error) error {
	return sb.ForEachBucket(func(seg []byte) error {
		where := stream + "/" + string(seg)
		return sb.Bucket(seg).Bucket(bucketChunks).ForEach(func(k, v []byte) error {
			c, err := decodeChunk(where, k, v)
			if err != nil {
				return err
			}
			return fn(c)
		})
	})
}
