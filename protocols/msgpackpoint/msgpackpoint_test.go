package msgpackpoint_test

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/tinylib/msgp/msgp"

	"github.com/tributary-iot/tributary/models"
	"github.com/tributary-iot/tributary/protocols/msgpackpoint"
	"github.com/tributary-iot/tributary/protocols/payload"
)

const (
	recv = 1764072000999000000
	base = 1764072000 // 2025-11-25T12:00:00Z
)

func fl(k string, v float64) models.Field { return models.Field{Key: k, Value: models.Float(v)} }
func in(k string, v int64) models.Field   { return models.Field{Key: k, Value: models.Int(v)} }
func ui(k string, v uint64) models.Field  { return models.Field{Key: k, Value: models.Uint(v)} }
func bo(k string, v bool) models.Field    { return models.Field{Key: k, Value: models.Bool(v)} }
func st(k, v string) models.Field         { return models.Field{Key: k, Value: models.String(v)} }
func tg(k, v string) models.Tag           { return models.Tag{Key: k, Value: v} }

func pt(dev, stream string, ts int64, fields []models.Field, tags ...models.Tag) models.Point {
	return models.Point{Device: dev, Stream: stream, Time: ts, Fields: fields, Tags: tags, Received: recv}
}

var truck = payload.Context{Device: "trk-1", Stream: "truck", Received: recv}

// mp builds msgpack: strings are str, []byte raw msgpack, and the rest go
// through the msgp Append functions by type.
func mp(parts ...any) []byte {
	var b []byte
	for _, x := range parts {
		switch v := x.(type) {
		case string:
			b = msgp.AppendString(b, v)
		case []byte:
			b = append(b, v...)
		case int:
			b = msgp.AppendInt64(b, int64(v))
		case int64:
			b = msgp.AppendInt64(b, v)
		case uint8:
			b = append(b, 0xcc, v)
		case uint64:
			b = msgp.AppendUint64(b, v)
		case float32:
			b = msgp.AppendFloat32(b, v)
		case float64:
			b = msgp.AppendFloat64(b, v)
		case bool:
			b = msgp.AppendBool(b, v)
		case nil:
			b = msgp.AppendNil(b)
		case mapOf:
			b = msgp.AppendMapHeader(b, uint32(v))
		case arrayOf:
			b = msgp.AppendArrayHeader(b, uint32(v))
		case time.Time:
			b = msgp.AppendTimeExt(b, v)
		default:
			panic("mp: unsupported type")
		}
	}
	return b
}

type (
	mapOf   int
	arrayOf int
)

