// Package signal generates the readings of simulated vehicles: a physical
// model of one vehicle (trips of idle, accelerate, cruise, brake and park;
// engine speed following road speed and gear; coolant warming with load;
// fuel burn; a GPS position moving along a route; an EV battery's state of
// charge, current and temperature) sampled through the signals a firmware
// profile declares, with the profile's noise, range, decimals and rates,
// and with labelled anomalies injected on request.
//
// A Generator is one vehicle. It is deterministic: the points it returns
// depend only on its Config (seed, vehicle number, profile, start time,
// interval), never on the wall clock, so a simulation can be replayed byte
// for byte. It does no I/O; package fleet schedules many generators and
// publishes their points.
//
// Signals are mapped to the physical model by name and unit (see Role): a
// signal named "speed_kmh" or "vehicle_speed" in km/h is the road speed,
// "rpm" or "engine_speed" the engine speed, and so on. A signal the model
// does not know gets a plausible random walk inside its range.
package signal
