package batchmsg

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"slices"
	"sync"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"

	"github.com/tributary-iot/tributary/models"
)

// Format names the payload format that Append writes; tier 1 stores it in
// a header so the format can change without guessing. The payload is the
// msgp encoding of a models.Batch compressed as one S2 block, followed by
// the CRC-32C (Castagnoli, little endian) of that block.
const Format = "msgp+s2/1"

// FormatZstd names the earlier payload format: the msgp encoding of a
// models.Batch as one zstd frame with a content checksum. Decode still
// reads it, so tier 1 written by earlier versions stays readable.
const FormatZstd = "msgp+zstd/1"

// MaxDecodedBytes bounds the decompressed size of one payload; larger
// ones are refused as corrupt, so a hostile payload cannot exhaust memory.
const MaxDecodedBytes = 64 << 20

// ErrCorrupt is returned (wrapped) by Decode for a payload that does not
// decompress or decode.
var ErrCorrupt = errors.New("corrupt batch message")

// ErrUnknownFormat is returned (wrapped) by Decode for a format it does
// not know.
var ErrUnknownFormat = errors.New("unknown batch message format")

// crcLen is the size of the checksum that ends a Format payload.
const crcLen = 4

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Codec encodes and decodes payloads. It is safe for concurrent use; make
// one and share it.
type Codec struct {
	// zdec decodes FormatZstd payloads.
	zdec *zstd.Decoder
	// scratch pools msgp buffers between calls.
	scratch sync.Pool
}

// NewCodec returns a Codec.
func NewCodec() (*Codec, error) {
	dec, err := zstd.NewReader(nil, zstd.WithDecoderMaxMemory(MaxDecodedBytes), zstd.WithDecoderConcurrency(0))
	if err != nil {
		return nil, fmt.Errorf("cannot create zstd decoder: %w", err)
	}
	return &Codec{zdec: dec}, nil
}

// Close releases the codec's resources.
func (c *Codec) Close() { c.zdec.Close() }

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

// Append appends b's payload in Format to dst.
//
// S2 rather than zstd: tier 1 is the hot tail, rewritten into Parquet
// within minutes, and S2 compresses it about three times faster than
// zstd's fastest level (at about 1.8 times the bytes), which is most of
// an append's CPU.
func (c *Codec) Append(dst []byte, b *models.Batch) ([]byte, error) {
	sp := c.getScratch()
	defer func() { c.putScratch(sp) }()
	raw, err := b.MarshalMsg((*sp)[:0])
	if err != nil {
		return dst, fmt.Errorf("cannot encode batch of %s: %w", b.Writer, err)
	}
	*sp = raw
	start := len(dst)
	dst = slices.Grow(dst, s2.MaxEncodedLen(len(raw))+crcLen)
	block := s2.Encode(dst[start:cap(dst)], raw)
	dst = dst[:start+len(block)]
	return binary.LittleEndian.AppendUint32(dst, crc32.Checksum(block, castagnoli)), nil
}

// Decode decodes a payload in format (Format or FormatZstd) into b,
// reusing b's point slice. The points' strings do not alias payload.
func (c *Codec) Decode(b *models.Batch, format string, payload []byte) error {
	sp := c.getScratch()
	defer func() { c.putScratch(sp) }()
	var (
		raw []byte
		err error
	)
	switch format {
	case Format:
		raw, err = decodeS2((*sp)[:cap(*sp)], payload)
	case FormatZstd:
		raw, err = c.zdec.DecodeAll(payload, (*sp)[:0])
	default:
		return fmt.Errorf("%w: %q", ErrUnknownFormat, format)
	}
	if err != nil {
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if cap(raw) > cap(*sp) {
		*sp = raw[:0]
	}
	rest, err := b.UnmarshalMsg(raw)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if len(rest) != 0 {
		return fmt.Errorf("%w: %d bytes after the batch", ErrCorrupt, len(rest))
	}
	return nil
}

// decodeS2 checks a Format payload's checksum and decompresses it, into
// dst when it is long enough.
func decodeS2(dst, payload []byte) ([]byte, error) {
	if len(payload) < crcLen {
		return nil, fmt.Errorf("%d bytes are too few", len(payload))
	}
	block, sum := payload[:len(payload)-crcLen], binary.LittleEndian.Uint32(payload[len(payload)-crcLen:])
	if crc32.Checksum(block, castagnoli) != sum {
		return nil, errors.New("checksum mismatch")
	}
	n, err := s2.DecodedLen(block)
	if err != nil {
		return nil, err
	}
	if n > MaxDecodedBytes {
		return nil, fmt.Errorf("decompresses to %d bytes, over the %d limit", n, MaxDecodedBytes)
	}
	return s2.Decode(dst, block)
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
