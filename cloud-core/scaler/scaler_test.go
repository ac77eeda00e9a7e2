package scaler_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/tributary-iot/tributary/cloud-core/meta"
	"github.com/tributary-iot/tributary/cloud-core/scaler"
	"github.com/tributary-iot/tributary/cloud-core/segment"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// event is one split or merge the fake store made.
type event struct {
	at      time.Time
	kind    string
	sealed  []string
	why     segment.Change
	created time.Time // when the sealed segment (first of them) was made
}

// fakeStore is an in-memory Store: a stream's layout and per-segment
// counters that the test feeds.
type fakeStore struct {
	mu     sync.Mutex
	now    *time.Time
	stream segment.Stream
	load   map[string]segment.Load
	events []event
}

func newFakeStore(t *testing.T, now *time.Time, p segment.Policy) *fakeStore {
	t.Helper()
	st, err := segment.New("s", p, *now)
	if err != nil {
		t.Fatal(err)
	}
	return &fakeStore{now: now, stream: st, load: map[string]segment.Load{}}
}

// feed adds rate points/s (and 100 bytes a point) over dt, shared among
// the active segments by the width of their ranges.
func (f *fakeStore) feed(rate float64, dt time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, id := range f.stream.Layout.Current().Segments {
		sg, _ := f.stream.Layout.Segment(id)
		share := (float64(sg.Range.Hi-sg.Range.Lo) + 1) / math.Pow(2, 64)
		n := uint64(math.Round(rate * share * dt.Seconds()))
		ld := f.load[id]
		ld.Points += n
		ld.Bytes += 100 * n
		f.load[id] = ld
	}
}

func (f *fakeStore) Streams() ([]string, error) { return []string{"s"}, nil }

func (f *fakeStore) StreamLayout(_ context.Context, name string) (segment.Stream, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.stream
	st.Layout = st.Layout.Clone()
	return st, nil
}

func (f *fakeStore) SegmentLoad(string) map[string]segment.Load {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]segment.Load{}
	for _, id := range f.stream.Layout.Current().Segments {
		out[id] = f.load[id]
	}
	return out
}

func (f *fakeStore) record(kind string, sealed []string, why segment.Change) {
	sg, _ := f.stream.Layout.Segment(sealed[0])
	ep, _ := f.stream.Layout.Epoch(sg.CreatedEpoch)
	f.events = append(f.events, event{at: *f.now, kind: kind, sealed: sealed, why: why, created: ep.Created})
}

func (f *fakeStore) SplitSegment(_ context.Context, _, seg string, parts int, why segment.Change) (segment.Stream, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l, err := f.stream.Layout.Split(seg, parts, *f.now)
	if err != nil {
		return segment.Stream{}, err
	}
	f.record(segment.KindSplit, []string{seg}, why)
	f.stream.Layout = l
	return f.stream, nil
}

func (f *fakeStore) MergeSegments(_ context.Context, _ string, segs []string, why segment.Change) (segment.Stream, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l, err := f.stream.Layout.Merge(segs, *f.now)
	if err != nil {
		return segment.Stream{}, err
	}
	f.record(segment.KindMerge, segs, why)
	f.stream.Layout = l
	return f.stream, nil
}

func (f *fakeStore) active() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.stream.Layout.Current().Segments)
}

func (f *fakeStore) count(kind string) int {
	n := 0
	for _, e := range f.events {
		if e.kind == kind {
			n++
		}
	}
	return n
}

// sim drives a scaler with a simulated clock: each tick feeds the load
// of the interval, moves the clock and runs one Step. No sleeps.
type sim struct {
	t     *testing.T
	now   time.Time
	tick  time.Duration
	store *fakeStore
	sc    *scaler.Scaler
}

func newSim(t *testing.T, p segment.Policy, history scaler.History) *sim {
	t.Helper()
	s := &sim{t: t, now: t0, tick: 10 * time.Second}
	s.store = newFakeStore(t, &s.now, p)
	s.sc = s.newScaler(history)
	return s
}

func (s *sim) newScaler(history scaler.History) *scaler.Scaler {
	s.t.Helper()
	sc, err := scaler.New(scaler.Options{Store: s.store, History: history, Now: func() time.Time { return s.now }})
	if err != nil {
		s.t.Fatal(err)
	}
	return sc
}

// run ticks n times with the load rate(i) points/s in tick i.
func (s *sim) run(n int, rate func(i int) float64) {
	s.t.Helper()
	for i := range n {
		s.store.feed(rate(i), s.tick)
		s.now = s.now.Add(s.tick)
		if err := s.sc.Step(context.Background()); err != nil {
			s.t.Fatal(err)
		}
	}
}

func constant(r float64) func(int) float64 { return func(int) float64 { return r } }

