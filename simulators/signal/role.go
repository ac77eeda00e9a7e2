package signal

import (
	"fmt"
	"strings"

	"github.com/tributary-iot/tributary/firmware-profiles"
	"github.com/tributary-iot/tributary/models"
)

// Role is the quantity of the physical model a signal reports.
type Role uint8

// The roles. RoleGeneric is a signal the model does not know: it gets a
// random walk inside its range (numbers), rare flips (bools) or rare
// changes among its values (strings).
const (
	RoleGeneric      Role = iota
	RoleSpeed             // road speed (km/h, mph, m/s, kn)
	RoleRPM               // engine (or motor) speed, rpm
	RoleThrottle          // throttle or accelerator pedal, %
	RoleEngineLoad        // engine load, %
	RoleCoolant           // engine coolant temperature (°C, °F, K)
	RoleOilPressure       // engine oil pressure (kPa, bar, psi)
	RoleBoost             // intake manifold (boost) pressure, absolute
	RoleBatteryVolts      // low-voltage (12 V or 24 V) system voltage
	RoleFuelLevel         // fuel level, % of the tank
	RoleFuelRate          // fuel consumption (L/h, gal/h)
	RoleLat               // GNSS latitude, degrees
	RoleLon               // GNSS longitude, degrees
	RoleHeading           // course over ground, degrees
	RoleOdometer          // total distance (km, mi, m)
	RoleGear              // engaged gear (0 neutral or park)
	RoleAxleFront         // steer axle weight (kg, t, lb)
	RoleAxleDrive         // drive axle weight
	RoleAxleTrailer       // trailer axle group weight
	RolePackVoltage       // traction battery voltage, V
	RolePackCurrent       // traction battery current, A, positive discharging
	RoleSoC               // traction battery state of charge, %
	RoleCellMin           // lowest cell voltage, V
	RoleCellMax           // highest cell voltage, V
	RolePackTemp          // traction battery temperature
	RoleIsolation         // HV isolation resistance, kΩ
	RoleContactors        // HV contactors closed (bool)
	RoleChargeState       // BMS state (string: idle, driving, ac-charging, ...)
	numRoles
)

var roleNames = [numRoles]string{
	"generic", "speed", "rpm", "throttle", "engine-load", "coolant", "oil-pressure", "boost",
	"battery-volts", "fuel-level", "fuel-rate", "lat", "lon", "heading", "odometer", "gear",
	"axle-front", "axle-drive", "axle-trailer", "pack-voltage", "pack-current", "soc",
	"cell-min", "cell-max", "pack-temp", "isolation", "contactors", "charge-state",
}

// String returns the role's name.
func (r Role) String() string {
	if r < numRoles {
		return roleNames[r]
	}
	return fmt.Sprintf("role(%d)", uint8(r))
}

// RoleOf returns the role of a signal, from its name, unit and type. A
// numeric role needs a numeric type, RoleContactors a bool and
// RoleChargeState a string; otherwise the signal is generic.
func RoleOf(s *profiles.Signal) Role {
	r := roleByName(strings.ToLower(s.Name), strings.ToLower(s.Unit))
	switch r {
	case RoleGeneric:
	case RoleContactors:
		if s.Type != models.KindBool {
			return RoleGeneric
		}
	case RoleChargeState:
		if s.Type != models.KindString {
			return RoleGeneric
		}
	default:
		if !numeric(s.Type) {
			return RoleGeneric
		}
	}
	return r
}

func numeric(k models.Kind) bool {
	return k == models.KindFloat || k == models.KindInt || k == models.KindUint
}

