package lineproto_test

import (
	"testing"

	"github.com/influxdata/line-protocol/v2/lineprotocol"
)

func BenchmarkLibOnlyTmp(b *testing.B) {
	data := benchPayload(b, 100)
	b.ReportAllocs()
	for b.Loop() {
		d := lineprotocol.NewDecoderWithBytes(data)
		for d.Next() {
			d.Measurement()
			for {
				k, _, _ := d.NextTag()
				if k == nil {
					break
				}
			}
			for {
				k, _, _ := d.NextField()
				if k == nil {
					break
				}
			}
			d.TimeBytes()
		}
	}
	b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "points/s")
}
