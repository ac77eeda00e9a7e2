package signal

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/tributary-iot/tributary/firmware-profiles"
	"github.com/tributary-iot/tributary/models"
	"github.com/tributary-iot/tributary/simulators/truth"
)

// ErrConfig is returned (wrapped) by New for an unusable Config.
var ErrConfig = errors.New("bad generator config")

// Config describes one simulated vehicle.
type Config struct {
	// Profile is the vehicle's firmware profile. Required.
	Profile *profiles.Profile
	// Signals overrides the signals sent; nil means the profile's, or
	// DefaultSignals when the profile declares none.
	Signals []profiles.Signal
	// Device is the vehicle's device id. Required.
	Device string
	// Seed selects the simulation; Vehicle selects this vehicle's random
	// streams within it. Equal configs give equal points.
	Seed, Vehicle uint64
	// Start is the true time of the first point.
	Start time.Time
	// Interval is the time between points; 0 means one point per period
	// of the fastest signal.
	Interval time.Duration
	// ClockOffset is the error of the device's clock: it is added to every
	// timestamp the device sends (and to the truth windows).
	ClockOffset time.Duration
	// AnomalyRate is the chance, at each point while no anomaly is active,
	// that one starts. 0 injects none.
	AnomalyRate float64
	// Kinds restricts the anomalies injected; nil allows every kind that
	// fits the signals.
	Kinds []truth.Kind
}

// Generator produces the points of one vehicle, one after the other. It is
// not safe for concurrent use.
type Generator struct {
	device, stream, profile string
	tags                    []models.Tag
	sigs                    []sigState
	veh                     *vehicle
	noise, anom, generic    *rand.Rand

	k         int64   // index of the next point
	start     int64   // Unix ns of point 0, clock offset included
	interval  int64   // ns between points
	truncate  int64   // timestamps are cut to this precision (ns)
	dt        float64 // interval in seconds
	rate      float64
	cands     []candidate
	kinds     []truth.Kind // kinds with at least one candidate
	active    anomaly
	done      []truth.Record
	pointTime int64
	// Per-step chances and decay of the generic signals' random walks.
	flip, change, walkKeep float64
	// anomalyRate is the chance per point that an anomaly starts.
	anomalyRate float64
}

// sigState is one signal as the generator sends it.
type sigState struct {
	def     *profiles.Signal
	role    Role
	conv    unitConv
	ratio   float64 // samples per point, at most 1
	perSamp int64   // points per sample, rounded up
	lo, hi  float64 // the range, or a plausible one when none is declared
	ranged  bool
	lvNom   float64 // RoleBatteryVolts: 12 or 24
	pow     float64 // 10^Decimals
	last    models.Value
	hasLast bool
	walk    float64 // generic numbers: random walk state
	flag    bool    // generic bools
	choice  int     // generic strings: index into Values
}

