// Package msgfile reads and writes MQTT messages (topic and payload) as a
// file: what fleetsim --out writes instead of publishing, for tests,
// benchmarks and determinism checks. Each message is a header line with
// the topic and the payload length in bytes, then the payload and a
// newline:
//
//	vehicles/veh-00001/telemetry 187
//	{"device":"veh-00001","stream":"vehicle-telemetry",...}
//	trucks/veh-00002/j1939 402
//	<402 bytes of msgpack>
//
// Payloads are raw bytes (msgpack stays binary), so a file of JSON or
// line-protocol traffic reads as text. Topics cannot hold a newline.
package msgfile
