package tier2

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go/format"
)

// The Parquet decoder trusts the lengths in a file's Thrift structures and
// allocates what they announce, so a flipped bit in a length can ask for
// terabytes and kill the process. Before the decoder sees a footer, a page
// index or a page header, the checks here walk the Thrift bytes and refuse
// lengths that the bytes cannot back, and page sizes or value counts that
// no chunk written by this package has.

// Limits on what a chunk may hold, far above what Write produces.
const (
	// maxRowGroupRows bounds the rows of one row group (and so the values
	// of one page or dictionary).
	maxRowGroupRows = 1 << 24
	// maxPageSize bounds a page's size, compressed or not.
	maxPageSize = 256 << 20
	// maxThriftDepth bounds the nesting of Thrift structures and lists.
	maxThriftDepth = 32
)

var errThrift = errors.New("malformed thrift structure")

// Thrift compact protocol types.
const (
	tBoolTrue  = 1
	tBoolFalse = 2
	tByte      = 3
	tI16       = 4
	tI32       = 5
	tI64       = 6
	tDouble    = 7
	tBinary    = 8
	tList      = 9
	tSet       = 10
	tMap       = 11
	tStruct    = 12
	tUUID      = 13
)

// thriftReader walks compact-protocol Thrift bytes.
type thriftReader struct {
	b   []byte
	pos int
}

func (r *thriftReader) byte() (byte, error) {
	if r.pos >= len(r.b) {
		return 0, errThrift
	}
	c := r.b[r.pos]
	r.pos++
	return c, nil
}

func (r *thriftReader) varint() (uint64, error) {
	v, n := binary.Uvarint(r.b[r.pos:])
	if n <= 0 {
		return 0, errThrift
	}
	r.pos += n
	return v, nil
}

func (r *thriftReader) skip(n uint64) error {
	if n > uint64(len(r.b)-r.pos) {
		return errThrift
	}
	r.pos += int(n)
	return nil
}

// count reads a collection size and checks that the remaining bytes can
// hold that many elements of at least min bytes each.
func (r *thriftReader) count(v uint64, min int) (int, error) {
	if v > uint64((len(r.b)-r.pos)/min) {
		return 0, errThrift
	}
	return int(v), nil
}

// value skips one value of type t, checking every length in it. Bools
// take a byte here, as in lists; struct fields carry them in their type.
func (r *thriftReader) value(t byte, depth int) error {
	if depth > maxThriftDepth {
		return errThrift
	}
	switch t {
	case tBoolTrue, tBoolFalse, tByte:
		return r.skip(1)
	case tI16, tI32, tI64:
		_, err := r.varint()
		return err
	case tDouble:
		return r.skip(8)
	case tUUID:
		return r.skip(16)
	case tBinary:
		n, err := r.varint()
		if err != nil {
			return err
		}
		return r.skip(n)
	case tList, tSet:
		h, err := r.byte()
		if err != nil {
			return err
		}
		size := uint64(h >> 4)
		if size == 15 {
			if size, err = r.varint(); err != nil {
				return err
			}
		}
		n, err := r.count(size, 1)
		if err != nil {
			return err
		}
		for range n {
			if err := r.value(h&0x0f, depth+1); err != nil {
				return err
			}
		}
		return nil
	case tMap:
		size, err := r.varint()
		if err != nil {
			return err
		}
		n, err := r.count(size, 2)
		if err != nil || n == 0 {
			return err
		}
		kv, err := r.byte()
		if err != nil {
			return err
		}
		for range n {
			if err := r.value(kv>>4, depth+1); err != nil {
				return err
			}
			if err := r.value(kv&0x0f, depth+1); err != nil {
				return err
			}
		}
		return nil
	case tStruct:
		return r.structure(depth+1, nil)
	}
	return errThrift
}

// structure skips one struct. For each field of type i32 at the top level
// it calls i32 (when not nil) with the field id and the value.
func (r *thriftReader) structure(depth int, i32 func(id int16, v int32)) error {
	if depth > maxThriftDepth {
		return errThrift
	}
	var id int16
	for {
		h, err := r.byte()
		if err != nil {
			return err
		}
		if h == 0 {
			return nil // stop
		}
		t := h & 0x0f
		if delta := h >> 4; delta != 0 {
			id += int16(delta)
		} else {
			v, err := r.varint()
			if err != nil {
				return err
			}
			id = int16(zigzag(v))
		}
		if t == tBoolTrue || t == tBoolFalse {
			continue // a bool field's value is its type
		}
		if t == tI32 && i32 != nil {
			v, err := r.varint()
			if err != nil {
				return err
			}
			i32(id, int32(zigzag(v)))
			continue
		}
		if err := r.value(t, depth); err != nil {
			return err
		}
	}
}

func zigzag(v uint64) int64 { return int64(v>>1) ^ -int64(v&1) }

// checkThrift checks that b is exactly one well-formed Thrift struct.
func checkThrift(b []byte) error {
	r := thriftReader{b: b}
	if err := r.structure(0, nil); err != nil {
		return err
	}
	if r.pos != len(b) {
		return fmt.Errorf("%w: %d trailing bytes", errThrift, len(b)-r.pos)
	}
	return nil
}

