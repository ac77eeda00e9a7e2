package lineproto_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/tributary-iot/tributary/models"
	"github.com/tributary-iot/tributary/protocols/lineproto"
	"github.com/tributary-iot/tributary/protocols/payload"
)

const recv = 1764072000999000000

func fl(k string, v float64) models.Field { return models.Field{Key: k, Value: models.Float(v)} }
func in(k string, v int64) models.Field   { return models.Field{Key: k, Value: models.Int(v)} }
func ui(k string, v uint64) models.Field  { return models.Field{Key: k, Value: models.Uint(v)} }
func bo(k string, v bool) models.Field    { return models.Field{Key: k, Value: models.Bool(v)} }
func st(k, v string) models.Field         { return models.Field{Key: k, Value: models.String(v)} }

func pt(dev, stream string, ts int64, fields []models.Field, tags ...models.Tag) models.Point {
	return models.Point{Device: dev, Stream: stream, Time: ts, Fields: fields, Tags: tags, Received: recv}
}

func TestDecode(t *testing.T) {
	ctx := payload.Context{Device: "veh-1", Received: recv}
	tagCtx := payload.Context{Device: "topic-dev", DeviceTag: "vin", Received: recv}
	tests := []struct {
		name string
		in   string
		c    payload.Context
		want []models.Point
	}{
		{"all kinds", `telemetry,model=sedan f=52.5,i=-5i,u=7u,b=true,b2=F,s="hi",e=1e3,n=-0.25 1764072000100000000`, ctx,
			[]models.Point{pt("veh-1", "telemetry", 1764072000100000000,
				[]models.Field{bo("b", true), bo("b2", false), fl("e", 1000), fl("f", 52.5), in("i", -5), fl("n", -0.25), st("s", "hi"), ui("u", 7)},
				models.Tag{Key: "model", Value: "sedan"})}},
		{"integer-looking float", `m f=5`, ctx, []models.Point{pt("veh-1", "m", recv, []models.Field{fl("f", 5)})}},
		{"bool spellings", `m a=t,b=True,c=TRUE,d=f,e=false,g=FALSE`, ctx,
			[]models.Point{pt("veh-1", "m", recv, []models.Field{bo("a", true), bo("b", true), bo("c", true), bo("d", false), bo("e", false), bo("g", false)})}},
		{"no timestamp takes receive time", `m f=1`, ctx, []models.Point{pt("veh-1", "m", recv, []models.Field{fl("f", 1)})}},
		{"negative timestamp", `m f=1 -5`, ctx, []models.Point{pt("veh-1", "m", -5, []models.Field{fl("f", 1)})}},
		{"int extremes", `m a=-9223372036854775808i,b=18446744073709551615u`, ctx,
			[]models.Point{pt("veh-1", "m", recv, []models.Field{in("a", math.MinInt64), ui("b", math.MaxUint64)})}},
		{"several lines, comments, blank lines, CRLF", "# header\n\nm1 a=1 1\r\nm2,t=x b=2i 2\n\n# trailer\nm1 a=3 3\n", ctx,
			[]models.Point{
				pt("veh-1", "m1", 1, []models.Field{fl("a", 1)}),
				pt("veh-1", "m2", 2, []models.Field{in("b", 2)}, models.Tag{Key: "t", Value: "x"}),
				pt("veh-1", "m1", 3, []models.Field{fl("a", 3)}),
			}},
		{"escapes", `m,ta\ g\,k\=y=v\,1\=x\ y f\ k\=\,="a\"b\\c\nd",plain="x\qy" 9`, ctx,
			[]models.Point{pt("veh-1", "m", 9, []models.Field{st("f k=,", "a\"b\\c\nd"), st("plain", `x\qy`)},
				models.Tag{Key: "ta g,k=y", Value: "v,1=x y"})}},
		{"unicode", `m,ort=München temp=-3.5,note="Straße ✓" 1`, ctx,
			[]models.Point{pt("veh-1", "m", 1, []models.Field{st("note", "Straße ✓"), fl("temp", -3.5)}, models.Tag{Key: "ort", Value: "München"})}},
		{"fields and tags sorted, last duplicate wins", `m,z=1,a=2,z=3 c=1,a=2,c=3`, ctx,
			[]models.Point{pt("veh-1", "m", recv, []models.Field{fl("a", 2), fl("c", 3)}, models.Tag{Key: "a", Value: "2"}, models.Tag{Key: "z", Value: "3"})}},
		{"device from tag", `m,vin=WVW123,x=1 f=1`, tagCtx,
			[]models.Point{pt("WVW123", "m", recv, []models.Field{fl("f", 1)}, models.Tag{Key: "x", Value: "1"})}},
		{"device tag missing: topic device", `m,x=1 f=1`, tagCtx,
			[]models.Point{pt("topic-dev", "m", recv, []models.Field{fl("f", 1)}, models.Tag{Key: "x", Value: "1"})}},
		{"device tag per line", "m,vin=A f=1\nm,vin=B f=2\n", payload.Context{DeviceTag: "vin", Received: recv},
			[]models.Point{pt("A", "m", recv, []models.Field{fl("f", 1)}), pt("B", "m", recv, []models.Field{fl("f", 2)})}},
		{"context stream is not used", `m f=1`, payload.Context{Device: "d", Stream: "other", Received: recv},
			[]models.Point{pt("d", "m", recv, []models.Field{fl("f", 1)})}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := lineproto.Decode(nil, []byte(tt.in), tt.c)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			checkPoints(t, got, tt.want)
		})
	}
}

