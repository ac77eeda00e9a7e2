package locallog

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/fnv"
	"io"
)

// The bbolt file layout (version 2) as CheckFile reads it. bbolt writes its
// structures in the host's byte order; see FORMAT.md.
const (
	boltPageHeaderSize  = 16 // id u64, flags u16, count u16, overflow u32
	boltElemSize        = 16 // branch: pos, ksize u32, pgid u64; leaf: flags, pos, ksize, vsize u32
	boltBucketHeaderLen = 16 // root pgid u64, sequence u64
	boltMetaLen         = 64 // magic .. checksum
	boltMetaSumLen      = 56 // bytes covered by the FNV-64a checksum
	boltMagic           = 0xED0CDAED
	boltVersion         = 2
	boltBranchPage      = 0x01
	boltLeafPage        = 0x02
	boltFreelistPage    = 0x10
	boltBucketLeaf      = 0x01
	boltNoFreelist      = ^uint64(0)
	minBoltPageSize     = 1 << 10
	maxBoltPageSize     = 1 << 16
	maxCheckDepth       = 64 // b+tree levels within one bucket
	maxCheckNesting     = 16 // buckets within buckets
)

var ne = binary.NativeEndian

// boltMeta is the part of a meta page CheckFile uses.
type boltMeta struct {
	pageSize uint32
	root     uint64
	freelist uint64
	pgid     uint64
	txid     uint64
}

// parseMeta decodes and validates the meta page that starts at b.
func parseMeta(b []byte) (boltMeta, bool) {
	if len(b) < boltPageHeaderSize+boltMetaLen {
		return boltMeta{}, false
	}
	m := b[boltPageHeaderSize : boltPageHeaderSize+boltMetaLen]
	if ne.Uint32(m[0:]) != boltMagic || ne.Uint32(m[4:]) != boltVersion {
		return boltMeta{}, false
	}
	h := fnv.New64a()
	_, _ = h.Write(m[:boltMetaSumLen])
	if h.Sum64() != ne.Uint64(m[56:]) {
		return boltMeta{}, false
	}
	return boltMeta{
		pageSize: ne.Uint32(m[8:]),
		root:     ne.Uint64(m[16:]),
		freelist: ne.Uint64(m[32:]),
		pgid:     ne.Uint64(m[40:]),
		txid:     ne.Uint64(m[48:]),
	}, true
}

// CheckFile verifies the structure of the bbolt file of size bytes read
// through r without trusting any of it: both meta pages, the page size,
// that every page below the high-water mark lies inside the file, that each
// page is reached once (no cycles, no overlaps, nothing both reachable and
// free), page types, element bounds, key order within and across pages,
// and nested and inline buckets. It returns nil or a *CorruptionError (or
// the read error). It reads each reachable page once.
//
// bbolt itself panics, recurses without bound or faults on some damaged
// files; Open runs CheckFile first so that bbolt only ever sees files that
// passed it. CheckFile does not decode the values stored in the log.
func CheckFile(r io.ReaderAt, size int64) error {
	_, err := checkFile(r, size, nil)
	return err
}

// visitFunc sees every element that is not a bucket; path names the
// buckets from the root down. Arguments are valid only during the call.
type visitFunc func(path [][]byte, key, value []byte)

// checkFile is CheckFile that also shows every key and value to visit (if
// not nil) in key order within each bucket, and returns the page size.
func checkFile(r io.ReaderAt, size int64, visit visitFunc) (int, error) {
	m, psize, err := pickMeta(r, size)
	if err != nil {
		return 0, err
	}
	c := &checker{r: r, psize: int64(psize), hw: m.pgid, visit: visit}
	if m.pgid < 3 || m.pgid > uint64(size/int64(psize)) {
		return 0, corruptf(-1, "high-water mark %d pages does not fit a file of %d bytes with %d-byte pages", m.pgid, size, psize)
	}
	c.used = make([]uint64, (m.pgid+63)/64)
	c.free = make([]uint64, (m.pgid+63)/64)
	c.mark(0, 0)
	c.mark(1, 0)
	if m.freelist != boltNoFreelist {
		if err := c.checkFreelist(m.freelist); err != nil {
			return 0, err
		}
	}
	return int(psize), c.walk(m.root, nil, nil, 0, 0)
}

