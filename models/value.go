package models

import (
	"fmt"
	"math"
	"strconv"
)

// Kind is the type of a field value.
type Kind uint8

// The kinds of field value. The numbers are part of the wire format.
const (
	KindInvalid Kind = 0
	KindFloat   Kind = 1
	KindInt     Kind = 2
	KindUint    Kind = 3
	KindBool    Kind = 4
	KindString  Kind = 5
)

// String returns the kind's name as used in profiles and schemas.
func (k Kind) String() string {
	switch k {
	case KindFloat:
		return "float"
	case KindInt:
		return "int"
	case KindUint:
		return "uint"
	case KindBool:
		return "bool"
	case KindString:
		return "string"
	default:
		return "invalid"
	}
}

// ParseKind returns the Kind named s ("float", "int", "uint", "bool", "string").
func ParseKind(s string) (Kind, error) {
	switch s {
	case "float", "double", "float64":
		return KindFloat, nil
	case "int", "integer", "int64":
		return KindInt, nil
	case "uint", "unsigned", "uint64":
		return KindUint, nil
	case "bool", "boolean":
		return KindBool, nil
	case "string":
		return KindString, nil
	}
	return KindInvalid, fmt.Errorf("unknown value type %q (want float, int, uint, bool or string)", s)
}

// Value is one typed field value. The zero Value is invalid.
// Numbers are kept in num (float64 bits, int64 as two's complement, uint64,
// or 0/1 for bool); strings in str.
type Value struct {
	kind Kind
	num  uint64
	str  string
}

// Float returns a float Value.
func Float(f float64) Value { return Value{kind: KindFloat, num: math.Float64bits(f)} }

// Int returns an int Value.
func Int(i int64) Value { return Value{kind: KindInt, num: uint64(i)} }

// Uint returns a uint Value.
func Uint(u uint64) Value { return Value{kind: KindUint, num: u} }

// Bool returns a bool Value.
func Bool(b bool) Value {
	v := Value{kind: KindBool}
	if b {
		v.num = 1
	}
	return v
}

// String returns a string Value. (Use Value.Str to read one.)
func String(s string) Value { return Value{kind: KindString, str: s} }

// Kind returns the value's type.
func (v Value) Kind() Kind { return v.kind }

// IsValid reports whether v holds a value.
func (v Value) IsValid() bool { return v.kind != KindInvalid }

// FloatV returns the value as a float; ints, uints and bools convert, strings give 0.
func (v Value) FloatV() float64 {
	switch v.kind {
	case KindFloat:
		return math.Float64frombits(v.num)
	case KindInt:
		return float64(int64(v.num))
	case KindUint:
		return float64(v.num)
	case KindBool:
		return float64(v.num)
	}
	return 0
}

// IntV returns the value as an int64 (floats truncate; strings give 0).
func (v Value) IntV() int64 {
	if v.kind == KindFloat {
		return int64(math.Float64frombits(v.num))
	}
	if v.kind == KindString {
		return 0
	}
	return int64(v.num)
}

// UintV returns the value as a uint64 (floats truncate; strings give 0).
func (v Value) UintV() uint64 {
	if v.kind == KindFloat {
		return uint64(math.Float64frombits(v.num))
	}
	if v.kind == KindString {
		return 0
	}
	return v.num
}

// BoolV returns the value as a bool (numbers: non-zero is true).
func (v Value) BoolV() bool {
	if v.kind == KindString {
		return v.str != ""
	}
	if v.kind == KindFloat {
		return math.Float64frombits(v.num) != 0
	}
	return v.num != 0
}

// Str returns the string of a string Value, or "" for other kinds.
func (v Value) Str() string { return v.str }

// Any returns the value as float64, int64, uint64, bool or string (nil if invalid).
func (v Value) Any() any {
	switch v.kind {
	case KindFloat:
		return math.Float64frombits(v.num)
	case KindInt:
		return int64(v.num)
	case KindUint:
		return v.num
	case KindBool:
		return v.num != 0
	case KindString:
		return v.str
	}
	return nil
}

// Equal reports whether a and b have the same kind and value. Floats compare
// by bits, so NaN equals NaN (as a codec round trip needs).
func (v Value) Equal(o Value) bool { return v == o }

// AppendText appends a human-readable form of v to dst (strings unquoted).
func (v Value) AppendText(dst []byte) []byte {
	switch v.kind {
	case KindFloat:
		return strconv.AppendFloat(dst, math.Float64frombits(v.num), 'g', -1, 64)
	case KindInt:
		return strconv.AppendInt(dst, int64(v.num), 10)
	case KindUint:
		return strconv.AppendUint(dst, v.num, 10)
	case KindBool:
		return strconv.AppendBool(dst, v.num != 0)
	case KindString:
		return append(dst, v.str...)
	}
	return dst
}

// String returns v as text; see AppendText.
func (v Value) String() string { return string(v.AppendText(nil)) }
