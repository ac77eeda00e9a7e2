package tier2

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go"

	"github.com/tributary-iot/tributary/models"
)

// Filter selects the points that Read and Count return. The zero Filter
// selects every point with every field.
type Filter struct {
	// Start and End bound the points' times to [Start, End), Unix ns; 0
	// leaves that side open.
	Start, End int64
	// Device keeps only that device's points; "" keeps all.
	Device string
	// Fields, when not nil, keeps only the fields with these keys (of any
	// kind); an empty non-nil slice keeps no field. Tags are always read.
	Fields []string
	// FromPos, when after the chunk's first position, keeps only the rows
	// from tier-1 positions at or after it: a read that resumes inside the
	// chunk. ToPos, when not 0 and before the chunk's last position, keeps
	// only the rows from positions at or before it. Only chunks written
	// with positions (ChunkInfo.Positions) can; others give ErrNoPositions.
	FromPos, ToPos uint64
}

// inside reports whether f selects part of a chunk's positions.
func (f *Filter) inside(info *ChunkInfo) bool {
	return f.FromPos > info.FirstPos || f.ToPos != 0 && f.ToPos < info.LastPos
}

func (f *Filter) matchPos(pos uint64) bool {
	return pos >= f.FromPos && (f.ToPos == 0 || pos <= f.ToPos)
}

func (f *Filter) matchTime(t int64) bool {
	return (f.Start == 0 || t >= f.Start) && (f.End == 0 || t < f.End)
}

func (f *Filter) matchGroup(g *rowGroupBounds) bool {
	if f.Device != "" && (f.Device < g.MinDevice || f.Device > g.MaxDevice) {
		return false
	}
	return (f.Start == 0 || g.MaxTime >= f.Start) && (f.End == 0 || g.MinTime < f.End)
}

// readBatch is the number of rows decoded per column at a time.
const readBatch = 1024

// readBufferSize is the read buffer of each column's page reader.
const readBufferSize = 64 << 10

// chunkReader reads one open chunk file.
type chunkReader struct {
	path   string
	obj    Object
	rec    *ioRecorder
	file   *parquet.File
	info   ChunkInfo
	groups []rowGroupBounds

	// The columns read, set by prepare; device and time are always set,
	// pos when the filter starts inside the chunk.
	device, time, seq, agent, received, pos *colReader
	fields                                  []fieldReader
	tags                                    []tagReader
	active                                  []*colReader
}

type fieldReader struct {
	schema FieldSchema
	col    *colReader
}

type tagReader struct {
	key string
	col *colReader
}

// ioRecorder remembers the first I/O error of the object under a chunk, so
// that a failing disk is reported as such and not as corruption. Reads
// outside the object come from a decoder misled by a corrupt file and are
// refused without being recorded.
type ioRecorder struct {
	r    io.ReaderAt
	size int64
	err  error
}

func (x *ioRecorder) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off >= x.size {
		return 0, fmt.Errorf("read at offset %d outside the file (%d bytes): %w", off, x.size, io.ErrUnexpectedEOF)
	}
	n, err := x.r.ReadAt(p, off)
	if err != nil && !errors.Is(err, io.EOF) && x.err == nil {
		x.err = err
	}
	return n, err
}

// guard runs a call into the Parquet decoder, turning a panic on malformed
// input into an error.
func guard(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("decoder panic: %v", r)
		}
	}()
	return fn()
}

// openChunk opens the chunk at path and checks its footer.
func openChunk(ctx context.Context, bucket Bucket, path string) (*chunkReader, error) {
	if err := checkChunkPath(path); err != nil {
		return nil, err
	}
	obj, err := bucket.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	c := &chunkReader{path: path, obj: obj, rec: &ioRecorder{r: obj, size: obj.Size()}}
	if err := c.init(); err != nil {
		_ = obj.Close()
		return nil, err
	}
	return c, nil
}

func (c *chunkReader) init() error {
	if err := checkFooter(c.rec, c.rec.size); err != nil {
		return c.fail(err)
	}
	// The page index is loaded per column chunk, after checkColumnChunk.
	err := guard(func() error {
		var err error
		c.file, err = parquet.OpenFile(c.rec, c.rec.size,
			parquet.SkipBloomFilters(true), parquet.SkipPageIndex(true),
			parquet.ReadBufferSize(readBufferSize))
		return err
	})
	if err != nil {
		return c.fail(err)
	}
	raw, ok := c.file.Lookup(footerKey)
	if !ok {
		return c.fail(fmt.Errorf("no %s metadata: not a Tributary chunk", footerKey))
	}
	if c.info, c.groups, err = parseFooter([]byte(raw)); err != nil {
		return c.fail(err)
	}
	rgs := c.file.RowGroups()
	if len(rgs) != len(c.groups) {
		return c.fail(fmt.Errorf("file has %d row groups, footer says %d", len(rgs), len(c.groups)))
	}
	for i, rg := range rgs {
		if rg.NumRows() != c.groups[i].Rows {
			return c.fail(fmt.Errorf("row group %d has %d rows, footer says %d", i, rg.NumRows(), c.groups[i].Rows))
		}
	}
	if err := guard(c.checkSchema); err != nil {
		return c.fail(err)
	}
	c.info.Path = c.path
	c.info.Bytes = c.obj.Size()
	return nil
}

