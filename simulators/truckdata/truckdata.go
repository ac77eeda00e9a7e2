package truckdata

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/tributary-iot/tributary/models"
)

// The field keys every truck point may carry.
const (
	FieldLat          = "lat"            // degrees, 6 decimals; absent during a GPS outage
	FieldLon          = "lon"            // degrees, 6 decimals; absent during a GPS outage
	FieldSpeed        = "speed_kmh"      // km/h, 1 decimal
	FieldFuelLevel    = "fuel_level_pct" // percent of the tank, 1 decimal
	FieldFuelRate     = "fuel_rate_lph"  // litres per hour, 1 decimal
	FieldLoad         = "load_kg"        // int, kg, changes at stops
	FieldEngine       = "engine_status"  // string: "running", "idle" or "off"
	FieldOdometer     = "odometer_km"    // km, 3 decimals
	TagFleet          = "fleet"
	TagDriver         = "driver"
	TagModel          = "model"
	DefaultStream     = "vehicle-telemetry"
	defaultTrucks     = 100
	defaultDuration   = time.Hour
	defaultLateRate   = 0.01
	defaultMissRate   = 0.005
	defaultGPSOutages = 1.0 / 1800
)

// Config describes a dataset. The zero Config is valid: every zero field
// takes the default named in its comment.
type Config struct {
	// Trucks is the number of vehicles (default 100).
	Trucks int
	// Duration is how long each truck reports at 1 Hz (default 1h).
	Duration time.Duration
	// Start is the first report's time (default 2026-11-25T06:00:00Z).
	Start time.Time
	// Seed selects the dataset; equal configs give equal points.
	Seed uint64
	// Stream names the points' stream (default "vehicle-telemetry").
	Stream string
	// LateRate is the fraction of points held back by the agent and
	// delivered 30 s to 10 min late, out of order (default 0.01; negative
	// means none).
	LateRate float64
	// MissingRate is the fraction of seconds for which a truck produces no
	// point at all (default 0.005; negative means none).
	MissingRate float64
	// GPSOutageRate is the chance per second that a GPS outage of 5 to 60 s
	// starts; during one, points lack lat and lon (default 1/1800; negative
	// means none).
	GPSOutageRate float64
}

func (c Config) withDefaults() Config {
	if c.Trucks <= 0 {
		c.Trucks = defaultTrucks
	}
	if c.Duration <= 0 {
		c.Duration = defaultDuration
	}
	if c.Start.IsZero() {
		c.Start = time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC)
	}
	if c.Stream == "" {
		c.Stream = DefaultStream
	}
	c.LateRate = rate(c.LateRate, defaultLateRate)
	c.MissingRate = rate(c.MissingRate, defaultMissRate)
	c.GPSOutageRate = rate(c.GPSOutageRate, defaultGPSOutages)
	return c
}

func rate(v, def float64) float64 {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}

// Device returns the device id of truck i (0-based): "truck-0001" for 0.
func Device(i int) string { return fmt.Sprintf("truck-%04d", i+1) }

// Agent returns the id of the on-board agent of truck i: "gw-truck-0001".
func Agent(i int) string { return "gw-" + Device(i) }

// Generate returns the dataset described by cfg, in arrival order: sorted
// by Received, which is how an ingest sees the points. Each truck's agent
// numbers its points 1, 2, 3... in that order, so late points carry a
// higher Seq than the points that overtook them. Fields and tags of every
// point are sorted by key.
func Generate(cfg Config) []models.Point {
	cfg = cfg.withDefaults()
	seconds := int(cfg.Duration / time.Second)
	points := make([]models.Point, 0, cfg.Trucks*seconds)
	for i := range cfg.Trucks {
		t := newTruck(cfg, i)
		for s := range seconds {
			if p, ok := t.step(cfg.Start.Add(time.Duration(s) * time.Second).UnixNano()); ok {
				points = append(points, p)
			}
		}
	}
	slices.SortStableFunc(points, func(a, b models.Point) int {
		return cmp.Or(cmp.Compare(a.Received, b.Received), cmp.Compare(a.Device, b.Device))
	})
	seqs := make(map[string]uint64, cfg.Trucks)
	for i := range points {
		seqs[points[i].Agent]++
		points[i].Seq = seqs[points[i].Agent]
	}
	return points
}