// pickMeta finds the page size and the meta page bbolt would use: the valid
// one with the higher transaction id.
func pickMeta(r io.ReaderAt, size int64) (boltMeta, uint32, error) {
	var buf [boltPageHeaderSize + boltMetaLen]byte
	read := func(off int64) (boltMeta, bool) {
		if off < 0 || off+int64(len(buf)) > size {
			return boltMeta{}, false
		}
		if _, err := r.ReadAt(buf[:], off); err != nil {
			return boltMeta{}, false
		}
		return parseMeta(buf[:])
	}
	m0, ok0 := read(0)
	psize := m0.pageSize
	if !ok0 {
		// Like bbolt: look for the second meta page at the usual sizes.
		for i := 0; i <= 14; i++ {
			if m, ok := read(1024 << i); ok {
				psize = m.pageSize
				break
			}
		}
	}
	if psize < minBoltPageSize || psize > maxBoltPageSize || psize&(psize-1) != 0 {
		return boltMeta{}, 0, corruptf(-1, "no valid meta page (page size %d)", psize)
	}
	m1, ok1 := read(int64(psize))
	if ok1 && m1.pageSize != psize {
		ok1 = false
	}
	if ok0 && m0.pageSize != psize {
		ok0 = false
	}
	switch {
	case ok0 && ok1:
		if m1.txid > m0.txid {
			return m1, psize, nil
		}
		return m0, psize, nil
	case ok0:
		return m0, psize, nil
	case ok1:
		return m1, psize, nil
	}
	return boltMeta{}, 0, corruptf(-1, "both meta pages are invalid")
}

// checker walks one file.
type checker struct {
	r     io.ReaderAt
	psize int64
	hw    uint64
	used  []uint64 // bitset: pages reached so far
	free  []uint64 // bitset: pages on the freelist
	visit visitFunc
	path  [][]byte // bucket names from the root down
}

func (c *checker) mark(id uint64, overflow uint32) {
	for p := id; p <= id+uint64(overflow); p++ {
		c.used[p/64] |= 1 << (p % 64)
	}
}

func bitSet(set []uint64, id uint64) bool { return set[id/64]&(1<<(id%64)) != 0 }

// readPage reads page id with its overflow pages, after checking that it is
// in bounds and reached for the first time, and marks it used.
func (c *checker) readPage(id uint64) ([]byte, error) {
	if id < 2 || id >= c.hw {
		return nil, corruptf(int64(id), "page id out of range [2, %d)", c.hw)
	}
	var hdr [boltPageHeaderSize]byte
	if _, err := c.r.ReadAt(hdr[:], int64(id)*c.psize); err != nil {
		return nil, readErr(err)
	}
	if got := ne.Uint64(hdr[0:]); got != id {
		return nil, corruptf(int64(id), "page header names page %d", got)
	}
	overflow := ne.Uint32(hdr[12:])
	if uint64(overflow) >= c.hw-id {
		return nil, corruptf(int64(id), "overflow %d runs past the high-water mark", overflow)
	}
	for p := id; p <= id+uint64(overflow); p++ {
		if bitSet(c.used, p) {
			return nil, corruptf(int64(p), "page reached twice")
		}
		if bitSet(c.free, p) {
			return nil, corruptf(int64(p), "page both reachable and free")
		}
	}
	c.mark(id, overflow)
	page := make([]byte, (int64(overflow)+1)*c.psize)
	if _, err := c.r.ReadAt(page, int64(id)*c.psize); err != nil {
		return nil, readErr(err)
	}
	return page, nil
}

func readErr(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return corruptf(-1, "file ends inside a page")
	}
	return err
}

// checkFreelist validates a synced freelist page and records its ids.
func (c *checker) checkFreelist(id uint64) error {
	page, err := c.readPage(id)
	if err != nil {
		return err
	}
	if ne.Uint16(page[8:]) != boltFreelistPage {
		return corruptf(int64(id), "freelist page has flags %#x", ne.Uint16(page[8:]))
	}
	start, count := int64(boltPageHeaderSize), int64(ne.Uint16(page[10:]))
	if count == 0xFFFF {
		if len(page) < boltPageHeaderSize+8 {
			return corruptf(int64(id), "freelist count does not fit")
		}
		count = int64(ne.Uint64(page[16:]) & (1<<62 - 1))
		start += 8
	}
	if count > (int64(len(page))-start)/8 {
		return corruptf(int64(id), "freelist of %d ids does not fit its pages", count)
	}
	for i := int64(0); i < count; i++ {
		fid := ne.Uint64(page[start+8*i:])
		if fid < 2 || fid >= c.hw {
			return corruptf(int64(id), "free page id %d out of range", fid)
		}
		if bitSet(c.free, fid) || bitSet(c.used, fid) {
			return corruptf(int64(id), "free page id %d listed twice or in use", fid)
		}
		c.free[fid/64] |= 1 << (fid % 64)
	}
	return nil
}