func TestHotSegmentSplitsAndSettles(t *testing.T) {
	for _, by := range []string{segment.ByPoints, segment.ByBytes} {
		t.Run(by, func(t *testing.T) {
			target := int64(1000)
			if by == segment.ByBytes {
				target = 100_000 // 100 bytes a point
			}
			s := newSim(t, segment.Policy{Segments: 1, Scaling: segment.Scaling{By: by, Target: target}}, nil)
			s.run(500, constant(3000)) // three times the target, for 83 minutes
			ev := s.store.events
			if len(ev) != 3 || s.store.count(segment.KindSplit) != 3 || s.store.active() != 4 {
				t.Fatalf("events %+v, %d active segments; want three splits to 4 segments", ev, s.store.active())
			}
			// 3x the target: the medium average passes twice the target
			// after about 330 s, before the long one passes the target.
			first := ev[0]
			if d := first.at.Sub(t0); d < 300*time.Second || d > 420*time.Second {
				t.Errorf("first split after %v", d)
			}
			if first.why.Window != segment.WindowMedium || first.why.Rate <= 2*float64(target) || first.why.Target != target || first.why.By != by {
				t.Errorf("first split's reason %+v", first.why)
			}
			// The halves start from half the parent's rates and split
			// again once their long average passes the target.
			for _, e := range ev[1:] {
				if e.why.Window != segment.WindowLong || e.why.Rate <= float64(target) {
					t.Errorf("second-generation split's reason %+v", e.why)
				}
			}
			if last := ev[len(ev)-1].at; s.now.Sub(last) < 30*time.Minute {
				t.Errorf("still splitting at %v (last at %v)", s.now.Sub(t0), last.Sub(t0))
			}
		})
	}
}

func TestSplitSuccessorsStartFromTheParentsRates(t *testing.T) {
	s := newSim(t, segment.Policy{Segments: 1, Scaling: segment.Scaling{By: segment.ByPoints, Target: 1000, Factor: 4}}, nil)
	for len(s.store.events) == 0 {
		s.run(1, constant(5000))
		if s.now.Sub(t0) > time.Hour {
			t.Fatal("no split in an hour at 5x the target")
		}
	}
	// The parent's rates as the split saw them.
	before := s.sc.Rates("s").Segments["0"]
	// One more tick without load: the successors' first sample is 0, so
	// each is its prior moved a little towards 0.
	s.run(1, constant(0))
	r := s.sc.Rates("s")
	if len(r.Segments) != 4 {
		t.Fatalf("rates of %d segments after a split in 4", len(r.Segments))
	}
	for id, sr := range r.Segments {
		if sr.Points.Long <= 0 || sr.Points.Long > before.Points.Long/4*1.01 || sr.Points.Long < before.Points.Long/4*0.9 {
			t.Errorf("segment %s long average %v, parent's was %v", id, sr.Points.Long, before.Points.Long)
		}
		if sr.Observed < before.Observed {
			t.Errorf("segment %s observed %v, parent %v", id, sr.Observed, before.Observed)
		}
	}
}

func TestColdNeighboursMerge(t *testing.T) {
	s := newSim(t, segment.Policy{Segments: 8, Scaling: segment.Scaling{By: segment.ByPoints, Target: 1000, MinSegments: 2}}, nil)
	s.run(1000, constant(100))
	if s.store.active() != 2 || s.store.count(segment.KindSplit) != 0 || s.store.count(segment.KindMerge) != 6 {
		t.Fatalf("%d active segments after events %+v", s.store.active(), s.store.events)
	}
	// A fresh stream is measured for a long window before it merges.
	if d := s.store.events[0].at.Sub(t0); d < scaler.DefaultLong {
		t.Errorf("first merge after %v, before a long window of measurements", d)
	}
	for _, e := range s.store.events {
		if e.why.Rate >= 500 || e.why.Window == "" {
			t.Errorf("merge reason %+v", e.why)
		}
	}
}

func TestNoFlapping(t *testing.T) {
	const target = 1000.0
	noisy := func(seed uint64, level, spread float64) func(int) float64 {
		rng := rand.New(rand.NewPCG(seed, 1))
		return func(int) float64 { return level * (1 + spread*(2*rng.Float64()-1)) }
	}
	square := func(lo, hi float64, period int) func(int) float64 {
		return func(i int) float64 {
			if i/period%2 == 0 {
				return lo
			}
			return hi
		}
	}
	for _, tc := range []struct {
		name               string
		segments, factor   int
		load               func(int) float64
		maxSplit, maxMerge int
	}{
		{"at the target, factor 2", 1, 2, noisy(1, target, 0.3), 1, 0},
		{"at the target, factor 4", 1, 4, noisy(2, target, 0.3), 1, 0},
		{"at the target, already split", 2, 2, noisy(3, target, 0.3), 0, 0},
		{"square wave around the target", 1, 2, square(0.8*target, 1.2*target, 30), 1, 0},
		{"at the merge threshold", 2, 2, noisy(4, target/2, 0.3), 0, 1},
		{"at the merge threshold, factor 4", 4, 4, noisy(5, target/2, 0.3), 0, 2},
		{"square wave around the merge threshold", 2, 2, square(0.4*target, 0.6*target, 30), 0, 1},
		{"between the thresholds", 2, 2, noisy(6, 0.75*target, 0.3), 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSim(t, segment.Policy{Segments: tc.segments, Scaling: segment.Scaling{By: segment.ByPoints, Target: int64(target), Factor: tc.factor}}, nil)
			s.run(5000, tc.load) // about 14 hours
			if n := s.store.count(segment.KindSplit); n > tc.maxSplit {
				t.Errorf("%d splits, want at most %d: %+v", n, tc.maxSplit, s.store.events)
			}
			if n := s.store.count(segment.KindMerge); n > tc.maxMerge {
				t.Errorf("%d merges, want at most %d: %+v", n, tc.maxMerge, s.store.events)
			}
			// The direction never turns: no merge after a split, no split
			// after a merge.
			for i := 1; i < len(s.store.events); i++ {
				if s.store.events[i].kind != s.store.events[i-1].kind {
					t.Errorf("a %s followed a %s", s.store.events[i].kind, s.store.events[i-1].kind)
				}
			}
		})
	}
}

