package tier2

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"unsafe"

	"github.com/parquet-go/parquet-go"

	"github.com/tributary-iot/tributary/models"
)

// writeBatch is the number of rows handed to the column writers at a time;
// pages are cut by size (Options.PageBytes), at batch boundaries.
const writeBatch = 1024

// statsSizeLimit is the longest min/max kept for a byte-array column in the
// page index; device ids fit whole.
const statsSizeLimit = models.MaxIDLen

// dictionaryMaxBytes is the dictionary size past which a column chunk's
// later pages are written PLAIN: high-cardinality strings (messages, ids)
// gain nothing from a dictionary.
const dictionaryMaxBytes = 1 << 20

// schemaName names the root of every chunk's Parquet schema.
const schemaName = "tributary_point"

// buildSchema returns the Parquet schema of a chunk with plan's columns.
func (p *chunkPlan) buildSchema() *parquet.Schema {
	dictString := func() parquet.Node { return parquet.Encoded(parquet.String(), &parquet.RLEDictionary) }
	deltaTime := func() parquet.Node {
		return parquet.Encoded(parquet.Timestamp(parquet.Nanosecond), &parquet.DeltaBinaryPacked)
	}
	g := parquet.Group{
		colDevice:   dictString(),
		colTime:     deltaTime(),
		colSeq:      parquet.Encoded(parquet.Uint(64), &parquet.DeltaBinaryPacked),
		colAgent:    dictString(),
		colReceived: deltaTime(),
	}
	if p.info.Positions {
		g[colPos] = parquet.Encoded(parquet.Uint(64), &parquet.DeltaBinaryPacked)
	}
	for _, t := range p.info.Tags {
		g[t.Column] = parquet.Optional(dictString())
	}
	for _, f := range p.info.Fields {
		var n parquet.Node
		switch f.Kind {
		case models.KindFloat:
			if f.Decimal {
				n = parquet.Encoded(parquet.Decimal(f.Scale, decimalPrecision, parquet.Int64Type), &parquet.DeltaBinaryPacked)
			} else {
				n = parquet.Encoded(parquet.Leaf(parquet.DoubleType), &parquet.ByteStreamSplit)
			}
		case models.KindInt:
			n = parquet.Encoded(parquet.Int(64), &parquet.DeltaBinaryPacked)
		case models.KindUint:
			n = parquet.Encoded(parquet.Uint(64), &parquet.DeltaBinaryPacked)
		case models.KindBool:
			n = parquet.Encoded(parquet.Leaf(parquet.BooleanType), &parquet.RLE)
		case models.KindString:
			n = dictString()
		}
		g[f.Column] = parquet.Optional(n)
	}
	return parquet.NewSchema(schemaName, g)
}

// chunkWriter writes the rows of a plan through a parquet.Writer, a batch
// of rows at a time, column by column.
type chunkWriter struct {
	plan      *chunkPlan
	points    []models.Point
	positions []uint64 // of the points, or nil
	pw        *parquet.Writer

	// Leaf column indexes of the fixed, field and tag columns; pos is -1
	// without positions.
	device, time, seq, agent, received, pos int
	fieldLeaf                               []int
	tagLeaf                                 []int

	// vals holds one batch of values per leaf column.
	vals [][]parquet.Value

	// The columns (index in plan.info.Fields / Tags) of the fields and tags
	// of the last point, by position, to skip most lookups.
	lastFields []fieldID
	lastCols   []int
	lastTags   []string
	lastTagCol []int
}

func newChunkWriter(w io.Writer, plan *chunkPlan, points []models.Point, positions []uint64, footer []byte, codec parquet.WriterOption, rowGroupRows, pageBytes int) *chunkWriter {
	schema := plan.buildSchema()
	cw := &chunkWriter{plan: plan, points: points, positions: positions, pos: -1}
	cw.pw = parquet.NewWriter(w, schema, codec,
		parquet.PageBufferSize(pageBytes),
		parquet.DictionaryMaxBytes(dictionaryMaxBytes),
		parquet.MaxRowsPerRowGroup(int64(rowGroupRows)),
		parquet.ColumnIndexSizeLimit(func([]string) int { return statsSizeLimit }),
		parquet.KeyValueMetadata(footerKey, string(footer)),
		parquet.SortingWriterConfig(parquet.SortingColumns(
			parquet.Ascending(colDevice), parquet.Ascending(colTime), parquet.Ascending(colSeq))),
	)
	leaf := func(name string) int {
		l, ok := schema.Lookup(name)
		if !ok {
			panic("BUG: column " + name + " missing from the schema just built")
		}
		return l.ColumnIndex
	}
	cw.device, cw.time, cw.seq = leaf(colDevice), leaf(colTime), leaf(colSeq)
	cw.agent, cw.received = leaf(colAgent), leaf(colReceived)
	if plan.info.Positions {
		cw.pos = leaf(colPos)
	}
	for _, f := range plan.info.Fields {
		cw.fieldLeaf = append(cw.fieldLeaf, leaf(f.Column))
	}
	for _, t := range plan.info.Tags {
		cw.tagLeaf = append(cw.tagLeaf, leaf(t.Column))
	}
	cw.vals = make([][]parquet.Value, len(schema.Columns()))
	for i := range cw.vals {
		cw.vals[i] = make([]parquet.Value, 0, writeBatch)
	}
	return cw
}

