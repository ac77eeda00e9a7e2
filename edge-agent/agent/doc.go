// Package agent wires the edge agent together: the local log, the firmware
// profiles, the MQTT front end (embedded broker or external subscriber) and
// the HTTP endpoints (/healthz, /metrics, /v1/status). Agent.Run is the
// daemon's life: it returns once everything has stopped and the log is
// flushed and closed.
package agent
