// Package truckdata generates a deterministic truck-fleet telemetry dataset:
// trucks that drive along roads at 1 Hz, report GPS position, speed, fuel,
// load, engine status and odometer, and reach the cloud through an on-board
// agent, with some points missing and some delivered late.
//
// The same seed always yields the same points, so benchmarks elsewhere
// (tier-2 storage size, ingest throughput) can compare runs. The generator
// is pure: it returns []models.Point and does no I/O.
package truckdata
