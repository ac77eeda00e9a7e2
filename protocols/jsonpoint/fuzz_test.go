package jsonpoint_test

import (
	"testing"

	"github.com/tributary-iot/tributary/models"
	"github.com/tributary-iot/tributary/protocols/internal/payloadtest"
	"github.com/tributary-iot/tributary/protocols/jsonpoint"
	"github.com/tributary-iot/tributary/protocols/payload"
)

// FuzzDecode checks that Decode never panics, returns only *payload.Error,
// keeps dst on error, returns finished points, and that every point it
// returns survives Append and Decode unchanged.
//
//	go test ./protocols/jsonpoint -run '^$' -fuzz FuzzDecode -fuzztime 20s
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"time":1764072000100,"speed":52.5,"rpm":2000,"on":true,"gear":"D","x":null}`,
		`{"device":"veh-2","stream":"trip","time":"2025-11-25T12:00:00Z","fields":{"a":1,"s":"x"},"tags":{"model":"sedan","vin":"V1"}}`,
		`[{"a":1,"time":1},{"a":2,"ts":2.5,"vin":"W"}]`,
		"{\"a\":1}\n{\"gps\":{\"lat\":1,\"fix\":[true,null]}}\n",
		`{"k\"e\\y\/":"a\\b\u00e9\ud83d\ude00\n","lone":"\ud800x"}`,
		`{"time":"1764072000.5","tags":{"n":1.5,"b":true},"a":-0}`,
		`{"a":1e400}`,
	} {
		f.Add([]byte(s), uint8(0))
		f.Add([]byte(s), uint8(3))
	}
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		c := payload.Context{Received: 7}
		if mode&1 != 0 {
			c.Device, c.Stream = "dev", "str"
		}
		if mode&2 != 0 {
			c.DeviceTag = "vin"
		}
		pts, err := jsonpoint.Decode(payloadtest.Dst(), data, c)
		if err != nil {
			payloadtest.CheckError(t, pts, err)
			return
		}
		for i := 1; i < len(pts); i++ {
			p := &pts[i]
			payloadtest.CheckFinished(t, p)
			for _, f := range p.Fields {
				if k := f.Value.Kind(); k != models.KindFloat && k != models.KindBool && k != models.KindString {
					t.Fatalf("field %q has kind %v", f.Key, k)
				}
			}
			enc, err := jsonpoint.Append(nil, p)
			if err != nil {
				t.Fatalf("Append(%+v): %v", *p, err)
			}
			back, err := jsonpoint.Decode(nil, enc, payload.Context{Received: 7})
			if err != nil {
				t.Fatalf("Decode(Append(p)) of %s: %v", enc, err)
			}
			if len(back) != 1 || !back[0].Equal(p) {
				t.Fatalf("round trip of %s:\n got %+v\nwant %+v", enc, back, *p)
			}
		}
	})
}