func roleByName(name, unit string) Role {
	words := strings.FieldsFunc(name, func(r rune) bool { return r == '_' || r == '-' || r == '.' || r == ' ' })
	has := func(ws ...string) bool {
		for _, w := range ws {
			for _, x := range words {
				if x == w {
					return true
				}
			}
		}
		return false
	}
	contains := func(s string) bool { return strings.Contains(name, s) }
	switch {
	case has("lat", "latitude"):
		return RoleLat
	case has("lon", "lng", "long", "longitude"):
		return RoleLon
	case has("heading", "course", "bearing"):
		return RoleHeading
	case has("contactor", "contactors"):
		return RoleContactors
	case contains("charge") && has("state", "status", "mode"):
		return RoleChargeState
	case has("soc") || contains("state_of_charge") || contains("stateofcharge"):
		return RoleSoC
	case has("cell") && (has("min") || contains("lowest")):
		return RoleCellMin
	case has("cell") && (has("max") || contains("highest")):
		return RoleCellMax
	case has("isolation", "insulation"):
		return RoleIsolation
	case has("pack", "hv", "traction") && (has("voltage", "volt", "v") || unit == "v"):
		return RolePackVoltage
	case has("pack", "hv", "traction") && (has("current", "amps", "a") || unit == "a"):
		return RolePackCurrent
	case has("pack", "module") && contains("temp"):
		return RolePackTemp
	case has("axle") && (contains("weight") || contains("load") || unit == "kg"):
		switch {
		case has("front", "steer"):
			return RoleAxleFront
		case has("trailer"):
			return RoleAxleTrailer
		}
		return RoleAxleDrive
	case has("rpm") || unit == "rpm" || has("engine", "motor") && has("speed"):
		return RoleRPM
	case has("speed", "velocity"):
		return RoleSpeed
	case has("throttle", "pedal", "accelerator"):
		return RoleThrottle
	case has("load") && (unit == "%" || has("pct", "percent")):
		return RoleEngineLoad
	case has("coolant"):
		return RoleCoolant
	case has("oil") && (contains("press") || unit == "kpa" || unit == "bar" || unit == "psi"):
		return RoleOilPressure
	case has("boost") || has("manifold") && contains("press"):
		return RoleBoost
	case has("battery", "batt", "supply") && (unit == "v" || has("v", "volt", "voltage", "potential")):
		return RoleBatteryVolts
	case has("fuel") && has("level", "pct", "percent"):
		return RoleFuelLevel
	case has("fuel") && (has("rate", "flow", "consumption") || unit == "l/h"):
		return RoleFuelRate
	case has("odometer", "odo", "mileage", "distance"):
		return RoleOdometer
	case has("gear"):
		return RoleGear
	}
	return RoleGeneric
}

// unitConv converts a value in the model's unit for a role to the
// signal's unit: x*scale + offset.
type unitConv struct{ scale, offset float64 }

func (c unitConv) apply(x float64) float64 { return x*c.scale + c.offset }

// convFor returns the conversion from the model's unit for r (km/h, °C,
// kPa, km, kg, L/h, V, A) to unit.
func convFor(r Role, unit string) unitConv {
	u := strings.ToLower(strings.TrimSpace(unit))
	id := unitConv{1, 0}
	switch r {
	case RoleSpeed:
		switch u {
		case "mph", "mi/h":
			return unitConv{0.621371, 0}
		case "m/s":
			return unitConv{1 / 3.6, 0}
		case "kn", "kt", "knots":
			return unitConv{0.539957, 0}
		}
	case RoleCoolant, RolePackTemp:
		switch u {
		case "°f", "f", "degf", "fahrenheit":
			return unitConv{1.8, 32}
		case "k", "kelvin":
			return unitConv{1, 273.15}
		}
	case RoleOilPressure, RoleBoost:
		switch u {
		case "bar":
			return unitConv{0.01, 0}
		case "psi":
			return unitConv{0.145038, 0}
		case "pa":
			return unitConv{1000, 0}
		case "mbar", "hpa":
			return unitConv{10, 0}
		}
	case RoleOdometer:
		switch u {
		case "mi", "miles":
			return unitConv{0.621371, 0}
		case "m":
			return unitConv{1000, 0}
		}
	case RoleAxleFront, RoleAxleDrive, RoleAxleTrailer:
		switch u {
		case "t":
			return unitConv{0.001, 0}
		case "lb", "lbs":
			return unitConv{2.20462, 0}
		}
	case RoleFuelRate:
		switch u {
		case "gal/h", "gph":
			return unitConv{0.264172, 0}
		}
	case RoleBatteryVolts, RolePackVoltage, RoleCellMin, RoleCellMax:
		if u == "mv" {
			return unitConv{1000, 0}
		}
	case RoleThrottle, RoleEngineLoad, RoleFuelLevel, RoleSoC:
		if u == "1" || u == "ratio" || u == "fraction" {
			return unitConv{0.01, 0} // the model works in percent
		}
	}
	return id
}
