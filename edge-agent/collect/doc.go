// Package collect takes MQTT messages into the edge agent: it matches each
// topic to a firmware profile, decodes the payload into points, and appends
// them to the local log, waiting for the group commit before the message is
// acknowledged. Bad input goes to the dead-letter store with its reason.
//
// Two front ends feed the same Handler: an embedded broker (mochi-mqtt),
// whose OnPublish hook runs before the broker writes the PUBACK, and a
// subscriber to an external broker (paho) with manual acknowledgement.
package collect
