// Package procs runs the pipeline's binaries (cloud-core, edge-agent,
// fleetsim) as child processes for make bench: each with its output in a
// log file, stopped with SIGTERM (SIGKILL after a grace period), on free
// loopback ports found with FreeAddr.
package procs