var (
	fleets = []struct {
		name     string
		lat, lon float64
	}{
		{"north", 53.5511, 9.9937},
		{"south", 48.1374, 11.5755},
		{"west", 50.9375, 6.9603},
		{"east", 52.5200, 13.4050},
	}
	truckModels = []string{"Actros 1845", "FH16 750", "R450", "TGX 18.510", "XF 480"}
)

const (
	metresPerDegree = 111_320.0
	tankLitres      = 600.0
	idleFuelLPH     = 2.5
)

// engine states
const (
	engineRunning = "running"
	engineIdle    = "idle"
	engineOff     = "off"
)

// truck is the state of one simulated vehicle.
type truck struct {
	rng    *rand.Rand
	cfg    Config
	device string
	agent  string
	fleet  string
	model  string
	driver string
	// drivers is the fleet's pool; the driver changes at each long stop.
	driverBase int

	lat, lon     float64 // true position, degrees
	noiseN       float64 // correlated GPS error, metres north
	noiseE       float64 // correlated GPS error, metres east
	heading      float64 // radians, 0 = north
	speed        float64 // true speed, km/h
	cruise       float64 // target speed of the current road, km/h
	odometer     float64 // metres
	fuel         float64 // litres
	load         int64   // kg
	stopLeft     int     // seconds until a stop ends
	parked       bool    // engine off during the current stop
	gpsOutage    int     // seconds left of a GPS outage
	pendingLate  int     // seconds left of a late-delivery burst
	lateDelivery int64   // arrival time of the current burst, ns
}

func newTruck(cfg Config, i int) *truck {
	rng := rand.New(rand.NewPCG(cfg.Seed, uint64(i)+1))
	f := fleets[i%len(fleets)]
	t := &truck{
		rng:        rng,
		cfg:        cfg,
		device:     Device(i),
		agent:      Agent(i),
		fleet:      f.name,
		model:      truckModels[rng.IntN(len(truckModels))],
		driverBase: (i%len(fleets))*1000 + rng.IntN(200),
		lat:        f.lat + (rng.Float64()-0.5)*0.6,
		lon:        f.lon + (rng.Float64()-0.5)*0.9,
		heading:    float64(rng.IntN(4)) * math.Pi / 2,
		cruise:     cruiseSpeed(rng),
		odometer:   float64(50_000+rng.IntN(900_000)) * 1000,
		fuel:       tankLitres * (0.3 + 0.7*rng.Float64()),
		load:       int64(rng.IntN(2400)) * 10,
	}
	t.driver = fmt.Sprintf("driver-%04d", t.driverBase)
	t.speed = t.cruise * rng.Float64()
	return t
}

func cruiseSpeed(rng *rand.Rand) float64 {
	switch rng.IntN(3) {
	case 0:
		return 50 // city
	case 1:
		return 70 // country road
	}
	return 88 // motorway, limited
}

