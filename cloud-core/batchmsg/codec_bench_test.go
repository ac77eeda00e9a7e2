package batchmsg_test

// Run with:
//
//	go test -run XXX -bench . ./cloud-core/batchmsg

import (
	"testing"

	"github.com/tributary-iot/tributary/cloud-core/batchmsg"
	"github.com/tributary-iot/tributary/models"
)

func BenchmarkAppend(b *testing.B) {
	c := newCodec(b)
	batch := sampleBatch(1000)
	raw, _ := batch.MarshalMsg(nil)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	var dst []byte
	for b.Loop() {
		var err error
		if dst, err = c.Append(dst[:0], &batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(raw))/float64(len(dst)), "ratio")
}

func BenchmarkMarshalOnly(b *testing.B) {
	batch := sampleBatch(1000)
	var dst []byte
	b.ReportAllocs()
	for b.Loop() {
		dst, _ = batch.MarshalMsg(dst[:0])
	}
	b.SetBytes(int64(len(dst)))
}

func BenchmarkDecode(b *testing.B) {
	c := newCodec(b)
	batch := sampleBatch(1000)
	payload, err := c.Append(nil, &batch)
	if err != nil {
		b.Fatal(err)
	}
	raw, _ := batch.MarshalMsg(nil)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	var back models.Batch
	for b.Loop() {
		if err := c.Decode(&back, batchmsg.Format, payload); err != nil {
			b.Fatal(err)
		}
	}
}
