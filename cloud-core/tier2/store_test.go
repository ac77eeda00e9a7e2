package tier2_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tributary-iot/tributary/cloud-core/tier2"
	"github.com/tributary-iot/tributary/models"
	"github.com/tributary-iot/tributary/simulators/truckdata"
)

// mixedPoints covers every kind, NaN and other non-decimal floats, empty
// strings, missing fields and tags, a key seen with two kinds, and field
// keys that collide with reserved or tag column names.
func mixedPoints() []models.Point {
	f := func(k string, v models.Value) models.Field { return models.Field{Key: k, Value: v} }
	tag := func(k, v string) models.Tag { return models.Tag{Key: k, Value: v} }
	p := func(dev string, tm int64, seq uint64, fields []models.Field, tags ...models.Tag) models.Point {
		return models.Point{Device: dev, Stream: "vehicle-telemetry", Time: tm, Seq: seq, Agent: "gw-" + dev,
			Received: tm + 12345, Fields: fields, Tags: tags}
	}
	base := int64(1_795_586_400_000_000_000)
	return []models.Point{
		p("truck-b", base+2000, 7, []models.Field{
			f("temp", models.Float(21.5)), f("noisy", models.Float(math.NaN())), f("count", models.Int(-7)),
			f("big", models.Uint(math.MaxUint64)), f("ok", models.Bool(true)), f("note", models.String("")),
			f("mixed", models.Int(5)), f("time", models.Float(1.25)),
		}, tag("site", ""), tag("zone", "z1")),
		p("truck-a", base+1000, 3, []models.Field{
			f("temp", models.Float(-0.125)), f("noisy", models.Float(math.Inf(1))), f("count", models.Int(math.MinInt64)),
			f("ok", models.Bool(false)), f("note", models.String("hello, world \"quoted\"\n")),
			f("mixed", models.String("five")), f("tag_zone", models.String("field, not tag")),
		}, tag("zone", "z2")),
		p("truck-a", base+1000, 2, []models.Field{
			f("temp", models.Float(100)), f("noisy", models.Float(math.Copysign(0, -1))), f("count", models.Int(math.MaxInt64)),
			f("mixed", models.Int(6)), f("", models.Float(2.5)),
		}),
		p("truck-a", base+500, 9, []models.Field{
			f("noisy", models.Float(0.1+0.2)), f("big", models.Uint(0)), f("temp", models.Float(1e-9)),
		}, tag("site", "depot")),
		p("truck-ü", base+1500, 1, []models.Field{
			f("noisy", models.Float(math.SmallestNonzeroFloat64)), f("temp", models.Float(45.123456)),
		}),
		p("truck-c", 1, 4, nil),
		p("truck-b", base+1000, 8, []models.Field{f("noisy", models.Float(-1e300)), f("temp", models.Float(3))}),
	}
}

func TestWriteReadRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts tier2.Options
	}{
		{"dir", tier2.Options{}},
		{"mem", tier2.Options{Bucket: &tier2.MemBucket{}}},
		{"tiny-row-groups", tier2.Options{RowGroupRows: 2, Compression: tier2.CompressionFastest}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openStore(t, tc.opts)
			points := mixedPoints()
			before := sorted(points)
			info := write(t, s, spec("3", 10, 16), points)
			assertPoints(t, sorted(points), before) // Write leaves its input alone
			assertPoints(t, readAll(t, s, info.Path, tier2.Filter{}), before)
		})
	}
}

