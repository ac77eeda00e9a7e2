package msgpackpoint_test

import (
	"testing"
	"time"

	"github.com/tributary-iot/tributary/protocols/internal/payloadtest"
	"github.com/tributary-iot/tributary/protocols/msgpackpoint"
	"github.com/tributary-iot/tributary/protocols/payload"
)

// FuzzDecode checks that Decode never panics, returns only *payload.Error,
// keeps dst on error, returns finished points, and that every point it
// returns survives Append and Decode unchanged, kinds included.
//
//	go test ./protocols/msgpackpoint -run '^$' -fuzz FuzzDecode -fuzztime 20s
func FuzzDecode(f *testing.F) {
	seeds := [][]byte{
		mp(mapOf(6), "fix", 5, "u8", uint8(7), "f32", float32(1.5), "on", true, "s", "D", "time", 1764072000100),
		mp(mapOf(5), "device", "trk-2", "stream", "haul", "time", time.Unix(base, 5), "fields", mapOf(1), "a", 1, "tags", mapOf(1), "vin", "V"),
		mp(arrayOf(2), mapOf(2), "a", 1, "ts", 1.5, mapOf(2), "a", -2, "vin", "W"),
		mp(mapOf(2), "axle", arrayOf(2), mapOf(1), "psi", 110.5, nil, "eng", mapOf(1), "oil", mapOf(1), "t", uint64(90)),
		mp(mapOf(2), "a", 1, "tags", mapOf(3), "i", -2, "f", 1.5, "z", nil),
	}
	for _, s := range seeds {
		f.Add(s, uint8(0))
		f.Add(s, uint8(3))
	}
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		c := payload.Context{Received: 7}
		if mode&1 != 0 {
			c.Device, c.Stream = "dev", "str"
		}
		if mode&2 != 0 {
			c.DeviceTag = "vin"
		}
		pts, err := msgpackpoint.Decode(payloadtest.Dst(), data, c)
		if err != nil {
			payloadtest.CheckError(t, pts, err)
			return
		}
		for i := 1; i < len(pts); i++ {
			p := &pts[i]
			payloadtest.CheckFinished(t, p)
			enc, err := msgpackpoint.Append(nil, p)
			if err != nil {
				t.Fatalf("Append(%+v): %v", *p, err)
			}
			back, err := msgpackpoint.Decode(nil, enc, payload.Context{Received: 7})
			if err != nil {
				t.Fatalf("Decode(Append(p)) of %x: %v", enc, err)
			}
			if len(back) != 1 {
				t.Fatalf("round trip gave %d points", len(back))
			}
			checkPoints(t, back, pts[i:i+1])
		}
	})
}
