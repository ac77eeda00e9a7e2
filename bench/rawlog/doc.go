// Package rawlog is make bench's baseline: the plain log a user would
// otherwise pick, Kafka-style. It runs its own embedded nats-server with a
// JetStream file store and keeps the devices' raw JSON payloads, one
// message per MQTT message, in one stream with no schema, no compression
// and no dedup. It measures the publish rate, the bytes stored, the
// publish-to-ack latency at a given rate, and the rate of reading the log
// back, for the same payloads the pipeline gets.
package rawlog
