package lineproto_test

import (
	"testing"

	"github.com/tributary-iot/tributary/protocols/internal/payloadtest"
	"github.com/tributary-iot/tributary/protocols/lineproto"
	"github.com/tributary-iot/tributary/protocols/payload"
)

// FuzzDecode checks that Decode never panics, returns only *payload.Error,
// keeps dst on error, returns finished points, and that every point it
// returns survives Append and Decode unchanged.
//
//	go test ./protocols/lineproto -run '^$' -fuzz FuzzDecode -fuzztime 20s
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		"m f=1",
		"telemetry,model=sedan,device=veh-1 f=52.5,i=-5i,u=7u,b=true,s=\"hi\" 1764072000100000000\n",
		"# c\n\nm1 a=1 1\r\nm2,t=x b=2i 2\n",
		`m,ta\ g\,k\=y=v\,1\=x\ y f\ k\=\,="a\"b\\c\nd",plain="x\qy" 9`,
		"m,device=a f=1\nm,device=b f=2,g=\"multi\nline\" -3\n",
		"m f=1e300,g=-0,h=.5,k=1.",
		"m f=\"\xff\"",
		"m,t=1",
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, useTag bool) {
		c := payload.Context{Device: "dev", Received: 7}
		if useTag {
			c.DeviceTag = "device"
		}
		pts, err := lineproto.Decode(payloadtest.Dst(), data, c)
		if err != nil {
			payloadtest.CheckError(t, pts, err)
			return
		}
		for i := 1; i < len(pts); i++ {
			p := &pts[i]
			payloadtest.CheckFinished(t, p)
			line, err := lineproto.Append(nil, p, lineproto.AppendOptions{DeviceTag: c.DeviceTag})
			if err != nil {
				t.Fatalf("Append(%+v): %v", *p, err)
			}
			back, err := lineproto.Decode(nil, line, payload.Context{Device: p.Device, DeviceTag: c.DeviceTag, Received: 7})
			if err != nil {
				t.Fatalf("Decode(Append(p)) of %q: %v", line, err)
			}
			if len(back) != 1 || !back[0].Equal(p) {
				t.Fatalf("round trip of %q:\n got %+v\nwant %+v", line, back, *p)
			}
		}
	})
}