// walk checks the b+tree rooted at page id, whose keys must lie in
// [lo, hi) (nil: unbounded).
func (c *checker) walk(id uint64, lo, hi []byte, depth, nest int) error {
	if depth >= maxCheckDepth {
		return corruptf(int64(id), "b+tree deeper than %d", maxCheckDepth)
	}
	page, err := c.readPage(id)
	if err != nil {
		return err
	}
	flags, count := ne.Uint16(page[8:]), int(ne.Uint16(page[10:]))
	if boltPageHeaderSize+count*boltElemSize > len(page) {
		return corruptf(int64(id), "%d elements do not fit the page", count)
	}
	switch {
	case flags == boltBranchPage:
		if count == 0 {
			return corruptf(int64(id), "empty branch page")
		}
		var prev []byte
		for i := 0; i < count; i++ {
			e := boltPageHeaderSize + i*boltElemSize
			key, err := elemKey(page, e, int64(ne.Uint32(page[e:])), int64(ne.Uint32(page[e+4:])), 0)
			if err != nil {
				return withPage(err, id)
			}
			if err := keyInOrder(key, prev, lo, hi); err != nil {
				return withPage(err, id)
			}
			next := hi
			if i+1 < count {
				ne2 := boltPageHeaderSize + (i+1)*boltElemSize
				if next, err = elemKey(page, ne2, int64(ne.Uint32(page[ne2:])), int64(ne.Uint32(page[ne2+4:])), 0); err != nil {
					return withPage(err, id)
				}
			}
			if err := c.walk(ne.Uint64(page[e+8:]), key, next, depth+1, nest); err != nil {
				return err
			}
			prev = key
		}
		return nil
	case flags == boltLeafPage:
		return withPage(c.leafElems(page, count, lo, hi, nest), id)
	}
	return corruptf(int64(id), "unexpected page flags %#x", flags)
}

// leafElems checks the elements of a leaf page (or an inline bucket's page)
// and the buckets they hold.
func (c *checker) leafElems(page []byte, count int, lo, hi []byte, nest int) error {
	if boltPageHeaderSize+count*boltElemSize > len(page) {
		return corruptf(-1, "%d elements do not fit the leaf", count)
	}
	var prev []byte
	for i := 0; i < count; i++ {
		e := boltPageHeaderSize + i*boltElemSize
		flags := ne.Uint32(page[e:])
		pos, ksize, vsize := int64(ne.Uint32(page[e+4:])), int64(ne.Uint32(page[e+8:])), int64(ne.Uint32(page[e+12:]))
		key, err := elemKey(page, e, pos, ksize, vsize)
		if err != nil {
			return err
		}
		if err := keyInOrder(key, prev, lo, hi); err != nil {
			return err
		}
		prev = key
		v0 := int64(e) + pos + ksize
		if flags&boltBucketLeaf == 0 {
			if c.visit != nil {
				c.visit(c.path, key, page[v0:v0+vsize])
			}
			continue
		}
		c.path = append(c.path, key)
		err = c.bucket(page[v0:v0+vsize], nest+1)
		c.path = c.path[:len(c.path)-1]
		if err != nil {
			return err
		}
	}
	return nil
}

// bucket checks a bucket header value and the bucket it points to.
func (c *checker) bucket(v []byte, nest int) error {
	if nest > maxCheckNesting {
		return corruptf(-1, "buckets nested deeper than %d", maxCheckNesting)
	}
	if len(v) < boltBucketHeaderLen {
		return corruptf(-1, "bucket header of %d bytes", len(v))
	}
	root := ne.Uint64(v)
	if root != 0 {
		return c.walk(root, nil, nil, 0, nest)
	}
	inline := v[boltBucketHeaderLen:]
	if len(inline) < boltPageHeaderSize {
		return corruptf(-1, "inline bucket of %d bytes", len(inline))
	}
	if flags := ne.Uint16(inline[8:]); flags != boltLeafPage {
		return corruptf(-1, "inline bucket page has flags %#x", flags)
	}
	return c.leafElems(inline, int(ne.Uint16(inline[10:])), nil, nil, nest)
}

// elemKey returns the key of the element at offset e, checking that key and
// value (vsize bytes after the key) lie inside page.
func elemKey(page []byte, e int, pos, ksize, vsize int64) ([]byte, error) {
	k0 := int64(e) + pos
	if ksize == 0 || k0+ksize+vsize > int64(len(page)) {
		return nil, corruptf(-1, "element at %d out of bounds (pos %d, key %d, value %d)", e, pos, ksize, vsize)
	}
	return page[k0 : k0+ksize], nil
}

// keyInOrder checks prev < key, lo <= key and key < hi.
func keyInOrder(key, prev, lo, hi []byte) error {
	if prev != nil && bytes.Compare(prev, key) >= 0 {
		return corruptf(-1, "keys out of order")
	}
	if lo != nil && bytes.Compare(key, lo) < 0 {
		return corruptf(-1, "key below its parent's bound")
	}
	if hi != nil && bytes.Compare(key, hi) >= 0 {
		return corruptf(-1, "key at or above its parent's next key")
	}
	return nil
}

// withPage fills in the page of a *CorruptionError that has none.
func withPage(err error, id uint64) error {
	var ce *CorruptionError
	if errors.As(err, &ce) && ce.Page < 0 {
		ce.Page = int64(id)
	}
	return err
}
