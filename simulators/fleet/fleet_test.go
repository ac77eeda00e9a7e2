package fleet_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/tributary-iot/tributary/firmware-profiles"
	"github.com/tributary-iot/tributary/models"
	"github.com/tributary-iot/tributary/simulators/fleet"
	"github.com/tributary-iot/tributary/simulators/internal/simtest"
	"github.com/tributary-iot/tributary/simulators/msgfile"
	"github.com/tributary-iot/tributary/simulators/truth"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var start = time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC)

func allProfiles(t testing.TB) []fleet.Weighted {
	ps, err := profiles.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	var ws []fleet.Weighted
	for _, p := range ps {
		ws = append(ws, fleet.Weighted{Profile: p, Weight: 1})
	}
	return ws
}

func messy() fleet.Mess {
	return fleet.Mess{GarbageRate: 0.05, DuplicateRate: 0.05, LateRate: 0.03, ReorderRate: 0.05,
		DropRate: 0.01, SkewShare: 0.5, MaxSkew: 90 * time.Second}
}

// dryRun runs cfg Ordered into a message file and a truth file.
func dryRun(t *testing.T, cfg fleet.Config) (msgs, tr []byte, rep fleet.Report) {
	t.Helper()
	cfg.Ordered = true
	s, err := fleet.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var mb, tb bytes.Buffer
	mw, tw := msgfile.NewWriter(&mb), truth.NewWriter(&tb, truth.FormatLines)
	rep, err = s.Run(context.Background(), fleet.NewWriterSink(mw), tw)
	if err != nil {
		t.Fatal(err)
	}
	if err := mw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return mb.Bytes(), tb.Bytes(), rep
}

func TestDeterministic(t *testing.T) {
	base := fleet.Config{Profiles: allProfiles(t), Vehicles: 13, Batch: 3, Points: 6000, Seed: 42,
		Start: start, AnomalyRate: 0.01, Mess: messy()}
	var first, firstTruth []byte
	for _, c := range []struct {
		name    string
		workers int
		rate    float64
	}{{"1 worker", 1, 0}, {"2 workers", 2, 0}, {"5 workers", 5, 0}} {
		cfg := base
		cfg.Workers = c.workers
		msgs, tr, rep := dryRun(t, cfg)
		if rep.Points != 6000 {
			t.Fatalf("%s: %d points", c.name, rep.Points)
		}
		if first == nil {
			first, firstTruth = msgs, tr
			if len(tr) == 0 {
				t.Fatal("no truth written")
			}
			continue
		}
		if !bytes.Equal(msgs, first) {
			t.Errorf("%s: messages differ from 1 worker", c.name)
		}
		if !bytes.Equal(tr, firstTruth) {
			t.Errorf("%s: truth differs from 1 worker", c.name)
		}
	}
	cfg := base
	cfg.Seed = 43
	if msgs, _, _ := dryRun(t, cfg); bytes.Equal(msgs, first) {
		t.Error("another seed gave the same messages")
	}
}

// Paced runs send the same bytes however the timing falls.
func TestDeterministicPaced(t *testing.T) {
	cfg := fleet.Config{Profiles: allProfiles(t), Vehicles: 20, Rate: 500, Points: 3000, Seed: 1,
		Start: start, AnomalyRate: 0.01, Mess: messy()}
	cfg.Workers = 1
	a, _, _ := dryRun(t, cfg)
	cfg.Workers = 3
	b, _, _ := dryRun(t, cfg)
	if !bytes.Equal(a, b) {
		t.Fatal("paced runs differ")
	}
}

// capture is a Sink that keeps copies of everything.
type capture struct {
	mu   sync.Mutex
	msgs []fleet.Message
}

func (c *capture) Send(_ context.Context, msgs []fleet.Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range msgs {
		m.Payload = bytes.Clone(m.Payload)
		c.msgs = append(c.msgs, m)
	}
	return nil
}

