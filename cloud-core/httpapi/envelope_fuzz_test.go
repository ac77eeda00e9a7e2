package httpapi

import (
	"testing"

	"github.com/tributary-iot/tributary/models"
)

func TestDecodeWriteKinds(t *testing.T) {
	var p models.Point
	w, err := decodeWrite([]byte(`{"writer":"gw.high","agent":"gw","seq":7,"device":"d","stream":"s","time":"2026-11-25T12:00:00.1Z","fields":{"f":1.5,"i":-3,"u":18446744073709551615,"b":false,"s":"x","e":1e3},"tags":{"k":"v"},"received":9}`), &p)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]models.Value{
		"f": models.Float(1.5), "i": models.Int(-3), "u": models.Uint(18446744073709551615),
		"b": models.Bool(false), "s": models.String("x"), "e": models.Float(1000),
	}
	for k, v := range want {
		if got, ok := p.Field(k); !ok || !got.Equal(v) {
			t.Errorf("field %s = %v (%v), want %v (%v)", k, got, got.Kind(), v, v.Kind())
		}
	}
	if w != "gw.high" || p.Agent != "gw" || p.Seq != 7 || p.Time != 1795608000100000000 || p.Received != 9 {
		t.Errorf("decoded %q %+v", w, p)
	}
	for _, bad := range []string{
		`{"seq":1}`, `{"seq":1,"time":"x"}`, `{"seq":1,"time":1,"fields":{"a":[1]}}`, `{"seq":1,"time":1,"fields":{"a":null}}`,
		`{"seq":1,"time":1,"surprise":1}`, `{"seq":1,"time":1} {}`, `{"seq":1,"time":1,"fields":{"a":1e999}}`, `[1]`,
	} {
		if _, err := decodeWrite([]byte(bad), &p); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

func FuzzDecodeWrite(f *testing.F) {
	f.Add([]byte(`{"writer":"gw.high","seq":7,"device":"d","time":"2026-11-25T12:00:00.1Z","fields":{"f":1.5,"i":-3},"tags":{"k":"v"}}`))
	f.Add([]byte(`{"seq":1,"time":1764072000000000000,"fields":{"u":18446744073709551615,"s":"\u00e9"}}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		var p models.Point
		if _, err := decodeWrite(line, &p); err != nil {
			return
		}
		for _, fl := range p.Fields {
			if !fl.Value.IsValid() {
				t.Fatalf("decoded a field without a value: %q", fl.Key)
			}
		}
		// What decodes must encode for the read API.
		if out := appendPoint(nil, &p); len(out) == 0 {
			t.Fatal("decoded point does not encode")
		}
	})
}
