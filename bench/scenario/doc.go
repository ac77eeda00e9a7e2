// Package scenario is make bench's run: it starts cloud-core, an edge
// agent and fleetsim as separate processes on loopback ports in a work
// directory, drives the pipeline at its maximum and at half of it, measures
// throughput, latency, CPU, memory, bytes and read speed, runs the same
// payloads through the baselines (a bare MQTT broker; a plain JetStream log
// of raw JSON), runs the Go micro-benchmarks, and returns a report.Report.
//
// Phases, in order: generate (a fleetsim dry run writes the exact
// messages of the max-load phase, for the baseline log), start, max load,
// storage and reads, half load (latency probe), stop, bare broker, raw log,
// micro-benchmarks. bench/README.md says how each figure is measured.
package scenario
