package profiles_test

// Run with:
//
//	go test ./firmware-profiles/ -run '^$' -bench . -benchmem

import (
	"os"
	"testing"
	"time"

	profiles "github.com/tributary-iot/tributary/firmware-profiles"
	"github.com/tributary-iot/tributary/models"
)

// benchPayload encodes a point with every signal of profile name at the
// middle of its range, as the profile's devices would send it.
func benchPayload(b *testing.B, set *profiles.Set, name string) (string, []byte) {
	b.Helper()
	p, _ := set.Get(name)
	pt := models.Point{Device: "veh-0001", Stream: p.DefaultStream(), Time: recv.Add(-time.Second).UnixNano(), Tags: p.Tags}
	for _, s := range p.Signals {
		mid := 1.0
		if s.Range != nil {
			mid = float64(int64((s.Range.Min + s.Range.Max) / 2))
		}
		var v models.Value
		switch s.Type {
		case models.KindFloat:
			v = models.Float(mid + 0.25)
		case models.KindInt:
			v = models.Int(int64(mid))
		case models.KindUint:
			v = models.Uint(uint64(mid))
		case models.KindBool:
			v = models.Bool(true)
		case models.KindString:
			v = models.String("idle")
		}
		pt.Fields = append(pt.Fields, models.Field{Key: s.Name, Value: v})
	}
	if len(pt.Fields) == 0 {
		pt.Fields = []models.Field{{Key: "temp_c", Value: models.Float(21.5)}, {Key: "hum_pct", Value: models.Int(40)}}
	}
	pt.Normalize()
	data, err := p.AppendPayload(nil, &pt)
	if err != nil {
		b.Fatal(err)
	}
	topic, err := p.FormatTopic(pt.Device, "")
	if err != nil {
		b.Fatal(err)
	}
	return topic, data
}

func BenchmarkSetDecode(b *testing.B) {
	set := builtinSet(b)
	for _, name := range []string{"passenger-car", "heavy-truck", "ev-battery", "line-protocol"} {
		b.Run("profile="+name, func(b *testing.B) {
			topic, data := benchPayload(b, set, name)
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			var pts []models.Point
			for b.Loop() {
				var err error
				pts, _, err = set.Decode(pts[:0], topic, data, recv)
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkMatch(b *testing.B) {
	set := builtinSet(b)
	for _, topic := range []string{"vehicles/veh-0001/telemetry", "trucks/trk-0042/j1939", "nowhere/at/all"} {
		b.Run("topic="+topic, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				set.Match(topic)
			}
		})
	}
}

func BenchmarkParse(b *testing.B) {
	data, err := os.ReadFile("builtin/heavy-truck.yaml")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := profiles.Parse("heavy-truck.yaml", data); err != nil {
			b.Fatal(err)
		}
	}
}
