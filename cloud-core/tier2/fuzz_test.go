package tier2_test

// Run the fuzzers a little while each, e.g.
//
//	go test ./cloud-core/tier2 -run '^$' -fuzz FuzzReadChunk -fuzztime 20s -fuzzminimizetime 1s
//	go test ./cloud-core/tier2 -run '^$' -fuzz FuzzWriteRead -fuzztime 20s
//
// (Chunks are kilobytes even when tiny: minimizing each new input at the
// default length takes most of a short run, hence -fuzzminimizetime.)

import (
	"context"
	"encoding/binary"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/tributary-iot/tributary/cloud-core/tier2"
	"github.com/tributary-iot/tributary/models"
)

// FuzzReadChunk feeds arbitrary bytes to the chunk reader: it must return
// nil or a *CorruptionError (or ErrNoPositions for a read of part of a
// chunk without positions), never panic.
func FuzzReadChunk(f *testing.F) {
	small := chunkBytes(f, truckPoints(2, 3*time.Second), tier2.Options{Compression: tier2.CompressionFastest})
	mixed := chunkBytes(f, mixedPoints(), tier2.Options{Compression: tier2.CompressionFastest, RowGroupRows: 3})
	trucks := truckPoints(2, 5*time.Second)
	withPos := specChunkBytes(f, withPositions(spec("0", 1, 4), messagePositions(trucks, 1, 3)...), trucks,
		tier2.Options{Compression: tier2.CompressionFastest, RowGroupRows: 4})
	f.Add(small)
	f.Add(mixed)
	f.Add(withPos)
	f.Add(small[:len(small)/2])
	f.Add(mixed[len(mixed)/3:])
	f.Add([]byte("PAR1PAR1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		b := &tier2.MemBucket{}
		s, err := tier2.Open(context.Background(), tier2.Options{Bucket: b})
		if err != nil {
			t.Fatal(err)
		}
		name := "stream=s/date=2026-01-01/seg-0-1-1.parquet"
		b.PutBytes(name, data)
		ctx := context.Background()
		n := 0
		errs := []error{
			s.Read(ctx, name, tier2.Filter{}, func(*models.Point) error { n++; return nil }),
			s.Read(ctx, name, tier2.Filter{Device: "truck-0002", Start: 1, End: math.MaxInt64}, func(*models.Point) error { return nil }),
			second(s.Count(ctx, name, tier2.Filter{Device: "truck-0001"})),
			second(s.Info(ctx, name)),
			s.Read(ctx, name, tier2.Filter{FromPos: 2, ToPos: 3}, func(*models.Point) error { return nil }),
		}
		for _, err := range errs {
			var ce *tier2.CorruptionError
			if err != nil && !errors.As(err, &ce) && !errors.Is(err, tier2.ErrNoPositions) {
				t.Fatalf("error is no *CorruptionError: %v", err)
			}
		}
	})
}

// FuzzWriteRead writes points built from arbitrary bytes (any float bits,
// ints, strings, kind clashes) and checks that Read gives them back exactly.
func FuzzWriteRead(f *testing.F) {
	f.Add([]byte("\x01\x00\x00\x00\x00\x00\x00\x00\xf0\x3f\x02\x01abcdefgh\x03\x02\xff\xff\xff\xff\xff\xff\xff\xff"))
	f.Add(binary.LittleEndian.AppendUint64([]byte{0, 3}, math.Float64bits(52.123456)))
	f.Add(binary.LittleEndian.AppendUint64([]byte{0, 3}, math.Float64bits(math.NaN())))
	f.Add(binary.LittleEndian.AppendUint64([]byte{4, 5}, 0))
	f.Fuzz(func(t *testing.T, data []byte) {
		points := pointsFrom(data)
		if len(points) == 0 {
			return
		}
		s, err := tier2.Open(context.Background(), tier2.Options{
			Bucket: &tier2.MemBucket{}, Compression: tier2.CompressionFastest, RowGroupRows: 4,
		})
		if err != nil {
			t.Fatal(err)
		}
		// Positions 1 to 3, each point's from its index.
		pos := make([]uint64, len(points))
		var mid []models.Point
		for i := range points {
			if pos[i] = 1 + uint64(i%3); pos[i] == 2 {
				mid = append(mid, points[i])
			}
		}
		info, err := s.Write(context.Background(), withPositions(spec("0", 1, 3), pos...), points)
		if err != nil {
			t.Fatal(err)
		}
		assertPoints(t, readAll(t, s, info.Path, tier2.Filter{}), sorted(points))
		assertPoints(t, readAll(t, s, info.Path, tier2.Filter{FromPos: 2, ToPos: 2}), sorted(mid))
	})
}

// pointsFrom decodes fuzz input into points: each 10-byte record adds a field
// (kind, key, 8 bytes of value) to the current point; a kind byte of 5
// starts a new point.
func pointsFrom(data []byte) []models.Point {
	keys := []string{"a", "b", "time", "tag_x"}
	var points []models.Point
	newPoint := func() {
		i := len(points)
		points = append(points, models.Point{
			Device: []string{"d1", "d0", "d2"}[i%3], Stream: "vehicle-telemetry", Time: int64(i % 4),
			Seq: uint64(i), Agent: "a", Received: int64(i) * 7, Tags: []models.Tag{{Key: "x", Value: keys[i%4]}},
		})
	}
	newPoint()
	for len(data) >= 10 && len(points) < 64 {
		kind, key, raw := data[0]%6, keys[data[1]%4], binary.LittleEndian.Uint64(data[2:10])
		data = data[10:]
		var v models.Value
		switch kind {
		case 0:
			v = models.Float(math.Float64frombits(raw))
		case 1:
			v = models.Int(int64(raw))
		case 2:
			v = models.Uint(raw)
		case 3:
			v = models.Bool(raw&1 == 1)
		case 4:
			v = models.String(string(binary.LittleEndian.AppendUint64(nil, raw)[:raw%9]))
		case 5:
			newPoint()
			continue
		}
		p := &points[len(points)-1]
		if _, dup := p.Field(key); !dup {
			p.Fields = append(p.Fields, models.Field{Key: key, Value: v})
		}
	}
	return points
}
