package tier2_test

// These tests read chunks with Apache Arrow's Parquet implementation, a
// reader that shares no code with parquet-go: what it sees is what pandas,
// DuckDB and Spark see.

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/apache/arrow-go/v18/parquet/schema"

	"github.com/tributary-iot/tributary/cloud-core/tier2"
	"github.com/tributary-iot/tributary/models"
)

func TestArrowReadsChunks(t *testing.T) {
	trucks := truckPoints(5, 20*time.Minute)
	for _, tc := range []struct {
		name      string
		points    []models.Point
		opts      tier2.Options
		positions []uint64
	}{
		{"mixed", mixedPoints(), tier2.Options{}, nil},
		{"positions", trucks, tier2.Options{RowGroupRows: 2500}, messagePositions(trucks, 1, 150)},
		{"trucks", trucks, tier2.Options{RowGroupRows: 2500, PageBytes: 8 << 10}, nil},
		{"high-cardinality", highCardinalityPoints(), tier2.Options{PageBytes: 64 << 10}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			tc.opts.Root = root
			s := openStore(t, tc.opts)
			sp := spec("1", 1, 100)
			sp.Positions = tc.positions
			info := write(t, s, sp, tc.points)
			data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(info.Path)))
			if err != nil {
				t.Fatal(err)
			}
			rdr, err := file.NewParquetReader(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("arrow cannot open the chunk: %v", err)
			}
			defer rdr.Close()
			checkArrowMetadata(t, rdr, info)
			got, pos := arrowPoints(t, rdr, info)
			assertPoints(t, got, sorted(tc.points))
			if tc.positions != nil {
				checkPositions(t, tc.points, tc.positions, got, pos)
			}
		})
	}
}

// checkArrowMetadata checks the file's schema, encodings, statistics and
// key/value metadata as Arrow reports them.
func checkArrowMetadata(t *testing.T, rdr *file.Reader, info tier2.ChunkInfo) {
	t.Helper()
	md := rdr.MetaData()
	if md.NumRows != info.Rows || rdr.NumRowGroups() != info.RowGroups {
		t.Errorf("arrow sees %d rows in %d row groups, want %d in %d", md.NumRows, rdr.NumRowGroups(), info.Rows, info.RowGroups)
	}
	if v := md.KeyValueMetadata().FindValue("tributary.chunk"); v == nil || !bytes.Contains([]byte(*v), []byte(`"stream":"vehicle-telemetry"`)) {
		t.Errorf("key/value metadata tributary.chunk = %v", v)
	}
	sc := md.Schema
	col := func(name string) (int, *schema.Column) {
		i := sc.ColumnIndexByName(name)
		if i < 0 {
			t.Fatalf("arrow finds no column %q", name)
		}
		return i, sc.Column(i)
	}
	for _, name := range []string{"time", "received"} {
		_, c := col(name)
		ts, ok := c.LogicalType().(schema.TimestampLogicalType)
		if !ok || ts.TimeUnit() != schema.TimeUnitNanos || !ts.IsAdjustedToUTC() || c.PhysicalType() != parquet.Types.Int64 {
			t.Errorf("column %s: %v %v, want TIMESTAMP(ns, UTC) INT64", name, c.LogicalType(), c.PhysicalType())
		}
	}
	for _, f := range info.Fields {
		_, c := col(f.Column)
		if f.Decimal {
			d, ok := c.LogicalType().(schema.DecimalLogicalType)
			if !ok || d.Scale() != int32(f.Scale) || d.Precision() != 18 || c.PhysicalType() != parquet.Types.Int64 {
				t.Errorf("column %s: %v %v, want DECIMAL(18, %d) INT64", f.Column, c.LogicalType(), c.PhysicalType(), f.Scale)
			}
		}
		if c.MaxDefinitionLevel() != 1 {
			t.Errorf("field column %s is not OPTIONAL", f.Column)
		}
	}
	timeIdx, _ := col("time")
	deviceIdx, _ := col("device")
	for g := range rdr.NumRowGroups() {
		rg := md.RowGroup(g)
		sorting := rg.SortingColumns()
		if len(sorting) != 3 || int(sorting[0].ColumnIdx) != deviceIdx || int(sorting[1].ColumnIdx) != timeIdx {
			t.Errorf("row group %d sorting columns %+v", g, sorting)
		}
		cc, err := rg.ColumnChunk(timeIdx)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(cc.Encodings(), parquet.Encodings.DeltaBinaryPacked) {
			t.Errorf("time column encodings %v, want DELTA_BINARY_PACKED", cc.Encodings())
		}
		if cc.Compression().String() != "ZSTD" {
			t.Errorf("time column compression %v", cc.Compression())
		}
		if ok, err := cc.StatsSet(); !ok || err != nil {
			t.Errorf("row group %d: no time statistics (%v)", g, err)
		}
		dc, err := rg.ColumnChunk(deviceIdx)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(dc.Encodings(), parquet.Encodings.RLEDict) {
			t.Errorf("device column encodings %v, want RLE_DICTIONARY", dc.Encodings())
		}
	}
}