func TestWriteSchema(t *testing.T) {
	s := openStore(t, tier2.Options{})
	info := write(t, s, spec("3", 10, 16), mixedPoints())
	type col struct {
		column  string
		kind    models.Kind
		decimal bool
		scale   int
	}
	want := map[string][]col{
		"":         {{"field_", models.KindFloat, true, 1}},
		"big":      {{"big", models.KindUint, false, 0}},
		"count":    {{"count", models.KindInt, false, 0}},
		"mixed":    {{"mixed", models.KindInt, false, 0}, {"mixed__string", models.KindString, false, 0}},
		"noisy":    {{"noisy", models.KindFloat, false, 0}},
		"note":     {{"note", models.KindString, false, 0}},
		"ok":       {{"ok", models.KindBool, false, 0}},
		"tag_zone": {{"field_tag_zone", models.KindString, false, 0}},
		"temp":     {{"temp", models.KindFloat, true, 9}},
		"time":     {{"field_time", models.KindFloat, true, 2}},
	}
	got := map[string][]col{}
	for _, f := range info.Fields {
		got[f.Key] = append(got[f.Key], col{f.Column, f.Kind, f.Decimal, f.Scale})
	}
	if len(got) != len(want) {
		t.Fatalf("fields %+v, want %+v", got, want)
	}
	for k, w := range want {
		g := got[k]
		if len(g) != len(w) {
			t.Fatalf("field %q: %+v, want %+v", k, g, w)
		}
		for i := range w {
			if g[i] != w[i] {
				t.Errorf("field %q: %+v, want %+v", k, g[i], w[i])
			}
		}
	}
	if len(info.Tags) != 2 || info.Tags[0] != (tier2.TagSchema{Key: "site", Column: "tag_site", Values: 2}) ||
		info.Tags[1] != (tier2.TagSchema{Key: "zone", Column: "tag_zone", Values: 2}) {
		t.Errorf("tags %+v", info.Tags)
	}
	if info.Rows != 7 || info.Devices != 4 || info.MinDevice != "truck-a" || info.MaxDevice != "truck-ü" ||
		info.MinTime != 1 || info.RowGroups != 1 || info.Bytes <= 0 {
		t.Errorf("info %+v", info)
	}
	wantPath := "stream=vehicle-telemetry/date=1970-01-01/seg-3-10-16.parquet"
	if info.Path != wantPath {
		t.Errorf("path %q, want %q", info.Path, wantPath)
	}
	read, err := s.Info(context.Background(), info.Path)
	if err != nil {
		t.Fatal(err)
	}
	if read.Path != info.Path || read.Bytes != info.Bytes || read.Rows != info.Rows || len(read.Fields) != len(info.Fields) {
		t.Errorf("Info gave %+v, Write %+v", read, info)
	}
	for i := range read.Fields {
		if read.Fields[i] != info.Fields[i] {
			t.Errorf("Info field %d: %+v, Write %+v", i, read.Fields[i], info.Fields[i])
		}
	}
}

func TestRepeatedKeysFirstWins(t *testing.T) {
	s := openStore(t, tier2.Options{})
	p := models.Point{Device: "d", Stream: "vehicle-telemetry", Time: 5, Agent: "a", Seq: 1,
		Fields: []models.Field{{Key: "x", Value: models.Float(1)}, {Key: "x", Value: models.Float(2)}},
		Tags:   []models.Tag{{Key: "t", Value: "first"}, {Key: "t", Value: "second"}}}
	info := write(t, s, spec("0", 1, 1), []models.Point{p})
	got := readAll(t, s, info.Path, tier2.Filter{})
	want := p.Clone()
	want.Fields, want.Tags = want.Fields[:1], want.Tags[:1]
	assertPoints(t, got, []models.Point{want})
}

func truckPoints(trucks int, d time.Duration) []models.Point {
	return truckdata.Generate(truckdata.Config{Trucks: trucks, Duration: d, Seed: 42})
}

func TestReadFilters(t *testing.T) {
	points := truckPoints(6, 30*time.Minute)
	all := sorted(points)
	start := time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC) // truckdata's default start
	at := func(d time.Duration) int64 { return start.Add(d).UnixNano() }
	s := openStore(t, tier2.Options{RowGroupRows: 3000, PageBytes: 2 << 10})
	info := write(t, s, spec("7", 1, uint64(len(points))), points)
	if info.RowGroups < 3 {
		t.Fatalf("want several row groups, got %d", info.RowGroups)
	}
	for _, tc := range []struct {
		name string
		f    tier2.Filter
	}{
		{"all", tier2.Filter{}},
		{"device-first", tier2.Filter{Device: truckdata.Device(0)}},
		{"device-middle", tier2.Filter{Device: truckdata.Device(3)}},
		{"device-last", tier2.Filter{Device: truckdata.Device(5)}},
		{"device-absent-between", tier2.Filter{Device: truckdata.Device(2) + "x"}},
		{"device-absent-after", tier2.Filter{Device: "zzz"}},
		{"start", tier2.Filter{Start: at(20 * time.Minute)}},
		{"end", tier2.Filter{End: at(5 * time.Minute)}},
		{"window", tier2.Filter{Start: at(10 * time.Minute), End: at(10*time.Minute + 17*time.Second)}},
		{"window-and-device", tier2.Filter{Start: at(12 * time.Minute), End: at(25 * time.Minute), Device: truckdata.Device(4)}},
		{"before-everything", tier2.Filter{End: at(-time.Hour)}},
		{"after-everything", tier2.Filter{Start: at(time.Hour)}},
		{"fields", tier2.Filter{Fields: []string{truckdata.FieldLat, truckdata.FieldEngine, "no-such-field"}}},
		{"no-fields", tier2.Filter{Fields: []string{}, Device: truckdata.Device(1)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := filtered(all, tc.f)
			assertPoints(t, readAll(t, s, info.Path, tc.f), want)
			n, err := s.Count(context.Background(), info.Path, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if n != int64(len(want)) {
				t.Errorf("Count = %d, want %d", n, len(want))
			}
		})
	}
}

