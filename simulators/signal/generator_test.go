package signal_test

import (
	"bytes"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tributary-iot/tributary/firmware-profiles"
	"github.com/tributary-iot/tributary/models"
	"github.com/tributary-iot/tributary/protocols/topic"
	"github.com/tributary-iot/tributary/simulators/internal/simtest"
	"github.com/tributary-iot/tributary/simulators/signal"
)

func encodeAll(t *testing.T, p *profiles.Profile, pts []models.Point) []byte {
	var b []byte
	for i := range pts {
		var err error
		if b, err = p.AppendPayload(b, &pts[i]); err != nil {
			t.Fatal(err)
		}
		b = append(b, '\n')
	}
	return b
}

func TestDeterministic(t *testing.T) {
	for _, name := range []string{"passenger-car", "heavy-truck", "ev-battery", "line-protocol"} {
		t.Run(name, func(t *testing.T) {
			p := simtest.Builtin(t, name)
			cfg := signal.Config{Profile: p, Seed: 7, Vehicle: 3, Interval: time.Second, AnomalyRate: 0.01}
			a := encodeAll(t, p, generate(t, cfg, 2000).points)
			b := encodeAll(t, p, generate(t, cfg, 2000).points)
			if !bytes.Equal(a, b) {
				t.Fatal("same config, different points")
			}
			cfg.Seed = 8
			if c := encodeAll(t, p, generate(t, cfg, 2000).points); bytes.Equal(a, c) {
				t.Fatal("different seed, same points")
			}
			cfg.Seed, cfg.Vehicle = 7, 4
			if c := encodeAll(t, p, generate(t, cfg, 2000).points); bytes.Equal(a, c) {
				t.Fatal("different vehicle, same points")
			}
		})
	}
}

// Turning anomalies on changes only what the truth says it changes.
func TestAnomaliesLeaveTheRestAlone(t *testing.T) {
	p := simtest.Builtin(t, "passenger-car")
	cfg := signal.Config{Profile: p, Seed: 11, Interval: time.Second}
	clean := generate(t, cfg, 3000)
	cfg.AnomalyRate = 0.01
	cfg.Kinds = nil
	dirty := generate(t, cfg, 3000)
	if len(dirty.truth) == 0 {
		t.Fatal("no anomalies injected")
	}
	if len(clean.points) != len(dirty.points) {
		t.Fatalf("%d points vs %d", len(clean.points), len(dirty.points))
	}
	for i := range clean.points {
		c, d := &clean.points[i], &dirty.points[i]
		for _, f := range c.Fields {
			tm := time.Unix(0, c.Time).UTC()
			if dirty.inTruth(f.Key, tm) || f.Key == "fuel_level_pct" {
				continue
			}
			if v, ok := d.Field(f.Key); !ok || !v.Equal(f.Value) {
				t.Fatalf("point %d %s: %v without anomalies, %v with, outside any truth window", i, f.Key, f.Value, v)
			}
		}
	}
}

// Every reading has the signal's type and precision, stays in its range
// outside the truth windows, and decodes with the profile.
func TestReadingsRespectProfile(t *testing.T) {
	for _, p := range mustBuiltins(t) {
		t.Run(p.Name, func(t *testing.T) {
			defs := p.Signals
			if len(defs) == 0 {
				defs = signal.DefaultSignals()
			}
			for v := range uint64(4) {
				r := generate(t, signal.Config{Profile: p, Seed: 3, Vehicle: v, Interval: time.Second, AnomalyRate: 0.005}, 4000)
				if len(r.points) < 3900 {
					t.Fatalf("only %d points", len(r.points))
				}
				for _, def := range defs {
					s := r.series(def.Name)
					if len(s) == 0 {
						t.Fatalf("%s: never sent", def.Name)
					}
					for _, x := range s {
						checkReading(t, &def, x, r.inTruth(def.Name, x.t))
					}
				}
				checkDecodes(t, p, r.points)
			}
		})
	}
}

