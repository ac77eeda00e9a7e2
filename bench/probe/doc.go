// Package probe measures publish-to-visible latency through the running
// pipeline. It publishes marker points over MQTT (QoS 1, line protocol,
// device time = send time) one at a time, and polls the cloud's
// /v1/streams/{s}/count until the marker shows: the latency is from the
// moment before the publish to the poll answer that first counts it, so
// it is an upper bound, coarse by one poll interval plus one request.
//
// Markers rotate over several small probe streams (a few markers each),
// because a count scans the stream's tier-1 messages: on one long probe
// stream each poll would cost more as the run goes on and disturb the
// pipeline it measures.
//
// RunTail measures the same path to a reader that follows the stream
// (GET /v1/streams/{s}/tail): markers go out at a steady pace without
// waiting for each other, and each one's latency ends when its line
// arrives on the tail.
package probe
