package batchmsg_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"testing"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"

	"github.com/tributary-iot/tributary/cloud-core/batchmsg"
	"github.com/tributary-iot/tributary/models"
)

func newCodec(tb testing.TB) *batchmsg.Codec {
	tb.Helper()
	c, err := batchmsg.NewCodec()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(c.Close)
	return c
}

func sampleBatch(n int) models.Batch {
	b := models.Batch{Writer: "gw-7.normal", FirstSeq: 1, LastSeq: uint64(n)}
	for i := range n {
		b.Points = append(b.Points, models.Point{
			Device: fmt.Sprintf("veh-%03d", i%17), Stream: "vehicle-telemetry",
			Time:   1764072000000000000 + int64(i)*1e6,
			Fields: []models.Field{{Key: "speed_kmh", Value: models.Float(float64(i) / 3)}, {Key: "gear", Value: models.String("D")}},
			Tags:   []models.Tag{{Key: "model", Value: "sedan"}},
			Agent:  "gw-7", Seq: uint64(i + 1), Received: 1764072000000000000 + int64(i)*1e6 + 5,
		})
	}
	return b
}

func TestRoundTrip(t *testing.T) {
	c := newCodec(t)
	for _, n := range []int{0, 1, 1000} {
		b := sampleBatch(n)
		payload, err := c.Append([]byte("prefix"), &b)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(payload, []byte("prefix")) {
			t.Fatal("Append did not append")
		}
		var back models.Batch
		if err := c.Decode(&back, batchmsg.Format, payload[len("prefix"):]); err != nil {
			t.Fatal(err)
		}
		sameBatch(t, &b, &back)
	}
}

// sameBatch fails t if back is not b.
func sameBatch(t *testing.T, b, back *models.Batch) {
	t.Helper()
	n := len(b.Points)
	if back.Writer != b.Writer || back.FirstSeq != b.FirstSeq || back.LastSeq != b.LastSeq || len(back.Points) != n {
		t.Fatalf("n=%d: header %+v", n, back)
	}
	for i := range b.Points {
		if !b.Points[i].Equal(&back.Points[i]) {
			t.Fatalf("n=%d: point %d differs:\n%+v\n%+v", n, i, b.Points[i], back.Points[i])
		}
	}
}

// TestDecodesZstdFormat: tier 1 written in the earlier format (zstd of the
// same msgp) still reads.
func TestDecodesZstdFormat(t *testing.T) {
	c := newCodec(t)
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderCRC(true))
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	b := sampleBatch(100)
	raw, err := b.MarshalMsg(nil)
	if err != nil {
		t.Fatal(err)
	}
	var back models.Batch
	if err := c.Decode(&back, batchmsg.FormatZstd, enc.EncodeAll(raw, nil)); err != nil {
		t.Fatal(err)
	}
	sameBatch(t, &b, &back)
	if err := c.Decode(&back, "msgp+lz4/9", enc.EncodeAll(raw, nil)); !errors.Is(err, batchmsg.ErrUnknownFormat) {
		t.Fatalf("unknown format: %v", err)
	}
}

func TestSummarize(t *testing.T) {
	b := sampleBatch(3)
	b.Points[1].Time = 5
	s := batchmsg.Summarize(&b)
	want := batchmsg.Summary{Writer: "gw-7.normal", Mark: 3, Points: 3, MinTime: 5, MaxTime: b.Points[2].Time}
	if s != want {
		t.Fatalf("summary %+v, want %+v", s, want)
	}
	empty := models.Batch{Writer: "w.low"}
	if s := batchmsg.Summarize(&empty); s.Points != 0 {
		t.Errorf("empty summary %+v", s)
	}
}

func TestDecodeRefusesGarbage(t *testing.T) {
	c := newCodec(t)
	b := sampleBatch(10)
	payload, err := c.Append(nil, &b)
	if err != nil {
		t.Fatal(err)
	}
	flip := func(p []byte, i int) []byte {
		p = bytes.Clone(p)
		p[i] ^= 0xff
		return p
	}
	// A valid S2 block of bytes that are not msgp, with a right checksum.
	notMsgp := s2.Encode(nil, []byte("hello, world"))
	notMsgp = binary.LittleEndian.AppendUint32(notMsgp, crc32.Checksum(notMsgp, crc32.MakeTable(crc32.Castagnoli)))
	for name, p := range map[string][]byte{
		"empty":            nil,
		"truncated":        payload[:len(payload)/2],
		"not s2":           []byte("hello, world"),
		"flipped block":    flip(payload, 20),
		"flipped checksum": flip(payload, len(payload)-1),
		"not msgp":         notMsgp,
	} {
		var back models.Batch
		if err := c.Decode(&back, batchmsg.Format, p); !errors.Is(err, batchmsg.ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", name, err)
		}
		if err := c.Decode(&back, batchmsg.FormatZstd, p); !errors.Is(err, batchmsg.ErrCorrupt) {
			t.Errorf("%s as zstd: %v, want ErrCorrupt", name, err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	c := newCodec(f)
	for _, n := range []int{0, 1, 5} {
		b := sampleBatch(n)
		p, _ := c.Append(nil, &b)
		f.Add(false, p)
	}
	f.Add(true, []byte{0x28, 0xb5, 0x2f, 0xfd})
	f.Fuzz(func(t *testing.T, zstdFormat bool, payload []byte) {
		format := batchmsg.Format
		if zstdFormat {
			format = batchmsg.FormatZstd
		}
		var b models.Batch
		if err := c.Decode(&b, format, payload); err != nil {
			if !errors.Is(err, batchmsg.ErrCorrupt) {
				t.Fatalf("error does not wrap ErrCorrupt: %v", err)
			}
			return
		}
		again, err := c.Append(nil, &b)
		if err != nil {
			return // a decoded field of invalid kind cannot be re-encoded
		}
		var back models.Batch
		if err := c.Decode(&back, batchmsg.Format, again); err != nil {
			t.Fatalf("re-encoded batch does not decode: %v", err)
		}
		if len(back.Points) != len(b.Points) || back.Writer != b.Writer {
			t.Fatalf("round trip changed the batch")
		}
		for i := range b.Points {
			if !b.Points[i].Equal(&back.Points[i]) {
				t.Fatalf("round trip changed point %d", i)
			}
		}
	})
}

// FuzzDecodeMsgp feeds the fuzzer's bytes, compressed and checksummed in
// each format, to Decode, so that the msgp layer under the compression is
// explored too.
func FuzzDecodeMsgp(f *testing.F) {
	c := newCodec(f)
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = enc.Close() })
	table := crc32.MakeTable(crc32.Castagnoli)
	for _, n := range []int{0, 1, 3} {
		b := sampleBatch(n)
		raw, _ := b.MarshalMsg(nil)
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		block := s2.Encode(nil, raw)
		for format, payload := range map[string][]byte{
			batchmsg.Format:     binary.LittleEndian.AppendUint32(block, crc32.Checksum(block, table)),
			batchmsg.FormatZstd: enc.EncodeAll(raw, nil),
		} {
			var b models.Batch
			if err := c.Decode(&b, format, payload); err != nil && !errors.Is(err, batchmsg.ErrCorrupt) {
				t.Fatalf("%s: error does not wrap ErrCorrupt: %v", format, err)
			}
		}
	})
}