// fail classifies an error from decoding: an I/O error of the object as
// itself, anything else as corruption.
func (c *chunkReader) fail(err error) error {
	if c.rec.err != nil {
		return fmt.Errorf("cannot read chunk %q: %w", c.path, c.rec.err)
	}
	return &CorruptionError{Path: c.path, Err: err}
}

func (c *chunkReader) close() error {
	for _, col := range c.active {
		col.close()
	}
	return c.obj.Close()
}

// leaf looks a column up in the file's schema and checks its type.
func (c *chunkReader) leaf(name string, kind colKind, optional bool) (int, error) {
	leaf, ok := c.file.Schema().Lookup(name)
	if !ok || leaf.Node == nil || !leaf.Node.Leaf() {
		return 0, fmt.Errorf("column %q missing", name)
	}
	def := 0
	if optional {
		def = 1
	}
	if leaf.Node.Type().Kind() != kind.physical() || leaf.MaxDefinitionLevel != def || leaf.MaxRepetitionLevel != 0 {
		return 0, fmt.Errorf("column %q has type %v, want %v", name, leaf.Node.Type(), kind.physical())
	}
	return leaf.ColumnIndex, nil
}

// checkSchema checks that the file has every column its footer lists.
func (c *chunkReader) checkSchema() error {
	for _, fixed := range fixedColumns {
		if _, err := c.leaf(fixed.name, fixed.kind, false); err != nil {
			return err
		}
	}
	for _, fs := range c.info.Fields {
		if _, err := c.leaf(fs.Column, fieldColKind(fs), true); err != nil {
			return err
		}
	}
	for _, ts := range c.info.Tags {
		if _, err := c.leaf(ts.Column, colString, true); err != nil {
			return err
		}
	}
	if c.info.Positions {
		if _, err := c.leaf(colPos, colInt64, false); err != nil {
			return err
		}
	}
	return nil
}

var fixedColumns = [...]struct {
	name string
	kind colKind
}{{colDevice, colString}, {colTime, colInt64}, {colSeq, colInt64}, {colAgent, colString}, {colReceived, colInt64}}

// column returns a reader for a column that checkSchema has checked.
func (c *chunkReader) column(name string, kind colKind, optional bool) (*colReader, error) {
	leaf, err := c.leaf(name, kind, optional)
	if err != nil {
		return nil, c.fail(err)
	}
	col := newColReader(name, kind, leaf, optional, readBatch)
	c.active = append(c.active, col)
	return col, nil
}

// prepare sets up the columns that f needs; points false reads only what
// filtering needs (for counting).
func (c *chunkReader) prepare(f *Filter, points bool) error {
	var err error
	if c.device, err = c.column(colDevice, colString, false); err != nil {
		return err
	}
	if c.time, err = c.column(colTime, colInt64, false); err != nil {
		return err
	}
	if f.inside(&c.info) {
		if !c.info.Positions {
			return fmt.Errorf("chunk %q [%d,%d], positions [%d,%d]: %w", c.path, c.info.FirstPos, c.info.LastPos, f.FromPos, f.ToPos, ErrNoPositions)
		}
		if c.pos, err = c.column(colPos, colInt64, false); err != nil {
			return err
		}
	}
	if !points {
		return nil
	}
	for _, fixed := range []struct {
		dst  **colReader
		name string
		kind colKind
	}{{&c.seq, colSeq, colInt64}, {&c.agent, colAgent, colString}, {&c.received, colReceived, colInt64}} {
		if *fixed.dst, err = c.column(fixed.name, fixed.kind, false); err != nil {
			return err
		}
	}
	var keep map[string]bool
	if f.Fields != nil {
		keep = make(map[string]bool, len(f.Fields))
		for _, k := range f.Fields {
			keep[k] = true
		}
	}
	for _, fs := range c.info.Fields {
		if keep != nil && !keep[fs.Key] {
			continue
		}
		col, err := c.column(fs.Column, fieldColKind(fs), true)
		if err != nil {
			return err
		}
		c.fields = append(c.fields, fieldReader{schema: fs, col: col})
	}
	for _, ts := range c.info.Tags {
		col, err := c.column(ts.Column, colString, true)
		if err != nil {
			return err
		}
		c.tags = append(c.tags, tagReader{key: ts.Key, col: col})
	}
	return nil
}

func fieldColKind(fs FieldSchema) colKind {
	switch fs.Kind {
	case models.KindFloat:
		if fs.Decimal {
			return colInt64
		}
		return colDouble
	case models.KindBool:
		return colBool
	case models.KindString:
		return colString
	}
	return colInt64
}

