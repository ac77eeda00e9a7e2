// Package testbroker runs an in-process MQTT broker (mochi-mqtt) for the
// simulator's tests, with a hook that counts and optionally keeps what is
// published.
package testbroker
