// Package fleet runs a simulated fleet: it gives each vehicle a firmware
// profile, a device id, a topic and a signal.Generator, schedules them from
// a few worker goroutines (paced to a rate per vehicle, or as fast as
// possible), turns their points into MQTT messages (one or many points
// each), and adds the mess real fleets send: connection drops with
// store-and-forward, clock skew, late and out-of-order messages, duplicate
// publishes and malformed payloads. Messages go to a Sink (an MQTT
// publisher, a file, a test); the anomalies injected go to a TruthSink.
//
// The traffic of each vehicle depends only on the Config (seed, profiles,
// start time, rate, batch), never on timing: run twice, a vehicle sends the
// same messages in the same order. With Config.Ordered the interleaving of
// vehicles is fixed as well (by round, then vehicle), so a whole run can be
// compared byte for byte.
//
// fleetsim (simulators/fleetsim) wires this package to flags, MQTT and
// files.
package fleet
