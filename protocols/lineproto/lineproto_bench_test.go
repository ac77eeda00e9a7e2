package lineproto_test

import (
	"fmt"
	"testing"

	"github.com/influxdata/line-protocol/v2/lineprotocol"

	"github.com/tributary-iot/tributary/models"
	"github.com/tributary-iot/tributary/protocols/lineproto"
	"github.com/tributary-iot/tributary/protocols/payload"
)

// Run with:
//
//	go test ./protocols/lineproto -run '^$' -bench . -benchmem

// benchPayload returns lines lines of line protocol, each with a device tag,
// two more tags, ten fields (seven floats, two ints, one bool) and a time.
func benchPayload(b *testing.B, lines int) []byte {
	var buf []byte
	for i := range lines {
		p := models.Point{Device: fmt.Sprintf("veh-%04d", i%8), Stream: "vehicle-telemetry", Time: 1764072000000000000 + int64(i)*1e8,
			Tags: []models.Tag{{Key: "fw", Value: "1.4.2"}, {Key: "model", Value: "sedan"}}}
		p.Fields = []models.Field{
			{Key: "battery_v", Value: models.Float(12.6)},
			{Key: "coolant_c", Value: models.Float(88.25 + float64(i%7))},
			{Key: "engine_on", Value: models.Bool(true)},
			{Key: "fuel_pct", Value: models.Float(61.5)},
			{Key: "gear", Value: models.Int(4)},
			{Key: "lat", Value: models.Float(48.137154)},
			{Key: "lon", Value: models.Float(11.576124)},
			{Key: "odometer_km", Value: models.Int(184223 + int64(i))},
			{Key: "rpm", Value: models.Float(2210.5)},
			{Key: "speed_kmh", Value: models.Float(52.5 + float64(i%13))},
		}
		var err error
		if buf, err = lineproto.Append(buf, &p, lineproto.AppendOptions{DeviceTag: "device"}); err != nil {
			b.Fatal(err)
		}
	}
	return buf
}

func BenchmarkDecode(b *testing.B) {
	for _, lines := range []int{1, 100} {
		data := benchPayload(b, lines)
		c := payload.Context{DeviceTag: "device", Received: 1764072001000000000}
		b.Run(fmt.Sprintf("lines=%d/reuse", lines), func(b *testing.B) {
			var pts []models.Point
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if pts, err = lineproto.Decode(pts[:0], data, c); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*lines)/b.Elapsed().Seconds(), "points/s")
		})
		b.Run(fmt.Sprintf("lines=%d/fresh", lines), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := lineproto.Decode(nil, data, c); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*lines)/b.Elapsed().Seconds(), "points/s")
		})
	}
}

func BenchmarkAppend(b *testing.B) {
	data := benchPayload(b, 100)
	pts, err := lineproto.Decode(nil, data, payload.Context{DeviceTag: "device"})
	if err != nil {
		b.Fatal(err)
	}
	var buf []byte
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		buf = buf[:0]
		for i := range pts {
			if buf, err = lineproto.Append(buf, &pts[i], lineproto.AppendOptions{DeviceTag: "device"}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.N*len(pts))/b.Elapsed().Seconds(), "points/s")
}

// BenchmarkLibraryScan walks the same payload with the line-protocol
// library alone (values parsed, nothing kept): the ceiling for Decode.
func BenchmarkLibraryScan(b *testing.B) {
	data := benchPayload(b, 100)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		d := lineprotocol.NewDecoderWithBytes(data)
		for d.Next() {
			if _, err := d.Measurement(); err != nil {
				b.Fatal(err)
			}
			for {
				k, _, err := d.NextTag()
				if err != nil {
					b.Fatal(err)
				}
				if k == nil {
					break
				}
			}
			for {
				k, _, err := d.NextField()
				if err != nil {
					b.Fatal(err)
				}
				if k == nil {
					break
				}
			}
			if _, err := d.TimeBytes(); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "points/s")
}
