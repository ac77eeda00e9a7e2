package frame

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/klauspost/compress/zstd"

	"github.com/tributary-iot/tributary/models"
)

// Magic starts every batch frame: "TBB" and the format version.
var magic = [4]byte{'T', 'B', 'B', 1}

// Flags of a batch frame (the byte after the magic).
const (
	flagZstd = 1 << 0
)

// Value tags inside a frame. 0..maxDecimals are floats stored as scaled
// decimals with that many digits after the point.
const (
	maxDecimals = 9
	tagFloat64  = 10
	tagInt      = 11
	tagUint     = 12
	tagFalse    = 13
	tagTrue     = 14
	tagString   = 15
)

// MaxFrameBytes is the largest decompressed frame body a Decoder accepts.
const MaxFrameBytes = 64 << 20

// Limits on what one frame holds, so that a small frame that expands to
// MaxFrameBytes of tiny items cannot make a Decoder allocate gigabytes: a
// decoded point, field or string takes many times its encoded size.
const (
	// MaxBatchPoints is the most points in a frame.
	MaxBatchPoints = 1 << 16
	// MaxBatchItems is the most strings in a frame's string table, and
	// the most fields and tags of all its points together.
	MaxBatchItems = 1 << 22
)

// ErrCorrupt is returned (wrapped in a *CorruptError) for a frame that
// cannot be decoded.
var ErrCorrupt = errors.New("corrupt batch frame")

// CorruptError says where and why a frame could not be decoded.
type CorruptError struct {
	Offset int
	Reason string
}

// Error describes the corruption.
func (e *CorruptError) Error() string {
	return fmt.Sprintf("corrupt batch frame at byte %d: %s", e.Offset, e.Reason)
}

// Unwrap returns ErrCorrupt.
func (e *CorruptError) Unwrap() error { return ErrCorrupt }

var pow10 = [maxDecimals + 1]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9}

// decimal returns (n, k) with v == n / 10^k exactly, for the smallest k, or
// ok=false when v is not such a short decimal (or is -0, NaN, Inf or huge).
func decimal(v float64) (n int64, k int, ok bool) {
	if v == 0 {
		return 0, 0, !math.Signbit(v)
	}
	for k = 0; k <= maxDecimals; k++ {
		s := v * pow10[k]
		if math.IsInf(s, 0) || math.IsNaN(s) || math.Abs(s) >= 1<<53 {
			return 0, 0, false
		}
		r := math.Round(s)
		if float64(r)/pow10[k] == v {
			return int64(r), k, true
		}
	}
	return 0, 0, false
}

// lastDecimal is the previous decimal value of one (device, key) in a frame.
type lastDecimal struct {
	k int
	n int64
}

// Encoder writes batch frames. It reuses its buffers; it is not safe for
// concurrent use.
type Encoder struct {
	zenc    *zstd.Encoder
	body    []byte
	strs    map[string]uint64
	strList []string
	last    map[uint64]lastDecimal
	devTime map[uint64]int64
	points  []byte
}

// EncoderOptions configures an Encoder.
type EncoderOptions struct {
	// Level is the zstd level; the zero value is zstd's default.
	Level zstd.EncoderLevel
	// NoCompression writes frames without zstd (for measurements).
	NoCompression bool
}

// NewEncoder returns an Encoder.
func NewEncoder(o EncoderOptions) (*Encoder, error) {
	e := &Encoder{strs: map[string]uint64{}, last: map[uint64]lastDecimal{}, devTime: map[uint64]int64{}}
	if !o.NoCompression {
		level := o.Level
		if level == 0 {
			level = zstd.SpeedDefault
		}
		z, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(level), zstd.WithEncoderConcurrency(1), zstd.WithLowerEncoderMem(true))
		if err != nil {
			return nil, fmt.Errorf("zstd encoder: %w", err)
		}
		e.zenc = z
	}
	return e, nil
}

func (e *Encoder) str(s string) uint64 {
	if i, ok := e.strs[s]; ok {
		return i
	}
	i := uint64(len(e.strList))
	e.strs[s] = i
	e.strList = append(e.strList, s)
	return i
}

// AppendBatch appends b as a frame to dst.
func (e *Encoder) AppendBatch(dst []byte, b *models.Batch) ([]byte, error) {
	clear(e.strs)
	clear(e.last)
	clear(e.devTime)
	e.strList = e.strList[:0]
	p := e.points[:0]
	p = binary.AppendUvarint(p, uint64(len(b.Points)))
	var prevSeq uint64
	var prevRecv int64
	for i := range b.Points {
		pt := &b.Points[i]
		dev := e.str(pt.Device)
		p = binary.AppendUvarint(p, dev)
		p = binary.AppendUvarint(p, e.str(pt.Stream))
		p = binary.AppendUvarint(p, e.str(pt.Agent))
		p = binary.AppendVarint(p, pt.Time-e.devTime[dev])
		e.devTime[dev] = pt.Time
		p = binary.AppendVarint(p, int64(pt.Seq-prevSeq))
		prevSeq = pt.Seq
		p = binary.AppendVarint(p, pt.Received-prevRecv)
		prevRecv = pt.Received
		p = binary.AppendUvarint(p, uint64(len(pt.Fields)))
		for _, f := range pt.Fields {
			key := e.str(f.Key)
			p = binary.AppendUvarint(p, key)
			v := f.Value
			switch v.Kind() {
			case models.KindFloat:
				x := v.FloatV()
				if n, k, ok := decimal(x); ok {
					slot := dev<<32 | key
					prev := e.last[slot]
					base := int64(0)
					if prev.k == k {
						base = prev.n
					}
					e.last[slot] = lastDecimal{k: k, n: n}
					p = append(p, byte(k))
					p = binary.AppendVarint(p, n-base)
				} else {
					p = append(p, tagFloat64)
					p = binary.LittleEndian.AppendUint64(p, math.Float64bits(x))
				}
			case models.KindInt:
				p = append(p, tagInt)
				p = binary.AppendVarint(p, v.IntV())
			case models.KindUint:
				p = append(p, tagUint)
				p = binary.AppendUvarint(p, v.UintV())
			case models.KindBool:
				if v.BoolV() {
					p = append(p, tagTrue)
				} else {
					p = append(p, tagFalse)
				}
			case models.KindString:
				p = append(p, tagString)
				p = binary.AppendUvarint(p, e.str(v.Str()))
			default:
				return dst, fmt.Errorf("encode batch: point %d field %q has no value", i, f.Key)
			}
		}
		p = binary.AppendUvarint(p, uint64(len(pt.Tags)))
		for _, t := range pt.Tags {
			p = binary.AppendUvarint(p, e.str(t.Key))
			p = binary.AppendUvarint(p, e.str(t.Value))
		}
	}
	e.points = p

	body := e.body[:0]
	body = appendString(body, b.Writer)
	body = binary.AppendUvarint(body, b.FirstSeq)
	body = binary.AppendUvarint(body, b.LastSeq)
	body = binary.AppendUvarint(body, uint64(len(e.strList)))
	for _, s := range e.strList {
		body = appendString(body, s)
	}
	body = append(body, p...)
	e.body = body

	dst = append(dst, magic[:]...)
	if e.zenc == nil {
		dst = append(dst, 0)
		return append(dst, body...), nil
	}
	dst = append(dst, flagZstd)
	return e.zenc.EncodeAll(body, dst), nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}
