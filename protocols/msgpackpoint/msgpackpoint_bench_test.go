package msgpackpoint_test

import (
	"fmt"
	"testing"

	"github.com/tributary-iot/tributary/models"
	"github.com/tributary-iot/tributary/protocols/msgpackpoint"
	"github.com/tributary-iot/tributary/protocols/payload"
)

// Run with:
//
//	go test ./protocols/msgpackpoint -run '^$' -bench . -benchmem

// truckRecord is one 1 Hz sample of a heavy truck (J1939-style signals):
// 24 fields of every msgpack number type, two in a nested map of arrays.
func truckRecord(i int) []byte {
	return mp(mapOf(22),
		"time", uint64(1764072000000+int64(i)*1000),
		"engine_rpm", uint64(1450+i%50), "engine_load_pct", uint8(63), "coolant_c", 88, "oil_kpa", uint64(410),
		"fuel_rate_lph", 31.25, "fuel_level_pct", 72.5, "def_level_pct", 55.0, "speed_kmh", 84.5+float64(i%5),
		"odometer_km", 612345.7, "gross_weight_kg", uint64(38120), "gear", 11, "retarder", false, "cruise", true,
		"ambient_c", float32(7.5), "boost_kpa", uint64(182), "lat", 52.520008, "lon", 13.404954, "heading_deg", 91.5,
		"dtc_count", 0, "trailer", "TR-7781",
		"axles", arrayOf(2), mapOf(1), "load_kg", uint64(7100), mapOf(1), "load_kg", uint64(11480))
}

func BenchmarkDecode(b *testing.B) {
	c := payload.Context{Device: "trk-0001", Stream: "truck-telemetry", Received: 1764072001000000000}
	for _, records := range []int{1, 10} {
		var data []byte
		if records > 1 {
			data = mp(arrayOf(records))
		}
		for i := range records {
			data = append(data, truckRecord(i)...)
		}
		b.Run(fmt.Sprintf("truck/records=%d", records), func(b *testing.B) {
			var pts []models.Point
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if pts, err = msgpackpoint.Decode(pts[:0], data, c); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*records)/b.Elapsed().Seconds(), "points/s")
		})
	}
}

func BenchmarkAppend(b *testing.B) {
	c := payload.Context{Device: "trk-0001", Stream: "truck-telemetry"}
	pts, err := msgpackpoint.Decode(nil, truckRecord(0), c)
	if err != nil {
		b.Fatal(err)
	}
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		if buf, err = msgpackpoint.Append(buf[:0], &pts[0]); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "points/s")
}
