package tier2_test

import (
	"cmp"
	"context"
	"slices"
	"testing"

	"github.com/tributary-iot/tributary/cloud-core/tier2"
	"github.com/tributary-iot/tributary/models"
)

func openStore(t testing.TB, opts tier2.Options) *tier2.Store {
	t.Helper()
	if opts.Root == "" && opts.Bucket == nil {
		opts.Root = t.TempDir()
	}
	s, err := tier2.Open(context.Background(), opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func spec(segment string, first, last uint64) tier2.ChunkSpec {
	return tier2.ChunkSpec{Stream: "vehicle-telemetry", Segment: segment, FirstPos: first, LastPos: last}
}

func write(t testing.TB, s *tier2.Store, sp tier2.ChunkSpec, points []models.Point) tier2.ChunkInfo {
	t.Helper()
	info, err := s.Write(context.Background(), sp, points)
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	return info
}

// readAll returns clones of the points Read gives.
func readAll(t testing.TB, s *tier2.Store, path string, f tier2.Filter) []models.Point {
	t.Helper()
	var got []models.Point
	err := s.Read(context.Background(), path, f, func(p *models.Point) error {
		got = append(got, p.Clone())
		return nil
	})
	if err != nil {
		t.Fatalf("Read(%q, %+v): %v", path, f, err)
	}
	return got
}

// sorted returns normalized clones of points in chunk order.
func sorted(points []models.Point) []models.Point {
	out := make([]models.Point, len(points))
	for i := range points {
		out[i] = points[i].Clone()
		out[i].Normalize()
	}
	slices.SortStableFunc(out, func(a, b models.Point) int {
		return cmp.Or(cmp.Compare(a.Device, b.Device), cmp.Compare(a.Time, b.Time), cmp.Compare(a.Seq, b.Seq))
	})
	return out
}

// filtered returns the points f selects, by brute force.
func filtered(points []models.Point, f tier2.Filter) []models.Point {
	var out []models.Point
	for _, p := range points {
		if f.Device != "" && p.Device != f.Device || f.Start != 0 && p.Time < f.Start || f.End != 0 && p.Time >= f.End {
			continue
		}
		if f.Fields != nil {
			p = p.Clone()
			p.Fields = slices.DeleteFunc(p.Fields, func(fl models.Field) bool { return !slices.Contains(f.Fields, fl.Key) })
		}
		out = append(out, p)
	}
	return out
}

func assertPoints(t testing.TB, got, want []models.Point) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d points, want %d", len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if len(g.Fields) == 0 {
			g.Fields = nil
		}
		if len(w.Fields) == 0 {
			w.Fields = nil
		}
		if len(g.Tags) == 0 {
			g.Tags = nil
		}
		if len(w.Tags) == 0 {
			w.Tags = nil
		}
		if !g.Equal(&w) {
			t.Fatalf("point %d:\n got %+v\nwant %+v", i, g, w)
		}
	}
}
