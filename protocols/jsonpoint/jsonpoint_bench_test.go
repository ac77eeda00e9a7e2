package jsonpoint_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tributary-iot/tributary/models"
	"github.com/tributary-iot/tributary/protocols/jsonpoint"
	"github.com/tributary-iot/tributary/protocols/payload"
)

// Run with:
//
//	go test ./protocols/jsonpoint -run '^$' -bench . -benchmem

// carRecord is one 10 Hz sample of a passenger car: 19 fields, four of
// them in a nested object.
func carRecord(i int) string {
	return fmt.Sprintf(`{"time":%d,"speed_kmh":%.1f,"rpm":2210,"throttle_pct":23.5,"brake":false,"gear":4,`+
		`"steering_deg":-3.25,"lat":48.137154,"lon":11.576124,"heading_deg":271.5,"fuel_pct":61.5,"coolant_c":88.25,`+
		`"battery_v":12.6,"odometer_km":184223.4,"ambient_c":7.5,"drive_mode":"eco",`+
		`"tpms":{"fl":2.3,"fr":2.3,"rl":2.2,"rr":2.2}}`, 1764072000000+int64(i)*100, 52.5+float64(i%13))
}

func BenchmarkDecode(b *testing.B) {
	c := payload.Context{Device: "veh-0001", Stream: "vehicle-telemetry", Received: 1764072001000000000}
	for _, records := range []int{1, 10} {
		var data string
		if records == 1 {
			data = carRecord(0)
		} else {
			parts := make([]string, records)
			for i := range parts {
				parts[i] = carRecord(i)
			}
			data = "[" + strings.Join(parts, ",") + "]"
		}
		buf := []byte(data)
		b.Run(fmt.Sprintf("car/records=%d", records), func(b *testing.B) {
			var pts []models.Point
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if pts, err = jsonpoint.Decode(pts[:0], buf, c); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*records)/b.Elapsed().Seconds(), "points/s")
		})
	}
}

func BenchmarkAppend(b *testing.B) {
	c := payload.Context{Device: "veh-0001", Stream: "vehicle-telemetry"}
	pts, err := jsonpoint.Decode(nil, []byte(carRecord(0)), c)
	if err != nil {
		b.Fatal(err)
	}
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		if buf, err = jsonpoint.Append(buf[:0], &pts[0]); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "points/s")
}
