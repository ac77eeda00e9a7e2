package batchmsg

import (
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/klauspost/compress/zstd"

	"github.com/tributary-iot/tributary/models"
)

// Format names the payload format; tier 1 stores it in a header so the
// format can change without guessing.
const Format = "msgp+zstd/1"

// MaxDecodedBytes bounds the decompressed size of one payload; larger
// ones are refused as corrupt, so a hostile payload cannot exhaust memory.
const MaxDecodedBytes = 64 << 20

// ErrCorrupt is returned (wrapped) by Decode for a payload that does not
// decompress or decode.
var ErrCorrupt = errors.New("corrupt batch message")

// Codec encodes and decodes payloads. It is safe for concurrent use; make
// one and share it.
type Codec struct {
	enc *zstd.Encoder
	dec *zstd.Decoder
	// scratch pools msgp buffers between calls.
	scratch sync.Pool
}

// NewCodec returns a Codec that compresses at zstd's fastest level.
func NewCodec() (*Codec, error) {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderCRC(true))
	if err != nil {
		return nil, fmt.Errorf("cannot create zstd encoder: %w", err)
	}
	dec, err := zstd.NewReader(nil, zstd.WithDecoderMaxMemory(MaxDecodedBytes), zstd.WithDecoderConcurrency(0))
	if err != nil {
		enc.Close()
		return nil, fmt.Errorf("cannot create zstd decoder: %w", err)
	}
	return &Codec{enc: enc, dec: dec}, nil
}

// Close releases the codec's resources.
func (c *Codec) Close() {
	_ = c.enc.Close()
	c.dec.Close()
}

// maxPooled is the largest scratch buffer kept for reuse.
const maxPooled = 4 << 20

func (c *Codec) putScratch(b *[]byte) {
	if cap(*b) <= maxPooled {
		c.scratch.Put(b)
	}
}

func (c *Codec) getScratch() *[]byte {
	if b, ok := c.scratch.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, 0, 64<<10)
	return &b
}

// Append appends b's payload to dst.
func (c *Codec) Append(dst []byte, b *models.Batch) ([]byte, error) {
	sp := c.getScratch()
	raw, err := b.MarshalMsg((*sp)[:0])
	if err != nil {
		c.putScratch(sp)
		return dst, fmt.Errorf("cannot encode batch of %s: %w", b.Writer, err)
	}
	dst = c.enc.EncodeAll(raw, dst)
	*sp = raw
	c.putScratch(sp)
	return dst, nil
}

// Decode decodes payload into b, reusing b's point slice. The points'
// strings do not alias payload.
func (c *Codec) Decode(b *models.Batch, payload []byte) error {
	sp := c.getScratch()
	defer func() { c.putScratch(sp) }()
	raw, err := c.dec.DecodeAll(payload, (*sp)[:0])
	if err != nil {
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	*sp = raw
	rest, err := b.UnmarshalMsg(raw)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if len(rest) != 0 {
		return fmt.Errorf("%w: %d bytes after the batch", ErrCorrupt, len(rest))
	}
	return nil
}

// Summary is what a tier-1 message's headers say about its points, so
// readers can skip a message without decompressing it.
type Summary struct {
	// Writer is the batch's writer id.
	Writer string
	// Mark is the Seq of the last point: the writer's high-water mark in
	// the segment once the message is stored.
	Mark uint64
	// Points is the number of points.
	Points int
	// MinTime and MaxTime bound the points' device times (Unix ns).
	MinTime, MaxTime int64
}

// Summarize returns the summary of b's points (zero times when empty).
func Summarize(b *models.Batch) Summary {
	s := Summary{Writer: b.Writer, Points: len(b.Points)}
	if len(b.Points) == 0 {
		return s
	}
	s.Mark = b.Points[len(b.Points)-1].Seq
	s.MinTime, s.MaxTime = math.MaxInt64, math.MinInt64
	for i := range b.Points {
		t := b.Points[i].Time
		s.MinTime = min(s.MinTime, t)
		s.MaxTime = max(s.MaxTime, t)
	}
	return s
}

// Overlaps reports whether the summary's time range meets [start, end).
func (s Summary) Overlaps(start, end int64) bool {
	return s.Points > 0 && s.MaxTime >= start && s.MinTime < end
}