func checkPoints(t *testing.T, got, want []models.Point) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d points, want %d:\n%+v", len(got), len(want), got)
	}
	for i := range got {
		if !got[i].Equal(&want[i]) {
			t.Errorf("point %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	ctx := payload.Context{Device: "veh-1", Received: recv}
	tests := []struct {
		name string
		in   string
		c    payload.Context
		err  error
		line int
	}{
		{"empty", "", ctx, payload.ErrNoPoints, 0},
		{"only comments", "# a\n\n# b\n", ctx, payload.ErrNoPoints, 0},
		{"no fields", "m,t=1", ctx, payload.ErrSyntax, 1},
		{"no field value", "m f=", ctx, payload.ErrSyntax, 1},
		{"bad int", "m f=1.5i", ctx, payload.ErrSyntax, 1},
		{"int overflow", "m f=9223372036854775808i", ctx, payload.ErrSyntax, 1},
		{"negative uint", "m f=-1u", ctx, payload.ErrSyntax, 1},
		{"bad bool", "m f=tru", ctx, payload.ErrSyntax, 1},
		{"unterminated string", `m f="abc`, ctx, payload.ErrSyntax, 1},
		{"bad timestamp", "m f=1 12a", ctx, payload.ErrSyntax, 1},
		{"timestamp out of range", "m f=1 99999999999999999999", ctx, payload.ErrBadTime, 1},
		{"lone minus timestamp", "m f=1 -", ctx, payload.ErrBadTime, 1},
		{"error on line 3", "m f=1\nm f=2\nm f=\nm f=4\n", ctx, payload.ErrSyntax, 3},
		{"bad stream name", "cpu.load f=1", ctx, models.ErrBadID, 1},
		{"escaped measurement is no valid id", `my\,m f=1`, ctx, models.ErrBadID, 1},
		{"no device", "m f=1", payload.Context{Received: recv}, payload.ErrNoDevice, 1},
		{"device tag missing, no topic device", "m,x=1 f=1", payload.Context{DeviceTag: "vin"}, payload.ErrNoDevice, 1},
		{"device tag missing on line 2", "m,vin=a f=1\nm,x=1 f=1", payload.Context{DeviceTag: "vin"}, payload.ErrNoDevice, 2},
		{"bad device", "m,vin=a\x7fb f=1", payload.Context{DeviceTag: "vin"}, payload.ErrSyntax, 1},
		{"invalid utf-8", "m f=\"\xff\"", ctx, payload.ErrSyntax, 1},
		{"long key", "m " + strings.Repeat("k", 300) + "=1", ctx, payload.ErrBadKey, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := make([]models.Point, 1, 4)
			dst[0] = pt("keep", "keep", 1, []models.Field{fl("k", 1)})
			got, err := lineproto.Decode(dst, []byte(tt.in), tt.c)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			var pe *payload.Error
			if !errors.As(err, &pe) {
				t.Fatalf("err %T is not a *payload.Error", err)
			}
			if pe.Format != lineproto.Format || pe.Line != tt.line {
				t.Errorf("error %q: format %q line %d, want line %d", err, pe.Format, pe.Line, tt.line)
			}
			if len(got) != 1 || got[0].Device != "keep" {
				t.Errorf("dst changed on error: %+v", got)
			}
		})
	}
}

func TestDecodeAppendsAndReuses(t *testing.T) {
	ctx := payload.Context{Device: "d", Received: recv}
	data := []byte("m a=1,b=2,c=3 1\nm a=4,b=5,c=6 2\n")
	pts, err := lineproto.Decode(nil, data, ctx)
	if err != nil {
		t.Fatal(err)
	}
	pts, err = lineproto.Decode(pts, data, ctx)
	if err != nil || len(pts) != 4 {
		t.Fatalf("append: %d points, %v", len(pts), err)
	}
	// The payload's bytes may change after Decode: points own their strings.
	copy(data, "x b=9,c=9,d=9 7\nx")
	if pts[0].Stream != "m" || pts[0].Fields[0].Key != "a" {
		t.Fatalf("point changed with the payload: %+v", pts[0])
	}
	// Reusing the slice keeps the field capacity of the points it had.
	fieldsBefore := &pts[1].Fields[:1][0]
	again, err := lineproto.Decode(pts[:1], []byte("m x=1,y=2 2\n"), ctx)
	if err != nil {
		t.Fatal(err)
	}
	if &again[1].Fields[0] != fieldsBefore {
		t.Errorf("the second point's Fields array was not reused")
	}
	want := pt("d", "m", 2, []models.Field{fl("x", 1), fl("y", 2)})
	if len(again) != 2 || !again[1].Equal(&want) {
		t.Errorf("reused point = %+v, want %+v", again[1], want)
	}
}

func TestAppend(t *testing.T) {
	tests := []struct {
		name string
		p    models.Point
		o    lineproto.AppendOptions
		want string
	}{
		{"all kinds", pt("veh-1", "telemetry", 1764072000100000000,
			[]models.Field{bo("b", true), bo("c", false), fl("f", 52.5), in("i", -5), st("s", "hi"), ui("u", 7), fl("w", 5)},
			models.Tag{Key: "model", Value: "sedan"}), lineproto.AppendOptions{},
			`telemetry,model=sedan b=t,c=f,f=52.5,i=-5i,s="hi",u=7u,w=5 1764072000100000000` + "\n"},
		{"device tag in sorted place", pt("veh-1", "m", 1, []models.Field{fl("f", 1)},
			models.Tag{Key: "a", Value: "1"}, models.Tag{Key: "z", Value: "2"}), lineproto.AppendOptions{DeviceTag: "device"},
			"m,a=1,device=veh-1,z=2 f=1 1\n"},
		{"device tag last", pt("veh-1", "m", 1, []models.Field{fl("f", 1)}, models.Tag{Key: "a", Value: "1"}),
			lineproto.AppendOptions{DeviceTag: "vin"}, "m,a=1,vin=veh-1 f=1 1\n"},
		{"device tag replaces a tag of that name", pt("veh-1", "m", 1, []models.Field{fl("f", 1)}, models.Tag{Key: "vin", Value: "old"}),
			lineproto.AppendOptions{DeviceTag: "vin"}, "m,vin=veh-1 f=1 1\n"},
		{"escapes", pt("d", "m ,x", 0, []models.Field{st("k =,", "a\"b\\c\nd\te\r")}, models.Tag{Key: "t =,", Value: "v =,"}),
			lineproto.AppendOptions{}, `m\ \,x,t\ \=\,=v\ \=\, k\ \=\,="a\"b\\c\nd\te\r" 0` + "\n"},
		{"big float", pt("d", "m", 0, []models.Field{fl("f", 1e300), fl("g", -1e-300)}), lineproto.AppendOptions{}, "m f=1e+300,g=-1e-300 0\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := lineproto.Append([]byte("prefix\n"), &tt.p, tt.o)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != "prefix\n"+tt.want {
				t.Errorf("got  %q\nwant %q", got, "prefix\n"+tt.want)
			}
		})
	}
}

