// Package lineproto decodes and encodes points as InfluxDB line protocol,
// the payload of the built-in line-protocol firmware profile:
//
//	vehicle-telemetry,device=veh-0001,model=sedan speed=52.5,rpm=2000i,ok=true,gear="D" 1764072000100000000
//
// A payload holds one or more lines; each becomes a point. The measurement
// always names the stream (so it must be a valid stream id: letters,
// digits, '-' and '_'): every line has one, so Context.Stream, which other
// formats fall back on, is not used. The device id is the value of the
// tag named by Context.DeviceTag (the tag is removed from the point); when
// DeviceTag is empty or a line lacks that tag, it is Context.Device.
// Timestamps are Unix nanoseconds; a line without one gets Context.Received.
// Field values map to models kinds: 5i Int, 5u Uint, 5 or 5.0 Float,
// t/true/f/false Bool, "text" String. Parsing is done by
// github.com/influxdata/line-protocol/v2, so escapes and comments follow
// its rules.
//
// Decode allocates one string copy of the payload (keys and values are
// slices of it) and shares Fields and Tags blocks between the points of a
// payload; it reuses the points, Fields and Tags in dst's spare capacity.
package lineproto