func run(t *testing.T, cfg fleet.Config) (*capture, fleet.Report, []fleet.Vehicle) {
	t.Helper()
	s, err := fleet.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := &capture{}
	rep, err := s.Run(context.Background(), c, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c, rep, s.Vehicles()
}

// Every valid point is published once (plus duplicates, flagged), every
// garbage message fails decoding, and the report counts them all.
func TestEveryPointOnceGarbageNever(t *testing.T) {
	cfg := fleet.Config{Profiles: allProfiles(t), Vehicles: 10, Batch: 2, Points: 8000, Seed: 5,
		Start: start, AnomalyRate: 0.005, Mess: messy()}
	c, rep, _ := run(t, cfg)
	set := simtest.NoWindow(t)
	seen := map[string]bool{}
	var points, garbage, dups, dupPoints, late, reordered int64
	for _, m := range c.msgs {
		if m.Kind != fleet.KindPublish {
			continue
		}
		if m.Flags&fleet.FlagLate != 0 {
			late++
		}
		if m.Flags&fleet.FlagReordered != 0 {
			reordered++
		}
		pts, _, err := set.Decode(nil, m.Topic, m.Payload, start)
		if m.Flags&fleet.FlagGarbage != 0 {
			garbage++
			if err == nil {
				t.Fatalf("garbage decoded on %s: %q", m.Topic, m.Payload)
			}
			continue
		}
		if err != nil {
			t.Fatalf("valid message does not decode: %v\n%q", err, m.Payload)
		}
		if len(pts) != m.Points {
			t.Fatalf("%d points decoded, message says %d", len(pts), m.Points)
		}
		if m.Flags&fleet.FlagDuplicate != 0 {
			dups++
			dupPoints += int64(len(pts))
			continue
		}
		for _, p := range pts {
			key := fmt.Sprint(p.Device, p.Time)
			if seen[key] {
				t.Fatalf("point %s sent twice", key)
			}
			seen[key] = true
		}
		points += int64(len(pts))
	}
	if points != 8000 || rep.Points != 8000 {
		t.Errorf("%d points decoded, report %d, want 8000", points, rep.Points)
	}
	for name, c := range map[string][2]int64{
		"garbage": {garbage, rep.Garbage}, "duplicates": {dups, rep.Duplicates},
		"duplicate points": {dupPoints, rep.DuplicatePoints}, "late": {late, rep.Late}, "reordered": {reordered, rep.Reordered},
	} {
		if c[0] != c[1] || c[0] == 0 {
			t.Errorf("%s: %d seen, report %d", name, c[0], c[1])
		}
	}
	if rep.Disconnects == 0 || rep.SkewedVehicles == 0 || rep.Anomalies == 0 {
		t.Errorf("report %+v", rep)
	}
}

// Reordered messages really arrive behind later ones, late ones after
// their time; a dropped vehicle publishes nothing until it reconnects.
func TestMessOrdering(t *testing.T) {
	cfg := fleet.Config{Profiles: allProfiles(t)[2:3], Vehicles: 4, Points: 6000, Seed: 9, Start: start,
		Mess: messy()}
	c, rep, _ := run(t, cfg)
	set := simtest.NoWindow(t)
	newest := map[int]int64{}
	offline := map[int]bool{}
	var reorderedBehind, lateBehind int
	for _, m := range c.msgs {
		switch m.Kind {
		case fleet.KindDisconnect:
			if offline[m.Vehicle] {
				t.Fatal("dropped twice")
			}
			offline[m.Vehicle] = true
			continue
		case fleet.KindConnect:
			if !offline[m.Vehicle] {
				t.Fatal("connect while online")
			}
			offline[m.Vehicle] = false
			continue
		}
		if offline[m.Vehicle] {
			t.Fatalf("vehicle %d publishes while offline", m.Vehicle)
		}
		if m.Flags&fleet.FlagGarbage != 0 {
			continue
		}
		pts, _, err := set.Decode(nil, m.Topic, m.Payload, start)
		if err != nil {
			t.Fatal(err)
		}
		tm := pts[0].Time
		if tm < newest[m.Vehicle] {
			switch {
			case m.Flags&fleet.FlagReordered != 0:
				reorderedBehind++
			case m.Flags&(fleet.FlagLate|fleet.FlagDuplicate) != 0:
				lateBehind++
			default:
				t.Fatalf("message of %s behind a newer one without a flag (%v)", time.Unix(0, tm), m.Flags)
			}
		}
		newest[m.Vehicle] = max(newest[m.Vehicle], tm)
	}
	for v, off := range offline {
		if off {
			t.Errorf("vehicle %d ends offline", v)
		}
	}
	if reorderedBehind == 0 || lateBehind == 0 || rep.Disconnects == 0 {
		t.Errorf("%d reordered and %d late messages arrived behind newer ones, %d drops", reorderedBehind, lateBehind, rep.Disconnects)
	}
}

func TestProfileWeights(t *testing.T) {
	car, truck := simtest.Builtin(t, "passenger-car"), simtest.Builtin(t, "heavy-truck")
	s, err := fleet.New(fleet.Config{Profiles: []fleet.Weighted{{Profile: car, Weight: 3}, {Profile: truck, Weight: 1}},
		Vehicles: 40, Start: start})
	if err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	ids := map[string]bool{}
	for i, v := range s.Vehicles() {
		n[v.Profile]++
		if i < 4 {
			n["first4-"+v.Profile]++
		}
		if ids[v.ClientID] || v.Index != i {
			t.Fatalf("vehicle %d: %+v", i, v)
		}
		ids[v.ClientID] = true
	}
	if n["passenger-car"] != 30 || n["heavy-truck"] != 10 || n["first4-heavy-truck"] != 1 {
		t.Errorf("assignment %v", n)
	}
	v := s.Vehicles()[0]
	if v.Device != "veh-00001" || v.ClientID != "fleetsim-veh-00001" || v.Topic != "vehicles/veh-00001/telemetry" {
		t.Errorf("vehicle 0: %+v", v)
	}
}

func TestFewPoints(t *testing.T) {
	c, rep, _ := run(t, fleet.Config{Profiles: allProfiles(t), Vehicles: 10, Batch: 4, Points: 7, Seed: 1, Start: start})
	if rep.Points != 7 || rep.Messages != 2 || len(c.msgs) != 2 || c.msgs[0].Points != 4 || c.msgs[1].Points != 3 {
		t.Fatalf("report %+v, messages %+v", rep, c.msgs)
	}
}

// Stopping through the context is not an error, and what vehicles hold
// back is still sent.
func TestInterrupt(t *testing.T) {
	s, err := fleet.New(fleet.Config{Profiles: allProfiles(t), Vehicles: 5, Rate: 100, Seed: 1, Start: start,
		Mess: fleet.Mess{LateRate: 0.2}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &capture{}
	done := make(chan struct{})
	var rep fleet.Report
	go func() {
		defer close(done)
		rep, err = s.Run(ctx, c, nil)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for s.Progress().Points < 200 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
	if err != nil || rep.Stopped != "interrupted" {
		t.Fatalf("Run = %v, stopped %q", err, rep.Stopped)
	}
	var points int64
	for _, m := range c.msgs {
		if m.Flags&(fleet.FlagDuplicate|fleet.FlagGarbage) == 0 {
			points += int64(m.Points)
		}
	}
	if points != rep.Points || rep.Late == 0 {
		t.Errorf("sink got %d points, report says %d (%d late)", points, rep.Points, rep.Late)
	}
	if _, err := s.Run(context.Background(), c, nil); !errors.Is(err, fleet.ErrRunTwice) {
		t.Errorf("second Run: %v", err)
	}
}

// failing is a Sink that fails once it has taken more than a number of
// messages.
type failing struct{ left atomic.Int64 }

var errSink = errors.New("disk full")

func (f *failing) Send(_ context.Context, msgs []fleet.Message) error {
	if f.left.Add(-int64(len(msgs))) < 0 {
		return errSink
	}
	return nil
}

func TestSinkError(t *testing.T) {
	for _, ordered := range []bool{false, true} {
		s, err := fleet.New(fleet.Config{Profiles: allProfiles(t), Vehicles: 50, Seed: 1, Start: start, Ordered: ordered, Workers: 3})
		if err != nil {
			t.Fatal(err)
		}
		f := &failing{}
		f.left.Store(5000)
		_, err = s.Run(context.Background(), f, nil)
		if !errors.Is(err, errSink) {
			t.Errorf("ordered=%v: err = %v", ordered, err)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	car := []fleet.Weighted{{Profile: simtest.Builtin(t, "passenger-car"), Weight: 1}}
	wild, err := profiles.Parse("w.yaml", []byte("name: wild\ntopic: a/+/{device}\nencoding: json\nstream: s\n"))
	if err != nil {
		t.Fatal(err)
	}
	for name, cfg := range map[string]fleet.Config{
		"no profile":    {Vehicles: 1},
		"zero weight":   {Profiles: []fleet.Weighted{{Profile: car[0].Profile}}, Vehicles: 1},
		"no vehicles":   {Profiles: car},
		"negative rate": {Profiles: car, Vehicles: 1, Rate: -1},
		"batch":         {Profiles: car, Vehicles: 1, Batch: -2},
		"anomaly rate":  {Profiles: car, Vehicles: 1, AnomalyRate: 2},
		"garbage rate":  {Profiles: car, Vehicles: 1, Mess: fleet.Mess{GarbageRate: 1.5}},
		"prefix":        {Profiles: car, Vehicles: 1, DevicePrefix: "a/b"},
		"wildcard":      {Profiles: []fleet.Weighted{{Profile: wild, Weight: 1}}, Vehicles: 1},
	} {
		if _, err := fleet.New(cfg); !errors.Is(err, fleet.ErrConfig) {
			t.Errorf("%s: err = %v, want ErrConfig", name, err)
		}
	}
}

func TestAppendBatch(t *testing.T) {
	pts := []models.Point{
		{Device: "d", Stream: "s", Time: 1e18, Fields: []models.Field{{Key: "a", Value: models.Float(1)}}},
		{Device: "d", Stream: "s", Time: 2e18, Fields: []models.Field{{Key: "a", Value: models.Float(2)}}},
	}
	set := simtest.NoWindow(t)
	for _, name := range []string{"json", "heavy-truck", "line-protocol"} {
		p, _ := set.Get(name)
		b, err := fleet.AppendBatch(nil, p, pts)
		if err != nil {
			t.Fatal(err)
		}
		top, _ := p.FormatTopic("d", "s")
		got, _, err := set.Decode(nil, top, b, time.Unix(0, 15e17))
		if err != nil || len(got) != 2 || got[1].Time != 2e18 {
			t.Errorf("%s: %v %+v\n%q", name, err, got, b)
		}
	}
	if !slices.Equal([]byte(`[`), mustBatch(t, set, "json", pts)[:1]) {
		t.Error("JSON batch is not an array")
	}
}

func mustBatch(t *testing.T, set *profiles.Set, name string, pts []models.Point) []byte {
	p, _ := set.Get(name)
	b, err := fleet.AppendBatch(nil, p, pts)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
