// Package payload holds what every payload decoder in protocols/ shares: the
// Context a transport hands to a decoder (device and stream from the MQTT
// topic or the firmware profile, the receive time), the typed *Error and
// sentinel errors that decoders return, the rule that turns a numeric
// epoch into nanoseconds, and Finish, which completes and checks a decoded
// point.
//
// A decoder in this tree has the shape
//
//	func Decode(dst []models.Point, data []byte, c payload.Context) ([]models.Point, error)
//
// It appends one point per record in data to dst and returns the extended
// slice. Decoding is all or nothing: on error the result has the length of
// dst and no point of the payload is kept. Points in dst's spare capacity
// (between len and cap) are reused, Fields and Tags backing arrays included,
// so a caller that passes dst[:0] must no longer hold on to the points it
// decoded before. Every point returned has at least one field, a valid
// device id and stream name, and fields and tags sorted by key with unique
// keys (see Finish).
//
// The package is pure: no I/O, no mutable package-level state.
package payload
