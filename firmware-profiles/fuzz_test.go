package profiles_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/tinylib/msgp/msgp"

	profiles "github.com/tributary-iot/tributary/firmware-profiles"
	"github.com/tributary-iot/tributary/models"
)

// FuzzParse feeds arbitrary files to Parse: it must never panic, and must
// either return a usable profile or only well-formed validation errors.
func FuzzParse(f *testing.F) {
	for _, glob := range []string{"builtin/*.yaml", "testdata/bad/*.yaml"} {
		files, _ := filepath.Glob(glob)
		for _, name := range files {
			data, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Add([]byte("name: a\ntopic: a/{device}\nencoding: json\nstream: s\nsignals: [{name: x, type: int, range: [1, 2]}]"))
	f.Add([]byte("a: &x [*x]"))
	f.Add([]byte("{"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := profiles.Parse("f.yaml", data)
		if err != nil {
			if p != nil {
				t.Fatal("profile and error both returned")
			}
			problems := profiles.Problems(err)
			if len(problems) == 0 {
				t.Fatalf("error without problems: %v", err)
			}
			lines := bytes.Count(data, []byte("\n")) + 1
			for _, vp := range problems {
				if vp.File != "f.yaml" || vp.Line < 0 || vp.Line > lines || vp.Msg == "" {
					t.Fatalf("bad problem %+v in a %d-line file", vp, lines)
				}
			}
			return
		}
		if p == nil || p.Pattern() == nil || p.Encoding == profiles.EncodingInvalid || p.MaxPayload <= 0 {
			t.Fatalf("accepted an incomplete profile: %+v", p)
		}
		if err := models.ValidateID("stream", p.DefaultStream()); err != nil {
			t.Fatalf("default stream: %v", err)
		}
		for _, s := range p.Signals {
			if got, ok := p.Signal(s.Name); !ok || got.Name != s.Name {
				t.Fatalf("signal %q not indexed", s.Name)
			}
			if s.Range != nil && s.Range.Min > s.Range.Max || s.RateHz <= 0 {
				t.Fatalf("signal %+v passed validation", s)
			}
		}
		if _, err := profiles.NewSet(p); err != nil {
			t.Fatalf("a valid profile does not make a set: %v", err)
		}
	})
}

// fuzzProfiles is the built-in set plus profiles that exercise coercion of
// every type and the device tag.
func fuzzSet(f *testing.F) *profiles.Set {
	ps, err := profiles.Builtin()
	if err != nil {
		f.Fatal(err)
	}
	extra := []string{`
name: fz-types
topic: fz/{device}/types
encoding: json
stream: fz
signals: [{name: f, type: float}, {name: i, type: int}, {name: u, type: uint}, {name: b, type: bool}, {name: s, type: string}]`, `
name: fz-msgpack
topic: fz/{device}/mp
encoding: msgpack
stream: fz
timestamps: {max_past: 0, max_future: 0}
signals: [{name: f, type: float}, {name: i, type: int}, {name: u, type: uint}, {name: b, type: bool}, {name: s, type: string}]`, `
name: fz-tagged
topic: fz/gw/{stream}
encoding: json
device_tag: vin
signals: [{name: i, type: int}]`, `
name: fz-lp-tagged
topic: fz/lp
encoding: line-protocol
device_tag: vin
signals: [{name: i, type: int}, {name: u, type: uint}]`,
	}
	for i, src := range extra {
		p, err := profiles.Parse(fmt.Sprintf("fz%d.yaml", i), []byte(src))
		if err != nil {
			f.Fatal(err)
		}
		ps = append(ps, p)
	}
	set, err := profiles.NewSet(ps...)
	if err != nil {
		f.Fatal(err)
	}
	return set
}

var fuzzTopics = []string{
	"lp/gw-1", "json/pump-17/pressure", "vehicles/veh-1/telemetry", "vehicles/ev-7/bms",
	"trucks/trk-9/j1939", "fz/d1/types", "fz/d1/mp", "fz/gw/s1", "fz/lp",
}

// FuzzDecode decodes arbitrary payloads through the profiles: never a
// panic, all or nothing, a known reason for every failure, declared types
// and the timestamp window on success, and a round trip through the
// profile's own encoder.
func FuzzDecode(f *testing.F) {
	set := fuzzSet(f)
	now := recv.UnixNano()
	f.Add(uint8(0), []byte(fmt.Sprintf("env,site=a,vin=x t=1.5,n=2i %d\n", now)))
	f.Add(uint8(1), []byte(`{"bar": 3.2, "tags": {"a": "b"}}`))
	f.Add(uint8(2), []byte(fmt.Sprintf(`[{"time": %d, "rpm": 2000, "gear": -1, "speed_kmh": 52.5}]`, now/1e6)))
	f.Add(uint8(3), []byte(`{"contactors_closed": 1, "charge_state": "idle", "isolation_kohm": 4200}`))
	f.Add(uint8(5), []byte(`{"f": 1, "i": 2.0, "u": 3, "b": 0, "s": "x", "z": null}`))
	f.Add(uint8(7), []byte(`{"vin": "WVW123", "i": 4}`))
	f.Add(uint8(8), []byte("m,vin=WVW1 i=4u,u=5i\n"))
	mp := msgp.AppendMapHeader(nil, 3)
	mp = msgp.AppendString(mp, "i")
	mp = msgp.AppendUint64(mp, 7)
	mp = msgp.AppendString(mp, "b")
	mp = msgp.AppendInt(mp, 1)
	mp = msgp.AppendString(mp, "x")
	mp = msgp.AppendFloat32(mp, 1.5)
	f.Add(uint8(6), mp)
	f.Add(uint8(4), mp)

	f.Fuzz(func(t *testing.T, sel uint8, data []byte) {
		topic := fuzzTopics[int(sel)%len(fuzzTopics)]
		prior := models.Point{Device: "prior", Stream: "p", Fields: []models.Field{{Key: "v", Value: models.Int(1)}}}
		dst := append(make([]models.Point, 0, 4), prior.Clone())
		out, p, err := set.Decode(dst, topic, data, recv)
		if err != nil {
			switch r := profiles.Reason(err); r {
			case "oversized", "undecodable", "bad_id", "type_mismatch", "timestamp":
			default:
				t.Fatalf("reason %q for %v", r, err)
			}
			if len(out) != 1 || !out[0].Equal(&prior) {
				t.Fatalf("failed decode changed dst: %+v", out)
			}
			return
		}
		if len(out) < 2 || !out[0].Equal(&prior) {
			t.Fatalf("decode lost dst or added nothing: %+v", out)
		}
		_, m, _ := set.Match(topic)
		for i := 1; i < len(out); i++ {
			pt := &out[i]
			for _, fl := range pt.Fields {
				if s, ok := p.Signal(fl.Key); ok && fl.Value.Kind() != s.Type {
					t.Fatalf("field %s is %s, signal says %s", fl.Key, fl.Value.Kind(), s.Type)
				}
			}
			if w := p.Timestamps; w.MaxPast > 0 && pt.Time < now-int64(w.MaxPast) || w.MaxFuture > 0 && pt.Time > now+int64(w.MaxFuture) {
				t.Fatalf("time %d outside the window", pt.Time)
			}
			if pt.Received != now {
				t.Fatalf("Received = %d", pt.Received)
			}

			// Round trip: what the profile's encoder writes decodes to the same point.
			enc, err := p.AppendPayload(nil, pt)
			if err != nil {
				continue // e.g. a tag value line protocol cannot carry
			}
			back, err := p.Decode(nil, m, enc, recv)
			if err != nil {
				t.Fatalf("re-decoding %q: %v", enc, err)
			}
			if len(back) != 1 || !back[0].Equal(pt) {
				t.Fatalf("round trip through %q:\n got %+v\nwant %+v", enc, back, *pt)
			}
		}
	})
}
