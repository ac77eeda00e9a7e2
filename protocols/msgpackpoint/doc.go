// Package msgpackpoint decodes and encodes points as MessagePack, the
// compact format of truck and machine telematics units.
//
// The shapes and key rules are those of package jsonpoint: a payload is one
// or more msgpack values, each a record map or an array of record maps; a
// record is flat ({"speed": 52.5, "time": ...}) or structured ({"device",
// "stream", "time", "fields": {...}, "tags": {...}}), with "time"/"ts"/
// "timestamp", "device", "stream", "fields", "tags" and Context.DeviceTag
// reserved at the top level, and nested maps and arrays flattened with '_'.
// Map keys must be str (or bin holding text).
//
// Unlike JSON, msgpack keeps number types: msgpack ints (fixints included)
// become Int, uints (uint8..uint64 encodings) Uint, float32 and float64
// Float; bools Bool, strs String (valid UTF-8), nil is skipped. Binary and
// extension values are refused. A timestamp may be an int or uint (epoch by
// magnitude, see payload.EpochInt), a float, a string (RFC 3339 or a decimal
// epoch), or the msgpack timestamp extension (type -1, exact).
//
// Append writes the structured form with the time as a timestamp extension
// and each value in the msgpack family of its kind, so that Decode returns
// the same point, kinds included.
package msgpackpoint
