package tier2_test

// Run the size comparison and the throughput benchmarks with
//
//	go test ./cloud-core/tier2 -run '^$' -bench . -benchtime 3x -timeout 30m
//
// The first benchmark that needs the line-protocol baseline compresses it
// with klauspost zstd at its best level and, when the zstd command is
// installed, with `zstd -19` (both orders of the lines: as they arrive and
// sorted by device): that takes a minute or two, once per run.

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/influxdata/line-protocol/v2/lineprotocol"
	"github.com/klauspost/compress/zstd"

	"github.com/tributary-iot/tributary/cloud-core/tier2"
	"github.com/tributary-iot/tributary/models"
	"github.com/tributary-iot/tributary/simulators/truckdata"
)

// benchConfig is the benchmark dataset: 100 trucks for an hour at 1 Hz, about
// 358k points and 2.86M field values, one chunk (a tier-1 range of an hour).
var benchConfig = truckdata.Config{Trucks: 100, Duration: time.Hour, Seed: 1}

type benchData struct {
	points      []models.Point
	fieldValues int
	lp          []byte // line protocol, in arrival order
	lpSorted    []byte // line protocol, sorted by device (then arrival)
	// Sizes of the line protocol compressed whole.
	zstdGo     int // klauspost zstd, SpeedBestCompression, arrival order
	zstdCLI    int // zstd -19, arrival order; 0 without the zstd command
	zstdCLISrt int // zstd -19, sorted by device
}

var (
	benchOnce   sync.Once
	benchShared benchData
)

func loadBenchData(b *testing.B, withBaseline bool) *benchData {
	b.Helper()
	benchOnce.Do(func() {
		d := &benchShared
		d.points = truckdata.Generate(benchConfig)
		for i := range d.points {
			d.fieldValues += len(d.points[i].Fields)
		}
		d.lp = lineProtocol(d.points)
		byDevice := slices.Clone(d.points)
		slices.SortStableFunc(byDevice, func(a, b models.Point) int { return cmp.Compare(a.Device, b.Device) })
		d.lpSorted = lineProtocol(byDevice)
	})
	d := &benchShared
	if withBaseline && d.zstdGo == 0 {
		enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedBestCompression), zstd.WithEncoderConcurrency(1))
		if err != nil {
			b.Fatal(err)
		}
		d.zstdGo = len(enc.EncodeAll(d.lp, nil))
		d.zstdCLI = zstdCLI(b, d.lp)
		d.zstdCLISrt = zstdCLI(b, d.lpSorted)
	}
	return d
}

// lineProtocol encodes points as InfluxDB line protocol: the stream as the
// measurement, the device as a "device" tag, ns timestamps.
func lineProtocol(points []models.Point) []byte {
	var e lineprotocol.Encoder
	e.SetPrecision(lineprotocol.Nanosecond)
	for i := range points {
		p := &points[i]
		e.StartLine(p.Stream)
		e.AddTag("device", p.Device)
		for _, t := range p.Tags {
			e.AddTag(t.Key, t.Value)
		}
		for _, f := range p.Fields {
			v, ok := lineprotocol.NewValue(f.Value.Any())
			if !ok {
				panic(fmt.Sprintf("no line protocol value for %v", f.Value))
			}
			e.AddField(f.Key, v)
		}
		e.EndLine(time.Unix(0, p.Time))
	}
	if err := e.Err(); err != nil {
		panic(err)
	}
	return e.Bytes()
}

// zstdCLI returns the size of data compressed by `zstd -19`, or 0 when the
// command is missing.
func zstdCLI(b *testing.B, data []byte) int {
	if _, err := exec.LookPath("zstd"); err != nil {
		b.Log("zstd command not installed: skipping the zstd -19 baseline")
		return 0
	}
	dir := b.TempDir()
	in := filepath.Join(dir, "points.lp")
	if err := os.WriteFile(in, data, 0o644); err != nil {
		b.Fatal(err)
	}
	if out, err := exec.Command("zstd", "-19", "-q", "-f", in, "-o", in+".zst").CombinedOutput(); err != nil {
		b.Fatalf("zstd -19: %v: %s", err, out)
	}
	st, err := os.Stat(in + ".zst")
	if err != nil {
		b.Fatal(err)
	}
	return int(st.Size())
}

