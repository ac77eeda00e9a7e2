package httpapi

import (
	"fmt"
	"unsafe"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"

	"github.com/tributary-iot/tributary/models"
)

// exportRowGroupRows is the number of rows of a Parquet export's row
// groups: what the writer holds in memory at most.
const exportRowGroupRows = 64 << 10

// exportBatch is the number of rows handed to the column writers at a time.
const exportBatch = 1024

// parquetWriter writes points as one Parquet file: the fixed columns
// time and received (TIMESTAMP(NANOS, UTC)), device and agent (STRING),
// seq (INT(64, unsigned)); an optional column per field (DOUBLE, INT64,
// INT(64, unsigned), BOOLEAN or STRING by kind) and per tag ("tag_<key>",
// STRING); and "more" (JSON, see colMore). Rows come in read order. The
// columns are fixed from the first points (see planColumns), which it
// holds until then.
type parquetWriter struct {
	out  *flushWriter
	opts exportOptions
	peek []models.Point
	cols *columns
	pw   *parquet.Writer

	// Leaf indexes of the columns.
	time, received, device, agent, seq, more int
	fieldLeaf, tagLeaf                       []int
	// vals holds a batch of values per leaf column.
	vals    [][]parquet.Value
	rows    int // in vals
	inGroup int // rows written to the current row group
	moreBuf [][]byte
}

func newParquetWriter(out *flushWriter, opts exportOptions) *parquetWriter {
	return &parquetWriter{out: out, opts: opts, more: -1}
}

func (w *parquetWriter) write(p *models.Point) error {
	if w.cols == nil {
		w.peek = append(w.peek, p.Clone())
		if len(w.peek) < peekPoints {
			return nil
		}
		return w.start()
	}
	return w.add(p)
}

// schema builds the Parquet schema of the columns.
func (w *parquetWriter) schema() *parquet.Schema {
	str := func() parquet.Node { return parquet.Encoded(parquet.String(), &parquet.RLEDictionary) }
	ts := func() parquet.Node { return parquet.Timestamp(parquet.Nanosecond) }
	g := parquet.Group{
		colTime: ts(), colReceived: ts(), colDevice: str(), colAgent: str(), colSeq: parquet.Uint(64),
	}
	for _, f := range w.cols.fields {
		var n parquet.Node
		switch f.kind {
		case models.KindFloat:
			n = parquet.Leaf(parquet.DoubleType)
		case models.KindInt:
			n = parquet.Int(64)
		case models.KindUint:
			n = parquet.Uint(64)
		case models.KindBool:
			n = parquet.Leaf(parquet.BooleanType)
		default:
			n = str()
		}
		g[f.name] = parquet.Optional(n)
	}
	for _, t := range w.cols.tags {
		g[t.name] = parquet.Optional(str())
	}
	if w.cols.more {
		g[colMore] = parquet.Optional(parquet.String())
	}
	return parquet.NewSchema("tributary_point", g)
}

// start fixes the columns and writes the points held.
func (w *parquetWriter) start() error {
	w.cols = planColumns(w.peek, w.opts.fields)
	schema := w.schema()
	w.pw = parquet.NewWriter(w.out, schema,
		parquet.Compression(&zstd.Codec{Level: zstd.SpeedFastest}),
		parquet.PageBufferSize(256<<10),
		parquet.CreatedBy("tributary", "export", ""))
	leaf := func(name string) int {
		l, ok := schema.Lookup(name)
		if !ok {
			panic("BUG: column " + name + " missing from the schema just built")
		}
		return l.ColumnIndex
	}
	w.time, w.received, w.device = leaf(colTime), leaf(colReceived), leaf(colDevice)
	w.agent, w.seq = leaf(colAgent), leaf(colSeq)
	for _, f := range w.cols.fields {
		w.fieldLeaf = append(w.fieldLeaf, leaf(f.name))
	}
	for _, t := range w.cols.tags {
		w.tagLeaf = append(w.tagLeaf, leaf(t.name))
	}
	if w.cols.more {
		w.more = leaf(colMore)
	}
	w.vals = make([][]parquet.Value, len(schema.Columns()))
	for i := range w.vals {
		w.vals[i] = make([]parquet.Value, exportBatch)
	}
	w.moreBuf = make([][]byte, exportBatch)
	peek := w.peek
	w.peek = nil
	for i := range peek {
		if err := w.add(&peek[i]); err != nil {
			return err
		}
	}
	return nil
}

