package main

import (
	"github.com/tributary-iot/tributary/firmware-profiles"
	"github.com/tributary-iot/tributary/simulators/signal"
)

func defaultSignals() []profiles.Signal { return signal.DefaultSignals() }