// New returns the generator for cfg.
func New(cfg Config) (*Generator, error) {
	p := cfg.Profile
	switch {
	case p == nil:
		return nil, fmt.Errorf("%w: no profile", ErrConfig)
	case cfg.Device == "":
		return nil, fmt.Errorf("%w: no device id", ErrConfig)
	case cfg.Interval < 0:
		return nil, fmt.Errorf("%w: negative interval", ErrConfig)
	case cfg.AnomalyRate < 0 || cfg.AnomalyRate > 1 || math.IsNaN(cfg.AnomalyRate):
		return nil, fmt.Errorf("%w: anomaly rate %v outside [0, 1]", ErrConfig, cfg.AnomalyRate)
	}
	defs := cfg.Signals
	if defs == nil {
		defs = p.Signals
	}
	if len(defs) == 0 {
		defs = DefaultSignals()
	}
	g := &Generator{
		device:  cfg.Device,
		stream:  p.DefaultStream(),
		profile: p.Name,
		tags:    append([]models.Tag(nil), p.Tags...),
		noise:   Rand(cfg.Seed, cfg.Vehicle, streamNoise),
		anom:    Rand(cfg.Seed, cfg.Vehicle, streamAnomaly),
		generic: Rand(cfg.Seed, cfg.Vehicle, streamGeneric),
	}
	roles := make([]Role, len(defs))
	for i := range defs {
		roles[i] = RoleOf(&defs[i])
	}
	maxRate := fastestRate(p, defs)
	interval := cfg.Interval
	if interval == 0 {
		interval = time.Duration(math.Round(float64(time.Second) / maxRate))
	}
	if interval <= 0 {
		return nil, fmt.Errorf("%w: interval rounds to zero", ErrConfig)
	}
	g.interval = int64(interval)
	g.dt = interval.Seconds()
	g.rate = 1 / g.dt
	g.truncate = 1
	if interval >= time.Millisecond {
		g.truncate = int64(time.Millisecond) // devices report milliseconds
	}
	g.start = cfg.Start.Add(cfg.ClockOffset).UnixNano()

	tags := make(map[string]string, len(p.Tags))
	for _, t := range p.Tags {
		tags[t.Key] = t.Value
	}
	class := classFor(p.Name, tags, roles)
	g.veh = newVehicle(class, Rand(cfg.Seed, cfg.Vehicle, streamPhysics), g.dt)
	g.flip, g.change, g.walkKeep = 1-math.Exp(-g.dt/600), 1-math.Exp(-g.dt/300), math.Exp(-g.dt/300)

	scale := max(1, g.rate/maxRate) // a device sampled faster than its class keeps its proportions
	g.sigs = make([]sigState, len(defs))
	for i := range defs {
		g.sigs[i] = g.newSigState(&defs[i], roles[i], scale)
	}
	g.cands = candidates(g.sigs, class, cfg.Kinds)
	for _, k := range truth.Kinds() {
		for _, c := range g.cands {
			if c.kind == k {
				g.kinds = append(g.kinds, k)
				break
			}
		}
	}
	if cfg.AnomalyRate == 0 {
		g.cands, g.kinds = nil, nil
	}
	g.anomalyRate = cfg.AnomalyRate
	return g, nil
}

func (g *Generator) newSigState(def *profiles.Signal, role Role, scale float64) sigState {
	s := sigState{def: def, role: role, conv: convFor(role, def.Unit), pow: math.Pow10(max(def.Decimals, 0))}
	rate := def.RateHz
	if rate <= 0 {
		rate = g.rate
	}
	s.ratio = min(1, rate*scale/g.rate)
	s.perSamp = int64(math.Ceil(1/s.ratio - 1e-9))
	if def.Range != nil {
		s.lo, s.hi, s.ranged = def.Range.Min, def.Range.Max, true
	} else {
		s.lo, s.hi = 0, 100
	}
	switch role {
	case RoleThrottle, RoleEngineLoad, RoleFuelLevel, RoleSoC:
		if s.ranged && s.hi <= 1 {
			s.conv = unitConv{0.01, 0} // a fraction, not percent
		}
	case RoleBatteryVolts:
		s.lvNom = float64(g.veh.p.lvVolts)
		if s.ranged {
			s.lvNom = 12
			if s.hi >= 20 {
				s.lvNom = 24
			}
		}
	}
	s.walk = (s.lo + s.hi) / 2
	if len(def.Values) > 0 {
		s.choice = g.generic.IntN(len(def.Values))
	}
	return s
}

// Phase returns the trip phase of the last point generated.
func (g *Generator) Phase() Phase { return g.veh.phase }