func TestDecode(t *testing.T) {
	one := func(ts int64) []models.Point {
		return []models.Point{pt("trk-1", "truck", ts, []models.Field{in("a", 1)})}
	}
	tests := []struct {
		name string
		in   []byte
		c    payload.Context
		want []models.Point
	}{
		{"flat, all kinds", mp(mapOf(12), "fix", 5, "neg", -3, "i16", -300, "i64", int64(math.MinInt64), "u8", uint8(7),
			"u64", uint64(math.MaxUint64), "f32", float32(1.5), "f64", 52.25, "on", true, "s", "D", "nil", nil, "time", 1764072000100), truck,
			[]models.Point{pt("trk-1", "truck", base*1e9+1e8, []models.Field{fl("f32", 1.5), fl("f64", 52.25), in("fix", 5), in("i16", -300),
				in("i64", math.MinInt64), in("neg", -3), bo("on", true), st("s", "D"), ui("u64", math.MaxUint64), ui("u8", 7)})}},
		{"time int seconds", mp(mapOf(2), "time", base, "a", 1), truck, one(base * 1e9)},
		{"time uint ns", mp(mapOf(2), "ts", uint64(base*1e9+5), "a", 1), truck, one(base*1e9 + 5)},
		{"time float seconds", mp(mapOf(2), "timestamp", 1764072000.5, "a", 1), truck, one(base*1e9 + 5e8)},
		{"time string", mp(mapOf(2), "time", "2025-11-25T12:00:00.25Z", "a", 1), truck, one(base*1e9 + 25e7)},
		{"time ext 32", mp(mapOf(2), "time", time.Unix(base, 0), "a", 1), truck, one(base * 1e9)},
		{"time ext 64", mp(mapOf(2), "time", time.Unix(base, 123456789), "a", 1), truck, one(base*1e9 + 123456789)},
		{"time ext 96", mp(mapOf(2), "time", time.Unix(-5, 1), "a", 1), truck, one(-5e9 + 1)},
		{"time msgp ext 5", append(mp(mapOf(2), "time"), append(msgp.AppendTime(nil, time.Unix(base, 7)), mp("a", 1)...)...), truck, one(base*1e9 + 7)},
		{"time nil", mp(mapOf(2), "time", nil, "a", 1), truck, one(recv)},
		{"structured", mp(mapOf(7), "device", "trk-2", "stream", "haul", "time", time.Unix(base, 0), "fields", mapOf(2), "a", 1, "s", "x",
			"tags", mapOf(1), "axle", "3", "agent", "gw", "seq", uint64(9)), payload.Context{Received: recv},
			[]models.Point{pt("trk-2", "haul", base*1e9, []models.Field{in("a", 1), st("s", "x")}, tg("axle", "3"))}},
		{"context wins", mp(mapOf(3), "device", "x", "stream", "y", "a", 1), truck, one(recv)},
		{"numeric device key", mp(mapOf(2), "device", 4711, "a", 1), payload.Context{Stream: "truck", Received: recv},
			[]models.Point{pt("4711", "truck", recv, []models.Field{in("a", 1)})}},
		{"device tag key", mp(mapOf(2), "vin", "XLR1", "a", 1), payload.Context{Device: "topic", Stream: "truck", DeviceTag: "vin", Received: recv},
			[]models.Point{pt("XLR1", "truck", recv, []models.Field{in("a", 1)})}},
		{"device tag in tags", mp(mapOf(2), "fields", mapOf(1), "a", 1, "tags", mapOf(2), "vin", "XLR2", "n", 3), payload.Context{Stream: "truck", DeviceTag: "vin", Received: recv},
			[]models.Point{pt("XLR2", "truck", recv, []models.Field{in("a", 1)}, tg("n", "3"))}},
		{"tags as text", mp(mapOf(2), "a", 1, "tags", mapOf(5), "i", -2, "u", uint8(3), "f", 1.5, "b", false, "z", nil), truck,
			[]models.Point{pt("trk-1", "truck", recv, []models.Field{in("a", 1)}, tg("b", "false"), tg("f", "1.5"), tg("i", "-2"), tg("u", "3"))}},
		{"nested flatten", mp(mapOf(2), "axle", arrayOf(2), mapOf(1), "psi", 110.5, mapOf(1), "psi", 108.0, "eng", mapOf(1), "oil", mapOf(1), "t", 90), truck,
			[]models.Point{pt("trk-1", "truck", recv, []models.Field{fl("axle_0_psi", 110.5), fl("axle_1_psi", 108), in("eng_oil_t", 90)})}},
		{"array of records and a sequence", mp(arrayOf(2), mapOf(2), "a", 1, "time", 1, mapOf(2), "a", 2, "time", 2, mapOf(2), "a", 3, "time", 3), truck,
			[]models.Point{pt("trk-1", "truck", 1e9, []models.Field{in("a", 1)}), pt("trk-1", "truck", 2e9, []models.Field{in("a", 2)}), pt("trk-1", "truck", 3e9, []models.Field{in("a", 3)})}},
		{"bin key", append(mp(mapOf(1)), append(msgp.AppendBytes(nil, []byte("a")), mp(1)...)...), truck, one(recv)},
		{"duplicate keys: last wins", mp(mapOf(2), "a", 2, "a", 1), truck, one(recv)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := msgpackpoint.Decode(nil, tt.in, tt.c)
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
		for j, f := range got[i].Fields {
			if f.Value.Kind() != want[i].Fields[j].Value.Kind() {
				t.Errorf("point %d field %s: kind %v, want %v", i, f.Key, f.Value.Kind(), want[i].Fields[j].Value.Kind())
			}
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	deep := mp(mapOf(1))
	for range 20 {
		deep = append(deep, mp("a", mapOf(1))...)
	}
	deep = append(deep, mp("a", 1)...)
	badNanos := []byte{0xd7, 0xff, 0xff, 0xff, 0xff, 0xfc, 0, 0, 0, 1} // timestamp 64 with nanos > 999999999
	tests := []struct {
		name string
		in   []byte
		c    payload.Context
		err  error
	}{
		{"empty", nil, truck, payload.ErrNoPoints},
		{"empty array", mp(arrayOf(0)), truck, payload.ErrNoPoints},
		{"empty map", mp(mapOf(0)), truck, payload.ErrNoFields},
		{"only nil", mp(mapOf(1), "a", nil), truck, payload.ErrNoFields},
		{"truncated", mp(mapOf(2), "a", 1, "b"), truck, payload.ErrSyntax},
		{"truncated string", mp(mapOf(1), "a", "hello")[:8], truck, payload.ErrSyntax},
		{"huge map header", []byte{0xdf, 0xff, 0xff, 0xff, 0xff, 0xa1, 'a', 1}, truck, payload.ErrSyntax},
		{"huge array header", []byte{0xdd, 0xff, 0xff, 0xff, 0xff, 0x80}, truck, payload.ErrSyntax},
		{"huge nested array", append(mp(mapOf(1), "a"), 0xdd, 0xff, 0xff, 0xff, 0xff, 1), truck, payload.ErrSyntax},
		{"top-level int", mp(5), truck, payload.ErrSyntax},
		{"array of ints", mp(arrayOf(1), 5), truck, payload.ErrSyntax},
		{"int key", mp(mapOf(1), 5, 1), truck, payload.ErrSyntax},
		{"empty key", mp(mapOf(1), "", 1), truck, payload.ErrBadKey},
		{"bin value", append(mp(mapOf(1), "a"), msgp.AppendBytes(nil, []byte{1})...), truck, payload.ErrBadValue},
		{"ext value", append(mp(mapOf(1), "a"), 0xd4, 9, 0), truck, payload.ErrBadValue},
		{"time ext as field", mp(mapOf(1), "a", time.Unix(1, 0)), truck, payload.ErrBadValue},
		{"invalid UTF-8 string", mp(mapOf(1), "a", "\xff"), truck, payload.ErrBadValue},
		{"invalid UTF-8 key", mp(mapOf(1), "\xff", 1), truck, payload.ErrBadKey},
		{"too deep", deep, truck, payload.ErrTooDeep},
		{"long key", mp(mapOf(1), strings.Repeat("k", 300), 1), truck, payload.ErrBadKey},
		{"bool time", mp(mapOf(2), "time", true, "a", 1), truck, payload.ErrBadTime},
		{"time out of range", mp(mapOf(2), "time", uint64(math.MaxUint64), "a", 1), truck, payload.ErrBadTime},
		{"bad timestamp nanos", append(append(mp(mapOf(2), "time"), badNanos...), mp("a", 1)...), truck, payload.ErrBadTime},
		{"two time keys", mp(mapOf(3), "time", 1, "ts", 1, "a", 1), truck, payload.ErrBadTime},
		{"no device", mp(mapOf(1), "a", 1), payload.Context{Stream: "s"}, payload.ErrNoDevice},
		{"no stream", mp(mapOf(1), "a", 1), payload.Context{Device: "d"}, payload.ErrNoStream},
		{"device map", mp(mapOf(2), "device", mapOf(0), "a", 1), payload.Context{Stream: "s"}, payload.ErrBadValue},
		{"fields not a map", mp(mapOf(1), "fields", 1), truck, payload.ErrBadValue},
		{"tags not a map", mp(mapOf(2), "a", 1, "tags", 1), truck, payload.ErrBadValue},
		{"tag value map", mp(mapOf(2), "a", 1, "tags", mapOf(1), "t", mapOf(0)), truck, payload.ErrBadValue},
		{"second record bad", mp(arrayOf(2), mapOf(1), "a", 1, mapOf(1), "a", "\xff"), truck, payload.ErrBadValue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := []models.Point{pt("keep", "keep", 1, []models.Field{fl("k", 1)})}
			got, err := msgpackpoint.Decode(dst, tt.in, tt.c)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			var pe *payload.Error
			if !errors.As(err, &pe) || pe.Format != msgpackpoint.Format {
				t.Fatalf("err %v (%T) is not a msgpack *payload.Error", err, err)
			}
			if pe.Offset > len(tt.in) {
				t.Errorf("offset %d past the payload", pe.Offset)
			}
			if len(got) != 1 || got[0].Device != "keep" {
				t.Errorf("dst changed on error: %+v", got)
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	in := []models.Point{
		pt("trk 1", "haul", 1764072000123456789,
			[]models.Field{bo("b", true), fl("f", math.NaN()), fl("inf", math.Inf(-1)), in("i", math.MinInt64), in("small", 3),
				st("s", "\xffraw"), ui("u0", 0), ui("u16", 300), ui("u32", 70000), ui("u64", math.MaxUint64)},
			tg("axle", "3"), tg("e", "")),
		pt("trk-2", "x", -1, []models.Field{fl("fields", 1), in("time", 2)}, tg("time", "t")),
		pt("trk-3", "x", math.MinInt64, []models.Field{fl("a", 1)}),
		pt("trk-4", "x", math.MaxInt64, []models.Field{fl("a", 1)}),
	}
	in[0].Agent, in[0].Seq = "gw-7", 1042
	var buf []byte
	for i := range in {
		in[i].Normalize()
		var err error
		if buf, err = msgpackpoint.Append(buf, &in[i]); err != nil {
			t.Fatal(err)
		}
	}
	got, err := msgpackpoint.Decode(nil, buf, payload.Context{Received: recv})
	if err == nil || !errors.Is(err, payload.ErrBadValue) {
		t.Fatalf("invalid UTF-8 string: err = %v, want ErrBadValue", err)
	}
	in[0].SetField("s", models.String("raw ✓"))
	in[0].Agent, in[0].Seq = "", 0
	buf = buf[:0]
	for i := range in {
		if buf, err = msgpackpoint.Append(buf, &in[i]); err != nil {
			t.Fatal(err)
		}
	}
	if got, err = msgpackpoint.Decode(nil, buf, payload.Context{Received: recv}); err != nil {
		t.Fatal(err)
	}
	checkPoints(t, got, in)
}

func TestAppendInvalidValue(t *testing.T) {
	p := pt("d", "s", 0, []models.Field{{Key: "z"}})
	out, err := msgpackpoint.Append([]byte("x"), &p)
	if !errors.Is(err, payload.ErrUnencodable) || string(out) != "x" {
		t.Errorf("Append = %q, %v; want ErrUnencodable and dst unchanged", out, err)
	}
}

func TestDecodeLimits(t *testing.T) {
	many := func(n int) []byte {
		b := mp(arrayOf(n))
		for range n {
			b = append(b, mp(mapOf(1), "a", 1)...)
		}
		return b
	}
	if pts, err := msgpackpoint.Decode(nil, many(payload.MaxPoints), truck); err != nil || len(pts) != payload.MaxPoints {
		t.Fatalf("MaxPoints records: %d points, %v", len(pts), err)
	}
	if _, err := msgpackpoint.Decode(nil, many(payload.MaxPoints+1), truck); !errors.Is(err, payload.ErrTooLarge) {
		t.Errorf("MaxPoints+1 records: err = %v, want ErrTooLarge", err)
	}
	if _, err := msgpackpoint.Decode(nil, make([]byte, payload.MaxSize+1), truck); !errors.Is(err, payload.ErrTooLarge) {
		t.Errorf("MaxSize+1 bytes: err = %v, want ErrTooLarge", err)
	}
}
