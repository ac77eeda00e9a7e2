// Package truth holds the ground truth of the anomalies a simulator
// injects: which device, which signal, what kind of fault, and the device
// time window it covers. fleetsim writes it next to the traffic it sends
// (--truth FILE), so that the anomaly jobs in ml/ can be scored against it.
//
// A truth file is JSON lines, one Record per line, or one JSON array of
// Records; Read accepts both:
//
//	{"device":"veh-00042","profile":"passenger-car","stream":"vehicle-telemetry","kind":"stuck","signal":"rpm","start":"2026-11-25T12:00:01.1Z","end":"2026-11-25T12:00:31.1Z","points":301}
//
// Start and End are the device timestamps (as sent, clock skew included) of
// the first and last point the anomaly shows in, so a point of the device
// with Start <= time <= End that carries the signal is anomalous.
package truth
