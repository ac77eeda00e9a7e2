// Package mqttdirect lets vehicles publish MQTT straight to cloud-core,
// with no edge agent: an embedded MQTT broker (mochi-mqtt) decodes each
// message by firmware profile and appends its points to the segment store
// in the broker's OnPublish hook, which runs before the PUBACK is written.
// So a QoS 1 PUBACK means the points are durable in tier 1.
//
// Delivery is at least once: a device that resends a message whose PUBACK
// it lost gets it written again, since a device has no sequence numbers of
// its own to deduplicate by. Points are written as the writer
// "mqtt-direct.<class>", with sequence numbers from the cloud's clock.
//
// (nats-server has an MQTT listener of its own, but its PUBACK does not
// wait for the segment store, so it could acknowledge a message a crash
// then loses; the hook here cannot.)
package mqttdirect
