package signal

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Phase is where a vehicle is in a trip.
type Phase uint8

// The trip phases. A trip starts parked, idles, then alternates
// accelerate, cruise and brake (with stops at idle, like traffic lights)
// until it parks again.
const (
	PhaseParked Phase = iota
	PhaseIdle
	PhaseAccelerate
	PhaseCruise
	PhaseBrake
)

// String returns the phase's name.
func (p Phase) String() string {
	switch p {
	case PhaseParked:
		return "parked"
	case PhaseIdle:
		return "idle"
	case PhaseAccelerate:
		return "accelerate"
	case PhaseCruise:
		return "cruise"
	case PhaseBrake:
		return "brake"
	}
	return fmt.Sprintf("phase(%d)", uint8(p))
}

type chargeMode uint8

const (
	chargeNone chargeMode = iota
	chargeAC
	chargeDC
)

const (
	gravity   = 9.81
	airDens   = 1.2
	lPerKWh   = 0.26 // diesel and petrol engines at part load
	driveEff  = 0.9
	regenEff  = 0.65
	crankSecs = 1.5
)

// vehicle is the physical state of one vehicle. Every quantity is in SI
// or the unit named beside it; step advances it.
type vehicle struct {
	p     *params
	class Class
	r     *rand.Rand // physics stream

	phase    Phase
	left     float64 // seconds left in a timed phase (parked, idle, cruise)
	endTrip  bool    // park at the next stop
	aggr     float64 // driver: scales acceleration and braking
	target   float64 // m/s
	v, a     float64 // m/s, m/s²
	cruiseA  float64 // slowly varying acceleration while cruising
	engineOn bool    // the engine runs (EV: the car is switched on)
	cranking float64 // seconds left of the starter's voltage dip

	gear     int
	rpm      float64
	throttle float64 // 0..1
	load     float64 // 0..1
	powerKW  float64 // at the wheels, negative when braking

	ambient  float64 // °C
	coolant  float64 // °C
	fuelL    float64
	fuelLph  float64
	fuelLoss float64 // litres per second lost (fuel_loss anomaly)
	odoKm    float64
	cargoKg  float64
	route    route

	soc      float64 // 0..1
	packA    float64 // A, positive discharging
	packTemp float64 // °C
	charge   chargeMode
	chargeTo float64 // soc at which charging stops
	balance  float64 // seconds of cell balancing left
	isoBase  float64 // kΩ
	iso      float64 // kΩ

	dt    float64 // seconds per step
	decay decays  // exp(-dt/tau) of the model's time constants
}

// decays are exp(-dt/tau) for the time constants the model uses, worked
// out once for the generator's fixed step.
type decays struct {
	cruise, warm, cool, thermostat, pack, iso float64
}

func newDecays(dt float64) decays {
	e := func(tau float64) float64 { return math.Exp(-dt / tau) }
	return decays{cruise: e(4), warm: e(220), cool: e(1500), thermostat: e(80), pack: e(900), iso: e(600)}
}

func newVehicle(c Class, r *rand.Rand, dt float64) *vehicle {
	p := &classParams[c]
	v := &vehicle{
		p: p, class: c, r: r, dt: dt, decay: newDecays(dt),
		aggr:    uniform(r, 0.75, 1.2),
		ambient: uniform(r, -5, 28),
		odoKm:   uniform(r, p.odoKm[0], p.odoKm[1]),
		fuelL:   p.tankL * uniform(r, 0.3, 0.95),
		soc:     uniform(r, 0.35, 0.9),
		isoBase: uniform(r, 2000, 8000),
	}
	v.iso = v.isoBase
	v.route = newRoute(r, p.routeKm)
	if c == ClassTruck {
		v.cargoKg = uniform(r, 0, 24000)
	}
	v.coolant, v.packTemp = v.ambient, v.ambient
	switch x := r.Float64(); {
	case x < 0.65: // on the road, warm
		v.engineOn = true
		v.phase = PhaseCruise
		v.target = v.newTarget()
		v.v = v.target
		v.left = uniform(r, 10, 300)
		v.coolant = uniform(r, 86, 93)
		v.packTemp = v.ambient + uniform(r, 4, 10)
	case x < 0.8: // waiting at a light
		v.engineOn = true
		v.phase = PhaseIdle
		v.left = uniform(r, 2, 40)
		v.coolant = uniform(r, 60, 92)
	default:
		v.phase = PhaseParked
		v.left = uniform(r, 5, 300)
	}
	v.powertrain()
	return v
}

// newTarget draws a cruising speed in m/s.
func (v *vehicle) newTarget() float64 {
	band := v.p.cruiseKmh[v.r.IntN(len(v.p.cruiseKmh))]
	return uniform(v.r, band[0], band[1]) / 3.6
}

