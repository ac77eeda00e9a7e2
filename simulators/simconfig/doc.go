// Package simconfig turns fleetsim's command line into the options its
// parts take: flags (Parse) and the firmware profiles the fleet is drawn
// from (Profiles). It keeps fleetsim's main down to wiring.
package simconfig
