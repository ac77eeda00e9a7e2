// Package natsembed runs the nats-server that the cloud core embeds: NATS
// with JetStream on a file store in the data directory, which holds tier 1
// of the segment store. The store talks to it over an in-process
// connection; the network listener (for agents) is optional.
package natsembed