// step advances the vehicle by its time step.
func (v *vehicle) step() {
	dt := v.dt
	v.drive(dt)
	v.powertrain()
	v.thermal()
	v.energy(dt)
	km := v.v * dt / 1000
	v.odoKm += km
	v.route.advance(km)
	if v.cranking > 0 {
		v.cranking -= dt
	}
}

// drive runs the trip state machine and sets speed and acceleration.
func (v *vehicle) drive(dt float64) {
	r := v.r
	switch v.phase {
	case PhaseParked:
		v.v, v.a = 0, 0
		v.left -= dt
		if v.left <= 0 && v.charge == chargeNone && v.balance <= 0 {
			v.phase = PhaseIdle
			v.left = uniform(r, 5, 30)
			v.engineOn = true
			v.cranking = crankSecs
			v.aggr = uniform(r, 0.75, 1.2)
		}
	case PhaseIdle:
		v.v, v.a = 0, 0
		v.left -= dt
		if v.left <= 0 {
			if v.endTrip {
				v.park()
			} else {
				v.phase = PhaseAccelerate
				v.target = v.newTarget()
			}
		}
	case PhaseAccelerate:
		if v.v < v.target {
			f := 1 - (v.v/v.target)*(v.v/v.target)
			v.a = v.p.accel * v.aggr * max(f, 0.15)
			v.v = min(v.v+v.a*dt, v.target)
		} else {
			v.a = -0.4 * v.p.decel
			v.v = max(v.v+v.a*dt, v.target)
		}
		if math.Abs(v.v-v.target) < 1e-9 {
			v.phase = PhaseCruise
			v.left = uniform(r, 20, 400)
			v.cruiseA = 0
		}
	case PhaseCruise:
		// The driver's small speed changes: an Ornstein-Uhlenbeck
		// acceleration (sd 0.25 m/s², 4 s memory) pulled back to the target.
		keep := v.decay.cruise
		v.cruiseA = v.cruiseA*keep + 0.25*math.Sqrt(1-keep*keep)*r.NormFloat64()
		v.a = v.cruiseA + 0.2*(v.target-v.v)
		v.a = max(min(v.a, v.p.accel), -v.p.decel)
		v.v = max(v.v+v.a*dt, 0)
		v.left -= dt
		if v.left <= 0 {
			if r.Float64() < 0.45 {
				v.phase = PhaseAccelerate
				v.target = v.newTarget()
			} else {
				v.phase = PhaseBrake
				v.endTrip = v.endTrip || r.Float64() < 0.3
			}
		}
	case PhaseBrake:
		v.a = -v.p.decel * v.aggr * (0.5 + 0.5*min(1, v.v/15))
		v.v += v.a * dt
		if v.v <= 0 {
			v.v, v.a = 0, 0
			v.phase = PhaseIdle
			if v.endTrip {
				v.left = uniform(r, 3, 12)
			} else {
				v.left = uniform(r, 5, 60)
			}
		}
	}
}

// park ends a trip: the engine stops, a truck is loaded or unloaded, a
// low tank is refilled, an EV may start charging.
func (v *vehicle) park() {
	r := v.r
	v.phase = PhaseParked
	v.engineOn = false
	v.endTrip = false
	v.left = uniform(r, 30, 1200)
	if v.class == ClassTruck {
		v.cargoKg = uniform(r, 0, 24000)
	}
	if v.p.tankL > 0 && v.fuelL < 0.25*v.p.tankL && v.fuelLoss == 0 {
		v.fuelL = v.p.tankL * uniform(r, 0.85, 0.98)
	}
	if v.class == ClassEV {
		switch {
		case v.soc < 0.3:
			v.charge, v.chargeTo = chargeDC, uniform(r, 0.75, 0.85)
		case v.soc < 0.7 && r.Float64() < 0.5:
			v.charge, v.chargeTo = chargeAC, uniform(r, 0.85, 0.97)
		}
	}
}

// powertrain sets power, load, throttle, gear and engine speed.
func (v *vehicle) powertrain() {
	p := v.p
	m := p.massKg + v.cargoKg
	roll := 0.0
	if v.v > 0 {
		roll = p.crr * m * gravity
	}
	force := m*v.a + 0.5*airDens*p.cdA*v.v*v.v + roll
	v.powerKW = force * v.v / 1000
	if !v.engineOn {
		v.load, v.throttle, v.gear, v.rpm = 0, 0, 0, 0
		return
	}
	engine := max(v.powerKW, 0)/driveEff + p.accessoryKW
	v.load = min(engine/p.maxPowerKW, 1)
	v.throttle = min(max(v.powerKW, 0)/driveEff/p.maxPowerKW*1.15, 1)
	wheelRPM := v.v / (2 * math.Pi * p.wheelRadius) * 60
	moving := v.v > 0.3 || v.phase == PhaseAccelerate
	if v.class == ClassEV {
		v.gear, v.rpm = 0, wheelRPM*p.gears[0]
		if moving {
			v.gear = 1
		}
		return
	}
	cold := min(max((60-v.coolant)/60, 0), 1)
	if !moving {
		v.gear = 0
		v.rpm = p.idleRPM * (1 + 0.25*cold)
		return
	}
	at := func(g int) float64 { return wheelRPM * p.gears[g-1] * p.finalDrive }
	if v.gear == 0 {
		v.gear = 1
	}
	up := p.upshiftRPM * (1 + 0.6*v.throttle)
	for v.gear < len(p.gears) && at(v.gear) > up && at(v.gear+1) >= p.downRPM {
		v.gear++
	}
	for v.gear > 1 && at(v.gear) < p.downRPM {
		v.gear--
	}
	v.rpm = max(at(v.gear), p.idleRPM*(1+0.25*cold))
	if v.gear == 1 && v.phase == PhaseAccelerate {
		v.rpm = max(v.rpm, p.idleRPM+900*v.throttle) // clutch slip at launch
	}
}