// step advances the truck by one second and returns the point it reports at
// time now (ns), if it reports one.
func (t *truck) step(now int64) (models.Point, bool) {
	rng := t.rng
	prev := t.speed
	engine := engineRunning
	switch {
	case t.stopLeft > 0:
		t.stopLeft--
		t.speed = math.Max(0, t.speed-8)
		if t.parked && t.speed == 0 {
			engine = engineOff
		} else if t.speed == 0 {
			engine = engineIdle
		}
		if t.stopLeft == 0 {
			t.parked = false
			t.cruise = cruiseSpeed(rng)
		}
	case rng.Float64() < 1.0/900:
		// A stop: traffic light, delivery or rest; loads change at deliveries.
		t.stopLeft = 20 + rng.IntN(280)
		if rng.Float64() < 0.3 {
			t.stopLeft += 600
			t.parked = true
			t.load = int64(rng.IntN(2400)) * 10
			if rng.Float64() < 0.5 {
				t.driver = fmt.Sprintf("driver-%04d", t.driverBase+rng.IntN(40))
			}
			if t.fuel < 0.2*tankLitres {
				t.fuel = tankLitres * (0.9 + 0.1*rng.Float64())
			}
		}
	default:
		accel := (t.cruise-t.speed)*0.08 + rng.NormFloat64()*0.6
		t.speed = math.Max(0, t.speed+math.Max(-3, math.Min(1.5, accel)))
		t.heading += rng.NormFloat64() * 0.004
		if rng.Float64() < 1.0/240 {
			t.heading += math.Pi / 2 * float64(1-2*rng.IntN(2))
			t.cruise = cruiseSpeed(rng)
		}
	}

	metres := t.speed / 3.6
	t.odometer += metres
	t.lat += metres * math.Cos(t.heading) / metresPerDegree
	t.lon += metres * math.Sin(t.heading) / (metresPerDegree * math.Cos(t.lat*math.Pi/180))
	t.noiseN = 0.92*t.noiseN + rng.NormFloat64()*0.4
	t.noiseE = 0.92*t.noiseE + rng.NormFloat64()*0.4

	var lph float64
	switch engine {
	case engineRunning:
		lph = 9 + 0.22*t.speed + 6*math.Max(0, t.speed-prev) + rng.NormFloat64()*0.8
		lph = math.Max(idleFuelLPH, lph)
	case engineIdle:
		lph = idleFuelLPH + rng.NormFloat64()*0.1
	}
	t.fuel = math.Max(0, t.fuel-lph/3600)

	if t.gpsOutage > 0 {
		t.gpsOutage--
	} else if rng.Float64() < t.cfg.GPSOutageRate {
		t.gpsOutage = 5 + rng.IntN(56)
	}
	if rng.Float64() < t.cfg.MissingRate {
		return models.Point{}, false
	}

	p := models.Point{
		Device: t.device,
		Stream: t.cfg.Stream,
		Time:   now,
		Agent:  t.agent,
		Fields: make([]models.Field, 0, 8),
		Tags: []models.Tag{
			{Key: TagDriver, Value: t.driver},
			{Key: TagFleet, Value: t.fleet},
			{Key: TagModel, Value: t.model},
		},
	}
	slosh := 0.0
	if engine == engineRunning {
		slosh = rng.NormFloat64() * 0.15
	}
	p.Fields = append(p.Fields,
		models.Field{Key: FieldEngine, Value: models.String(engine)},
		models.Field{Key: FieldFuelLevel, Value: models.Float(round(100*t.fuel/tankLitres+slosh, 1))},
		models.Field{Key: FieldFuelRate, Value: models.Float(round(lph, 1))},
		models.Field{Key: FieldLoad, Value: models.Int(t.load)},
		models.Field{Key: FieldOdometer, Value: models.Float(round(t.odometer/1000, 3))},
		models.Field{Key: FieldSpeed, Value: models.Float(round(math.Max(0, t.speed+rng.NormFloat64()*0.2), 1))},
	)
	if t.gpsOutage == 0 {
		lat := t.lat + t.noiseN/metresPerDegree
		lon := t.lon + t.noiseE/(metresPerDegree*math.Cos(t.lat*math.Pi/180))
		p.Fields = append(p.Fields,
			models.Field{Key: FieldLat, Value: models.Float(round(lat, 6))},
			models.Field{Key: FieldLon, Value: models.Float(round(lon, 6))},
		)
	}
	p.Normalize()
	p.Received = t.arrival(now)
	return p, true
}

// arrival returns when the agent takes the point of time now in: after a
// network latency of 40 ms plus an exponential tail, or, during a late
// burst (a tunnel, a dead zone), all at once when the link comes back.
func (t *truck) arrival(now int64) int64 {
	if t.pendingLate == 0 && t.rng.Float64() < t.cfg.LateRate/10 {
		t.pendingLate = 10
		delay := int64(30+t.rng.IntN(570)) * int64(time.Second)
		t.lateDelivery = now + delay
	}
	latency := int64(40*time.Millisecond) + int64(t.rng.ExpFloat64()*float64(30*time.Millisecond))
	if t.pendingLate > 0 {
		t.pendingLate--
		return t.lateDelivery + latency
	}
	return now + latency
}

func round(x float64, decimals int) float64 {
	p := math.Pow10(decimals)
	return math.Round(x*p) / p
}