// write writes every row group and closes the file.
func (cw *chunkWriter) write(ctx context.Context) error {
	var lo int
	for _, g := range cw.plan.groups {
		if err := ctx.Err(); err != nil {
			return err
		}
		hi := lo + int(g.Rows)
		for b := lo; b < hi; b += writeBatch {
			if err := cw.writeBatch(cw.plan.order[b:min(b+writeBatch, hi)]); err != nil {
				return err
			}
		}
		if err := cw.pw.Flush(); err != nil {
			return fmt.Errorf("cannot flush row group: %w", err)
		}
		lo = hi
	}
	if err := cw.pw.Close(); err != nil {
		return fmt.Errorf("cannot close parquet writer: %w", err)
	}
	return nil
}

// bytesOf views s as bytes without copying; the column writers copy what
// they keep.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

func (cw *chunkWriter) writeBatch(rows []sortKey) error {
	for i := range cw.vals {
		cw.vals[i] = cw.vals[i][:len(rows)]
	}
	// Optional columns start the batch all null.
	for _, l := range cw.fieldLeaf {
		clearNull(cw.vals[l], l)
	}
	for _, l := range cw.tagLeaf {
		clearNull(cw.vals[l], l)
	}
	for r, k := range rows {
		p := &cw.points[k.index]
		cw.vals[cw.device][r] = parquet.ByteArrayValue(bytesOf(p.Device)).Level(0, 0, cw.device)
		cw.vals[cw.time][r] = parquet.Int64Value(p.Time).Level(0, 0, cw.time)
		cw.vals[cw.seq][r] = parquet.Int64Value(int64(p.Seq)).Level(0, 0, cw.seq)
		cw.vals[cw.agent][r] = parquet.ByteArrayValue(bytesOf(p.Agent)).Level(0, 0, cw.agent)
		cw.vals[cw.received][r] = parquet.Int64Value(p.Received).Level(0, 0, cw.received)
		if cw.pos >= 0 {
			cw.vals[cw.pos][r] = parquet.Int64Value(int64(cw.positions[k.index])).Level(0, 0, cw.pos)
		}
		for i, f := range p.Fields {
			col := cw.fieldCol(i, f)
			if col < 0 {
				continue
			}
			l := cw.fieldLeaf[col]
			if !cw.vals[l][r].IsNull() {
				continue // a repeated key: the first value wins
			}
			cw.vals[l][r] = fieldValue(&cw.plan.info.Fields[col], f.Value).Level(0, 1, l)
		}
		for i, t := range p.Tags {
			col := cw.tagCol(i, t.Key)
			l := cw.tagLeaf[col]
			if !cw.vals[l][r].IsNull() {
				continue
			}
			cw.vals[l][r] = parquet.ByteArrayValue(bytesOf(t.Value)).Level(0, 1, l)
		}
	}
	// ColumnWriters are in leaf order.
	for l, w := range cw.pw.ColumnWriters() {
		if _, err := w.WriteRowValues(cw.vals[l]); err != nil {
			return fmt.Errorf("cannot write column %d: %w", l, err)
		}
	}
	return nil
}

func clearNull(vals []parquet.Value, leaf int) {
	null := parquet.NullValue().Level(0, 0, leaf)
	for i := range vals {
		vals[i] = null
	}
}

// fieldValue converts v to its column's Parquet value.
func fieldValue(fs *FieldSchema, v models.Value) parquet.Value {
	switch fs.Kind {
	case models.KindFloat:
		if fs.Decimal {
			return parquet.Int64Value(unscaled(v.FloatV(), fs.Scale))
		}
		return parquet.DoubleValue(v.FloatV())
	case models.KindInt:
		return parquet.Int64Value(v.IntV())
	case models.KindUint:
		return parquet.Int64Value(int64(v.UintV()))
	case models.KindBool:
		return parquet.BooleanValue(v.BoolV())
	}
	return parquet.ByteArrayValue(bytesOf(v.Str()))
}

// fieldCol returns the index in plan.info.Fields of the column for the
// i-th field of a point, or -1 for an invalid value.
func (cw *chunkWriter) fieldCol(i int, f models.Field) int {
	id := fieldID{key: f.Key, kind: f.Value.Kind()}
	if i < len(cw.lastFields) && cw.lastFields[i] == id {
		return cw.lastCols[i]
	}
	col := -1
	if id.kind > models.KindInvalid && id.kind <= models.KindString {
		col = cw.plan.fieldColumn(id)
	}
	for len(cw.lastFields) <= i {
		cw.lastFields = append(cw.lastFields, fieldID{})
		cw.lastCols = append(cw.lastCols, -1)
	}
	cw.lastFields[i], cw.lastCols[i] = id, col
	return col
}

// tagCol returns the index in plan.info.Tags of the i-th tag of a point.
func (cw *chunkWriter) tagCol(i int, key string) int {
	if i < len(cw.lastTags) && cw.lastTags[i] == key {
		return cw.lastTagCol[i]
	}
	col, ok := slices.BinarySearchFunc(cw.plan.info.Tags, key, func(t TagSchema, key string) int {
		return strings.Compare(t.Key, key)
	})
	if !ok {
		panic("BUG: tag " + key + " missing from the plan")
	}
	for len(cw.lastTags) <= i {
		cw.lastTags = append(cw.lastTags, "")
		cw.lastTagCol = append(cw.lastTagCol, -1)
	}
	cw.lastTags[i], cw.lastTagCol[i] = key, col
	return col
}
