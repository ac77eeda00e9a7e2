package meta

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
)

// Chunk is the index entry of one tier-2 chunk: a tier-1 position range of
// one segment rewritten as one file.
type Chunk struct {
	// Path names the chunk in tier 2.
	Path string `json:"path"`
	// Stream and Segment say whose data the chunk holds.
	Stream  string `json:"stream"`
	Segment string `json:"segment"`
	// FirstPos and LastPos bound the tier-1 positions (message numbers)
	// the chunk replaced, inclusive. Chunks of a segment are contiguous.
	FirstPos uint64 `json:"first_pos"`
	LastPos  uint64 `json:"last_pos"`
	// MinTime and MaxTime bound the points' device times (Unix ns).
	MinTime int64 `json:"min_time"`
	MaxTime int64 `json:"max_time"`
	// MinDevice and MaxDevice bound the device ids.
	MinDevice string `json:"min_device"`
	MaxDevice string `json:"max_device"`
	// Rows is the number of points; Bytes the file size.
	Rows  int64 `json:"rows"`
	Bytes int64 `json:"bytes"`
	// Writers is the number of writer marks committed with the chunk.
	Writers int `json:"writers"`
	// Created is when the chunk was indexed (Unix ns).
	Created int64 `json:"created"`
	// Positions says the chunk holds each row's tier-1 position, so that
	// a read can start inside it (tier2.ChunkInfo.Positions).
	Positions bool `json:"positions,omitempty"`
}

func (c *Chunk) validate() error {
	if c.Path == "" || c.Stream == "" || c.Segment == "" {
		return fmt.Errorf("chunk without path, stream or segment")
	}
	if c.FirstPos == 0 || c.LastPos < c.FirstPos {
		return fmt.Errorf("chunk %s: bad position range [%d,%d]", c.Path, c.FirstPos, c.LastPos)
	}
	if c.Rows < 0 || c.Bytes < 0 || c.MaxTime < c.MinTime && c.Rows > 0 {
		return fmt.Errorf("chunk %s: bad counts or time range", c.Path)
	}
	return nil
}

func decodeChunk(bucket string, key, val []byte) (Chunk, error) {
	var c Chunk
	if err := json.Unmarshal(val, &c); err != nil {
		return Chunk{}, &CorruptError{Bucket: bucket, Key: fmt.Sprintf("%x", key), Err: err}
	}
	if err := c.validate(); err != nil {
		return Chunk{}, &CorruptError{Bucket: bucket, Key: fmt.Sprintf("%x", key), Err: err}
	}
	if len(key) != 8 || binary.BigEndian.Uint64(key) != c.FirstPos {
		return Chunk{}, &CorruptError{Bucket: bucket, Key: fmt.Sprintf("%x", key), Err: fmt.Errorf("key does not match first position %d", c.FirstPos)}
	}
	return c, nil
}

func u64Key(v uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	return b[:]
}

func decodeU64(bucket, key string, val []byte) (uint64, error) {
	if len(val) != 8 {
		return 0, &CorruptError{Bucket: bucket, Key: key, Err: fmt.Errorf("%d bytes, want 8", len(val))}
	}
	return binary.BigEndian.Uint64(val), nil
}

func jsonChunk(c *Chunk) ([]byte, error) {
	v, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("cannot encode chunk %s: %w", c.Path, err)
	}
	return v, nil
}
