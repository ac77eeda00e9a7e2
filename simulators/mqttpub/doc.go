// Package mqttpub publishes a simulated fleet's traffic to an MQTT broker:
// one paho client per vehicle, each with its own client id, so that the
// broker (and the edge agent behind it) sees a fleet, not one big client.
// It is the fleet.Sink fleetsim uses.
//
// A simulated connection drop closes the vehicle's TCP connection without
// an MQTT DISCONNECT, as a lost cellular link would; the vehicle connects
// again when the simulation says so. A connection lost for real (the broker
// went away) is retried with back-off on the vehicle's next publish; the
// publishes that fail meanwhile are counted as errors.
package mqttpub
