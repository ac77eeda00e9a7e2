package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/tinylib/msgp/msgp"

	"github.com/tributary-iot/tributary/models"
)

// mixedPoints returns n points of writer gw-1 with seqs 1..n: a float
// (integral every tenth point), an int, a bool, a string, a uint past
// int64 on some, a tag; the last 100 also carry a field "late" and a
// float "gear", which the column formats only meet after their first
// points.
func mixedPoints(n int) []models.Point {
	out := make([]models.Point, 0, n)
	for s := 1; s <= n; s++ {
		p := models.Point{
			Device: fmt.Sprintf("veh-%d", s%7), Stream: "vt", Time: t0 + int64(s)*1e6,
			Agent: "gw-1", Seq: uint64(s),
		}
		speed := float64(s%130) + 0.25
		if s%10 == 0 {
			speed = float64(s % 130)
		}
		p.Fields = append(p.Fields,
			models.Field{Key: "speed", Value: models.Float(speed)},
			models.Field{Key: "gear", Value: models.Int(int64(s % 6))},
			models.Field{Key: "on", Value: models.Bool(s%2 == 0)},
			models.Field{Key: "mode", Value: models.String([]string{"eco", "sport, \"fast\""}[s%2])},
		)
		if s%50 == 0 {
			p.Fields = append(p.Fields, models.Field{Key: "odo", Value: models.Uint(math.MaxUint64 - uint64(s))})
		}
		if s > n-100 {
			p.Fields = append(p.Fields, models.Field{Key: "late", Value: models.Int(int64(s))})
			p.Fields[1].Value = models.Float(2.5)
		}
		p.Tags = []models.Tag{{Key: "model", Value: "sedan"}}
		p.Normalize()
		out = append(out, p)
	}
	return out
}

// t0 is 2025-11-25T12:00:00Z in Unix ns.
const t0 = int64(1764072000000000000)

// writeBody returns points as the write endpoint's NDJSON.
func writeBody(writer string, pts []models.Point) string {
	var sb strings.Builder
	for i := range pts {
		p := &pts[i]
		fmt.Fprintf(&sb, `{"writer":%q,"seq":%d,"device":%q,"time":%d,"fields":{`, writer, p.Seq, p.Device, p.Time)
		for j, f := range p.Fields {
			if j > 0 {
				sb.WriteByte(',')
			}
			k, _ := json.Marshal(f.Key)
			sb.Write(k)
			sb.WriteByte(':')
			switch f.Value.Kind() {
			case models.KindFloat:
				sb.WriteString(strconv.FormatFloat(f.Value.FloatV(), 'f', -1, 64))
				if f.Value.FloatV() == math.Trunc(f.Value.FloatV()) {
					sb.WriteString(".0")
				}
			case models.KindString:
				v, _ := json.Marshal(f.Value.Str())
				sb.Write(v)
			default:
				sb.WriteString(f.Value.String())
			}
		}
		sb.WriteString(`},"tags":{"model":"sedan"}}` + "\n")
	}
	return sb.String()
}

// get returns the body of a GET that must answer 200.
func get(t testing.TB, hs *httptest.Server, path string) []byte {
	t.Helper()
	status, body := do(t, hs, "GET", path, "")
	if status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, status, body)
	}
	return []byte(body)
}

// fillMixed writes mixedPoints(n) to stream vt, tiering the first half.
func fillMixed(t *testing.T, hs *httptest.Server, n int) map[uint64]models.Point {
	t.Helper()
	pts := mixedPoints(n)
	for i, part := range [][]models.Point{pts[:n/2], pts[n/2:]} {
		if status, body := do(t, hs, "POST", "/v1/streams/vt/points", writeBody("gw-1.normal", part)); status != 200 {
			t.Fatalf("write: %d %s", status, body)
		}
		if i == 0 {
			if status, body := do(t, hs, "POST", "/v1/streams/vt/tier", ""); status != 200 {
				t.Fatalf("tier: %d %s", status, body)
			}
		}
	}
	want := map[uint64]models.Point{}
	for _, p := range pts {
		want[p.Seq] = p
	}
	return want
}