// Next fills pt with the vehicle's next reading: the signals due at this
// point, with the profile's tags. It reports false when no signal is due or
// all were dropped (a dropout anomaly), in which case pt holds no fields
// and should not be sent; time moves on either way. pt's Fields are
// reused; its Tags are shared with the generator and must not be changed.
func (g *Generator) Next(pt *models.Point) bool {
	if g.k > 0 {
		g.veh.step()
	}
	t := g.start + g.k*g.interval
	t -= t % g.truncate
	g.pointTime = t
	g.maybeStart()

	fields := pt.Fields[:0]
	*pt = models.Point{Device: g.device, Stream: g.stream, Time: t, Tags: g.tags}
	for i := range g.sigs {
		s := &g.sigs[i]
		if !g.due(s) {
			continue
		}
		if v, ok := g.sample(i); ok {
			fields = append(fields, models.Field{Key: s.def.Name, Value: v})
		}
	}
	pt.Fields = fields
	g.stepWalks()
	g.maybeEnd()
	g.k++
	return len(fields) > 0
}

// due reports whether signal s has a sample at the current point.
func (g *Generator) due(s *sigState) bool {
	if s.ratio >= 1 || g.k == 0 {
		return true
	}
	return math.Floor(float64(g.k)*s.ratio) != math.Floor(float64(g.k-1)*s.ratio)
}

// sample returns signal i's reading at the current point; ok is false
// when the reading is dropped.
func (g *Generator) sample(i int) (v models.Value, ok bool) {
	s := &g.sigs[i]
	noise := 0.0
	if s.def.Noise > 0 && numeric(s.def.Type) {
		noise = s.def.Noise * g.noise.NormFloat64() // drawn even when unused, to keep the stream aligned
	}
	a := &g.active
	if a.on && a.affects(i) {
		v, ok = g.anomalous(i, noise)
	} else {
		v, ok = g.normal(s, noise), true
	}
	if ok {
		s.last, s.hasLast = v, true
	}
	return v, ok
}

// normal returns signal s's reading without any anomaly: the model's
// value plus noise, inside the range, at the signal's precision.
func (g *Generator) normal(s *sigState, noise float64) models.Value {
	switch s.def.Type {
	case models.KindBool:
		return models.Bool(g.boolValue(s))
	case models.KindString:
		return models.String(g.stringValue(s))
	}
	x := g.model(s)
	if x != 0 || s.role == RoleGeneric {
		x += noise // a vehicle at rest reads exactly zero speed, rpm, flow
	}
	if s.ranged {
		x = min(max(x, s.lo), s.hi)
	}
	return s.quantize(x)
}

// model returns the noiseless value of a numeric signal, in its unit.
func (g *Generator) model(s *sigState) float64 {
	v := g.veh
	var x float64
	switch s.role {
	case RoleGeneric:
		return s.walk
	case RoleSpeed:
		x = v.v * 3.6
	case RoleRPM:
		x = v.rpm
	case RoleThrottle:
		x = v.throttle * 100
	case RoleEngineLoad:
		x = v.load * 100
	case RoleCoolant:
		x = v.coolant
	case RoleOilPressure:
		if v.engineOn && v.class != ClassEV {
			x = 140 + 0.15*v.rpm
		}
	case RoleBoost:
		x = 100
		if v.engineOn && v.class != ClassEV {
			x += 170 * v.load
		}
	case RoleBatteryVolts:
		x = s.lvNom * v.lvFactor()
	case RoleFuelLevel:
		if v.p.tankL > 0 {
			x = 100 * v.fuelL / v.p.tankL
		}
	case RoleFuelRate:
		x = v.fuelLph
	case RoleLat:
		x = v.route.lat()
	case RoleLon:
		x = v.route.lon()
	case RoleHeading:
		x = v.route.heading
	case RoleOdometer:
		x = v.odoKm
	case RoleGear:
		x = float64(v.gear)
	case RoleAxleFront:
		x = axle(v, 5200, 0.06, 0.55)
	case RoleAxleDrive:
		x = axle(v, 6800, 0.18, 0.45)
	case RoleAxleTrailer:
		x = axle(v, 2600, 0.76, 0)
	case RolePackVoltage:
		x = v.packVolts()
	case RolePackCurrent:
		x = v.packA
	case RoleSoC:
		x = 100 * v.soc
	case RoleCellMin:
		x = v.packVolts()/v.p.packCells - v.cellSpread()/2
	case RoleCellMax:
		x = v.packVolts()/v.p.packCells + v.cellSpread()/2
	case RolePackTemp:
		x = v.packTemp
	case RoleIsolation:
		x = v.iso
	}
	return s.conv.apply(x)
}

