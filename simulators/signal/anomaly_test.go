package signal_test

import (
	"math"
	"testing"
	"time"

	"github.com/tributary-iot/tributary/firmware-profiles"
	"github.com/tributary-iot/tributary/simulators/internal/simtest"
	"github.com/tributary-iot/tributary/simulators/signal"
	"github.com/tributary-iot/tributary/simulators/truth"
)

// anomalies runs vehicles of a profile with only kind injected and returns
// the runs; it fails the test when fewer than want anomalies were found.
func anomalies(t *testing.T, profile string, kind truth.Kind, want int) []run {
	t.Helper()
	p := simtest.Builtin(t, profile)
	var runs []run
	total := 0
	for v := uint64(0); v < 40 && total < want; v++ {
		r := generate(t, signal.Config{Profile: p, Seed: 21, Vehicle: v, Interval: time.Second,
			AnomalyRate: 0.004, Kinds: []truth.Kind{kind}}, 3600)
		var whole []truth.Record
		for _, rec := range r.truth {
			if rec.Kind != kind {
				t.Fatalf("asked for %s only, got %s", kind, rec.Kind)
			}
			if rec.Points <= 0 || rec.End.Before(rec.Start) {
				t.Fatalf("bad record %+v", rec)
			}
			if !rec.Truncated { // cut short by the end of the run
				whole = append(whole, rec)
			}
		}
		r.truth = whole
		total += len(r.truth)
		runs = append(runs, r)
	}
	if total < want {
		t.Fatalf("%d %s anomalies injected, want at least %d", total, kind, want)
	}
	return runs
}

// window returns the samples of name inside rec's window, and the samples
// just before and after it.
func window(r run, name string, rec truth.Record) (in []sample, before, after *sample) {
	s := r.series(name)
	for i := range s {
		switch {
		case s[i].t.Before(rec.Start):
			before = &s[i]
		case !s[i].t.After(rec.End):
			in = append(in, s[i])
		case after == nil:
			after = &s[i]
		}
	}
	return in, before, after
}

func signalDef(t *testing.T, profile, name string) *profiles.Signal {
	s, ok := simtest.Builtin(t, profile).Signal(name)
	if !ok {
		t.Fatalf("%s has no signal %s", profile, name)
	}
	return s
}

func TestStuck(t *testing.T) {
	for _, profile := range []string{"passenger-car", "heavy-truck", "ev-battery"} {
		for _, r := range anomalies(t, profile, truth.KindStuck, 10) {
			for _, rec := range r.truth {
				in, _, _ := window(r, rec.Signal, rec)
				if len(in) != rec.Points || len(in) < 5 {
					t.Fatalf("%+v: %d samples in the window", rec, len(in))
				}
				for _, x := range in {
					if !x.v.Equal(in[0].v) {
						t.Fatalf("%s stuck from %s: %v then %v at %s", rec.Signal, rec.Start, in[0].v, x.v, x.t)
					}
				}
			}
		}
	}
}

func TestOverheating(t *testing.T) {
	for _, c := range []struct{ profile, signal string }{
		{"passenger-car", "coolant_temp_c"}, {"heavy-truck", "coolant_temp"}, {"ev-battery", "pack_temp_c"},
	} {
		def := signalDef(t, c.profile, c.signal)
		for _, r := range anomalies(t, c.profile, truth.KindOverheating, 5) {
			for _, rec := range r.truth {
				if rec.Signal != c.signal {
					t.Fatalf("overheating on %s", rec.Signal)
				}
				in, _, _ := window(r, rec.Signal, rec)
				peak := math.Inf(-1)
				for _, x := range in {
					peak = max(peak, x.v.FloatV())
				}
				if peak <= def.Range.Max {
					t.Fatalf("%+v: peak %v does not exceed the range %v", rec, peak, *def.Range)
				}
			}
		}
	}
}

func TestVoltageDrop(t *testing.T) {
	for _, c := range []struct{ profile, signal string }{
		{"passenger-car", "battery_v"}, {"heavy-truck", "battery_potential"}, {"ev-battery", "pack_voltage"},
	} {
		def := signalDef(t, c.profile, c.signal)
		for _, r := range anomalies(t, c.profile, truth.KindVoltageDrop, 5) {
			for _, rec := range r.truth {
				in, _, _ := window(r, rec.Signal, rec)
				low := math.Inf(1)
				for _, x := range in {
					low = min(low, x.v.FloatV())
				}
				if low >= def.Range.Min {
					t.Fatalf("%+v: lowest %v does not fall below the range %v", rec, low, *def.Range)
				}
			}
		}
	}
}

func TestGPSJump(t *testing.T) {
	for _, r := range anomalies(t, "passenger-car", truth.KindGPSJump, 10) {
		for _, rec := range r.truth {
			if rec.Signal != "lat" || len(rec.Related) != 1 || rec.Related[0] != "lon" {
				t.Fatalf("gps jump on %s %v", rec.Signal, rec.Related)
			}
			var before, after, in []int
			for i, p := range r.points {
				if _, ok := p.Field("lat"); !ok {
					continue
				}
				switch tm := time.Unix(0, p.Time); {
				case tm.Before(rec.Start):
					before = append(before, i)
				case tm.After(rec.End):
					after = append(after, i)
				default:
					in = append(in, i)
				}
			}
			if len(in) != rec.Points || len(before) == 0 || len(after) == 0 {
				t.Fatalf("%+v: %d fixes in the window", rec, len(in))
			}
			pb, pa := r.points[before[len(before)-1]], r.points[after[0]]
			if d := distKm(pb, pa); d > 2 {
				t.Fatalf("%+v: the fixes around the jump are %.1f km apart", rec, d)
			}
			for _, i := range in {
				if d := distKm(pb, r.points[i]); d < 5 {
					t.Fatalf("%+v: jumped only %.1f km", rec, d)
				}
			}
		}
	}
}