// checkPositions checks that each point read has the position it was
// written with (points are told apart by agent and seq).
func checkPositions(t *testing.T, points []models.Point, positions []uint64, got []models.Point, pos []uint64) {
	t.Helper()
	type key struct {
		agent string
		seq   uint64
	}
	want := make(map[key]uint64, len(points))
	for i, p := range points {
		want[key{p.Agent, p.Seq}] = positions[i]
	}
	if len(pos) != len(got) {
		t.Fatalf("arrow read %d positions for %d rows", len(pos), len(got))
	}
	for i, p := range got {
		if w := want[key{p.Agent, p.Seq}]; pos[i] != w {
			t.Fatalf("row %d (%s seq %d): position %d, written %d", i, p.Agent, p.Seq, pos[i], w)
		}
	}
}

// arrowPoints reads the whole chunk through pqarrow and rebuilds points,
// using only the column names from info, and the "pos" column when info
// says the chunk has one.
func arrowPoints(t *testing.T, rdr *file.Reader, info tier2.ChunkInfo) ([]models.Point, []uint64) {
	t.Helper()
	fr, err := pqarrow.NewFileReader(rdr, pqarrow.ArrowReadProperties{BatchSize: 1000}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		t.Fatalf("arrow cannot read the chunk: %v", err)
	}
	defer tbl.Release()
	sc := tbl.Schema()
	wantTS := &arrow.TimestampType{Unit: arrow.Nanosecond, TimeZone: "UTC"}
	for _, name := range []string{"time", "received"} {
		fs := sc.FieldIndices(name)
		if len(fs) != 1 || !arrow.TypeEqual(sc.Field(fs[0]).Type, wantTS) {
			t.Fatalf("arrow type of %s: %v, want %v", name, sc.Field(fs[0]).Type, wantTS)
		}
	}
	tr := array.NewTableReader(tbl, 700)
	defer tr.Release()
	var (
		out []models.Point
		pos []uint64
	)
	for tr.Next() {
		rec := tr.RecordBatch()
		column := func(name string) arrow.Array {
			idx := rec.Schema().FieldIndices(name)
			if len(idx) != 1 {
				t.Fatalf("arrow record has no column %q", name)
			}
			return rec.Column(idx[0])
		}
		device := column("device").(*array.String)
		tm := column("time").(*array.Timestamp)
		seq := column("seq").(*array.Uint64)
		agent := column("agent").(*array.String)
		received := column("received").(*array.Timestamp)
		if info.Positions {
			pos = append(pos, column("pos").(*array.Uint64).Uint64Values()...)
		}
		for i := range int(rec.NumRows()) {
			p := models.Point{
				Device: device.Value(i), Stream: info.Stream, Time: int64(tm.Value(i)), Seq: seq.Value(i),
				Agent: agent.Value(i), Received: int64(received.Value(i)),
			}
			for _, f := range info.Fields {
				arr := column(f.Column)
				if arr.IsNull(i) {
					continue
				}
				p.Fields = append(p.Fields, models.Field{Key: f.Key, Value: arrowValue(t, f, arr, i)})
			}
			for _, tag := range info.Tags {
				arr := column(tag.Column).(*array.String)
				if !arr.IsNull(i) {
					p.Tags = append(p.Tags, models.Tag{Key: tag.Key, Value: arr.Value(i)})
				}
			}
			out = append(out, p)
		}
	}
	if err := tr.Err(); err != nil {
		t.Fatal(err)
	}
	return out, pos
}

func arrowValue(t *testing.T, f tier2.FieldSchema, arr arrow.Array, i int) models.Value {
	t.Helper()
	switch a := arr.(type) {
	case *array.Decimal128:
		dt := a.DataType().(*arrow.Decimal128Type)
		if dt.Scale != int32(f.Scale) || f.Kind != models.KindFloat {
			t.Fatalf("column %s: arrow type %v for %+v", f.Column, dt, f)
		}
		// The decimal's text, parsed as a float64, is what pandas and
		// DuckDB give when they convert the column to floats.
		x, err := strconv.ParseFloat(a.ValueStr(i), 64)
		if err != nil {
			t.Fatal(err)
		}
		return models.Float(x)
	case *array.Float64:
		return models.Float(a.Value(i))
	case *array.Int64:
		return models.Int(a.Value(i))
	case *array.Uint64:
		return models.Uint(a.Value(i))
	case *array.Boolean:
		return models.Bool(a.Value(i))
	case *array.String:
		return models.String(a.Value(i))
	}
	t.Fatalf("column %s: unexpected arrow type %v", f.Column, arr.DataType())
	return models.Value{}
}