// BenchmarkChunkSize writes the dataset as one chunk and reports its size
// against the line-protocol baseline: bytes per field value of the chunk
// (tier2-B/value), of the raw line protocol (lp-B/value), of the line
// protocol after zstd (lp-zstd-go-B/value, lp-zstd19-B/value,
// lp-zstd19-sorted-B/value), and the ratios x-vs-raw (how many times
// smaller than raw) and of-zstd (chunk / the smallest zstd baseline).
// benchSpec is the spec tiering would give the data: positions of tier-1
// messages of 1,000 points in arrival order.
func benchSpec(d *benchData) tier2.ChunkSpec {
	pos := messagePositions(d.points, 1, 1000)
	return withPositions(spec("0", 1, pos[len(pos)-1]), pos...)
}

func BenchmarkChunkSize(b *testing.B) {
	d := loadBenchData(b, true)
	s := openStore(b, tier2.Options{Bucket: &tier2.MemBucket{}})
	b.ReportAllocs()
	b.SetBytes(int64(len(d.lp)))
	var info tier2.ChunkInfo
	for b.Loop() {
		info = write(b, s, benchSpec(d), d.points)
	}
	per := func(n int) float64 { return float64(n) / float64(d.fieldValues) }
	best := d.zstdGo
	for _, z := range []int{d.zstdCLI, d.zstdCLISrt} {
		if z > 0 {
			best = min(best, z)
		}
	}
	b.ReportMetric(per(int(info.Bytes)), "tier2-B/value")
	b.ReportMetric(per(len(d.lp)), "lp-B/value")
	b.ReportMetric(per(d.zstdGo), "lp-zstd-go-B/value")
	if d.zstdCLI > 0 {
		b.ReportMetric(per(d.zstdCLI), "lp-zstd19-B/value")
		b.ReportMetric(per(d.zstdCLISrt), "lp-zstd19-sorted-B/value")
	}
	b.ReportMetric(float64(len(d.lp))/float64(info.Bytes), "x-vs-raw")
	b.ReportMetric(float64(info.Bytes)/float64(best), "of-zstd")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkWrite reports chunk write throughput (sort, encode, compress,
// fsync to a temporary directory) in points/s per compression level.
func BenchmarkWrite(b *testing.B) {
	d := loadBenchData(b, false)
	for _, c := range []tier2.Compression{tier2.CompressionBest, tier2.CompressionBetter, tier2.CompressionDefault, tier2.CompressionFastest} {
		b.Run("compression="+c.String(), func(b *testing.B) {
			s := openStore(b, tier2.Options{Root: b.TempDir(), Compression: c})
			b.ReportAllocs()
			b.SetBytes(int64(len(d.lp)))
			var info tier2.ChunkInfo
			for b.Loop() {
				info = write(b, s, benchSpec(d), d.points)
			}
			b.ReportMetric(float64(len(d.points))*float64(b.N)/b.Elapsed().Seconds(), "points/s")
			b.ReportMetric(float64(info.Bytes)/float64(d.fieldValues), "B/value")
		})
	}
}

// BenchmarkRead reports read throughput in points/s on one goroutine: a full
// chunk scan that builds every point, and filtered reads.
func BenchmarkRead(b *testing.B) {
	d := loadBenchData(b, false)
	s := openStore(b, tier2.Options{Root: b.TempDir()})
	info := write(b, s, benchSpec(d), d.points)
	start := time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC) // truckdata's default
	for _, tc := range []struct {
		name string
		f    tier2.Filter
	}{
		{"full-scan", tier2.Filter{}},
		{"one-device", tier2.Filter{Device: truckdata.Device(42)}},
		{"ten-minutes", tier2.Filter{Start: start.Add(20 * time.Minute).UnixNano(), End: start.Add(30 * time.Minute).UnixNano()}},
		{"two-fields", tier2.Filter{Fields: []string{truckdata.FieldSpeed, truckdata.FieldFuelRate}}},
	} {
		b.Run("filter="+tc.name, func(b *testing.B) {
			b.ReportAllocs()
			var n int
			var sum float64
			for b.Loop() {
				err := s.Read(context.Background(), info.Path, tc.f, func(p *models.Point) error {
					n++
					if len(p.Fields) > 0 {
						sum += p.Fields[0].Value.FloatV()
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "points/s")
			b.ReportMetric(float64(n)/float64(b.N), "points/op")
			_ = sum
		})
	}
	b.Run("count-one-device", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.Count(context.Background(), info.Path, tier2.Filter{Device: truckdata.Device(7)}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