func TestCooldownAndLimits(t *testing.T) {
	for _, tc := range []struct {
		name     string
		scaling  segment.Scaling
		cooldown time.Duration
		max      int
	}{
		{"default cooldown", segment.Scaling{By: segment.ByPoints, Target: 1000}, scaler.DefaultCooldown, 64},
		{"policy cooldown", segment.Scaling{By: segment.ByPoints, Target: 1000, Cooldown: segment.Duration(10 * time.Minute)}, 10 * time.Minute, 64},
		{"max segments", segment.Scaling{By: segment.ByPoints, Target: 1000, Factor: 3, MaxSegments: 7}, scaler.DefaultCooldown, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSim(t, segment.Policy{Segments: 1, Scaling: tc.scaling}, nil)
			maxActive := 0
			for range 300 {
				s.run(1, constant(40_000)) // 40x the target: every window says split
				maxActive = max(maxActive, s.store.active())
			}
			if len(s.store.events) < 2 {
				t.Fatalf("only %d splits at 40x the target", len(s.store.events))
			}
			for _, e := range s.store.events {
				if age := e.at.Sub(e.created); age < tc.cooldown {
					t.Errorf("segment %v split %v after it was made (cooldown %v)", e.sealed, age, tc.cooldown)
				}
			}
			if maxActive > tc.max {
				t.Errorf("%d active segments, max %d", maxActive, tc.max)
			}
		})
	}
}

func TestFixedStreamsAreLeftAlone(t *testing.T) {
	s := newSim(t, segment.Policy{Segments: 2, Scaling: segment.Scaling{By: segment.ByFixed}}, nil)
	s.run(500, constant(1e6))
	if len(s.store.events) != 0 {
		t.Errorf("a fixed stream was scaled: %+v", s.store.events)
	}
	// It is measured all the same.
	if r := s.sc.Rates("s"); r.Segments["0"].Points.Long < 1e5 {
		t.Errorf("rates of a fixed stream: %+v", r)
	}
}

func TestRateHistorySurvivesRestart(t *testing.T) {
	// At 3x the target a split needs about 330 s of measurements. Stop
	// the first scaler after 250 s; a scaler that remembers splits soon
	// after it starts, one that forgot needs the whole time again.
	policy := segment.Policy{Segments: 1, Scaling: segment.Scaling{By: segment.ByPoints, Target: 1000}}
	for _, tc := range []struct {
		name     string
		remember bool
	}{{"with history", true}, {"without history", false}} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "meta.db")
			db, err := meta.Open(path, meta.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = db.Close() })
			s := newSim(t, policy, db)
			s.run(25, constant(3000))
			if len(s.store.events) != 0 {
				t.Fatal("split before the restart")
			}
			saved := s.sc.Rates("s")
			// Restart: the metadata file is reopened, the store's
			// counters start from zero, the scaler from its history.
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			if db, err = meta.Open(path, meta.Options{}); err != nil {
				t.Fatal(err)
			}
			stored, err := db.StreamRates("s")
			if err != nil || fmt.Sprint(stored.Segments) != fmt.Sprint(saved.Segments) {
				t.Fatalf("history on disk %+v (%v), scaler had %+v", stored, err, saved)
			}
			s.store.load = map[string]segment.Load{}
			var history scaler.History = db
			if !tc.remember {
				history = nil
			}
			s.sc = s.newScaler(history)
			s.run(1, constant(3000)) // the first round after a restart only takes the counters
			if got := s.sc.Rates("s"); tc.remember && fmt.Sprint(got.Segments) != fmt.Sprint(saved.Segments) {
				t.Errorf("rates after the restart %+v, want %+v", got.Segments, saved.Segments)
			}
			restart := s.now
			for len(s.store.events) == 0 && s.now.Sub(restart) < time.Hour {
				s.run(1, constant(3000))
			}
			took := s.now.Sub(restart)
			if tc.remember && took > 150*time.Second {
				t.Errorf("split %v after a restart with the history", took)
			}
			if !tc.remember && took < 300*time.Second {
				t.Errorf("split %v after a restart without history: the control case did not forget", took)
			}
		})
	}
}
