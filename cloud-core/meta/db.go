package meta

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"github.com/tributary-iot/tributary/cloud-core/segment"
)

// Bucket names. The layout is drawn in docs/cloud-store.md.
var (
	bucketStreams  = []byte("streams")  // stream name -> JSON segment.Stream
	bucketSegments = []byte("segments") // stream -> segment -> state, chunks, marks
	bucketChunks   = []byte("chunks")   // big-endian first position -> JSON Chunk
	bucketMarks    = []byte("marks")    // writer id -> big-endian mark
	keyTiered      = []byte("tiered")   // last position moved to tier 2
	keyRows        = []byte("rows")     // points in the segment's chunks
	keyBytes       = []byte("bytes")    // bytes of the segment's chunks
	keyCount       = []byte("count")    // number of the segment's chunks
)

// Options configure Open.
type Options struct {
	// Timeout bounds the wait for the file lock held by another process;
	// 0 means one second.
	Timeout time.Duration
}

// DB is the metadata store. It is safe for concurrent use.
type DB struct {
	bolt *bbolt.DB
}

// Open opens (creating if needed) the metadata file at path.
func Open(path string, opts Options) (*DB, error) {
	if opts.Timeout == 0 {
		opts.Timeout = time.Second
	}
	b, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: opts.Timeout})
	if err != nil {
		return nil, fmt.Errorf("cannot open metadata %q: %w", path, err)
	}
	err = b.Update(func(tx *bbolt.Tx) error {
		for _, name := range [][]byte{bucketStreams, bucketSegments} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		_ = b.Close()
		return nil, fmt.Errorf("cannot initialise metadata %q: %w", path, err)
	}
	return &DB{bolt: b}, nil
}

// Close closes the file.
func (db *DB) Close() error { return db.bolt.Close() }

// Path returns the file's path.
func (db *DB) Path() string { return db.bolt.Path() }

// Streams returns every stream, ordered by name.
func (db *DB) Streams() ([]segment.Stream, error) {
	var out []segment.Stream
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketStreams).ForEach(func(k, v []byte) error {
			s, err := decodeStream(k, v)
			if err != nil {
				return err
			}
			out = append(out, s)
			return nil
		})
	})
	return out, err
}

// Stream returns the stream named name, or ErrNotFound.
func (db *DB) Stream(name string) (segment.Stream, error) {
	var s segment.Stream
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		v := tx.Bucket(bucketStreams).Get([]byte(name))
		if v == nil {
			return fmt.Errorf("stream %q: %w", name, ErrNotFound)
		}
		var err error
		s, err = decodeStream([]byte(name), v)
		return err
	})
	return s, err
}

// CreateStream stores s unless a stream of that name exists. It returns
// the stored stream and whether this call created it.
func (db *DB) CreateStream(s segment.Stream) (segment.Stream, bool, error) {
	if err := s.Layout.Validate(); err != nil {
		return segment.Stream{}, false, err
	}
	var (
		out     segment.Stream
		created bool
	)
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketStreams)
		if v := b.Get([]byte(s.Name)); v != nil {
			var err error
			out, err = decodeStream([]byte(s.Name), v)
			return err
		}
		out, created = s, true
		return putStream(b, &s)
	})
	if err != nil {
		return segment.Stream{}, false, err
	}
	return out, created, nil
}

// UpdateStream changes the stream named name with fn in one transaction;
// fn must not change the name. It returns the stored result.
func (db *DB) UpdateStream(name string, fn func(*segment.Stream) error) (segment.Stream, error) {
	var out segment.Stream
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketStreams)
		v := b.Get([]byte(name))
		if v == nil {
			return fmt.Errorf("stream %q: %w", name, ErrNotFound)
		}
		s, err := decodeStream([]byte(name), v)
		if err != nil {
			return err
		}
		if err := fn(&s); err != nil {
			return err
		}
		if s.Name != name {
			return fmt.Errorf("BUG: UpdateStream renamed %q to %q", name, s.Name)
		}
		if err := s.Layout.Validate(); err != nil {
			return err
		}
		out = s
		return putStream(b, &s)
	})
	return out, err
}

func putStream(b *bbolt.Bucket, s *segment.Stream) error {
	v, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("cannot encode stream %q: %w", s.Name, err)
	}
	return b.Put([]byte(s.Name), v)
}

func decodeStream(key, val []byte) (segment.Stream, error) {
	var s segment.Stream
	if err := json.Unmarshal(val, &s); err != nil {
		return s, &CorruptError{Bucket: string(bucketStreams), Key: string(key), Err: err}
	}
	if s.Name != string(key) {
		return s, &CorruptError{Bucket: string(bucketStreams), Key: string(key), Err: errors.New("name does not match key")}
	}
	if err := s.Layout.Validate(); err != nil {
		return s, &CorruptError{Bucket: string(bucketStreams), Key: string(key), Err: err}
	}
	return s, nil
}
