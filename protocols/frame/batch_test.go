package frame_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/tributary-iot/tributary/models"
	"github.com/tributary-iot/tributary/protocols/frame"
)

// carBatch makes n points of a realistic passenger-car stream from a few devices.
func carBatch(n, devices int, seed uint64) models.Batch {
	rng := rand.New(rand.NewPCG(seed, 7))
	b := models.Batch{Writer: "gw-7.normal", FirstSeq: 1000}
	speed := make([]float64, devices)
	lat := make([]float64, devices)
	t0 := int64(1764072000000000000)
	for i := 0; i < n; i++ {
		d := i % devices
		speed[d] = math.Max(0, speed[d]+rng.NormFloat64())
		lat[d] += rng.NormFloat64() * 1e-5
		p := models.Point{
			Device: fmt.Sprintf("veh-%04d", d), Stream: "vehicle-telemetry",
			Time:  t0 + int64(i/devices)*100e6 + int64(rng.IntN(5))*1e6,
			Agent: "gw-7", Seq: uint64(1000 + i), Received: t0 + int64(i)*1e6,
			Fields: []models.Field{
				{Key: "speed_kmh", Value: models.Float(math.Round(speed[d]*10) / 10)},
				{Key: "rpm", Value: models.Int(int64(800 + speed[d]*30))},
				{Key: "lat", Value: models.Float(math.Round((48.1+lat[d])*1e6) / 1e6)},
				{Key: "coolant_c", Value: models.Float(math.Round((85+rng.NormFloat64())*10) / 10)},
				{Key: "gear", Value: models.String("D")},
				{Key: "brake", Value: models.Bool(rng.IntN(10) == 0)},
				{Key: "odo", Value: models.Uint(uint64(120000 + i))},
			},
			Tags: []models.Tag{{Key: "model", Value: "sedan-e"}},
		}
		b.Points = append(b.Points, p)
	}
	b.LastSeq = uint64(1000 + n - 1)
	return b
}

func roundTrip(t testing.TB, enc *frame.Encoder, dec *frame.Decoder, in *models.Batch) models.Batch {
	t.Helper()
	data, err := enc.AppendBatch(nil, in)
	if err != nil {
		t.Fatal(err)
	}
	var out models.Batch
	if err := dec.DecodeBatch(&out, data); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return out
}

func TestBatchRoundTrip(t *testing.T) {
	for _, compress := range []bool{true, false} {
		enc, err := frame.NewEncoder(frame.EncoderOptions{NoCompression: !compress})
		if err != nil {
			t.Fatal(err)
		}
		dec, err := frame.NewDecoder()
		if err != nil {
			t.Fatal(err)
		}
		in := carBatch(500, 7, 1)
		// Edge values that must survive exactly.
		in.Points[3].Fields = append(in.Points[3].Fields,
			models.Field{Key: "nan", Value: models.Float(math.NaN())},
			models.Field{Key: "negzero", Value: models.Float(math.Copysign(0, -1))},
			models.Field{Key: "inf", Value: models.Float(math.Inf(-1))},
			models.Field{Key: "tiny", Value: models.Float(5e-324)},
			models.Field{Key: "big", Value: models.Float(1e300)},
			models.Field{Key: "maxint", Value: models.Int(math.MinInt64)},
			models.Field{Key: "maxuint", Value: models.Uint(math.MaxUint64)},
			models.Field{Key: "empty", Value: models.String("")},
		)
		in.Points[4].Time = -5 // before the epoch, and out of order
		for range 2 {          // the encoder and decoder are reusable
			out := roundTrip(t, enc, dec, &in)
			if out.Writer != in.Writer || out.FirstSeq != in.FirstSeq || out.LastSeq != in.LastSeq || len(out.Points) != len(in.Points) {
				t.Fatalf("header changed: %+v", out)
			}
			for i := range in.Points {
				if !in.Points[i].Equal(&out.Points[i]) {
					t.Fatalf("point %d changed:\n%+v\n%+v", i, in.Points[i], out.Points[i])
				}
			}
		}
	}
}