func TestAppendUnencodable(t *testing.T) {
	tests := []struct {
		name string
		p    models.Point
		o    lineproto.AppendOptions
	}{
		{"no fields", pt("d", "m", 0, nil), lineproto.AppendOptions{}},
		{"NaN", pt("d", "m", 0, []models.Field{fl("f", math.NaN())}), lineproto.AppendOptions{}},
		{"Inf", pt("d", "m", 0, []models.Field{fl("f", math.Inf(-1))}), lineproto.AppendOptions{}},
		{"invalid value", pt("d", "m", 0, []models.Field{{Key: "f"}}), lineproto.AppendOptions{}},
		{"empty tag value", pt("d", "m", 0, []models.Field{fl("f", 1)}, models.Tag{Key: "t"}), lineproto.AppendOptions{}},
		{"newline in tag", pt("d", "m", 0, []models.Field{fl("f", 1)}, models.Tag{Key: "t", Value: "a\nb"}), lineproto.AppendOptions{}},
		{"trailing backslash", pt("d", "m", 0, []models.Field{fl(`f\`, 1)}), lineproto.AppendOptions{}},
		{"comment stream", pt("d", "#m", 0, []models.Field{fl("f", 1)}), lineproto.AppendOptions{}},
		{"empty stream", pt("d", "", 0, []models.Field{fl("f", 1)}), lineproto.AppendOptions{}},
		{"bad utf-8 string", pt("d", "m", 0, []models.Field{st("f", "\xff")}), lineproto.AppendOptions{}},
		{"device with newline", pt("a\nb", "m", 0, []models.Field{fl("f", 1)}), lineproto.AppendOptions{DeviceTag: "device"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := lineproto.Append([]byte("x"), &tt.p, tt.o)
			if !errors.Is(err, payload.ErrUnencodable) {
				t.Fatalf("err = %v, want ErrUnencodable", err)
			}
			if string(got) != "x" {
				t.Errorf("dst changed: %q", got)
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	ctx := payload.Context{DeviceTag: "device", Received: recv}
	in := []models.Point{
		pt("veh 1,=", "telemetry", 1764072000100000000,
			[]models.Field{bo("b", true), fl("f", -0.0), in("i", math.MinInt64), st("s", "quote\" back\\ nl\n"), ui("u", math.MaxUint64)},
			models.Tag{Key: "a b", Value: "c,d"}),
		pt("veh-2", "other", -1, []models.Field{fl("tiny", math.SmallestNonzeroFloat64), fl("x", math.MaxFloat64)}),
	}
	var buf []byte
	for i := range in {
		var err error
		if buf, err = lineproto.Append(buf, &in[i], lineproto.AppendOptions{DeviceTag: "device"}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := lineproto.Decode(nil, buf, ctx)
	if err != nil {
		t.Fatalf("Decode(%q): %v", buf, err)
	}
	checkPoints(t, got, in)
}

func TestDecodeLimits(t *testing.T) {
	ctx := payload.Context{Device: "d", Received: recv}
	if pts, err := lineproto.Decode(nil, []byte(strings.Repeat("m f=1\n", payload.MaxPoints)), ctx); err != nil || len(pts) != payload.MaxPoints {
		t.Fatalf("MaxPoints lines: %d points, %v", len(pts), err)
	}
	if _, err := lineproto.Decode(nil, []byte(strings.Repeat("m f=1\n", payload.MaxPoints+1)), ctx); !errors.Is(err, payload.ErrTooLarge) {
		t.Errorf("MaxPoints+1 lines: err = %v, want ErrTooLarge", err)
	}
	if _, err := lineproto.Decode(nil, make([]byte, payload.MaxSize+1), ctx); !errors.Is(err, payload.ErrTooLarge) {
		t.Errorf("MaxSize+1 bytes: err = %v, want ErrTooLarge", err)
	}
}