func TestFuelLoss(t *testing.T) {
	for _, r := range anomalies(t, "heavy-truck", truth.KindFuelLoss, 5) {
		for _, rec := range r.truth {
			in, before, _ := window(r, "fuel_level_pct", rec)
			if before == nil || len(in) < 4 {
				t.Fatalf("%+v: %d samples in the window", rec, len(in))
			}
			drop := before.v.FloatV() - in[len(in)-1].v.FloatV()
			if drop < 5 {
				t.Fatalf("%+v: level fell only %.1f%% (%v -> %v)", rec, drop, before.v, in[len(in)-1].v)
			}
			secs := rec.End.Sub(rec.Start).Seconds()
			if secs > 60 {
				t.Fatalf("%+v: %v s is not sudden", rec, secs)
			}
		}
	}
}

func TestSpike(t *testing.T) {
	for _, r := range anomalies(t, "heavy-truck", truth.KindSpike, 10) {
		for _, rec := range r.truth {
			def := signalDef(t, "heavy-truck", rec.Signal)
			in, _, _ := window(r, rec.Signal, rec)
			if len(in) != 1 || rec.Points != 1 || !rec.Start.Equal(rec.End) {
				t.Fatalf("%+v: %d samples in the window", rec, len(in))
			}
			if def.Range.Contains(in[0].v.FloatV()) {
				t.Fatalf("%+v: spike %v inside the range %v", rec, in[0].v, *def.Range)
			}
		}
	}
}

func TestDropout(t *testing.T) {
	for _, r := range anomalies(t, "passenger-car", truth.KindDropout, 10) {
		for _, rec := range r.truth {
			in, before, after := window(r, rec.Signal, rec)
			if len(in) != 0 {
				t.Fatalf("%+v: %d samples in a dropout", rec, len(in))
			}
			if before == nil {
				continue
			}
			n := 0
			for _, p := range r.points {
				if tm := time.Unix(0, p.Time); rec.Contains(tm) {
					n++
				}
			}
			if n < rec.Points {
				t.Fatalf("%+v: only %d points in the window", rec, n)
			}
			_ = after
		}
	}
}

func TestDrift(t *testing.T) {
	runs := anomalies(t, "heavy-truck", truth.KindDrift, 20)
	n, offset := 0, 0
	for _, r := range runs {
		for _, rec := range r.truth {
			def := signalDef(t, "heavy-truck", rec.Signal)
			in, _, after := window(r, rec.Signal, rec)
			if after == nil || len(in) < 6 {
				continue
			}
			n++
			span := def.Range.Max - def.Range.Min
			if math.Abs(in[len(in)-1].v.FloatV()-after.v.FloatV()) > 0.1*span {
				offset++
			}
		}
	}
	if n == 0 || offset < n*8/10 {
		t.Fatalf("only %d of %d drifts end more than a tenth of the range away from the true value", offset, n)
	}
}

func TestBurst(t *testing.T) {
	runs := anomalies(t, "ev-battery", truth.KindBurst, 5)
	n, louder := 0, 0
	for _, r := range runs {
		for _, rec := range r.truth {
			in, _, _ := window(r, rec.Signal, rec)
			all := r.series(rec.Signal)
			var inside, outside, nin, nout float64
			for i := 1; i < len(all); i++ {
				d := math.Abs(all[i].v.FloatV() - all[i-1].v.FloatV())
				if rec.Contains(all[i].t) {
					inside, nin = inside+d, nin+1
				} else {
					outside, nout = outside+d, nout+1
				}
			}
			if len(in) < 5 || nout == 0 {
				continue
			}
			n++
			if inside/nin > 3*outside/nout {
				louder++
			}
		}
	}
	if n == 0 || louder < n*8/10 {
		t.Fatalf("only %d of %d bursts are noisier than the rest", louder, n)
	}
}

// The truth windows carry the device clock's error, like the points.
func TestClockOffset(t *testing.T) {
	p := simtest.Builtin(t, "passenger-car")
	cfg := signal.Config{Profile: p, Seed: 4, Interval: time.Second, AnomalyRate: 0.01}
	a := generate(t, cfg, 1000)
	cfg.ClockOffset = -90 * time.Second
	b := generate(t, cfg, 1000)
	if d := b.points[0].Time - a.points[0].Time; d != int64(-90*time.Second) {
		t.Fatalf("offset %v", time.Duration(d))
	}
	if len(a.truth) == 0 || len(a.truth) != len(b.truth) {
		t.Fatalf("%d vs %d records", len(a.truth), len(b.truth))
	}
	for i := range a.truth {
		if d := b.truth[i].Start.Sub(a.truth[i].Start); d != -90*time.Second {
			t.Fatalf("truth moved by %v", d)
		}
	}
}
