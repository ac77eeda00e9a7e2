package jsonpoint_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/tributary-iot/tributary/models"
	"github.com/tributary-iot/tributary/protocols/jsonpoint"
	"github.com/tributary-iot/tributary/protocols/payload"
)

const (
	recv = 1764072000999000000
	base = 1764072000 // 2025-11-25T12:00:00Z
)

func fl(k string, v float64) models.Field { return models.Field{Key: k, Value: models.Float(v)} }
func bo(k string, v bool) models.Field    { return models.Field{Key: k, Value: models.Bool(v)} }
func st(k, v string) models.Field         { return models.Field{Key: k, Value: models.String(v)} }
func tg(k, v string) models.Tag           { return models.Tag{Key: k, Value: v} }

func pt(dev, stream string, ts int64, fields []models.Field, tags ...models.Tag) models.Point {
	return models.Point{Device: dev, Stream: stream, Time: ts, Fields: fields, Tags: tags, Received: recv}
}

var car = payload.Context{Device: "veh-1", Stream: "car", Received: recv}

func TestDecode(t *testing.T) {
	one := func(ts int64) []models.Point {
		return []models.Point{pt("veh-1", "car", ts, []models.Field{fl("a", 1)})}
	}
	tests := []struct {
		name string
		in   string
		c    payload.Context
		want []models.Point
	}{
		{"flat, all kinds", `{"time":1764072000100,"speed":52.5,"rpm":2000,"on":true,"off":false,"gear":"D","x":null}`, car,
			[]models.Point{pt("veh-1", "car", base*1e9+1e8, []models.Field{st("gear", "D"), bo("off", false), bo("on", true), fl("rpm", 2000), fl("speed", 52.5)})}},
		{"time in seconds", `{"time":1764072000,"a":1}`, car, one(base * 1e9)},
		{"time in fractional seconds", `{"time":1764072000.123456789,"a":1}`, car, one(base*1e9 + 123456789)},
		{"time in ms", `{"ts":1764072000123,"a":1}`, car, one(base*1e9 + 123e6)},
		{"time in us", `{"timestamp":1764072000123456,"a":1}`, car, one(base*1e9 + 123456e3)},
		{"time in ns", `{"time":1764072000123456789,"a":1}`, car, one(base*1e9 + 123456789)},
		{"time with exponent", `{"time":1.764072e9,"a":1}`, car, one(1764072000 * 1e9)},
		{"time RFC 3339", `{"time":"2025-11-25T13:00:00.5+01:00","a":1}`, car, one(base*1e9 + 5e8)},
		{"time numeric string", `{"time":"1764072000123","a":1}`, car, one(base*1e9 + 123e6)},
		{"time null", `{"time":null,"a":1}`, car, one(recv)},
		{"time missing", `{"a":1}`, car, one(recv)},
		{"structured", `{"device":"veh-2","stream":"trip","time":"2025-11-25T12:00:00Z","fields":{"a":1,"s":"x"},"tags":{"model":"sedan"},"agent":"gw-7","seq":1042}`,
			payload.Context{Received: recv},
			[]models.Point{pt("veh-2", "trip", base*1e9, []models.Field{fl("a", 1), st("s", "x")}, tg("model", "sedan"))}},
		{"structured ignores other keys", `{"b":2,"fields":{"a":1},"c":3}`, car, one(recv)},
		{"context wins over keys", `{"device":"other","stream":"other","a":1}`, car, one(recv)},
		{"flat with device and stream keys", `{"device":"veh-9","stream":"s9","a":1}`, payload.Context{Received: recv},
			[]models.Point{pt("veh-9", "s9", recv, []models.Field{fl("a", 1)})}},
		{"numeric device", `{"device":12345,"a":1}`, payload.Context{Stream: "car", Received: recv},
			[]models.Point{pt("12345", "car", recv, []models.Field{fl("a", 1)})}},
		{"device tag key", `{"vin":"WVW1","a":1}`, payload.Context{Device: "topic", Stream: "car", DeviceTag: "vin", Received: recv},
			[]models.Point{pt("WVW1", "car", recv, []models.Field{fl("a", 1)})}},
		{"device tag in tags", `{"fields":{"a":1},"tags":{"vin":"WVW2","x":"y"}}`, payload.Context{Stream: "car", DeviceTag: "vin", Received: recv},
			[]models.Point{pt("WVW2", "car", recv, []models.Field{fl("a", 1)}, tg("x", "y"))}},
		{"device tag missing: context", `{"a":1}`, payload.Context{Device: "veh-1", Stream: "car", DeviceTag: "vin", Received: recv}, one(recv)},
		{"device tag null: device key", `{"vin":null,"device":"veh-1","a":1}`, payload.Context{Stream: "car", DeviceTag: "vin", Received: recv}, one(recv)},
		{"nested objects and arrays flatten", `{"gps":{"lat":48.1,"lon":11.5,"fix":{"ok":true}},"acc":[1,2,[3]],"e":{},"n":[]}`, car,
			[]models.Point{pt("veh-1", "car", recv, []models.Field{fl("acc_0", 1), fl("acc_1", 2), fl("acc_2_0", 3), bo("gps_fix_ok", true), fl("gps_lat", 48.1), fl("gps_lon", 11.5)})}},
		{"nested inside fields", `{"fields":{"gps":{"lat":1}}}`, car, []models.Point{pt("veh-1", "car", recv, []models.Field{fl("gps_lat", 1)})}},
		{"array of records", `[{"a":1,"time":1},{"a":2,"time":2}]`, car,
			[]models.Point{pt("veh-1", "car", 1e9, []models.Field{fl("a", 1)}), pt("veh-1", "car", 2e9, []models.Field{fl("a", 2)})}},
		{"NDJSON and empty arrays", "{\"a\":1,\"time\":1}\n[]\n[{\"a\":2,\"time\":2}]\r\n", car,
			[]models.Point{pt("veh-1", "car", 1e9, []models.Field{fl("a", 1)}), pt("veh-1", "car", 2e9, []models.Field{fl("a", 2)})}},
		{"escapes", `{"k\"e\\y\/":"a\\b\u00e9\ud83d\ude00\n\t\r\b\f","lone":"\ud800x"}`, car,
			[]models.Point{pt("veh-1", "car", recv, []models.Field{st("k\"e\\y/", "a\\bé😀\n\t\r\b\f"), st("lone", "\uFFFDx")})}},
		{"unicode", `{"Straße":"München ✓"}`, car, []models.Point{pt("veh-1", "car", recv, []models.Field{st("Straße", "München ✓")})}},
		{"tag values as written", `{"fields":{"a":1},"tags":{"n":12.50,"b":true,"f":false,"z":null,"s":""}}`, car,
			[]models.Point{pt("veh-1", "car", recv, []models.Field{fl("a", 1)}, tg("b", "true"), tg("f", "false"), tg("n", "12.50"), tg("s", ""))}},
		{"duplicate keys: last wins", `{"a":1,"b":2,"a":3}`, car, []models.Point{pt("veh-1", "car", recv, []models.Field{fl("a", 3), fl("b", 2)})}},
		{"numbers", `{"a":-0,"b":1e3,"c":1E-2,"d":1.7976931348623157e308,"e":0.5,"f":1e-400}`, car,
			[]models.Point{pt("veh-1", "car", recv, []models.Field{fl("a", math.Copysign(0, -1)), fl("b", 1000), fl("c", 0.01), fl("d", math.MaxFloat64), fl("e", 0.5), fl("f", 0)})}},
		{"white space and BOM", "\xEF\xBB\xBF \t\n{ \"a\" :\n1 , \"b\" : [ 2 ] }\n", car,
			[]models.Point{pt("veh-1", "car", recv, []models.Field{fl("a", 1), fl("b_0", 2)})}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := jsonpoint.Decode(nil, []byte(tt.in), tt.c)
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
	deep := strings.Repeat(`{"a":`, 20) + "1" + strings.Repeat("}", 20)
	tests := []struct {
		name string
		in   string
		c    payload.Context
		err  error
	}{
		{"empty", "", car, payload.ErrNoPoints},
		{"white space", " \n ", car, payload.ErrNoPoints},
		{"empty array", "[]", car, payload.ErrNoPoints},
		{"empty object", "{}", car, payload.ErrNoFields},
		{"only nulls", `{"a":null,"b":{}}`, car, payload.ErrNoFields},
		{"unterminated object", `{"a":1`, car, payload.ErrSyntax},
		{"missing colon", `{"a" 1}`, car, payload.ErrSyntax},
		{"unquoted key", `{a:1}`, car, payload.ErrSyntax},
		{"trailing comma", `{"a":1,}`, car, payload.ErrSyntax},
		{"leading zero", `{"a":01}`, car, payload.ErrSyntax},
		{"bare dot", `{"a":1.}`, car, payload.ErrSyntax},
		{"bad exponent", `{"a":1e}`, car, payload.ErrSyntax},
		{"plus sign", `{"a":+1}`, car, payload.ErrSyntax},
		{"bad literal", `{"a":tru}`, car, payload.ErrSyntax},
		{"top-level string", `"str"`, car, payload.ErrSyntax},
		{"array of numbers", `[1]`, car, payload.ErrSyntax},
		{"nested top-level arrays", `[[{"a":1}]]`, car, payload.ErrSyntax},
		{"trailing garbage", `{"a":1} x`, car, payload.ErrSyntax},
		{"unterminated array", `[{"a":1}`, car, payload.ErrSyntax},
		{"invalid UTF-8", "{\"a\":\"\xff\"}", car, payload.ErrSyntax},
		{"invalid UTF-8 after escape", "{\"a\":\"\\n\xff\"}", car, payload.ErrSyntax},
		{"control character", "{\"a\":\"x\ny\"}", car, payload.ErrSyntax},
		{"bad escape", `{"a":"\x"}`, car, payload.ErrSyntax},
		{"bad unicode escape", `{"a":"\u12g4"}`, car, payload.ErrSyntax},
		{"unterminated string", `{"a":"abc`, car, payload.ErrSyntax},
		{"number out of range", `{"a":1e400}`, car, payload.ErrBadValue},
		{"bad time string", `{"time":"yesterday","a":1}`, car, payload.ErrBadTime},
		{"time object", `{"time":{},"a":1}`, car, payload.ErrBadTime},
		{"time out of range", `{"time":"2300-01-01T00:00:00Z","a":1}`, car, payload.ErrBadTime},
		{"two time keys", `{"time":1,"ts":2,"a":1}`, car, payload.ErrBadTime},
		{"too deep", deep, car, payload.ErrTooDeep},
		{"long joined key", `{"` + strings.Repeat("k", 200) + `":{"` + strings.Repeat("j", 60) + `":1}}`, car, payload.ErrBadKey},
		{"long key", `{"` + strings.Repeat("k", 300) + `":1}`, car, payload.ErrBadKey},
		{"empty key", `{"":1}`, car, payload.ErrBadKey},
		{"no device", `{"a":1}`, payload.Context{Stream: "car"}, payload.ErrNoDevice},
		{"no stream", `{"a":1}`, payload.Context{Device: "d"}, payload.ErrNoStream},
		{"bad stream", `{"stream":"a.b","a":1}`, payload.Context{Device: "d"}, models.ErrBadID},
		{"device object", `{"device":{},"a":1}`, payload.Context{Stream: "car"}, payload.ErrBadValue},
		{"fields not an object", `{"fields":[1]}`, car, payload.ErrBadValue},
		{"two fields keys", `{"fields":{"a":1},"fields":{"b":1}}`, car, payload.ErrSyntax},
		{"tags not an object", `{"a":1,"tags":"x"}`, car, payload.ErrBadValue},
		{"tag value object", `{"a":1,"tags":{"t":{}}}`, car, payload.ErrBadValue},
		{"second record bad", `[{"a":1},{"a":"\x"}]`, car, payload.ErrSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := []models.Point{pt("keep", "keep", 1, []models.Field{fl("k", 1)})}
			got, err := jsonpoint.Decode(dst, []byte(tt.in), tt.c)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			var pe *payload.Error
			if !errors.As(err, &pe) || pe.Format != jsonpoint.Format {
				t.Fatalf("err %v (%T) is not a json *payload.Error", err, err)
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

func TestDecodeErrorOffset(t *testing.T) {
	_, err := jsonpoint.Decode(nil, []byte(`{"a":1, "b":x}`), car)
	var pe *payload.Error
	if !errors.As(err, &pe) || pe.Offset != 12 {
		t.Fatalf("err = %v, want offset 12", err)
	}
}

func TestAppend(t *testing.T) {
	p := models.Point{Device: "veh-0001", Stream: "vehicle-telemetry", Time: 1764072000100000000,
		Fields: []models.Field{bo("b", true), fl("f", 52.5), {Key: "i", Value: models.Int(-3)}, st("s", "q\"\\\n\x01é\xff"), {Key: "u", Value: models.Uint(math.MaxUint64)}},
		Tags:   []models.Tag{tg("model", "sedan")}, Agent: "gw-7", Seq: 1042}
	got, err := jsonpoint.Append([]byte("x"), &p)
	if err != nil {
		t.Fatal(err)
	}
	want := `x{"device":"veh-0001","stream":"vehicle-telemetry","time":"2025-11-25T12:00:00.1Z","fields":{"b":true,"f":52.5,"i":-3,"s":"q\"\\\n\u0001é\ufffd","u":18446744073709551615},"tags":{"model":"sedan"},"agent":"gw-7","seq":1042}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	for _, f := range []models.Field{fl("n", math.NaN()), fl("i", math.Inf(1)), {Key: "z"}} {
		q := pt("d", "s", 0, []models.Field{f})
		out, err := jsonpoint.Append([]byte("x"), &q)
		if !errors.Is(err, payload.ErrUnencodable) || string(out) != "x" {
			t.Errorf("Append(%v) = %q, %v; want ErrUnencodable and dst unchanged", f, out, err)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	in := []models.Point{
		pt("veh 1 \"x\"", "telemetry", 1764072000123456789,
			[]models.Field{bo("b", false), fl("f", math.Copysign(0, -1)), fl("max", math.MaxFloat64), fl("tiny", math.SmallestNonzeroFloat64), st("s", "\u2028\"\\/\x00")},
			tg("a b", "c\nd"), tg("e", "")),
		pt("veh-2", "other", -1, []models.Field{fl("fields", 1), fl("time", 2), fl("device", 3)}, tg("time", "t")),
		pt("veh-3", "x", math.MinInt64, []models.Field{fl("a", 1e21)}),
		pt("veh-4", "x", math.MaxInt64, []models.Field{fl("a", 123456789.123456789)}),
	}
	var buf []byte
	for i := range in {
		in[i].Normalize()
		var err error
		if buf, err = jsonpoint.Append(buf, &in[i]); err != nil {
			t.Fatal(err)
		}
		buf = append(buf, '\n')
	}
	got, err := jsonpoint.Decode(nil, buf, payload.Context{Received: recv})
	if err != nil {
		t.Fatalf("Decode(%s): %v", buf, err)
	}
	checkPoints(t, got, in)
}

func TestDecodeLimits(t *testing.T) {
	many := func(n int) []byte { return []byte("[" + strings.Repeat(`{"a":1},`, n-1) + `{"a":1}]`) }
	if pts, err := jsonpoint.Decode(nil, many(payload.MaxPoints), car); err != nil || len(pts) != payload.MaxPoints {
		t.Fatalf("MaxPoints records: %d points, %v", len(pts), err)
	}
	if _, err := jsonpoint.Decode(nil, many(payload.MaxPoints+1), car); !errors.Is(err, payload.ErrTooLarge) {
		t.Errorf("MaxPoints+1 records: err = %v, want ErrTooLarge", err)
	}
	if _, err := jsonpoint.Decode(nil, make([]byte, payload.MaxSize+1), car); !errors.Is(err, payload.ErrTooLarge) {
		t.Errorf("MaxSize+1 bytes: err = %v, want ErrTooLarge", err)
	}
}