// checkFooter checks the file's framing and its footer's Thrift bytes.
func checkFooter(r io.ReaderAt, size int64) error {
	if size < 12 {
		return fmt.Errorf("file of %d bytes is too short for Parquet", size)
	}
	var tail [8]byte
	if _, err := r.ReadAt(tail[:], size-8); err != nil {
		return fmt.Errorf("cannot read footer length: %w", err)
	}
	if string(tail[4:]) != "PAR1" {
		return fmt.Errorf("no Parquet magic at the end (%q)", tail[4:])
	}
	n := int64(binary.LittleEndian.Uint32(tail[:4]))
	if n > size-12 {
		return fmt.Errorf("footer of %d bytes in a file of %d", n, size)
	}
	footer := make([]byte, n)
	if _, err := r.ReadAt(footer, size-8-n); err != nil {
		return fmt.Errorf("cannot read footer: %w", err)
	}
	if err := checkThrift(footer); err != nil {
		return fmt.Errorf("footer: %w", err)
	}
	return nil
}

// checkColumnChunk checks a column chunk's offset index and page headers
// before the decoder reads them.
func checkColumnChunk(r io.ReaderAt, size int64, cc *format.ColumnChunk, rows int64) error {
	md := &cc.MetaData
	start := md.DataPageOffset
	if md.DictionaryPageOffset > 0 && md.DictionaryPageOffset < start {
		start = md.DictionaryPageOffset
	}
	end := start + md.TotalCompressedSize
	if start < 4 || md.TotalCompressedSize < 0 || end > size || end < start {
		return fmt.Errorf("column chunk at [%d, %d) outside the file", start, end)
	}
	if md.Codec != format.Zstd {
		// Write uses zstd only; other codecs' decoders trust sizes more.
		return fmt.Errorf("column chunk compressed with %v, want ZSTD", md.Codec)
	}
	if cc.OffsetIndexOffset != 0 {
		if err := checkRegion(r, size, cc.OffsetIndexOffset, int64(cc.OffsetIndexLength)); err != nil {
			return fmt.Errorf("offset index: %w", err)
		}
	}
	buf := make([]byte, 512)
	for pos := start; pos < end; {
		n, compressed, err := checkPageHeader(r, pos, end, buf, rows)
		if err != nil {
			return fmt.Errorf("page header at %d: %w", pos, err)
		}
		pos += n + compressed
	}
	return nil
}

func checkRegion(r io.ReaderAt, size, off, n int64) error {
	if off < 4 || n < 0 || n > maxPageSize || off+n > size {
		return fmt.Errorf("[%d, %d) outside the file", off, off+n)
	}
	b := make([]byte, n)
	if _, err := r.ReadAt(b, off); err != nil {
		return err
	}
	return checkThrift(b)
}

// Page header fields (parquet.thrift).
const (
	phUncompressedSize = 2
	phCompressedSize   = 3
	phDataPage         = 5
	phDictionaryPage   = 7
	phDataPageV2       = 8
)

// checkPageHeader checks the page header at pos (before end) and returns
// its length and the page's compressed size.
func checkPageHeader(r io.ReaderAt, pos, end int64, buf []byte, rows int64) (headerLen, compressed int64, err error) {
	for size := int64(len(buf)); ; size *= 8 {
		b := buf
		if size > int64(len(buf)) {
			b = make([]byte, size)
		}
		b = b[:min(size, end-pos)]
		if _, err := r.ReadAt(b, pos); err != nil && !errors.Is(err, io.EOF) {
			return 0, 0, err
		}
		uncompressed, compressed := int32(-1), int32(-1)
		tr := thriftReader{b: b}
		err := tr.structure(0, func(id int16, v int32) {
			switch id {
			case phUncompressedSize:
				uncompressed = v
			case phCompressedSize:
				compressed = v
			}
		})
		if errors.Is(err, errThrift) && int64(len(b)) < end-pos && size < maxPageSize {
			continue // the header may go past the window: read more
		}
		if err != nil {
			return 0, 0, err
		}
		if uncompressed < 0 || compressed < 0 || uncompressed > maxPageSize || int64(compressed) > end-pos-int64(tr.pos) {
			return 0, 0, fmt.Errorf("page sizes %d (uncompressed), %d (compressed) out of bounds", uncompressed, compressed)
		}
		if err := checkValueCounts(b[:tr.pos], rows); err != nil {
			return 0, 0, err
		}
		return int64(tr.pos), int64(compressed), nil
	}
}

// checkValueCounts checks the value and row counts in a page header's
// data or dictionary page header against the row group's rows.
func checkValueCounts(header []byte, rows int64) error {
	r := thriftReader{b: header}
	var bad error
	var id int16
	for {
		h, err := r.byte()
		if err != nil || h == 0 {
			return bad
		}
		t := h & 0x0f
		if delta := h >> 4; delta != 0 {
			id += int16(delta)
		} else {
			v, err := r.varint()
			if err != nil {
				return err
			}
			id = int16(zigzag(v))
		}
		if t == tBoolTrue || t == tBoolFalse {
			continue
		}
		if t != tStruct || id != phDataPage && id != phDictionaryPage && id != phDataPageV2 {
			if err := r.value(t, 1); err != nil {
				return err
			}
			continue
		}
		// Field 1 of all three is num_values; in v2, fields 2 and 3 are
		// num_nulls and num_rows. All are bounded by the row group's rows.
		counts := int16(1)
		if id == phDataPageV2 {
			counts = 3
		}
		err = r.structure(1, func(fid int16, v int32) {
			if fid <= counts && (v < 0 || int64(v) > rows) {
				bad = fmt.Errorf("page header count %d (field %d) for a row group of %d rows", v, fid, rows)
			}
		})
		if err != nil {
			return err
		}
	}
}
