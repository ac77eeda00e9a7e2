package models

import (
	"fmt"
	"math"

	"github.com/tinylib/msgp/msgp"
)

// The Field codec is written by hand so that each value keeps its exact
// kind: msgpack's positive fixints do not tell int from uint. A field is a
// 3-element array: [key string, kind uint8, value], where value has the
// msgpack type that matches kind (float64, int, uint, bool or str).

// MarshalMsg implements msgp.Marshaler.
func (f *Field) MarshalMsg(b []byte) ([]byte, error) {
	b = msgp.AppendArrayHeader(b, 3)
	b = msgp.AppendString(b, f.Key)
	b = msgp.AppendUint8(b, uint8(f.Value.kind))
	switch f.Value.kind {
	case KindFloat:
		b = msgp.AppendFloat64(b, math.Float64frombits(f.Value.num))
	case KindInt:
		b = msgp.AppendInt64(b, int64(f.Value.num))
	case KindUint:
		b = msgp.AppendUint64(b, f.Value.num)
	case KindBool:
		b = msgp.AppendBool(b, f.Value.num != 0)
	case KindString:
		b = msgp.AppendString(b, f.Value.str)
	default:
		return b, fmt.Errorf("field %q: cannot encode a value of kind %d", f.Key, f.Value.kind)
	}
	return b, nil
}

// UnmarshalMsg implements msgp.Unmarshaler.
func (f *Field) UnmarshalMsg(bts []byte) ([]byte, error) {
	n, bts, err := msgp.ReadArrayHeaderBytes(bts)
	if err != nil {
		return bts, msgp.WrapError(err, "Field")
	}
	if n != 3 {
		return bts, msgp.ArrayError{Wanted: 3, Got: n}
	}
	if f.Key, bts, err = msgp.ReadStringBytes(bts); err != nil {
		return bts, msgp.WrapError(err, "Key")
	}
	var k uint8
	if k, bts, err = msgp.ReadUint8Bytes(bts); err != nil {
		return bts, msgp.WrapError(err, "Kind")
	}
	f.Value = Value{kind: Kind(k)}
	switch Kind(k) {
	case KindFloat:
		var x float64
		x, bts, err = msgp.ReadFloat64Bytes(bts)
		f.Value.num = math.Float64bits(x)
	case KindInt:
		var x int64
		x, bts, err = msgp.ReadInt64Bytes(bts)
		f.Value.num = uint64(x)
	case KindUint:
		f.Value.num, bts, err = msgp.ReadUint64Bytes(bts)
	case KindBool:
		var x bool
		x, bts, err = msgp.ReadBoolBytes(bts)
		if x {
			f.Value.num = 1
		}
	case KindString:
		f.Value.str, bts, err = msgp.ReadStringBytes(bts)
	default:
		return bts, fmt.Errorf("field %q: unknown value kind %d", f.Key, k)
	}
	if err != nil {
		return bts, msgp.WrapError(err, "Value")
	}
	return bts, nil
}

// EncodeMsg implements msgp.Encodable.
func (f *Field) EncodeMsg(w *msgp.Writer) error {
	if err := w.WriteArrayHeader(3); err != nil {
		return err
	}
	if err := w.WriteString(f.Key); err != nil {
		return err
	}
	if err := w.WriteUint8(uint8(f.Value.kind)); err != nil {
		return err
	}
	switch f.Value.kind {
	case KindFloat:
		return w.WriteFloat64(math.Float64frombits(f.Value.num))
	case KindInt:
		return w.WriteInt64(int64(f.Value.num))
	case KindUint:
		return w.WriteUint64(f.Value.num)
	case KindBool:
		return w.WriteBool(f.Value.num != 0)
	case KindString:
		return w.WriteString(f.Value.str)
	}
	return fmt.Errorf("field %q: cannot encode a value of kind %d", f.Key, f.Value.kind)
}

// DecodeMsg implements msgp.Decodable.
func (f *Field) DecodeMsg(r *msgp.Reader) error {
	n, err := r.ReadArrayHeader()
	if err != nil {
		return msgp.WrapError(err, "Field")
	}
	if n != 3 {
		return msgp.ArrayError{Wanted: 3, Got: n}
	}
	if f.Key, err = r.ReadString(); err != nil {
		return msgp.WrapError(err, "Key")
	}
	k, err := r.ReadUint8()
	if err != nil {
		return msgp.WrapError(err, "Kind")
	}
	f.Value = Value{kind: Kind(k)}
	switch Kind(k) {
	case KindFloat:
		var x float64
		x, err = r.ReadFloat64()
		f.Value.num = math.Float64bits(x)
	case KindInt:
		var x int64
		x, err = r.ReadInt64()
		f.Value.num = uint64(x)
	case KindUint:
		f.Value.num, err = r.ReadUint64()
	case KindBool:
		var x bool
		x, err = r.ReadBool()
		if x {
			f.Value.num = 1
		}
	case KindString:
		f.Value.str, err = r.ReadString()
	default:
		return fmt.Errorf("field %q: unknown value kind %d", f.Key, k)
	}
	if err != nil {
		return msgp.WrapError(err, "Value")
	}
	return nil
}

// Msgsize returns an upper bound of the encoded size of f.
func (f *Field) Msgsize() int {
	return msgp.ArrayHeaderSize + msgp.StringPrefixSize + len(f.Key) + msgp.Uint8Size +
		msgp.StringPrefixSize + len(f.Value.str) + msgp.Float64Size
}
