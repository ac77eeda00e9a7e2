// Package frame holds the edge-to-cloud wire formats: the batch frame an
// agent's uplink sends and cloud ingest decodes, and the small control
// messages around it (Hello, HelloReply, Ack).
//
// A batch frame is columnar-ish and compact: a string table (devices,
// streams, keys, tag values, string values), then points whose times and
// sequence numbers are delta-encoded and whose floats are stored as scaled
// decimals when that is exact (sensor readings such as 52.3 or 45.123456
// are), delta-encoded per device and field, all compressed with zstd.
// docs/wire.md draws it byte by byte. The package is pure: no I/O.
package frame

//go:generate go tool msgp -file messages.go -o messages_gen.go