// thermal moves the coolant and battery temperatures toward their targets.
func (v *vehicle) thermal() {
	target, keep := v.ambient, v.decay.cool
	if v.engineOn && v.class != ClassEV {
		target, keep = 86+9*v.load, v.decay.warm
		if v.coolant > target {
			keep = v.decay.thermostat // the thermostat opens
		}
	}
	v.coolant += (target - v.coolant) * (1 - keep)
	packTarget := v.ambient
	if v.engineOn || v.charge != chargeNone {
		packTarget = v.ambient + 5 + 16*min(1, math.Abs(v.packA)/250)
	}
	v.packTemp += (packTarget - v.packTemp) * (1 - v.decay.pack)
}

// energy burns fuel or moves charge.
func (v *vehicle) energy(dt float64) {
	p := v.p
	if v.class != ClassEV {
		v.fuelLph = 0
		if v.engineOn {
			cold := min(max((60-v.coolant)/60, 0), 1)
			v.fuelLph = p.idleLph*(1+0.3*cold) + lPerKWh*max(v.powerKW, 0)/driveEff
			if v.powerKW < 0 && v.v > 5 {
				v.fuelLph = 0 // overrun fuel cut-off
			}
		}
		v.fuelL = max(v.fuelL-v.fuelLph*dt/3600-v.fuelLoss*dt, 0)
		if v.fuelL < 0.12*p.tankL {
			v.endTrip = true
		}
		return
	}
	switch {
	case v.charge == chargeDC:
		v.packA = -250 * min(1, max((0.9-v.soc)/0.2, 0.15))
	case v.charge == chargeAC:
		v.packA = -30
	case v.engineOn:
		kw := v.powerKW / driveEff
		if v.powerKW < 0 {
			kw = v.powerKW * regenEff
		}
		v.packA = (kw + p.accessoryKW) * 1000 / v.packVolts()
	default:
		v.packA = 0.2 // BMS standby
	}
	v.soc = min(max(v.soc-v.packA*dt/(3600*p.packAh), 0.01), 1)
	if v.charge != chargeNone && v.soc >= v.chargeTo {
		v.charge = chargeNone
		if v.soc > 0.9 {
			v.balance = uniform(v.r, 300, 1200)
		}
	}
	if v.balance > 0 {
		v.balance -= dt
	}
	if v.soc < 0.15 {
		v.endTrip = true
	}
	keep := v.decay.iso
	v.iso = v.iso*keep + v.isoBase*(1-keep) + 15*math.Sqrt(dt)*v.r.NormFloat64()
	v.iso = min(max(v.iso, 600), 9900)
}

// cellOCV is a cell's open-circuit voltage at state of charge soc (0..1).
func cellOCV(soc float64) float64 {
	return 3.36 + 0.78*soc - 0.15*math.Exp(-soc*18) + 0.03*math.Exp((soc-1)*25)
}

func (v *vehicle) packVolts() float64 {
	return v.p.packCells*cellOCV(v.soc) - v.packA*v.p.packOhm
}

// cellSpread is the gap between the highest and lowest cell voltage.
func (v *vehicle) cellSpread() float64 {
	return 0.008 + 0.00005*math.Abs(v.packA)
}

// lvFactor is the low-voltage system voltage as a multiple of its nominal
// voltage (12 or 24 V): charging with the engine on, resting otherwise.
func (v *vehicle) lvFactor() float64 {
	switch {
	case v.cranking > 0 && v.class != ClassEV:
		return 0.985
	case v.engineOn && v.class != ClassEV:
		return 1.17 - 0.012*v.load
	case v.engineOn || v.charge != chargeNone:
		return 1.13 // the EV's DC-DC converter
	}
	return 1.045
}

// chargeState is the BMS state name.
func (v *vehicle) chargeState() string {
	switch {
	case v.charge == chargeDC:
		return "dc-charging"
	case v.charge == chargeAC:
		return "ac-charging"
	case v.balance > 0:
		return "balancing"
	case v.engineOn:
		return "driving"
	}
	return "idle"
}
