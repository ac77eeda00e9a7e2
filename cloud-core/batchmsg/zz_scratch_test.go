package batchmsg_test

import (
	"testing"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
)

func BenchmarkScratchCodecs(b *testing.B) {
	batch := sampleBatch(1000)
	raw, _ := batch.MarshalMsg(nil)
	b.Logf("raw %d B/pt", len(raw)/1000)
	b.Run("s2", func(b *testing.B) {
		var dst []byte
		for b.Loop() {
			dst = s2.Encode(dst[:cap(dst)], raw)
		}
		b.ReportMetric(float64(len(dst))/1000, "B/pt")
	})
	b.Run("s2better", func(b *testing.B) {
		var dst []byte
		for b.Loop() {
			dst = s2.EncodeBetter(dst[:cap(dst)], raw)
		}
		b.ReportMetric(float64(len(dst))/1000, "B/pt")
	})
	for _, crc := range []bool{true, false} {
		enc, _ := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderCRC(crc))
		b.Run("zstd-fastest", func(b *testing.B) {
			var dst []byte
			for b.Loop() {
				dst = enc.EncodeAll(raw, dst[:0])
			}
			b.ReportMetric(float64(len(dst))/1000, "B/pt")
		})
	}
	enc, _ := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderCRC(false), zstd.WithNoEntropyCompression(true))
	b.Run("zstd-noentropy", func(b *testing.B) {
		var dst []byte
		for b.Loop() {
			dst = enc.EncodeAll(raw, dst[:0])
		}
		b.ReportMetric(float64(len(dst))/1000, "B/pt")
	})
	b.Run("marshal", func(b *testing.B) {
		var dst []byte
		for b.Loop() {
			dst, _ = batch.MarshalMsg(dst[:0])
		}
	})
}
