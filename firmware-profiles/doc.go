// Package profiles loads, validates and applies firmware profiles: YAML
// files that describe one class of device (a passenger car's telematics
// unit, a truck's J1939 gateway, an EV battery management system).
//
// A profile says which MQTT topics the device publishes on, how its payloads
// are encoded (line protocol, JSON or msgpack), which stream its points go
// to, how large a payload may be, how far its clocks may drift, and which
// signals it sends with their types, units and ranges.
//
// In the pipeline the edge agent (and the cloud's direct MQTT listener)
// holds a Set of profiles: Set.Match picks the profile for a topic and
// Profile.Decode turns the payload into normalized points, coercing declared
// signal types and checking timestamps; every failure carries a Reason that
// names the dead-letter bucket. The fleet simulator reads the same profiles
// to generate realistic traffic: signals with ranges, rates, noise and
// anomaly modes, static tags, and Profile.FormatTopic and
// Profile.AppendPayload to publish it.
//
// The built-in profiles live in builtin/*.yaml and are embedded in the
// binary (see Builtin); README.md documents the file format.
package profiles
