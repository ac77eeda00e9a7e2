package profiles

import (
	"errors"
	"strconv"
	"strings"

	"github.com/tributary-iot/tributary/models"
)

// ValidationError is one problem found in a profile file. Parse and LoadDir
// return every problem of a file at once, joined with errors.Join; use
// errors.As (or Problems) to reach them.
type ValidationError struct {
	// File is the file name as given to Parse (or the path under LoadDir).
	File string
	// Line is the 1-based line of the offending key or value (0 if unknown).
	Line int
	// Field is the path of the offending field, e.g. "signals[3].range"
	// ("" for problems with the file as a whole).
	Field string
	// Msg says what is wrong.
	Msg string
}

// Error reads like "car.yaml:12: signals[3].range: min 10 is above max 5".
func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Problems returns every *ValidationError inside err (which may be a join of
// several), in order. It returns nil when err holds none.
func Problems(err error) []*ValidationError {
	var out []*ValidationError
	var walk func(error)
	walk = func(err error) {
		switch e := err.(type) {
		case nil:
		case *ValidationError:
			out = append(out, e)
		case interface{ Unwrap() []error }:
			for _, x := range e.Unwrap() {
				walk(x)
			}
		case interface{ Unwrap() error }:
			walk(e.Unwrap())
		}
	}
	walk(err)
	return out
}

// Sentinel errors. Every Decode and Set.Decode error wraps one of the first
// five, so the caller can count it and dead-letter the payload under
// Reason(err).
var (
	// ErrOversized is returned by Decode when a payload is larger than the
	// profile's max_payload; the payload is not parsed.
	ErrOversized = errors.New("payload too large")
	// ErrUndecodable is returned by Decode when the payload is not valid in
	// the profile's encoding (the decoder's own error is wrapped too).
	ErrUndecodable = errors.New("undecodable payload")
	// ErrBadTimestamp is returned by Decode when a point's time is outside
	// the profile's timestamp window around the receive time.
	ErrBadTimestamp = errors.New("timestamp out of window")
	// ErrBadType is returned by Decode when a field of a declared signal has
	// a value that cannot be coerced to the signal's type without loss.
	ErrBadType = errors.New("field type mismatch")
	// ErrUnknownTopic is returned by Set.Decode when no profile matches the
	// topic.
	ErrUnknownTopic = errors.New("no profile matches topic")

	// ErrDuplicateProfile is returned by NewSet when two profiles share a
	// name (other than a loaded profile replacing a built-in one) or two
	// topic patterns would match exactly the same topics.
	ErrDuplicateProfile = errors.New("duplicate profile")
)

// The reasons returned by Reason: short, stable names for metrics labels
// and dead-letter records.
const (
	ReasonOversized    = "oversized"
	ReasonUndecodable  = "undecodable"
	ReasonTimestamp    = "timestamp"
	ReasonType         = "type_mismatch"
	ReasonUnknownTopic = "unknown_topic"
	ReasonBadID        = "bad_id"
	ReasonOther        = "other"
)

// Reason names the kind of a Decode failure: "oversized", "undecodable",
// "timestamp", "type_mismatch", "unknown_topic", "bad_id" (a device or
// stream id that models.ValidateDevice or models.ValidateID refuses), or
// "other" for anything else. It returns "" for a nil error.
func Reason(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrOversized):
		return ReasonOversized
	case errors.Is(err, ErrUnknownTopic):
		return ReasonUnknownTopic
	case errors.Is(err, ErrBadTimestamp):
		return ReasonTimestamp
	case errors.Is(err, ErrBadType):
		return ReasonType
	case errors.Is(err, models.ErrBadID):
		return ReasonBadID
	case errors.Is(err, ErrUndecodable):
		return ReasonUndecodable
	}
	return ReasonOther
}
