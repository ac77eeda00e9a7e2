package frame

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/klauspost/compress/zstd"

	"github.com/tributary-iot/tributary/models"
)

// Decoder reads batch frames. It reuses its buffers; it is not safe for
// concurrent use.
type Decoder struct {
	zdec    *zstd.Decoder
	body    []byte
	strs    []string
	last    map[uint64]lastDecimal
	devTime map[uint64]int64
}

// NewDecoder returns a Decoder.
func NewDecoder() (*Decoder, error) {
	z, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(MaxFrameBytes))
	if err != nil {
		return nil, fmt.Errorf("zstd decoder: %w", err)
	}
	return &Decoder{zdec: z, last: map[uint64]lastDecimal{}, devTime: map[uint64]int64{}}, nil
}

// Close releases the decoder's resources.
func (d *Decoder) Close() { d.zdec.Close() }

// reader walks a frame body; the first error sticks.
type reader struct {
	b   []byte
	off int
	err error
}

func (r *reader) fail(reason string) {
	if r.err == nil {
		r.err = &CorruptError{Offset: r.off, Reason: reason}
	}
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b[r.off:])
	if n <= 0 {
		r.fail("bad varint")
		return 0
	}
	r.off += n
	return v
}

func (r *reader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b[r.off:])
	if n <= 0 {
		r.fail("bad varint")
		return 0
	}
	r.off += n
	return v
}

func (r *reader) byte() byte {
	if r.err != nil {
		return 0
	}
	if r.off >= len(r.b) {
		r.fail("truncated")
		return 0
	}
	c := r.b[r.off]
	r.off++
	return c
}

// count reads a count of items that each take at least min bytes, refusing
// counts the rest of the frame cannot hold.
func (r *reader) count(min int) int {
	n := r.uvarint()
	if r.err == nil && n > uint64(len(r.b)-r.off)/uint64(min) {
		r.fail("count larger than the frame")
		return 0
	}
	return int(n)
}

func (r *reader) string() string {
	n := r.count(1)
	if r.err != nil {
		return ""
	}
	s := string(r.b[r.off : r.off+n])
	r.off += n
	return s
}

func (r *reader) index(strs []string) string {
	i := r.uvarint()
	if r.err != nil {
		return ""
	}
	if i >= uint64(len(strs)) {
		r.fail("string index out of range")
		return ""
	}
	return strs[i]
}

// DecodeBatch decodes one frame into b, reusing b's point slices. A frame
// that cannot be decoded gives a *CorruptError (errors.Is ErrCorrupt).
func (d *Decoder) DecodeBatch(b *models.Batch, data []byte) error {
	if len(data) < len(magic)+1 || [4]byte(data[:4]) != magic {
		return &CorruptError{Offset: 0, Reason: "not a batch frame (bad magic or version)"}
	}
	flags := data[4]
	body := data[5:]
	switch flags {
	case 0:
	case flagZstd:
		var err error
		d.body, err = d.zdec.DecodeAll(body, d.body[:0])
		if err != nil {
			return &CorruptError{Offset: 5, Reason: "zstd: " + err.Error()}
		}
		if cap(d.body) > MaxFrameBytes { // keep a huge buffer from staying around
			defer func() { d.body = nil }()
		}
		body = d.body
	default:
		return &CorruptError{Offset: 4, Reason: fmt.Sprintf("unknown flags %#x", flags)}
	}
	clear(d.last)
	clear(d.devTime)
	r := &reader{b: body}
	b.Writer = r.string()
	b.FirstSeq = r.uvarint()
	b.LastSeq = r.uvarint()
	ns := r.count(1)
	if ns > MaxBatchItems {
		r.fail(fmt.Sprintf("%d strings, over the %d limit", ns, MaxBatchItems))
	}
	d.strs = d.strs[:0]
	for i := 0; i < ns && r.err == nil; i++ {
		d.strs = append(d.strs, r.string())
	}
	np := r.count(8)
	if np > MaxBatchPoints {
		r.fail(fmt.Sprintf("%d points, over the %d limit", np, MaxBatchPoints))
	}
	if r.err != nil {
		return r.err
	}
	if cap(b.Points) < np {
		b.Points = make([]models.Point, np)
	}
	b.Points = b.Points[:np]
	var seq uint64
	var recv int64
	items := 0 // fields and tags so far
	for i := 0; i < np && r.err == nil; i++ {
		pt := &b.Points[i]
		pt.Reset()
		devIdx := r.uvarint()
		if r.err == nil && devIdx >= uint64(len(d.strs)) {
			r.fail("device index out of range")
		}
		if r.err != nil {
			break
		}
		pt.Device = d.strs[devIdx]
		pt.Stream = r.index(d.strs)
		pt.Agent = r.index(d.strs)
		pt.Time = d.devTime[devIdx] + r.varint()
		d.devTime[devIdx] = pt.Time
		seq += uint64(r.varint())
		pt.Seq = seq
		recv += r.varint()
		pt.Received = recv
		nf := r.count(2)
		if items += nf; items > MaxBatchItems {
			r.fail(fmt.Sprintf("over %d fields and tags", MaxBatchItems))
			break
		}
		for j := 0; j < nf && r.err == nil; j++ {
			keyIdx := r.uvarint()
			if r.err == nil && keyIdx >= uint64(len(d.strs)) {
				r.fail("field key index out of range")
				break
			}
			key := d.strs[keyIdx]
			var v models.Value
			switch tag := r.byte(); {
			case tag <= maxDecimals:
				k := int(tag)
				slot := devIdx<<32 | keyIdx
				prev := d.last[slot]
				base := int64(0)
				if prev.k == k {
					base = prev.n
				}
				n := base + r.varint()
				d.last[slot] = lastDecimal{k: k, n: n}
				v = models.Float(float64(n) / pow10[k])
			case tag == tagFloat64:
				if r.off+8 > len(r.b) {
					r.fail("truncated float")
					break
				}
				v = models.Float(math.Float64frombits(binary.LittleEndian.Uint64(r.b[r.off:])))
				r.off += 8
			case tag == tagInt:
				v = models.Int(r.varint())
			case tag == tagUint:
				v = models.Uint(r.uvarint())
			case tag == tagFalse:
				v = models.Bool(false)
			case tag == tagTrue:
				v = models.Bool(true)
			case tag == tagString:
				v = models.String(r.index(d.strs))
			default:
				r.fail(fmt.Sprintf("unknown value tag %d", tag))
			}
			pt.Fields = append(pt.Fields, models.Field{Key: key, Value: v})
		}
		nt := r.count(2)
		if items += nt; items > MaxBatchItems {
			r.fail(fmt.Sprintf("over %d fields and tags", MaxBatchItems))
			break
		}
		for j := 0; j < nt && r.err == nil; j++ {
			k := r.index(d.strs)
			pt.Tags = append(pt.Tags, models.Tag{Key: k, Value: r.index(d.strs)})
		}
	}
	if r.err != nil {
		b.Points = b.Points[:0]
		return r.err
	}
	if r.off != len(r.b) {
		return &CorruptError{Offset: r.off, Reason: "trailing bytes"}
	}
	return nil
}