// add puts one point in the current batch.
func (w *parquetWriter) add(p *models.Point) error {
	r := w.rows
	null := func(l int) parquet.Value { return parquet.NullValue().Level(0, 0, l) }
	for _, l := range w.fieldLeaf {
		w.vals[l][r] = null(l)
	}
	for _, l := range w.tagLeaf {
		w.vals[l][r] = null(l)
	}
	w.vals[w.time][r] = parquet.Int64Value(p.Time).Level(0, 0, w.time)
	w.vals[w.received][r] = parquet.Int64Value(p.Received).Level(0, 0, w.received)
	w.vals[w.device][r] = parquet.ByteArrayValue(bytesOf(p.Device)).Level(0, 0, w.device)
	w.vals[w.agent][r] = parquet.ByteArrayValue(bytesOf(p.Agent)).Level(0, 0, w.agent)
	w.vals[w.seq][r] = parquet.Int64Value(int64(p.Seq)).Level(0, 0, w.seq)
	for _, f := range p.Fields {
		i, v := w.cols.field(f)
		if i < 0 {
			continue
		}
		l := w.fieldLeaf[i]
		if !w.vals[l][r].IsNull() {
			continue // a repeated key: the first value wins
		}
		w.vals[l][r] = exportValue(v).Level(0, 1, l)
	}
	for _, t := range p.Tags {
		if i := w.cols.tag(t.Key); i >= 0 && w.vals[w.tagLeaf[i]][r].IsNull() {
			l := w.tagLeaf[i]
			w.vals[l][r] = parquet.ByteArrayValue(bytesOf(t.Value)).Level(0, 1, l)
		}
	}
	if w.more >= 0 {
		w.moreBuf[r] = w.cols.appendMore(w.moreBuf[r][:0], p)
		if len(w.moreBuf[r]) == 0 {
			w.vals[w.more][r] = null(w.more)
		} else {
			w.vals[w.more][r] = parquet.ByteArrayValue(w.moreBuf[r]).Level(0, 1, w.more)
		}
	}
	if w.rows++; w.rows == exportBatch {
		return w.writeBatch()
	}
	return nil
}

// writeBatch hands the batch to the column writers, and ends the row
// group when it is full.
func (w *parquetWriter) writeBatch() error {
	if w.rows == 0 {
		return nil
	}
	for l, cw := range w.pw.ColumnWriters() {
		if _, err := cw.WriteRowValues(w.vals[l][:w.rows]); err != nil {
			return fmt.Errorf("cannot write column %d: %w", l, err)
		}
	}
	w.inGroup += w.rows
	w.rows = 0
	if w.inGroup >= exportRowGroupRows {
		w.inGroup = 0
		if err := w.pw.Flush(); err != nil {
			return fmt.Errorf("cannot write row group: %w", err)
		}
		return w.out.flush()
	}
	return nil
}

func (w *parquetWriter) close() error {
	if w.cols == nil {
		if err := w.start(); err != nil {
			return err
		}
	}
	if err := w.writeBatch(); err != nil {
		return err
	}
	if err := w.pw.Close(); err != nil {
		return fmt.Errorf("cannot close parquet writer: %w", err)
	}
	return w.out.flush()
}

func (w *parquetWriter) fail(error) {
	_ = w.out.flush()
	abort()
}

// exportValue converts a field value to its column's Parquet value.
func exportValue(v models.Value) parquet.Value {
	switch v.Kind() {
	case models.KindFloat:
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

// bytesOf views s as bytes without copying; the column writers copy what
// they keep.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }
