// Package barebroker runs a bare mochi-mqtt broker: the same broker and
// capabilities the edge agent embeds, with no storage, decoding or uplink
// behind it. make bench runs it as a separate process (benchrun broker)
// under the same fleetsim load as the agent, so the agent's CPU and memory
// per point can be set against the cost of MQTT alone.
package barebroker
