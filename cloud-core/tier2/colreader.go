package tier2

import (
	"errors"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go"
)

// colKind says how a column's pages are decoded.
type colKind uint8

const (
	colInt64  colKind = iota // INT64: timestamps, seq, ints, uints, decimals
	colDouble                // DOUBLE
	colBool                  // BOOLEAN
	colString                // BYTE_ARRAY, dictionary-encoded or plain
)

func (k colKind) physical() parquet.Kind {
	switch k {
	case colDouble:
		return parquet.Double
	case colBool:
		return parquet.Boolean
	case colString:
		return parquet.ByteArray
	}
	return parquet.Int64
}

// errShortColumn reports a column chunk with fewer rows than its row group.
var errShortColumn = errors.New("column chunk ends before its row group")

// colReader decodes one column of one row group, a page at a time, into
// batches of rows. It holds at most one page: memory does not grow with the
// chunk.
type colReader struct {
	name     string
	kind     colKind
	leaf     int
	optional bool

	pages parquet.Pages
	page  parquet.Page

	// The current page: its definition levels (nil when required), its
	// decoded values, the rows it holds, the next row and the next value.
	levels  []byte
	ints    []int64
	doubles []float64
	indexes []int32
	data    []byte
	offsets []uint32
	bools   parquet.ValueReader
	rows    int
	pos     int
	vpos    int

	// dict is the dictionary of the current column chunk and dictStrs its
	// values as strings, converted once per dictionary.
	dict     parquet.Dictionary
	dictStrs []string

	// The batch: valid[i] says whether row i has a value, which is in the
	// slice for the column's kind.
	valid   []bool
	outInts []int64
	outF64  []float64
	outStrs []string
	outBool []bool
	boolBuf []parquet.Value
}

func newColReader(name string, kind colKind, leaf int, optional bool, batch int) *colReader {
	c := &colReader{name: name, kind: kind, leaf: leaf, optional: optional, valid: make([]bool, batch)}
	switch kind {
	case colInt64:
		c.outInts = make([]int64, batch)
	case colDouble:
		c.outF64 = make([]float64, batch)
	case colString:
		c.outStrs = make([]string, batch)
	case colBool:
		c.outBool = make([]bool, batch)
		c.boolBuf = make([]parquet.Value, batch)
	}
	if !optional {
		for i := range c.valid {
			c.valid[i] = true
		}
	}
	return c
}

// open starts reading chunk, the column's chunk in a new row group.
func (c *colReader) open(chunk parquet.ColumnChunk) {
	c.close()
	c.pages = chunk.Pages()
	c.dict, c.dictStrs = nil, nil
}

// close releases the current page and the page reader.
func (c *colReader) close() {
	c.dropPage()
	if c.pages != nil {
		_ = c.pages.Close()
		c.pages = nil
	}
}

func (c *colReader) dropPage() {
	if c.page != nil {
		parquet.Release(c.page)
		c.page = nil
	}
	c.rows, c.pos, c.vpos = 0, 0, 0
	c.bools = nil
}

// seek positions the reader at row (within the row group).
func (c *colReader) seek(row int64) error {
	c.dropPage()
	return c.pages.SeekToRow(row)
}

// nextPage reads and checks the next page.
func (c *colReader) nextPage() error {
	c.dropPage()
	page, err := c.pages.ReadPage()
	if errors.Is(err, io.EOF) {
		return errShortColumn
	}
	if err != nil {
		return err
	}
	c.page = page
	c.rows = int(page.NumRows())
	c.levels = page.DefinitionLevels()
	if !c.optional && len(c.levels) > 0 {
		return fmt.Errorf("required column %q has definition levels", c.name)
	}
	if c.optional && len(c.levels) != c.rows {
		return fmt.Errorf("column %q: %d definition levels for %d rows", c.name, len(c.levels), c.rows)
	}
	values := c.rows
	if c.optional {
		values = 0
		for _, l := range c.levels {
			if l == 1 {
				values++
			}
		}
	}
	data := page.Data()
	var have int
	switch c.kind {
	case colInt64:
		c.ints = data.Int64()
		have = len(c.ints)
	case colDouble:
		c.doubles = data.Double()
		have = len(c.doubles)
	case colBool:
		c.bools = page.Values()
		have = values
	case colString:
		if d := page.Dictionary(); d != nil {
			if d != c.dict {
				if err := c.loadDict(d); err != nil {
					return err
				}
			}
			c.indexes = data.Int32()
			have = len(c.indexes)
		} else {
			c.indexes = nil
			c.data, c.offsets = data.ByteArray()
			have = max(len(c.offsets)-1, 0)
			if err := checkOffsets(c.data, c.offsets); err != nil {
				return fmt.Errorf("column %q: %w", c.name, err)
			}
		}
	}
	if have < values {
		return fmt.Errorf("column %q: page has %d values for %d rows", c.name, have, values)
	}
	return nil
}

