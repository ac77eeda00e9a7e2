package locallog

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"

	"github.com/tributary-iot/tributary/models"
)

// A log opened with a lower cap than it was written with may be larger
// than the new cap, or too full to take one more transaction: bbolt files
// never shrink. Open then rewrites it into a fresh file that holds the
// newest points of the highest classes that fit in half of the room left
// by the reserve (oldest and lowest dropped first, counted as evicted),
// and swaps the files (write, fsync, rename, fsync dir). While it runs both
// files are on disk.

// shrinkIfNeeded compacts the open file when it does not fit geo.
func (o *opener) shrinkIfNeeded(geo geometry, st *state) error {
	fi, err := os.Stat(o.opts.Path)
	if err != nil {
		return err
	}
	var hw int64
	if err := o.db.View(func(tx *bolt.Tx) error {
		hw = tx.Size() / geo.psize
		return nil
	}); err != nil {
		return err
	}
	have := int64(o.db.Stats().FreePageN) + max(0, geo.maxHW-hw)
	if fi.Size() <= o.opts.MaxBytes && have >= geo.reserve {
		return nil
	}
	o.opts.Logger.Warn("local log does not fit its cap: compacting it",
		"file_bytes", fi.Size(), "max_bytes", o.opts.MaxBytes, "free_pages", have, "reserve_pages", geo.reserve)
	return o.shrink(geo, st)
}

// shrink copies what fits into Path+".compact" and puts it in place.
func (o *opener) shrink(geo geometry, st *state) error {
	tmp := o.opts.Path + ".compact"
	if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("compact: %w", err)
	}
	dst, err := bolt.Open(tmp, 0o600, &bolt.Options{
		Timeout: o.opts.LockTimeout, NoFreelistSync: true, PageSize: int(geo.psize), MaxSize: int(o.opts.MaxBytes),
	})
	if err != nil {
		return fmt.Errorf("compact: %w", err)
	}
	dst.AllocSize = geo.allocSize
	err = o.copyInto(dst, geo, st)
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("compact: %w", err)
	}
	o.closeDB()
	if err := os.Rename(tmp, o.opts.Path); err != nil {
		return fmt.Errorf("compact: %w", err)
	}
	if err := syncDir(filepath.Dir(o.opts.Path)); err != nil {
		return fmt.Errorf("compact: %w", err)
	}
	db, err := o.openBolt()
	if err != nil {
		return fmt.Errorf("compact: reopen: %w", err)
	}
	db.AllocSize = geo.allocSize
	o.db = db
	return nil
}

// copyInto writes the new file: the layout, the newest points that fit,
// the newest dead letters, and the meta with the dropped points counted.
func (o *opener) copyInto(dst *bolt.DB, geo geometry, st *state) error {
	budget := (geo.maxHW - basePages - 2*geo.reserve) * geo.psize / 2
	err := dst.Update(func(tx *bolt.Tx) error {
		_, err := createBuckets(tx)
		return err
	})
	if err != nil {
		return err
	}
	for _, class := range models.Priorities() {
		cs := &st.classes[class]
		keep, keepElem := int64(0), int64(0)
		err := o.db.View(func(tx *bolt.Tx) error {
			c := tx.Bucket(bktPoints).Bucket(classBucket(class)).Cursor()
			for k, v := c.Last(); k != nil; k, v = c.Prev() {
				if keepElem+elemSize(len(v)) > budget {
					break
				}
				keep++
				keepElem += elemSize(len(v))
			}
			return nil
		})
		if err != nil {
			return err
		}
		budget -= keepElem
		dropped := cs.count - keep
		cs.ctr.dropped[DropEvicted] += uint64(dropped)
		if err := o.copyBucket(dst, geo, []byte(class.String()), cs.count-keep, keep, cs); err != nil {
			return err
		}
		if dropped > 0 {
			o.opts.Logger.Warn("compaction evicted points", "class", class, "points", dropped)
		}
	}
	if err := o.copyDeadLetters(dst, geo, st); err != nil {
		return err
	}
	return dst.Update(func(tx *bolt.Tx) error { return putMeta(tx.Bucket(bktMeta), st) })
}

// copyBucket copies the last keep points of class (after skipping skip)
// in transactions of at most txnBytes, and updates cs to match.
func (o *opener) copyBucket(dst *bolt.DB, geo geometry, name []byte, skip, keep int64, cs *classState) error {
	cs.count, cs.bytes, cs.firstSeq, cs.firstRecv = 0, 0, 0, 0
	type kv struct{ k, v []byte }
	var batch []kv
	var batchElem int64
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := dst.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket(bktPoints).Bucket(name)
			b.FillPercent = 1.0
			for _, e := range batch {
				if err := b.Put(e.k, e.v); err != nil {
					return err
				}
			}
			return nil
		})
		batch, batchElem = batch[:0], 0
		return err
	}
	var n int64
	err := o.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bktPoints).Bucket(name).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if n++; n <= skip {
				continue
			}
			if cs.count == 0 {
				cs.firstSeq = getU64(k)
				_, cs.firstRecv, _ = pointTail(v)
			}
			cs.count++
			cs.bytes += int64(len(v))
			batch = append(batch, kv{k: append([]byte(nil), k...), v: append([]byte(nil), v...)})
			if batchElem += elemSize(len(v)); batchElem >= geo.txnBytes {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		return flush()
	})
	if err == nil && cs.count != keep {
		err = fmt.Errorf("copied %d points of %s, planned %d", cs.count, name, keep)
	}
	return err
}

// copyDeadLetters copies the newest dead letters that fit the caps.
func (o *opener) copyDeadLetters(dst *bolt.DB, geo geometry, st *state) error {
	before := st.dlStored
	st.dlStored, st.dlElem = 0, 0
	return o.db.View(func(src *bolt.Tx) error {
		c := src.Bucket(bktMeta).Bucket(bktDeadLetters).Cursor()
		// Walk back from the newest while they fit, then copy forward.
		var n, elem int64
		k, v := c.Last()
		for ; k != nil; k, v = c.Prev() {
			if n+1 > int64(o.opts.MaxDeadLetters) || elem+elemSize(len(v)) > geo.dlBytes {
				break
			}
			n++
			elem += elemSize(len(v))
		}
		if k == nil {
			k, v = c.First()
		} else {
			k, v = c.Next()
		}
		st.dlDropped += uint64(before - n)
		return dst.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket(bktMeta).Bucket(bktDeadLetters)
			b.FillPercent = 1.0
			for ; k != nil && st.dlStored < n; k, v = c.Next() {
				if err := b.Put(k, v); err != nil {
					return err
				}
				st.dlStored++
				st.dlElem += elemSize(len(v))
			}
			return nil
		})
	})
}
