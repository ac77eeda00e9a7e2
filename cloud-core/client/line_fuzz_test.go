package client

import (
	"testing"

	"github.com/tributary-iot/tributary/models"
)

func TestLineDecoder(t *testing.T) {
	var (
		d lineDecoder
		p models.Point
		l line
	)
	in := `{"device":"veh-1","stream":"s","time":"2026-11-25T12:00:00.1Z","fields":{"f":52.0,"i":-3,"u":18446744073709551615,"b":true,"s":"a\"\u00e9\ud83d\ude00"},"tags":{"model":"sedan"},"agent":"gw","seq":7,"seg":"0","pos":17}`
	if err := d.decode([]byte(in), &p, &l); err != nil {
		t.Fatal(err)
	}
	want := map[string]models.Value{"f": models.Float(52), "i": models.Int(-3), "u": models.Uint(18446744073709551615), "b": models.Bool(true), "s": models.String("a\"é😀")}
	for k, v := range want {
		if got, ok := p.Field(k); !ok || !got.Equal(v) {
			t.Errorf("field %s = %v (%v), want %v", k, got, got.Kind(), v)
		}
	}
	if p.Device != "veh-1" || p.Stream != "s" || p.Time != 1795608000100000000 || p.Agent != "gw" || p.Seq != 7 || l.seg != "0" || l.pos != 17 || l.kind != linePoint {
		t.Errorf("decoded %+v %+v", p, l)
	}
	for text, kind := range map[string]lineKind{
		`{"cut":"0:5"}`: lineCut, `{"error":"x"}`: lineError, `{"rebalance":true}`: lineRebalance,
		`{"group":"g","member":"m","assigned":["0","1"]}`: lineAssigned,
	} {
		if err := d.decode([]byte(text), &p, &l); err != nil || l.kind != kind {
			t.Errorf("%s: kind %v %v", text, l.kind, err)
		}
	}
	for _, bad := range []string{``, `{}`, `[1]`, `{"seq":-1}`, `{"time":"yesterday"}`, `{"fields":{"a":[1]}}`, `{"device":"a"} x`, `{"device":"a"`, `{"x":{"y":` + "\x01" + `}}`} {
		if err := d.decode([]byte(bad), &p, &l); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func FuzzLineDecoder(f *testing.F) {
	f.Add([]byte(`{"device":"veh-1","stream":"s","time":"2026-11-25T12:00:00.123456789Z","fields":{"f":52.5,"i":3,"b":false,"s":"x\\ny"},"tags":{"k":"v"},"agent":"gw","seq":7,"seg":"0","pos":17}`))
	f.Add([]byte("{\"device\":\"a\xffb\",\"time\":1,\"fields\":{\"k\xfe\":1},\"tags\":{\"\xff\":\"\xfe\"}}"))
	f.Add([]byte(`{"cut":"0:18,1:5"}`))
	f.Add([]byte(`{"group":"g","member":"m","assigned":[],"extra":{"a":[null,1e5,{"b":"c"}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var (
			d lineDecoder
			p models.Point
			l line
		)
		if err := d.decode(data, &p, &l); err != nil || l.kind != linePoint {
			return
		}
		// What decodes as a point writes as a write line and decodes back.
		out := appendWriteLine(nil, "", &p)
		var q models.Point
		var l2 line
		if err := d.decode(out, &q, &l2); err != nil {
			t.Fatalf("%s: re-encoded %s does not decode: %v", data, out, err)
		}
		if q.Device != asSent(p.Device) || q.Time != p.Time || q.Seq != p.Seq || len(q.Tags) != len(p.Tags) {
			t.Fatalf("round trip of %s: %+v, then %+v", data, p, q)
		}
		kept := 0
		for _, f := range p.Fields {
			if v, ok := q.Field(asSent(f.Key)); ok {
				kept++
				if f.Value.Kind() == models.KindString && v.Str() != f.Value.Str() && validUTF8(f.Value.Str()) {
					t.Fatalf("field %s: %q, then %q", f.Key, f.Value.Str(), v.Str())
				}
			}
		}
		if kept == 0 && len(p.Fields) > 0 && len(q.Fields) > 0 {
			t.Fatalf("fields lost: %+v, then %+v", p.Fields, q.Fields)
		}
	})
}

// asSent returns s as a write line carries it: each byte that is not
// UTF-8 becomes U+FFFD (what the server's JSON decoder makes of it too).
func asSent(s string) string { return string([]rune(s)) }

func validUTF8(s string) bool {
	for _, r := range s {
		if r == 0xfffd {
			return false
		}
	}
	return true
}
