// Package simtest holds the firmware-profile helpers the simulator's tests
// share.
package simtest
