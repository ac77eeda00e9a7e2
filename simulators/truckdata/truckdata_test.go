package truckdata_test

import (
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tributary-iot/tributary/models"
	"github.com/tributary-iot/tributary/simulators/truckdata"
)

func TestGenerateDeterministic(t *testing.T) {
	cfg := truckdata.Config{Trucks: 3, Duration: 10 * time.Minute, Seed: 7}
	a := truckdata.Generate(cfg)
	b := truckdata.Generate(cfg)
	if len(a) != len(b) {
		t.Fatalf("lengths differ: %d vs %d", len(a), len(b))
	}
	for i := range a {
		if !a[i].Equal(&b[i]) {
			t.Fatalf("point %d differs:\n%+v\n%+v", i, a[i], b[i])
		}
	}
	c := truckdata.Generate(truckdata.Config{Trucks: 3, Duration: 10 * time.Minute, Seed: 8})
	if len(c) == len(a) && c[len(c)/2].Equal(&a[len(a)/2]) {
		t.Fatal("another seed gave the same data")
	}
}

func TestGenerateShape(t *testing.T) {
	cfg := truckdata.Config{Trucks: 8, Duration: time.Hour, Seed: 1}
	points := truckdata.Generate(cfg)
	full := 8 * 3600
	if len(points) >= full || len(points) < full*98/100 {
		t.Fatalf("got %d points, want a little under %d (some missing)", len(points), full)
	}
	lastTime := map[string]int64{}
	lastSeq := map[string]uint64{}
	var late, noGPS int
	var prevReceived int64
	for i := range points {
		p := &points[i]
		if p.Received < prevReceived {
			t.Fatalf("point %d: not in arrival order", i)
		}
		prevReceived = p.Received
		if p.Time < lastTime[p.Device] {
			late++
		}
		lastTime[p.Device] = max(lastTime[p.Device], p.Time)
		if p.Seq != lastSeq[p.Agent]+1 {
			t.Fatalf("point %d: agent %s seq %d after %d", i, p.Agent, p.Seq, lastSeq[p.Agent])
		}
		lastSeq[p.Agent] = p.Seq
		if p.Received <= p.Time {
			t.Fatalf("point %d received before its time", i)
		}
		if _, ok := p.Field(truckdata.FieldLat); !ok {
			noGPS++
		}
		for _, f := range p.Fields {
			if f.Value.Kind() != models.KindFloat {
				continue
			}
			x := f.Value.FloatV()
			if math.IsNaN(x) || math.IsInf(x, 0) {
				t.Fatalf("point %d: %s = %v", i, f.Key, x)
			}
			s := strconv.FormatFloat(x, 'f', -1, 64)
			if dot := strings.IndexByte(s, '.'); dot >= 0 && len(s)-1-dot > 6 {
				t.Fatalf("point %d: %s = %s has more than 6 decimals", i, f.Key, s)
			}
		}
		if len(p.Tags) != 3 {
			t.Fatalf("point %d: tags %v", i, p.Tags)
		}
	}
	if late == 0 {
		t.Error("no late points")
	}
	if noGPS == 0 {
		t.Error("no points without GPS")
	}
}