func TestCorruptFrames(t *testing.T) {
	enc, _ := frame.NewEncoder(frame.EncoderOptions{NoCompression: true})
	dec, _ := frame.NewDecoder()
	in := carBatch(20, 2, 2)
	good, _ := enc.AppendBatch(nil, &in)
	for name, data := range map[string][]byte{
		"empty":     nil,
		"magic":     []byte("XXXX\x00"),
		"flags":     append([]byte("TBB\x01\x80"), good[5:]...),
		"truncated": good[:len(good)/2],
		"trailing":  append(append([]byte{}, good...), 0),
		"zstd junk": []byte("TBB\x01\x01garbage"),
	} {
		var out models.Batch
		err := dec.DecodeBatch(&out, data)
		var ce *frame.CorruptError
		if !errors.Is(err, frame.ErrCorrupt) || !errors.As(err, &ce) {
			t.Errorf("%s: err = %v, want a CorruptError", name, err)
		}
	}
}

// FuzzDecodeBatch: any bytes decode to an error or to a batch that
// re-encodes and decodes to itself; never a panic or a huge allocation.
func FuzzDecodeBatch(f *testing.F) {
	enc, _ := frame.NewEncoder(frame.EncoderOptions{})
	raw, _ := frame.NewEncoder(frame.EncoderOptions{NoCompression: true})
	in := carBatch(30, 3, 3)
	a, _ := enc.AppendBatch(nil, &in)
	b, _ := raw.AppendBatch(nil, &in)
	f.Add(a)
	f.Add(b)
	f.Add([]byte("TBB\x01\x00\x00\x00\x00\x00\x01"))
	dec, _ := frame.NewDecoder()
	dec2, _ := frame.NewDecoder()
	f.Fuzz(func(t *testing.T, data []byte) {
		var out models.Batch
		if err := dec.DecodeBatch(&out, data); err != nil {
			return
		}
		again := roundTrip(t, raw, dec2, &out)
		for i := range out.Points {
			if !out.Points[i].Equal(&again.Points[i]) {
				t.Fatalf("point %d changed on re-encode", i)
			}
		}
	})
}

// TestFrameLimits: a frame that declares more points, strings or fields
// than a Decoder accepts is refused before the decoder allocates for them,
// however small it is on the wire.
func TestFrameLimits(t *testing.T) {
	header := func(ns, np uint64) []byte {
		b := []byte{0, 0, 0} // writer "", first and last seq 0
		b = binary.AppendUvarint(b, ns)
		for range ns {
			b = append(b, 0) // empty strings
		}
		return binary.AppendUvarint(b, np)
	}
	zenc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer zenc.Close()
	// 60 MiB of zero bytes: 7.8 million minimal points.
	points := append(header(1, 60<<20/8), make([]byte, 60<<20)...)
	// 60,000 points of 100 fields each: 6 million fields.
	fields := header(1, 60000)
	for range 60000 {
		fields = append(fields, 0, 0, 0, 0, 0, 0) // device, stream, agent, time, seq, received
		fields = binary.AppendUvarint(fields, 100)
		for range 100 {
			fields = append(fields, 0, 13) // key 0, false
		}
		fields = append(fields, 0) // no tags
	}
	// A string table of 5 million empty strings.
	strs := append(header(5<<20, 0), 0)
	dec, _ := frame.NewDecoder()
	for name, body := range map[string][]byte{"points": points, "fields": fields, "strings": strs} {
		frameBytes := append([]byte("TBB\x01\x01"), zenc.EncodeAll(body, nil)...)
		if len(frameBytes) > 1<<20 {
			t.Fatalf("%s: test frame of %d bytes is not small", name, len(frameBytes))
		}
		var out models.Batch
		err := dec.DecodeBatch(&out, frameBytes)
		var ce *frame.CorruptError
		if !errors.As(err, &ce) || !strings.Contains(ce.Reason, "limit") && !strings.Contains(ce.Reason, "over") {
			t.Errorf("%s: %v, want a CorruptError over a limit", name, err)
		}
		if cap(out.Points) > frame.MaxBatchPoints {
			t.Errorf("%s: decoder allocated %d points", name, cap(out.Points))
		}
	}
}