func TestEventFormatsAgree(t *testing.T) {
	hs := newServer(t)
	const n = 5000
	want := fillMixed(t, hs, n)

	t.Run("msgpack", func(t *testing.T) {
		r := msgp.NewReader(bytes.NewReader(get(t, hs, "/v1/streams/vt/events?format=msgpack")))
		got := 0
		for {
			var p models.Point
			err := p.DecodeMsg(r)
			if msgp.Cause(err) == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			w := want[p.Seq]
			p.Received = 0
			if !p.Equal(&w) {
				t.Fatalf("seq %d: got %+v\nwant %+v", p.Seq, p, w)
			}
			got++
		}
		if got != n {
			t.Errorf("%d points, want %d", got, n)
		}
	})

	t.Run("ndjson", func(t *testing.T) {
		sc := bufio.NewScanner(bytes.NewReader(get(t, hs, "/v1/streams/vt/events")))
		got := 0
		for sc.Scan() {
			var line struct {
				Seq    uint64                     `json:"seq"`
				Fields map[string]json.RawMessage `json:"fields"`
			}
			if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
				t.Fatalf("%s: %v", sc.Text(), err)
			}
			w := want[line.Seq]
			for _, f := range w.Fields {
				raw := string(line.Fields[f.Key])
				isFloat := strings.ContainsAny(raw, ".e")
				if num := f.Value.Kind() != models.KindString && f.Value.Kind() != models.KindBool; num && isFloat != (f.Value.Kind() == models.KindFloat) {
					t.Fatalf("seq %d field %s = %s: kind %v not recognisable", line.Seq, f.Key, raw, f.Value.Kind())
				}
			}
			got++
		}
		if got != n {
			t.Errorf("%d lines, want %d", got, n)
		}
	})

	t.Run("csv", func(t *testing.T) {
		rows, err := csv.NewReader(bytes.NewReader(get(t, hs, "/v1/streams/vt/events?format=csv"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		header := strings.Join(rows[0], ",")
		if header != "time,device,agent,seq,received,gear,mode,odo,on,speed,tag_model,more" {
			t.Errorf("header %s", header)
		}
		if len(rows) != n+1 {
			t.Fatalf("%d rows, want %d", len(rows)-1, n)
		}
		for _, row := range rows[1:] {
			seq, _ := strconv.ParseUint(row[3], 10, 64)
			w := want[seq]
			tm, err := time.Parse(time.RFC3339Nano, row[0])
			if err != nil || tm.UnixNano() != w.Time || row[1] != w.Device || row[10] != "sedan" {
				t.Fatalf("row %v for %+v", row, w)
			}
			mode, _ := w.Field("mode")
			speed, _ := w.Field("speed")
			if row[6] != mode.Str() || row[9] != strconv.FormatFloat(speed.FloatV(), 'g', -1, 64) {
				t.Fatalf("row %v for %+v", row, w)
			}
			if late, ok := w.Field("late"); ok {
				wantMore := fmt.Sprintf(`{"gear":2.5,"late":%d}`, late.IntV())
				if row[11] != wantMore || row[5] != "" {
					t.Fatalf("row %v: want gear empty and more %s", row, wantMore)
				}
			} else if row[11] != "" {
				t.Fatalf("row %v: more should be empty", row)
			}
		}
	})

	t.Run("csv with fields", func(t *testing.T) {
		rows, err := csv.NewReader(bytes.NewReader(get(t, hs, "/v1/streams/vt/events?format=csv&fields=speed,late&limit=10"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(rows[0], ",") != "time,device,agent,seq,received,speed,late,tag_model" || len(rows) != 11 {
			t.Errorf("header %v, %d rows", rows[0], len(rows)-1)
		}
	})

	t.Run("parquet read by arrow", func(t *testing.T) {
		data := get(t, hs, "/v1/streams/vt/events?format=parquet")
		rdr, err := file.NewParquetReader(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("arrow cannot open the export: %v", err)
		}
		defer rdr.Close()
		fr, err := pqarrow.NewFileReader(rdr, pqarrow.ArrowReadProperties{BatchSize: 1000}, memory.DefaultAllocator)
		if err != nil {
			t.Fatal(err)
		}
		tbl, err := fr.ReadTable(context.Background())
		if err != nil {
			t.Fatalf("arrow cannot read the export: %v", err)
		}
		defer tbl.Release()
		if tbl.NumRows() != n {
			t.Fatalf("%d rows, want %d", tbl.NumRows(), n)
		}
		wantTS := &arrow.TimestampType{Unit: arrow.Nanosecond, TimeZone: "UTC"}
		if f, _ := tbl.Schema().FieldsByName("time"); len(f) != 1 || !arrow.TypeEqual(f[0].Type, wantTS) {
			t.Errorf("time column %v, want %v", f, wantTS)
		}
		tr := array.NewTableReader(tbl, 777)
		defer tr.Release()
		rows := 0
		for tr.Next() {
			rec := tr.RecordBatch()
			col := func(name string) arrow.Array {
				idx := rec.Schema().FieldIndices(name)
				if len(idx) != 1 {
					t.Fatalf("no column %q in %v", name, rec.Schema())
				}
				return rec.Column(idx[0])
			}
			seq := col("seq").(*array.Uint64)
			tm := col("time").(*array.Timestamp)
			dev := col("device").(*array.String)
			speed := col("speed").(*array.Float64)
			gear := col("gear").(*array.Int64)
			on := col("on").(*array.Boolean)
			mode := col("mode").(*array.String)
			odo := col("odo").(*array.Uint64)
			model := col("tag_model").(*array.String)
			more := col("more").(*array.String)
			for i := range int(rec.NumRows()) {
				w := want[seq.Value(i)]
				sp, _ := w.Field("speed")
				md, _ := w.Field("mode")
				o, _ := w.Field("on")
				if int64(tm.Value(i)) != w.Time || dev.Value(i) != w.Device || speed.Value(i) != sp.FloatV() ||
					mode.Value(i) != md.Str() || on.Value(i) != o.BoolV() || model.Value(i) != "sedan" {
					t.Fatalf("row %d (seq %d) differs from %+v", i, seq.Value(i), w)
				}
				if od, ok := w.Field("odo"); ok != !odo.IsNull(i) || ok && odo.Value(i) != od.UintV() {
					t.Fatalf("seq %d: odo %v, want %v", seq.Value(i), odo.Value(i), od)
				}
				if late, ok := w.Field("late"); ok {
					if !gear.IsNull(i) || more.Value(i) != fmt.Sprintf(`{"gear":2.5,"late":%d}`, late.IntV()) {
						t.Fatalf("seq %d: gear %v, more %q", seq.Value(i), gear.Value(i), more.Value(i))
					}
				} else if g, _ := w.Field("gear"); gear.Value(i) != g.IntV() || !more.IsNull(i) {
					t.Fatalf("seq %d: gear %v, more %q", seq.Value(i), gear.Value(i), more.Value(i))
				}
				rows++
			}
		}
		if err := tr.Err(); err != nil {
			t.Fatal(err)
		}
		if rows != n {
			t.Errorf("%d rows read, want %d", rows, n)
		}
	})

	t.Run("empty parquet", func(t *testing.T) {
		data := get(t, hs, "/v1/streams/vt/events?format=parquet&device=nobody")
		rdr, err := file.NewParquetReader(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("arrow cannot open an empty export: %v", err)
		}
		defer rdr.Close()
		if rdr.NumRows() != 0 {
			t.Errorf("%d rows", rdr.NumRows())
		}
	})
}
