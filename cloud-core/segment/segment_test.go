package segment_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/tributary-iot/tributary/cloud-core/segment"
)

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func TestHashIsStable(t *testing.T) {
	// The hash is part of the on-disk format: these values, computed by an
	// independent implementation, must never change.
	for _, tc := range []struct {
		device string
		want   uint64
	}{
		{"", 0xefd01f60ba992926},
		{"a", 0x82a2a958a9bece5b},
		{"veh-0001", 0x9a2deddd2039a58c},
		{"veh-0002", 0x0e6fcb1a9c388194},
	} {
		if got := segment.Hash(tc.device); got != tc.want {
			t.Errorf("Hash(%q) = %#x, want %#x", tc.device, got, tc.want)
		}
	}
}

func TestHashSpreadsSimilarIDs(t *testing.T) {
	// 8 equal segments, 8000 sequential ids: each segment should get
	// roughly 1000; a bad spread (all in one or two) fails clearly.
	l, err := segment.NewLayout(8, t0)
	if err != nil {
		t.Fatal(err)
	}
	r, err := l.Router(1)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for i := range 8000 {
		counts[r.Route(fmt.Sprintf("veh-%04d", i))]++
	}
	for id, n := range counts {
		if n < 700 || n > 1300 {
			t.Errorf("segment %s got %d of 8000 sequential ids: %v", id, n, counts)
		}
	}
}

func TestKeyRangeSplit(t *testing.T) {
	for _, tc := range []struct {
		r segment.KeyRange
		n int
	}{
		{segment.FullRange, 1}, {segment.FullRange, 2}, {segment.FullRange, 3},
		{segment.FullRange, 7}, {segment.FullRange, 1024},
		{segment.KeyRange{Lo: 10, Hi: 19}, 10}, {segment.KeyRange{Lo: 5, Hi: 1 << 40}, 3},
	} {
		parts := tc.r.Split(tc.n)
		if len(parts) != tc.n {
			t.Fatalf("%v.Split(%d): %d parts", tc.r, tc.n, len(parts))
		}
		if parts[0].Lo != tc.r.Lo || parts[len(parts)-1].Hi != tc.r.Hi {
			t.Errorf("%v.Split(%d) = %v: ends differ", tc.r, tc.n, parts)
		}
		width := float64(tc.r.Hi-tc.r.Lo) + 1
		for i, p := range parts {
			if p.Hi < p.Lo {
				t.Fatalf("%v.Split(%d): part %d empty: %v", tc.r, tc.n, i, p)
			}
			if i > 0 && parts[i-1].Hi+1 != p.Lo {
				t.Fatalf("%v.Split(%d): gap or overlap at %d: %v", tc.r, tc.n, i, parts)
			}
			if w := float64(p.Hi-p.Lo) + 1; math.Abs(w-width/float64(tc.n)) > 1 {
				t.Errorf("%v.Split(%d): part %d width %g, want %g", tc.r, tc.n, i, w, width/float64(tc.n))
			}
		}
	}
	if got := (segment.KeyRange{Lo: 1, Hi: 2}).Split(3); got != nil {
		t.Errorf("splitting 2 hashes in 3 = %v, want nil", got)
	}
	if got := segment.FullRange.Split(0); got != nil {
		t.Errorf("Split(0) = %v, want nil", got)
	}
}

