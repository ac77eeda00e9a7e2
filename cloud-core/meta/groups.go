package meta

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"go.etcd.io/bbolt"
)

// bucketGroups holds reader groups: stream -> group name -> JSON Group.
const bucketGroups = "groups"

// maxGroupSegments bounds the positions of one group, as a sanity check
// on decoding.
const maxGroupSegments = 1 << 16

// Group is a reader group's durable state: where its members resume.
type Group struct {
	// Stream and Name identify the group.
	Stream string `json:"stream"`
	Name   string `json:"name"`
	// Positions is the group's checkpoint, as in a stream cut: for each
	// segment named, the next position to read.
	Positions map[string]uint64 `json:"positions"`
	// Finished lists the sealed segments the group has read to their end.
	Finished []string `json:"finished,omitempty"`
	// Checkpoints counts the checkpoints taken.
	Checkpoints uint64 `json:"checkpoints"`
	// Created and Updated are Unix ns.
	Created int64 `json:"created"`
	Updated int64 `json:"updated"`
}

func (g *Group) validate() error {
	if g.Stream == "" || g.Name == "" {
		return errors.New("group without stream or name")
	}
	if len(g.Positions) > maxGroupSegments || len(g.Finished) > maxGroupSegments {
		return fmt.Errorf("group %s: too many segments", g.Name)
	}
	for seg, pos := range g.Positions {
		if seg == "" || pos == 0 {
			return fmt.Errorf("group %s: position %d of segment %q", g.Name, pos, seg)
		}
	}
	return nil
}

func decodeGroup(stream string, key, val []byte) (Group, error) {
	var g Group
	where := bucketGroups + "/" + stream
	if err := json.Unmarshal(val, &g); err != nil {
		return Group{}, &CorruptError{Bucket: where, Key: string(key), Err: err}
	}
	if g.Positions == nil {
		g.Positions = map[string]uint64{}
	}
	if len(g.Finished) == 0 {
		g.Finished = nil
	}
	if err := g.validate(); err != nil {
		return Group{}, &CorruptError{Bucket: where, Key: string(key), Err: err}
	}
	if g.Stream != stream || g.Name != string(key) {
		return Group{}, &CorruptError{Bucket: where, Key: string(key), Err: errors.New("stream or name does not match its key")}
	}
	return g, nil
}

func putGroup(tx *bbolt.Tx, g *Group) error {
	if err := g.validate(); err != nil {
		return err
	}
	root, err := tx.CreateBucketIfNotExists([]byte(bucketGroups))
	if err != nil {
		return err
	}
	b, err := root.CreateBucketIfNotExists([]byte(g.Stream))
	if err != nil {
		return err
	}
	v, err := json.Marshal(g)
	if err != nil {
		return fmt.Errorf("cannot encode group %s: %w", g.Name, err)
	}
	return b.Put([]byte(g.Name), v)
}

// groupBucket returns the bucket of stream's groups, or nil.
func groupBucket(tx *bbolt.Tx, stream string) *bbolt.Bucket {
	root := tx.Bucket([]byte(bucketGroups))
	if root == nil {
		return nil
	}
	return root.Bucket([]byte(stream))
}

// getGroup returns stream's group name, or an error wrapping ErrNotFound.
func getGroup(tx *bbolt.Tx, stream, name string) (Group, error) {
	b := groupBucket(tx, stream)
	var v []byte
	if b != nil {
		v = b.Get([]byte(name))
	}
	if v == nil {
		return Group{}, fmt.Errorf("group %s of stream %s: %w", name, stream, ErrNotFound)
	}
	return decodeGroup(stream, []byte(name), v)
}

// Groups returns the reader groups of stream, by name.
func (db *DB) Groups(stream string) ([]Group, error) {
	var out []Group
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		b := groupBucket(tx, stream)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			g, err := decodeGroup(stream, k, v)
			if err != nil {
				return err
			}
			out = append(out, g)
			return nil
		})
	})
	return out, err
}

// Group returns one reader group, or ErrNotFound.
func (db *DB) Group(stream, name string) (Group, error) {
	var g Group
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		var err error
		g, err = getGroup(tx, stream, name)
		return err
	})
	return g, err
}

// CreateGroup stores g unless a group of that name exists; it returns the
// stored group and whether this call created it.
func (db *DB) CreateGroup(g Group) (Group, bool, error) {
	var (
		out     Group
		created bool
	)
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		if b := groupBucket(tx, g.Stream); b != nil {
			if v := b.Get([]byte(g.Name)); v != nil {
				var err error
				out, err = decodeGroup(g.Stream, []byte(g.Name), v)
				return err
			}
		}
		now := time.Now().UnixNano()
		if g.Created == 0 {
			g.Created = now
		}
		g.Updated = now
		out, created = g, true
		return putGroup(tx, &g)
	})
	return out, created, err
}

// UpdateGroup changes a group with fn in one transaction (ErrNotFound if
// there is none); fn must not change its stream or name. It returns the
// stored result.
func (db *DB) UpdateGroup(stream, name string, fn func(*Group) error) (Group, error) {
	var out Group
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		g, err := getGroup(tx, stream, name)
		if err != nil {
			return err
		}
		if err := fn(&g); err != nil {
			return err
		}
		if g.Stream != stream || g.Name != name {
			return fmt.Errorf("BUG: UpdateGroup renamed %s/%s", stream, name)
		}
		g.Updated = time.Now().UnixNano()
		out = g
		return putGroup(tx, &g)
	})
	return out, err
}

// DeleteGroup removes a group (ErrNotFound if there is none).
func (db *DB) DeleteGroup(stream, name string) error {
	return db.bolt.Update(func(tx *bbolt.Tx) error {
		b := groupBucket(tx, stream)
		if b == nil || b.Get([]byte(name)) == nil {
			return fmt.Errorf("group %s of stream %s: %w", name, stream, ErrNotFound)
		}
		return b.Delete([]byte(name))
	})
}

// GroupPositions returns, for each reader group of stream, its position
// in segment seg (groups that do not name seg are left out), sorted.
func (db *DB) GroupPositions(stream, seg string) ([]uint64, error) {
	groups, err := db.Groups(stream)
	if err != nil {
		return nil, err
	}
	var out []uint64
	for _, g := range groups {
		if p, ok := g.Positions[seg]; ok {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out, nil
}

// Clone returns a copy of g that shares nothing with it.
func (g Group) Clone() Group {
	g.Positions = maps.Clone(g.Positions)
	g.Finished = slices.Clone(g.Finished)
	return g
}
