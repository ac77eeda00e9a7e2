// Package faults holds the end-to-end fault tests of replication: they run
// the real cloud-core and edge-agent binaries as subprocesses, publish
// points over MQTT, kill processes with SIGKILL, cut the link with a TCP
// proxy, fill the agent's disk cap, and then count every point in the
// cloud: none lost, none doubled, per-device order kept. It has no
// non-test code.
package faults