// scan walks the rows that f selects, in file order, and calls emit for each
// (with a reused point) when emit is not nil. It returns the number of rows
// selected.
func (c *chunkReader) scan(ctx context.Context, f *Filter, emit func(*models.Point) error) (int64, error) {
	var p models.Point
	var n int64
	for g := range c.groups {
		if !f.matchGroup(&c.groups[g]) {
			continue
		}
		if err := c.openGroup(g); err != nil {
			return n, c.fail(err)
		}
		lo, hi := 0, int(c.groups[g].Rows)
		if f.Device != "" {
			var err error
			if lo, hi, err = c.deviceRange(hi, f.Device); err != nil {
				return n, err
			}
		}
		for r := lo; r < hi; r += readBatch {
			if err := ctx.Err(); err != nil {
				return n, err
			}
			size := min(readBatch, hi-r)
			if err := guard(func() error {
				for _, col := range c.active {
					if err := col.fill(size); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				return n, c.fail(err)
			}
			for i := range size {
				if !f.matchTime(c.time.outInts[i]) || f.Device != "" && c.device.outStrs[i] != f.Device ||
					c.pos != nil && !f.matchPos(uint64(c.pos.outInts[i])) {
					continue
				}
				n++
				if emit == nil {
					continue
				}
				c.point(&p, i)
				if err := emit(&p); err != nil {
					return n, err
				}
			}
		}
	}
	return n, nil
}

// openGroup checks the active columns' chunks in row group g and starts
// reading them.
func (c *chunkReader) openGroup(g int) error {
	chunks := c.file.RowGroups()[g].ColumnChunks()
	meta := c.file.Metadata().RowGroups[g].Columns
	for _, col := range c.active {
		if col.leaf >= len(chunks) || col.leaf >= len(meta) {
			return fmt.Errorf("column %q missing from row group %d", col.name, g)
		}
		if err := checkColumnChunk(c.rec, c.rec.size, &meta[col.leaf], c.groups[g].Rows); err != nil {
			return fmt.Errorf("column %q in row group %d: %w", col.name, g, err)
		}
		err := guard(func() error {
			if _, err := chunks[col.leaf].OffsetIndex(); err != nil {
				return err
			}
			col.open(chunks[col.leaf])
			return nil
		})
		if err != nil {
			return fmt.Errorf("column %q in row group %d: %w", col.name, g, err)
		}
	}
	return nil
}

// deviceRange finds the rows [lo, hi) of device in the current row group
// of rows rows (sorted by device) and positions every column at lo.
func (c *chunkReader) deviceRange(rows int, device string) (lo, hi int, err error) {
	lo, hi = -1, -1
	err = guard(func() error {
		for r := 0; r < rows && hi < 0; r += readBatch {
			size := min(readBatch, rows-r)
			if err := c.device.fill(size); err != nil {
				return err
			}
			for i, d := range c.device.outStrs[:size] {
				switch {
				case d == device && lo < 0:
					lo = r + i
				case d > device:
					hi = r + i
				}
				if hi >= 0 {
					break
				}
			}
		}
		if lo < 0 {
			return nil
		}
		if hi < 0 {
			hi = rows
		}
		for _, col := range c.active {
			if err := col.seek(int64(lo)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, 0, c.fail(err)
	}
	if lo < 0 {
		return 0, 0, nil
	}
	return lo, hi, nil
}

// point builds row i of the current batch into p.
func (c *chunkReader) point(p *models.Point, i int) {
	p.Device = c.device.outStrs[i]
	p.Stream = c.info.Stream
	p.Time = c.time.outInts[i]
	p.Seq = uint64(c.seq.outInts[i])
	p.Agent = c.agent.outStrs[i]
	p.Received = c.received.outInts[i]
	p.Fields = p.Fields[:0]
	for j := range c.fields {
		fr := &c.fields[j]
		if !fr.col.valid[i] {
			continue
		}
		var v models.Value
		switch fr.schema.Kind {
		case models.KindFloat:
			if fr.schema.Decimal {
				v = models.Float(float64(fr.col.outInts[i]) / pow10[fr.schema.Scale])
			} else {
				v = models.Float(fr.col.outF64[i])
			}
		case models.KindInt:
			v = models.Int(fr.col.outInts[i])
		case models.KindUint:
			v = models.Uint(uint64(fr.col.outInts[i]))
		case models.KindBool:
			v = models.Bool(fr.col.outBool[i])
		case models.KindString:
			v = models.String(fr.col.outStrs[i])
		}
		p.Fields = append(p.Fields, models.Field{Key: fr.schema.Key, Value: v})
	}
	p.Tags = p.Tags[:0]
	for j := range c.tags {
		if tr := &c.tags[j]; tr.col.valid[i] {
			p.Tags = append(p.Tags, models.Tag{Key: tr.key, Value: tr.col.outStrs[i]})
		}
	}
}
