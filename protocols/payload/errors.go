package payload

import (
	"errors"
	"strconv"
	"strings"

	"github.com/tributary-iot/tributary/models"
)

// Sentinel errors. Decoders return them inside an *Error; test for them
// with errors.Is.
var (
	// ErrSyntax: the payload is not well-formed in its format.
	ErrSyntax = errors.New("syntax error")
	// ErrNoPoints: the payload is well-formed but holds no point.
	ErrNoPoints = errors.New("no points")
	// ErrNoFields: a point has no field (after null values are skipped).
	ErrNoFields = errors.New("no fields")
	// ErrNoDevice: neither the context, a device tag nor the payload names
	// the device.
	ErrNoDevice = errors.New("no device id")
	// ErrNoStream: neither the context nor the payload names the stream.
	ErrNoStream = errors.New("no stream")
	// ErrBadTime: a timestamp cannot be read or lies outside the range of
	// int64 nanoseconds (years 1677 to 2262).
	ErrBadTime = errors.New("bad timestamp")
	// ErrBadValue: a value has a type the format's mapping does not accept
	// (e.g. a msgpack binary, a JSON number out of range).
	ErrBadValue = errors.New("unsupported value")
	// ErrBadKey: a field or tag key is empty or longer than MaxKeyLen.
	ErrBadKey = errors.New("bad key")
	// ErrTooLarge: the payload is larger than MaxSize or holds more than
	// MaxPoints points.
	ErrTooLarge = errors.New("payload too large")
	// ErrTooDeep: objects or arrays are nested deeper than MaxDepth.
	ErrTooDeep = errors.New("nesting too deep")
	// ErrUnencodable is returned (wrapped) by encoders for a point the
	// format cannot represent, such as a NaN float in JSON or a tag value
	// with a newline in line protocol.
	ErrUnencodable = errors.New("cannot encode point")
)

// Error is the error every decoder returns. Err is a sentinel of this
// package (or models.ErrBadID) for errors.Is; the position fields say where
// in the payload the decoder stopped, as far as it knows.
type Error struct {
	// Format names the payload format: "line protocol", "json", "msgpack".
	Format string
	// Line is the 1-based line of the record at fault (line protocol), or 0.
	Line int
	// Offset is the byte offset in the payload, or -1 if unknown.
	Offset int
	// Err is the kind of error: a sentinel of this package or models.ErrBadID.
	Err error
	// Reason adds detail to Err; it may be empty.
	Reason string
}

// Error returns e as "format: line L: err: reason" or "format: offset N: ...".
func (e *Error) Error() string {
	b := make([]byte, 0, 64+len(e.Reason))
	b = append(b, e.Format...)
	switch {
	case e.Line > 0:
		b = append(b, ": line "...)
		b = strconv.AppendInt(b, int64(e.Line), 10)
	case e.Offset >= 0:
		b = append(b, ": offset "...)
		b = strconv.AppendInt(b, int64(e.Offset), 10)
	}
	if e.Err != nil {
		b = append(b, ": "...)
		b = append(b, e.Err.Error()...)
	}
	if e.Reason != "" {
		b = append(b, ": "...)
		b = append(b, e.Reason...)
	}
	return string(b)
}

// Unwrap returns e.Err.
func (e *Error) Unwrap() error { return e.Err }

// sentinels are the errors Wrap classifies by, most specific first.
var sentinels = [...]error{ErrTooLarge, ErrTooDeep, ErrBadTime, ErrBadKey, ErrBadValue,
	ErrNoPoints, ErrNoFields, ErrNoDevice, ErrNoStream, models.ErrBadID, ErrSyntax}

// Wrap returns err as an *Error of the named format at a position (line 0
// and offset -1 when unknown), for decoders to return. An *Error that
// already names its format is returned as it is; one without a format gets
// format and position. Any other error is classified by the sentinel it
// wraps (ErrSyntax if none) and keeps its text as the Reason.
func Wrap(format string, line, offset int, err error) *Error {
	var pe *Error
	if errors.As(err, &pe) {
		if pe.Format != "" {
			return pe
		}
		return &Error{Format: format, Line: line, Offset: offset, Err: pe.Err, Reason: pe.Reason}
	}
	e := &Error{Format: format, Line: line, Offset: offset, Err: ErrSyntax, Reason: err.Error()}
	for _, s := range sentinels {
		if errors.Is(err, s) {
			e.Err = s
			e.Reason = strings.TrimPrefix(strings.TrimPrefix(e.Reason, s.Error()), ": ")
			break
		}
	}
	return e
}