func (c *colReader) loadDict(d parquet.Dictionary) error {
	values := d.Page().Data()
	data, offsets := values.ByteArray()
	if err := checkOffsets(data, offsets); err != nil {
		return fmt.Errorf("column %q dictionary: %w", c.name, err)
	}
	all := string(data) // one allocation for the whole dictionary
	c.dictStrs = make([]string, max(len(offsets)-1, 0))
	for i := range c.dictStrs {
		c.dictStrs[i] = all[offsets[i]:offsets[i+1]]
	}
	c.dict = d
	return nil
}

func checkOffsets(data []byte, offsets []uint32) error {
	prev := uint32(0)
	for _, o := range offsets {
		if o < prev || int(o) > len(data) {
			return errors.New("byte array offsets out of range")
		}
		prev = o
	}
	return nil
}

// fill decodes the next n rows into the batch.
func (c *colReader) fill(n int) error {
	for filled := 0; filled < n; {
		if c.pos >= c.rows {
			if err := c.nextPage(); err != nil {
				return err
			}
			continue
		}
		m := min(n-filled, c.rows-c.pos)
		var err error
		switch c.kind {
		case colInt64:
			c.vpos = fillValues(c.outInts[filled:filled+m], c.valid[filled:], c.ints, c.levels, c.pos, c.vpos)
		case colDouble:
			c.vpos = fillValues(c.outF64[filled:filled+m], c.valid[filled:], c.doubles, c.levels, c.pos, c.vpos)
		case colString:
			err = c.fillStrings(filled, m)
		case colBool:
			err = c.fillBools(filled, m)
		}
		if err != nil {
			return err
		}
		filled += m
		c.pos += m
	}
	return nil
}

// fillValues copies len(dst) rows starting at row pos (value vpos) of a
// page into dst and valid, and returns the next value index. nextPage has
// checked that the page holds enough values.
func fillValues[T any](dst []T, valid []bool, src []T, levels []byte, pos, vpos int) int {
	if levels == nil {
		return vpos + copy(dst, src[vpos:vpos+len(dst)])
	}
	for i, l := range levels[pos : pos+len(dst)] {
		if l == 1 {
			dst[i] = src[vpos]
			vpos++
			valid[i] = true
		} else {
			valid[i] = false
		}
	}
	return vpos
}

func (c *colReader) fillStrings(filled, m int) error {
	dst := c.outStrs[filled : filled+m]
	valid := c.valid[filled : filled+m]
	for i := range dst {
		if c.levels != nil && c.levels[c.pos+i] != 1 {
			valid[i] = false
			continue
		}
		if c.indexes != nil {
			ix := c.indexes[c.vpos]
			if uint(ix) >= uint(len(c.dictStrs)) {
				return fmt.Errorf("column %q: dictionary index %d out of %d", c.name, ix, len(c.dictStrs))
			}
			dst[i] = c.dictStrs[ix]
		} else {
			dst[i] = string(c.data[c.offsets[c.vpos]:c.offsets[c.vpos+1]])
		}
		c.vpos++
		valid[i] = true
	}
	return nil
}

func (c *colReader) fillBools(filled, m int) error {
	buf := c.boolBuf[:m]
	for read := 0; read < m; {
		k, err := c.bools.ReadValues(buf[read:])
		read += k
		if (errors.Is(err, io.EOF) || k == 0 && err == nil) && read < m {
			return errShortColumn
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
	}
	for i, v := range buf {
		c.valid[filled+i] = !v.IsNull()
		c.outBool[filled+i] = !v.IsNull() && v.Boolean()
	}
	return nil
}