func mustBuiltins(t *testing.T) []*profiles.Profile {
	ps, err := profiles.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

func checkReading(t *testing.T, def *profiles.Signal, x sample, anomalous bool) {
	t.Helper()
	if x.v.Kind() != def.Type {
		t.Fatalf("%s = %v: kind %v, want %v", def.Name, x.v, x.v.Kind(), def.Type)
	}
	if def.Type == models.KindFloat && def.Decimals >= 0 {
		s := strconv.FormatFloat(x.v.FloatV(), 'f', -1, 64)
		if i := strings.IndexByte(s, '.'); i >= 0 && len(s)-i-1 > def.Decimals {
			t.Fatalf("%s = %s: more than %d decimals", def.Name, s, def.Decimals)
		}
	}
	if def.Type == models.KindString && len(def.Values) > 0 && !slices.Contains(def.Values, x.v.Str()) {
		t.Fatalf("%s = %q: not one of %v", def.Name, x.v.Str(), def.Values)
	}
	if def.Range != nil && !anomalous && !def.Range.Contains(x.v.FloatV()) {
		t.Fatalf("%s = %v at %s: outside %v and outside every truth window", def.Name, x.v, x.t, *def.Range)
	}
}

func checkDecodes(t *testing.T, p *profiles.Profile, pts []models.Point) {
	t.Helper()
	for i := range pts {
		b, err := p.AppendPayload(nil, &pts[i])
		if err != nil {
			t.Fatal(err)
		}
		top, err := p.FormatTopic(pts[i].Device, "")
		if err != nil {
			t.Fatal(err)
		}
		m, ok := p.Pattern().Match(top)
		if !ok {
			t.Fatalf("topic %q does not match its own pattern", top)
		}
		_ = topic.Match{}
		got, err := p.Decode(nil, m, b, time.Unix(0, pts[i].Time))
		if err != nil {
			t.Fatalf("point %d does not decode: %v\n%s", i, err, b)
		}
		if len(got) != 1 || len(got[0].Fields) != len(pts[i].Fields) {
			t.Fatalf("point %d decodes to %+v", i, got)
		}
	}
}

// The physical model holds together: rpm follows speed and gear, the
// engine warms, fuel burns, GPS moves with speed, trips run their phases.
func TestCarPhysics(t *testing.T) {
	p := simtest.Builtin(t, "passenger-car")
	seen := map[signal.Phase]int{}
	var sx, sy, sxx, syy, sxy, n float64
	for v := range uint64(6) {
		r := generate(t, signal.Config{Profile: p, Seed: 5, Vehicle: v, Interval: time.Second}, 7200)
		for i, pt := range r.points {
			seen[r.phases[i]]++
			speed, _ := pt.Field("speed_kmh")
			rpm, _ := pt.Field("rpm")
			gear, _ := pt.Field("gear")
			if speed.FloatV() == 0 && gear.IntV() != 0 && r.phases[i] != signal.PhaseAccelerate {
				t.Fatalf("standing in gear %d", gear.IntV())
			}
			if speed.FloatV() > 20 && (gear.IntV() < 1 || rpm.FloatV() < 900) {
				t.Fatalf("%v km/h in gear %d at %v rpm", speed, gear.IntV(), rpm)
			}
			if r.phases[i] == signal.PhaseParked && rpm.FloatV() != 0 {
				t.Fatalf("parked with the engine at %v rpm", rpm)
			}
			if gear.IntV() >= 1 && speed.FloatV() > 5 {
				x, y := speed.FloatV()/float64(gear.IntV()), rpm.FloatV()
				sx, sy, sxx, syy, sxy, n = sx+x, sy+y, sxx+x*x, syy+y*y, sxy+x*y, n+1
			}
		}
		checkGPSFollowsSpeed(t, r)
		checkFuelBurns(t, r)
	}
	for _, ph := range []signal.Phase{signal.PhaseParked, signal.PhaseIdle, signal.PhaseAccelerate, signal.PhaseCruise, signal.PhaseBrake} {
		if seen[ph] == 0 {
			t.Errorf("phase %s never seen", ph)
		}
	}
	corr := (n*sxy - sx*sy) / math.Sqrt((n*sxx-sx*sx)*(n*syy-sy*sy))
	if corr < 0.8 {
		t.Errorf("correlation of rpm with speed/gear = %.2f, want > 0.8", corr)
	}
}

func checkGPSFollowsSpeed(t *testing.T, r run) {
	t.Helper()
	var drove, moved float64
	for i := 1; i < len(r.points); i++ {
		a, b := r.points[i-1], r.points[i]
		s0, _ := a.Field("speed_kmh")
		s1, _ := b.Field("speed_kmh")
		drove += (s0.FloatV() + s1.FloatV()) / 2 / 3600 * float64(b.Time-a.Time) / 1e9
		moved += distKm(a, b)
	}
	if drove < 10 {
		t.Fatalf("drove only %.1f km", drove)
	}
	// Waypoint corners cut a little; noise adds a little.
	if moved < 0.85*drove || moved > 1.15*drove+0.5 {
		t.Errorf("GPS moved %.1f km while the speedometer says %.1f km", moved, drove)
	}
}

func distKm(a, b models.Point) float64 {
	la, _ := a.Field("lat")
	lb, _ := b.Field("lat")
	oa, _ := a.Field("lon")
	ob, _ := b.Field("lon")
	dy := (lb.FloatV() - la.FloatV()) * 111.32
	dx := (ob.FloatV() - oa.FloatV()) * 111.32 * math.Cos(la.FloatV()*math.Pi/180)
	return math.Hypot(dx, dy)
}

func checkFuelBurns(t *testing.T, r run) {
	t.Helper()
	// The car profile reports no fuel level; the odometer must only grow.
	odo := r.series("odometer_km")
	for i := 1; i < len(odo); i++ {
		if odo[i].v.FloatV() < odo[i-1].v.FloatV() {
			t.Fatalf("odometer went back from %v to %v", odo[i-1].v, odo[i].v)
		}
	}
}

func TestTruckFuelAndCoolant(t *testing.T) {
	p := simtest.Builtin(t, "heavy-truck")
	r := generate(t, signal.Config{Profile: p, Seed: 9, Interval: time.Second}, 7200)
	fuel := r.series("fuel_level_pct")
	rate := r.series("fuel_rate")
	burnt := fuel[0].v.FloatV() - fuel[len(fuel)-1].v.FloatV()
	var litres float64
	for _, x := range rate {
		litres += x.v.FloatV() / 3600
	}
	// 600 L tank: percent burnt must match the integrated fuel rate,
	// unless the truck refuelled (a rise of more than the noise).
	refuelled := false
	for i := 1; i < len(fuel); i++ {
		if fuel[i].v.FloatV()-fuel[i-1].v.FloatV() > 5 {
			refuelled = true
		}
	}
	if !refuelled && math.Abs(burnt*6-litres) > 0.2*litres+3 {
		t.Errorf("level fell %.1f%% (%.0f L) but the fuel rate sums to %.0f L", burnt, burnt*6, litres)
	}
	cool := r.series("coolant_temp")
	maxC := math.Inf(-1)
	for _, x := range cool {
		maxC = max(maxC, x.v.FloatV())
	}
	if maxC < 80 {
		t.Errorf("coolant never warmed past %v °C in two hours", maxC)
	}
}

func TestEVBattery(t *testing.T) {
	p := simtest.Builtin(t, "ev-battery")
	var up, down int
	for v := range uint64(8) {
		r := generate(t, signal.Config{Profile: p, Seed: 2, Vehicle: v, Interval: time.Second}, 10800)
		var prevSoC float64
		var prevT int64
		for _, pt := range r.points {
			soc, ok1 := pt.Field("soc_pct")
			cur, ok2 := pt.Field("pack_current")
			if !ok1 || !ok2 {
				continue
			}
			if prevT != 0 {
				switch d := soc.FloatV() - prevSoC; {
				case cur.FloatV() > 50 && d > 0.5:
					t.Fatalf("state of charge rose %.1f%% while discharging at %v A", d, cur)
				case cur.FloatV() < -50 && d < -0.5:
					t.Fatalf("state of charge fell %.1f%% while charging at %v A", d, cur)
				case cur.FloatV() > 0 && d < 0:
					down++
				case cur.FloatV() < 0 && d > 0:
					up++
				}
			}
			prevSoC, prevT = soc.FloatV(), pt.Time
		}
	}
	if up == 0 || down == 0 {
		t.Errorf("state of charge rose %d times and fell %d times; want both", up, down)
	}
}

func TestSignalRates(t *testing.T) {
	p := simtest.Builtin(t, "passenger-car")
	// At the profile's own rate, a 1 Hz signal is in every tenth point.
	r := generate(t, signal.Config{Profile: p, Seed: 1}, 1000)
	counts := map[string]int{}
	for _, pt := range r.points {
		for _, f := range pt.Fields {
			counts[f.Key]++
		}
	}
	for name, want := range map[string]int{"speed_kmh": 1000, "rpm": 1000, "gear": 200, "coolant_temp_c": 100, "lat": 100} {
		if counts[name] != want {
			t.Errorf("%s in %d of 1000 points, want %d", name, counts[name], want)
		}
	}
	if d := r.points[1].Time - r.points[0].Time; d != int64(100*time.Millisecond) {
		t.Errorf("interval %v, want 100ms", time.Duration(d))
	}
}

func TestConfigErrors(t *testing.T) {
	p := simtest.Builtin(t, "json")
	for name, cfg := range map[string]signal.Config{
		"no profile":    {Device: "d"},
		"no device":     {Profile: p},
		"negative rate": {Profile: p, Device: "d", AnomalyRate: -1},
		"interval":      {Profile: p, Device: "d", Interval: -time.Second},
	} {
		if _, err := signal.New(cfg); err == nil {
			t.Errorf("%s: New accepted it", name)
		}
	}
}

func TestRoleOf(t *testing.T) {
	for _, c := range []struct {
		name, unit string
		kind       models.Kind
		want       signal.Role
	}{
		{"speed_kmh", "km/h", models.KindFloat, signal.RoleSpeed},
		{"vehicle_speed", "km/h", models.KindFloat, signal.RoleSpeed},
		{"engine_speed", "rpm", models.KindFloat, signal.RoleRPM},
		{"rpm", "rpm", models.KindUint, signal.RoleRPM},
		{"accel_pedal_pct", "%", models.KindFloat, signal.RoleThrottle},
		{"coolant_temp", "°C", models.KindInt, signal.RoleCoolant},
		{"battery_potential", "V", models.KindFloat, signal.RoleBatteryVolts},
		{"fuel_level_pct", "%", models.KindFloat, signal.RoleFuelLevel},
		{"fuel_rate", "L/h", models.KindFloat, signal.RoleFuelRate},
		{"front_axle_weight", "kg", models.KindFloat, signal.RoleAxleFront},
		{"current_gear", "", models.KindInt, signal.RoleGear},
		{"pack_voltage", "V", models.KindFloat, signal.RolePackVoltage},
		{"pack_current", "A", models.KindFloat, signal.RolePackCurrent},
		{"cell_voltage_min", "V", models.KindFloat, signal.RoleCellMin},
		{"soc_pct", "%", models.KindFloat, signal.RoleSoC},
		{"contactors_closed", "", models.KindBool, signal.RoleContactors},
		{"charge_state", "", models.KindString, signal.RoleChargeState},
		{"charge_state", "", models.KindInt, signal.RoleGeneric},
		{"box_temp_c", "°C", models.KindFloat, signal.RoleGeneric},
		{"lat", "deg", models.KindString, signal.RoleGeneric},
	} {
		s := profiles.Signal{Name: c.name, Unit: c.unit, Type: c.kind}
		if got := signal.RoleOf(&s); got != c.want {
			t.Errorf("RoleOf(%s %s %s) = %s, want %s", c.name, c.unit, c.kind, got, c.want)
		}
	}
}

// A profile the model does not know still gets plausible readings.
func TestGenericSignals(t *testing.T) {
	p, err := profiles.Parse("reefer.yaml", []byte(`
name: reefer
topic: reefer/{device}/telemetry
encoding: json
stream: reefer-telemetry
rate_hz: 1
signals:
  - {name: box_temp_c, type: float, range: [-30, 25], noise: 0.1, decimals: 1, anomalies: [stuck, drift, spike, dropout]}
  - {name: setpoint_c, type: int, range: [-30, 25], anomalies: [stuck]}
  - {name: door_open, type: bool, anomalies: [stuck, dropout]}
  - {name: unit_mode, type: string, values: [cooling, heating, defrost, off]}
`))
	if err != nil {
		t.Fatal(err)
	}
	r := generate(t, signal.Config{Profile: p, Seed: 1, AnomalyRate: 0.002}, 20000)
	modes := map[string]bool{}
	for _, x := range r.series("unit_mode") {
		modes[x.v.Str()] = true
	}
	if len(modes) < 2 {
		t.Errorf("unit_mode took only %v", modes)
	}
	temps := r.series("box_temp_c")
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, x := range temps {
		checkReading(t, &p.Signals[0], x, r.inTruth("box_temp_c", x.t))
		lo, hi = min(lo, x.v.FloatV()), max(hi, x.v.FloatV())
	}
	if hi-lo < 5 {
		t.Errorf("box_temp_c stayed within [%v, %v]", lo, hi)
	}
	checkDecodes(t, p, r.points)
}
