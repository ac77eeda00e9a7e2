// Package jsonpoint decodes and encodes points as JSON, the format of most
// passenger-car telematics units and of many gateways.
//
// A payload is one or more JSON values separated by white space (so NDJSON
// works); each value is a record object or an array of record objects. A
// record is either flat,
//
//	{"time": 1764072000100, "speed": 52.5, "rpm": 2000, "gps": {"lat": 48.1, "lon": 11.5}}
//
// or structured, the form Append writes:
//
//	{"device": "veh-0001", "stream": "vehicle-telemetry", "time": "2026-11-25T12:00:00.1Z",
//	 "fields": {"speed_kmh": 52.5}, "tags": {"model": "sedan"}}
//
// Top-level keys are read as follows:
//
//   - "time", "ts", "timestamp": the timestamp: an RFC 3339 string, or an
//     epoch number (or decimal string) in s, ms, us or ns chosen by
//     magnitude, see payload.EpochInt; null or missing means the receive
//     time. More than one is an error.
//   - "device": the device id, used only when the context has none.
//   - "stream": the stream, used only when the context has none.
//   - "fields": an object of fields. A record with this key is structured:
//     its other non-reserved top-level keys (such as "agent" or "seq") are
//     ignored.
//   - "tags": an object of tags; string values, numbers and booleans as
//     written, null skipped.
//   - the key named by Context.DeviceTag (top level or inside "tags"): the
//     device id, taking precedence over the context and the "device" key.
//   - any other key, in a flat record: a field.
//
// Field values: numbers become Float (JSON has one number type; the profile
// layer converts to the declared type), true/false Bool, strings String;
// null is skipped. Nested objects and arrays are flattened, joining keys
// with '_': {"gps":{"lat":1}} gives gps_lat, {"acc":[1,2]} gives acc_0 and
// acc_1. Keys are limited to payload.MaxKeyLen bytes after joining and
// nesting to payload.MaxDepth levels; strings must be valid UTF-8.
//
// Decode allocates one string copy of the payload (keys and unescaped
// strings are slices of it) and shares Fields and Tags blocks between the
// points of a payload.
package jsonpoint
