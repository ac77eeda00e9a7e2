package models_test

import (
	"math"
	"strings"
	"testing"

	"github.com/tributary-iot/tributary/models"
)

func samplePoint() models.Point {
	return models.Point{
		Device: "veh-0001", Stream: "vehicle-telemetry", Time: 1764072000100000000,
		Fields: []models.Field{
			{Key: "speed_kmh", Value: models.Float(52.5)},
			{Key: "rpm", Value: models.Int(-3)},
			{Key: "odo", Value: models.Uint(5)},
			{Key: "ok", Value: models.Bool(true)},
			{Key: "gear", Value: models.String("D")},
			{Key: "nan", Value: models.Float(math.NaN())},
		},
		Tags:  []models.Tag{{Key: "model", Value: "sedan"}},
		Agent: "gw-7", Seq: 1042, Received: 1764072000200000000,
	}
}

func TestPointRoundTripKeepsKinds(t *testing.T) {
	p := samplePoint()
	b, err := p.MarshalMsg(nil)
	if err != nil {
		t.Fatal(err)
	}
	var q models.Point
	rest, err := q.UnmarshalMsg(b)
	if err != nil || len(rest) != 0 {
		t.Fatalf("unmarshal: %v, %d left", err, len(rest))
	}
	if !p.Equal(&q) {
		t.Fatalf("round trip changed the point:\n%+v\n%+v", p, q)
	}
	for i, f := range q.Fields {
		if f.Value.Kind() != p.Fields[i].Value.Kind() {
			t.Errorf("field %s: kind %v, want %v", f.Key, f.Value.Kind(), p.Fields[i].Value.Kind())
		}
	}
}

func TestBatchStreamCodec(t *testing.T) {
	in := models.Batch{Writer: "gw-7.high", FirstSeq: 1, LastSeq: 2, Points: []models.Point{samplePoint(), samplePoint()}}
	b, err := in.MarshalMsg(nil)
	if err != nil {
		t.Fatal(err)
	}
	var out models.Batch
	if _, err := out.UnmarshalMsg(b); err != nil {
		t.Fatal(err)
	}
	if out.Writer != in.Writer || len(out.Points) != 2 || !out.Points[1].Equal(&in.Points[1]) {
		t.Fatalf("batch changed: %+v", out)
	}
}

func TestInvalidValueRefusedOnEncode(t *testing.T) {
	p := models.Point{Fields: []models.Field{{Key: "x"}}}
	if _, err := p.MarshalMsg(nil); err == nil {
		t.Fatal("encoding a field with no value succeeded")
	}
}

func TestIDs(t *testing.T) {
	for _, tc := range []struct {
		id string
		ok bool
	}{{"gw-7", true}, {"a_b", true}, {"", false}, {"a.b", false}, {"a*", false}, {"a b", false}} {
		if err := models.ValidateID("agent", tc.id); (err == nil) != tc.ok {
			t.Errorf("ValidateID(%q) = %v, want ok=%v", tc.id, err, tc.ok)
		}
	}
	for _, tc := range []struct {
		id string
		ok bool
	}{
		{"veh-0001", true}, {"truck 7/cab", true}, {"Lkw-Müller", true}, {"センサー", true},
		{"", false}, {"veh\x01", false}, {"veh\x7f", false}, {"veh\xff", false}, {"ü\n", false},
		{strings.Repeat("d", models.MaxIDLen), true}, {strings.Repeat("d", models.MaxIDLen+1), false},
	} {
		if err := models.ValidateDevice(tc.id); (err == nil) != tc.ok {
			t.Errorf("ValidateDevice(%q) = %v, want ok=%v", tc.id, err, tc.ok)
		}
	}
	w := models.WriterID("gw-7", models.PriorityHigh)
	a, c, err := models.ParseWriterID(w)
	if err != nil || a != "gw-7" || c != models.PriorityHigh {
		t.Fatalf("ParseWriterID(%q) = %q %v %v", w, a, c, err)
	}
}

// FuzzPointDecode feeds arbitrary bytes to the Point decoder: it must never
// panic, and whatever it accepts must re-encode to something that decodes
// to the same point.
func FuzzPointDecode(f *testing.F) {
	p := samplePoint()
	b, _ := p.MarshalMsg(nil)
	f.Add(b)
	f.Add([]byte{0x98})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		var q models.Point
		if _, err := q.UnmarshalMsg(data); err != nil {
			return
		}
		enc, err := q.MarshalMsg(nil)
		if err != nil {
			return // e.g. a field decoded with kind invalid cannot occur; other errors are fine
		}
		var r models.Point
		if _, err := r.UnmarshalMsg(enc); err != nil {
			t.Fatalf("re-decode failed: %v", err)
		}
		if !q.Equal(&r) {
			t.Fatalf("round trip changed the point: %+v vs %+v", q, r)
		}
	})
}

// FuzzBatchDecode checks the Batch decoder never panics.
func FuzzBatchDecode(f *testing.F) {
	in := models.Batch{Writer: "gw.normal", FirstSeq: 1, LastSeq: 1, Points: []models.Point{samplePoint()}}
	b, _ := in.MarshalMsg(nil)
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		var out models.Batch
		_, _ = out.UnmarshalMsg(data)
	})
}