func TestReadStopsOnCallbackError(t *testing.T) {
	s := openStore(t, tier2.Options{})
	info := write(t, s, spec("0", 1, 2), truckPoints(2, time.Minute))
	stop := errors.New("enough")
	n := 0
	err := s.Read(context.Background(), info.Path, tier2.Filter{}, func(*models.Point) error {
		n++
		if n == 10 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 10 {
		t.Fatalf("Read returned %v after %d points, want %v after 10", err, n, stop)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Read(ctx, info.Path, tier2.Filter{}, func(*models.Point) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("Read with a cancelled context: %v", err)
	}
}

func TestWriteErrors(t *testing.T) {
	s := openStore(t, tier2.Options{})
	ctx := context.Background()
	one := truckPoints(1, time.Second)
	for _, tc := range []struct {
		name   string
		spec   tier2.ChunkSpec
		points []models.Point
		want   error
	}{
		{"no-points", spec("0", 1, 1), nil, tier2.ErrNoPoints},
		{"bad-stream", tier2.ChunkSpec{Stream: "a/b", Segment: "0", FirstPos: 1, LastPos: 1}, one, tier2.ErrBadSpec},
		{"empty-stream", tier2.ChunkSpec{Segment: "0"}, one, tier2.ErrBadSpec},
		{"bad-segment", spec("../0", 1, 1), one, tier2.ErrBadSpec},
		{"dot-segment", spec(".0", 1, 1), one, tier2.ErrBadSpec},
		{"positions", spec("0", 5, 4), one, tier2.ErrBadSpec},
		{"row-positions-count", withPositions(spec("0", 1, 2), 1, 2), one, tier2.ErrBadSpec},
		{"row-position-outside", withPositions(spec("0", 1, 2), 3), one, tier2.ErrBadSpec},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := s.Write(ctx, tc.spec, tc.points); !errors.Is(err, tc.want) {
				t.Fatalf("Write: %v, want %v", err, tc.want)
			}
		})
	}
	if _, err := tier2.Open(ctx, tier2.Options{}); err == nil {
		t.Error("Open without a root or bucket succeeded")
	}
	if _, err := tier2.Open(ctx, tier2.Options{Root: t.TempDir(), Compression: 99}); err == nil {
		t.Error("Open with an unknown compression succeeded")
	}
}

func TestPathErrors(t *testing.T) {
	s := openStore(t, tier2.Options{})
	ctx := context.Background()
	info := write(t, s, spec("0", 1, 1), truckPoints(1, time.Second))
	for _, tc := range []struct {
		path string
		want error
	}{
		{"../x.parquet", tier2.ErrBadPath},
		{"/abs/x.parquet", tier2.ErrBadPath},
		{"stream=a/x.csv", tier2.ErrBadPath},
		{"", tier2.ErrBadPath},
		{filepath.Dir(info.Path) + "/.tmp-x.parquet.1.tmp", tier2.ErrBadPath},
		{"stream=a/date=2026-01-01/seg-0-1-1.parquet", tier2.ErrNotFound},
	} {
		err := s.Read(ctx, tc.path, tier2.Filter{}, func(*models.Point) error { return nil })
		if !errors.Is(err, tc.want) {
			t.Errorf("Read(%q): %v, want %v", tc.path, err, tc.want)
		}
		if _, err := s.Info(ctx, tc.path); !errors.Is(err, tc.want) {
			t.Errorf("Info(%q): %v, want %v", tc.path, err, tc.want)
		}
	}
}

func TestRemove(t *testing.T) {
	root := t.TempDir()
	s := openStore(t, tier2.Options{Root: root})
	ctx := context.Background()
	info := write(t, s, spec("0", 1, 1), truckPoints(1, time.Second))
	if err := s.Remove(ctx, info.Path); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(ctx, info.Path); err != nil {
		t.Fatalf("second Remove: %v", err)
	}
	if _, err := s.Info(ctx, info.Path); !errors.Is(err, tier2.ErrNotFound) {
		t.Fatalf("Info after Remove: %v", err)
	}
	if m, _ := filepath.Glob(filepath.Join(root, "*")); len(m) != 0 {
		t.Errorf("Remove left directories: %v", m)
	}
}

func TestRewriteReplaces(t *testing.T) {
	s := openStore(t, tier2.Options{})
	points := truckPoints(2, time.Minute)
	a := write(t, s, spec("0", 1, 9), points[:50])
	b := write(t, s, spec("0", 1, 9), points[:50])
	if a.Path != b.Path || a.Bytes != b.Bytes {
		t.Fatalf("rewrite: %+v vs %+v", a, b)
	}
	assertPoints(t, readAll(t, s, b.Path, tier2.Filter{}), sorted(points[:50]))
}

func TestConcurrentWritesAndReads(t *testing.T) {
	s := openStore(t, tier2.Options{RowGroupRows: 500})
	points := truckPoints(4, 10*time.Minute)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 4 {
		wg.Go(func() {
			part := points[i*len(points)/4 : (i+1)*len(points)/4]
			info, err := s.Write(context.Background(), spec("0", uint64(i*1000), uint64(i*1000+999)), part)
			if err != nil {
				errs <- err
				return
			}
			n := 0
			err = s.Read(context.Background(), info.Path, tier2.Filter{}, func(*models.Point) error { n++; return nil })
			if err == nil && n != len(part) {
				err = errors.New("short read")
			}
			if err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// highCardinalityPoints returns 40k points with a distinct 60-byte message
// field and trip tag each: they outgrow the dictionary limit, so later pages
// of those column chunks fall back to PLAIN.
func highCardinalityPoints() []models.Point {
	points := truckPoints(4, 3*time.Hour)[:40_000]
	for i := range points {
		points[i].SetField("message", models.String(fmt.Sprintf("event %08d: %s", i, strings.Repeat("x", 44))))
		points[i].SetTag("trip", fmt.Sprintf("trip-%06d", i))
	}
	return points
}

func TestHighCardinalityStrings(t *testing.T) {
	points := highCardinalityPoints()
	root := t.TempDir()
	s := openStore(t, tier2.Options{Root: root, PageBytes: 64 << 10})
	info := write(t, s, spec("0", 1, 1), points)
	assertPoints(t, readAll(t, s, info.Path, tier2.Filter{}), sorted(points))
	dev := truckdata.Device(2)
	assertPoints(t, readAll(t, s, info.Path, tier2.Filter{Device: dev}), filtered(sorted(points), tier2.Filter{Device: dev}))

	f, err := os.Open(filepath.Join(root, filepath.FromSlash(info.Path)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	plainPages := 0
	for _, c := range pf.Metadata().RowGroups[0].Columns {
		for _, es := range c.MetaData.EncodingStats {
			if c.MetaData.PathInSchema[0] == "message" && es.PageType == format.DataPageV2 && es.Encoding == format.Plain {
				plainPages += int(es.Count)
			}
		}
	}
	if plainPages == 0 {
		t.Error("no PLAIN data pages in the message column: the dictionary fallback was not exercised")
	}
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	s := openStore(t, tier2.Options{Registerer: reg})
	points := truckPoints(2, time.Minute)
	info := write(t, s, spec("0", 1, 1), points)
	readAll(t, s, info.Path, tier2.Filter{})
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range families {
		if m := mf.GetMetric(); len(m) == 1 && m[0].GetCounter() != nil {
			got[mf.GetName()] = m[0].GetCounter().GetValue()
		}
	}
	for name, want := range map[string]float64{
		"tributary_tier2_chunks_written_total": 1,
		"tributary_tier2_rows_written_total":   float64(len(points)),
		"tributary_tier2_bytes_written_total":  float64(info.Bytes),
		"tributary_tier2_rows_read_total":      float64(len(points)),
	} {
		if got[name] != want {
			t.Errorf("%s = %v, want %v", name, got[name], want)
		}
	}
	if _, err := tier2.Open(context.Background(), tier2.Options{Root: t.TempDir(), Registerer: reg}); err == nil {
		t.Error("a second store on the same registry registered its metrics twice")
	}
}

// withPositions returns sp with per-point positions.
func withPositions(sp tier2.ChunkSpec, pos ...uint64) tier2.ChunkSpec {
	sp.Positions = pos
	return sp
}

// messagePositions numbers points as tier 1 would hold them, in their
// order, per messages of n points from position first on.
func messagePositions(points []models.Point, first uint64, n int) []uint64 {
	pos := make([]uint64, len(points))
	for i := range pos {
		pos[i] = first + uint64(i/n)
	}
	return pos
}

// TestReadFromPosition: a chunk written with its points' tier-1 positions
// reads exactly the points of any range of positions inside it, with the
// other filters too; one written without them refuses to.
func TestReadFromPosition(t *testing.T) {
	ctx := context.Background()
	points := truckPoints(6, 20*time.Minute)
	pos := messagePositions(points, 10, 97)
	last := pos[len(pos)-1]
	s := openStore(t, tier2.Options{RowGroupRows: 2000, PageBytes: 2 << 10})
	info := write(t, s, withPositions(spec("3", 10, last), pos...), points)
	if !info.Positions || info.RowGroups < 3 {
		t.Fatalf("info %+v: want positions and several row groups", info)
	}
	if back, err := s.Info(ctx, info.Path); err != nil || !back.Positions {
		t.Fatalf("Info from the footer: %+v %v", back, err)
	}
	between := func(f tier2.Filter) []models.Point {
		var out []models.Point
		for i := range points {
			if pos[i] >= f.FromPos && (f.ToPos == 0 || pos[i] <= f.ToPos) {
				out = append(out, points[i])
			}
		}
		return sorted(out)
	}
	start := time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC).Add(5 * time.Minute).UnixNano()
	for _, f := range []tier2.Filter{
		{FromPos: 10}, {FromPos: 11}, {FromPos: (10 + last) / 2}, {FromPos: last}, {FromPos: last + 1},
		{FromPos: 40, Device: truckdata.Device(2)}, {FromPos: 40, Start: start}, {FromPos: 25, Fields: []string{}},
		{ToPos: 10}, {ToPos: 30}, {ToPos: last}, {FromPos: 20, ToPos: 20}, {FromPos: 20, ToPos: 44, Device: truckdata.Device(5)},
	} {
		want := filtered(between(f), f)
		assertPoints(t, readAll(t, s, info.Path, f), want)
		if n, err := s.Count(ctx, info.Path, f); err != nil || n != int64(len(want)) {
			t.Errorf("Count(%+v) = %d %v, want %d", f, n, err, len(want))
		}
	}

	plain := write(t, s, spec("4", 10, last), points)
	if plain.Positions {
		t.Fatal("chunk written without positions says it has them")
	}
	assertPoints(t, readAll(t, s, plain.Path, tier2.Filter{FromPos: 10}), sorted(points))
	err := s.Read(ctx, plain.Path, tier2.Filter{FromPos: 11}, func(*models.Point) error { return nil })
	if !errors.Is(err, tier2.ErrNoPositions) {
		t.Fatalf("read inside a chunk without positions: %v", err)
	}
	if _, err := s.Count(ctx, plain.Path, tier2.Filter{FromPos: 11}); !errors.Is(err, tier2.ErrNoPositions) {
		t.Fatalf("count inside a chunk without positions: %v", err)
	}
	if _, err := s.Count(ctx, plain.Path, tier2.Filter{ToPos: last - 1}); !errors.Is(err, tier2.ErrNoPositions) {
		t.Fatalf("count of a head of a chunk without positions: %v", err)
	}
}