// axle returns an axle weight in kg: for a truck base plus a share of the
// cargo, for a car a share of its mass.
func axle(v *vehicle, base, cargoShare, carShare float64) float64 {
	if v.class == ClassTruck {
		return base + cargoShare*v.cargoKg
	}
	return carShare * v.p.massKg
}

func (g *Generator) boolValue(s *sigState) bool {
	if s.role == RoleContactors {
		return g.veh.engineOn || g.veh.charge != chargeNone
	}
	return s.flag
}

func (g *Generator) stringValue(s *sigState) string {
	vals := s.def.Values
	if s.role == RoleChargeState {
		st := g.veh.chargeState()
		if len(vals) == 0 {
			return st
		}
		for _, x := range vals {
			if x == st {
				return x
			}
		}
	}
	if len(vals) == 0 {
		return "ok"
	}
	return vals[s.choice]
}

// stepWalks advances the random walks of generic signals by one point.
func (g *Generator) stepWalks() {
	r := g.generic
	for i := range g.sigs {
		s := &g.sigs[i]
		if s.role != RoleGeneric && s.role != RoleChargeState {
			continue
		}
		switch s.def.Type {
		case models.KindBool:
			if r.Float64() < g.flip {
				s.flag = !s.flag
			}
		case models.KindString:
			if n := len(s.def.Values); n > 1 && r.Float64() < g.change {
				s.choice = (s.choice + 1 + r.IntN(n-1)) % n
			}
		default:
			// Ornstein-Uhlenbeck around mid-range, sd a tenth of the span,
			// five-minute memory.
			keep := g.walkKeep
			mid, sd := (s.lo+s.hi)/2, (s.hi-s.lo)/10
			s.walk = mid + (s.walk-mid)*keep + sd*math.Sqrt(1-keep*keep)*r.NormFloat64()
			s.walk = min(max(s.walk, s.lo), s.hi)
		}
	}
}

// quantize turns x into a value of the signal's type at its precision.
func (s *sigState) quantize(x float64) models.Value {
	def := s.def
	switch def.Type {
	case models.KindInt:
		return models.Int(int64(min(max(math.Round(x), -9e18), 9e18)))
	case models.KindUint:
		return models.Uint(uint64(min(max(math.Round(x), 0), 1.8e19)))
	case models.KindBool:
		return models.Bool(x >= 0.5)
	}
	if def.Decimals >= 0 {
		p := s.pow
		if r := math.Round(x*p) / p; !math.IsInf(r, 0) && !math.IsNaN(r) {
			x = r
		}
	}
	return models.Float(x)
}

// NaturalInterval returns the time between points of a device of profile
// p sending at its own pace: one period of its fastest signal (of
// DefaultSignals when it declares none). It is the interval New uses when
// Config.Interval is 0.
func NaturalInterval(p *profiles.Profile) time.Duration {
	defs := p.Signals
	if len(defs) == 0 {
		defs = DefaultSignals()
	}
	return time.Duration(math.Round(float64(time.Second) / fastestRate(p, defs)))
}

// fastestRate returns the rate in Hz of the fastest of defs, the signals a
// device of profile p sends; when none declares a rate, the profile's (or
// the default).
func fastestRate(p *profiles.Profile, defs []profiles.Signal) float64 {
	fastest := 0.0
	for i := range defs {
		fastest = max(fastest, defs[i].RateHz)
	}
	if fastest <= 0 {
		fastest = max(p.RateHz, profiles.DefaultRateHz)
	}
	return fastest
}
