package signal

import (
	"fmt"
	"strings"
)

// Class is the kind of vehicle the physical model simulates.
type Class uint8

// The vehicle classes.
const (
	ClassCar   Class = iota // a passenger car with a combustion engine
	ClassTruck              // a heavy truck with a diesel engine
	ClassEV                 // a battery-electric car
)

// String returns "car", "truck" or "ev".
func (c Class) String() string {
	switch c {
	case ClassCar:
		return "car"
	case ClassTruck:
		return "truck"
	case ClassEV:
		return "ev"
	}
	return fmt.Sprintf("class(%d)", uint8(c))
}

// params are the physical constants of a class.
type params struct {
	massKg      float64   // empty vehicle
	cdA         float64   // drag area, m²
	crr         float64   // rolling resistance coefficient
	maxPowerKW  float64   // engine or motor
	accessoryKW float64   // drawn whenever the engine runs (or the EV is on)
	gears       []float64 // gearbox ratios, first gear first
	finalDrive  float64
	wheelRadius float64 // m
	idleRPM     float64
	upshiftRPM  float64 // at light throttle; more at full throttle
	downRPM     float64
	accel       float64 // m/s², typical full acceleration
	decel       float64 // m/s², typical braking
	cruiseKmh   [][2]float64
	tankL       float64 // fuel tank
	idleLph     float64 // fuel at idle
	routeKm     [2]float64
	odoKm       [2]float64
	lvVolts     float64 // low-voltage system: 12 or 24
	packCells   float64 // EV: cells in series
	packAh      float64 // EV: capacity
	packOhm     float64 // EV: internal resistance
}

var classParams = [...]params{
	ClassCar: {
		massKg: 1450, cdA: 0.68, crr: 0.012, maxPowerKW: 110, accessoryKW: 1.2,
		gears: []float64{3.6, 2.1, 1.4, 1.03, 0.82, 0.67}, finalDrive: 3.9, wheelRadius: 0.31,
		idleRPM: 780, upshiftRPM: 2300, downRPM: 1250, accel: 2.4, decel: 2.8,
		cruiseKmh: [][2]float64{{30, 55}, {60, 95}, {100, 130}},
		tankL:     55, idleLph: 0.7, routeKm: [2]float64{2, 25}, odoKm: [2]float64{3000, 220000}, lvVolts: 12,
	},
	ClassTruck: {
		massKg: 14500, cdA: 6.2, crr: 0.006, maxPowerKW: 330, accessoryKW: 6,
		gears:      []float64{14.9, 11.7, 9.0, 7.1, 5.6, 4.4, 3.4, 2.6, 2.0, 1.6, 1.3, 1.0},
		finalDrive: 2.6, wheelRadius: 0.5,
		idleRPM: 600, upshiftRPM: 1450, downRPM: 1000, accel: 0.55, decel: 1.4,
		cruiseKmh: [][2]float64{{30, 50}, {60, 80}, {80, 88}},
		tankL:     600, idleLph: 2.5, routeKm: [2]float64{10, 80}, odoKm: [2]float64{80000, 1400000}, lvVolts: 24,
	},
	ClassEV: {
		massKg: 2050, cdA: 0.58, crr: 0.010, maxPowerKW: 200, accessoryKW: 0.4,
		gears: []float64{9.0}, finalDrive: 1, wheelRadius: 0.33,
		idleRPM: 0, upshiftRPM: 1e9, downRPM: 0, accel: 2.8, decel: 2.8,
		cruiseKmh: [][2]float64{{30, 55}, {60, 95}, {100, 130}},
		routeKm:   [2]float64{2, 25}, odoKm: [2]float64{1000, 120000}, lvVolts: 12,
		packCells: 96, packAh: 210, packOhm: 0.09,
	},
}

// classFor picks the class for a profile's signals: an EV when the
// battery model is needed, a truck for axle weights or a truck-like name,
// a car otherwise.
func classFor(name string, tags map[string]string, roles []Role) Class {
	for _, r := range roles {
		switch r {
		case RolePackVoltage, RolePackCurrent, RoleSoC, RoleCellMin, RoleCellMax, RoleChargeState:
			return ClassEV
		}
	}
	for _, r := range roles {
		if r == RoleAxleFront || r == RoleAxleDrive || r == RoleAxleTrailer {
			return ClassTruck
		}
	}
	text := strings.ToLower(name + " " + tags["class"])
	for _, w := range []string{"truck", "lorry", "hgv", "bus", "tractor", "j1939"} {
		if strings.Contains(text, w) {
			return ClassTruck
		}
	}
	return ClassCar
}