func TestRouteIsAPureFunctionOfEpochAndDevice(t *testing.T) {
	l, err := segment.NewLayout(4, t0)
	if err != nil {
		t.Fatal(err)
	}
	l2, err := l.Split("2", 2, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := l2.Validate(); err != nil {
		t.Fatal(err)
	}
	for i := range 2000 {
		dev := fmt.Sprintf("dev-%d", i)
		h := segment.Hash(dev)
		for e := uint64(1); e <= 2; e++ {
			got, err := l2.Route(e, dev)
			if err != nil {
				t.Fatal(err)
			}
			r, _ := l2.Router(e)
			if r.Route(dev) != got {
				t.Fatalf("Router and Layout.Route disagree for %s in epoch %d", dev, e)
			}
			s, _ := l2.Segment(got)
			if !s.Range.Contains(h) || !s.ActiveIn(e) {
				t.Fatalf("%s routed to %s (%v) in epoch %d", dev, got, s.Range, e)
			}
		}
		// Epoch 1 of the new layout routes as the old layout did.
		was, _ := l.Route(1, dev)
		now, _ := l2.Route(1, dev)
		if was != now {
			t.Fatalf("split changed epoch 1's routing of %s: %s -> %s", dev, was, now)
		}
	}
	if _, err := l2.Route(3, "x"); !errors.Is(err, segment.ErrUnknownEpoch) {
		t.Errorf("route in a missing epoch: %v", err)
	}
}

func TestSplitAndMergeKeepTheSuccessorGraph(t *testing.T) {
	l, err := segment.NewLayout(2, t0)
	if err != nil {
		t.Fatal(err)
	}
	l, err = l.Split("1", 2, t0.Add(time.Minute)) // 1 -> 2, 3
	if err != nil {
		t.Fatal(err)
	}
	l, err = l.Merge([]string{"3", "2"}, t0.Add(2*time.Minute)) // 2+3 -> 4
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := l.Current(); got.Number != 3 || !slices.Equal(got.Segments, []string{"0", "4"}) {
		t.Fatalf("current epoch %+v", got)
	}
	s1, _ := l.Segment("1")
	if s1.Active() || s1.SealedEpoch != 2 || !slices.Equal(s1.Successors, []string{"2", "3"}) {
		t.Errorf("segment 1 after split: %+v", s1)
	}
	s4, _ := l.Segment("4")
	if !slices.Equal(s4.Predecessors, []string{"2", "3"}) || s4.Range != s1.Range {
		t.Errorf("merged segment: %+v (want the range of 1: %v)", s4, s1.Range)
	}
	// A device in the upper half went 1 -> (2 or 3) -> 4.
	h := s1.Range.Lo + 5
	owners := l.Owners(h)
	if len(owners) != 3 || owners[0] != "1" || owners[1] != "2" || owners[2] != "4" {
		t.Errorf("owners of %x: %v", h, owners)
	}
	// Order puts predecessors first.
	order := l.Order()
	pos := map[string]int{}
	for i, id := range order {
		pos[id] = i
	}
	for _, s := range l.Segments {
		for _, p := range s.Predecessors {
			if pos[p] > pos[s.ID] {
				t.Errorf("order %v has %s before its predecessor %s", order, s.ID, p)
			}
		}
	}

	for _, tc := range []struct {
		name string
		op   func() error
		want error
	}{
		{"split sealed", func() error { _, err := l.Split("1", 2, t0); return err }, segment.ErrSealed},
		{"split unknown", func() error { _, err := l.Split("9", 2, t0); return err }, segment.ErrUnknownSegment},
		{"split in one", func() error { _, err := l.Split("0", 1, t0); return err }, segment.ErrBadLayout},
		{"merge one", func() error { _, err := l.Merge([]string{"0"}, t0); return err }, segment.ErrBadLayout},
		{"merge twice", func() error { _, err := l.Merge([]string{"0", "0"}, t0); return err }, segment.ErrBadLayout},
		{"merge sealed", func() error { _, err := l.Merge([]string{"0", "1"}, t0); return err }, segment.ErrSealed},
	} {
		if err := tc.op(); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	three, _ := segment.NewLayout(3, t0)
	if _, err := three.Merge([]string{"0", "2"}, t0); !errors.Is(err, segment.ErrNotAdjacent) {
		t.Errorf("merge of non-adjacent segments: %v", err)
	}
}

func TestValidateFindsBrokenLayouts(t *testing.T) {
	good, _ := segment.NewLayout(3, t0)
	for _, tc := range []struct {
		name   string
		mutate func(l *segment.Layout)
	}{
		{"no epochs", func(l *segment.Layout) { l.Epochs = nil }},
		{"gap", func(l *segment.Layout) { l.Segments[1].Range.Lo++ }},
		{"not covering", func(l *segment.Layout) { l.Segments[2].Range.Hi-- }},
		{"unknown segment", func(l *segment.Layout) { l.Epochs[0].Segments[0] = "x" }},
		{"duplicate id", func(l *segment.Layout) { l.Segments[1].ID = "0" }},
		{"bad number", func(l *segment.Layout) { l.Epochs[0].Number = 4 }},
		{"one-way link", func(l *segment.Layout) { l.Segments[1].Predecessors = []string{"0"} }},
	} {
		l := good.Clone()
		tc.mutate(&l)
		if err := l.Validate(); !errors.Is(err, segment.ErrBadLayout) {
			t.Errorf("%s: Validate = %v", tc.name, err)
		}
	}
	if err := good.Validate(); err != nil {
		t.Errorf("good layout: %v", err)
	}
}

func TestPolicyJSON(t *testing.T) {
	in := `{"segments":2,"scaling":{"by":"points","target":5000,"factor":2,"min_segments":1},"retention":{"max_age":"720h","max_bytes":0}}`
	var p segment.Policy
	if err := json.Unmarshal([]byte(in), &p); err != nil {
		t.Fatal(err)
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	want := segment.Policy{Segments: 2, Scaling: segment.Scaling{By: "points", Target: 5000, Factor: 2, MinSegments: 1},
		Retention: segment.Retention{MaxAge: segment.Duration(720 * time.Hour)}}
	if p != want {
		t.Fatalf("decoded %+v, want %+v", p, want)
	}
	out, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var back segment.Policy
	if err := json.Unmarshal(out, &back); err != nil || back != p {
		t.Fatalf("round trip %s -> %+v, %v", out, back, err)
	}
	for _, bad := range []string{
		`{"segments":0}`, `{"segments":5000}`, `{"segments":1,"scaling":{"by":"moon"}}`,
		`{"segments":1,"scaling":{"factor":1}}`, `{"segments":1,"retention":{"max_age":"-1h"}}`,
		`{"segments":1,"retention":{"max_bytes":-1}}`,
	} {
		var p segment.Policy
		err := json.Unmarshal([]byte(bad), &p)
		if err == nil {
			err = p.Validate()
		}
		if !errors.Is(err, segment.ErrBadPolicy) {
			t.Errorf("%s: %v, want ErrBadPolicy", bad, err)
		}
	}
	var d segment.Duration
	if err := json.Unmarshal([]byte(`"soon"`), &d); !errors.Is(err, segment.ErrBadPolicy) {
		t.Errorf("bad duration: %v", err)
	}
}

func TestNewStream(t *testing.T) {
	s, err := segment.New("vehicle-telemetry", segment.Policy{Segments: 3}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Layout.Current().Segments) != 3 || s.Layout.Validate() != nil {
		t.Errorf("new stream layout %+v", s.Layout)
	}
	if _, err := segment.New("bad.name", segment.DefaultPolicy(), t0); err == nil {
		t.Error("a stream name with a dot was accepted")
	}
	if _, err := segment.New("ok", segment.Policy{}, t0); !errors.Is(err, segment.ErrBadPolicy) {
		t.Errorf("zero policy: %v", err)
	}
}

func FuzzPolicyJSON(f *testing.F) {
	f.Add([]byte(`{"segments":2,"scaling":{"by":"points","target":5000,"factor":2,"min_segments":1},"retention":{"max_age":"720h","max_bytes":0}}`))
	f.Add([]byte(`{"retention":{"max_age":12}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var p segment.Policy
		if json.Unmarshal(b, &p) != nil || p.Validate() != nil {
			return
		}
		out, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		var back segment.Policy
		if err := json.Unmarshal(out, &back); err != nil || back != p {
			t.Fatalf("round trip of %s: %+v, %v", out, back, err)
		}
	})
}
