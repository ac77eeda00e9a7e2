package msgpackpoint

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/tinylib/msgp/msgp"

	"github.com/tributary-iot/tributary/models"
	"github.com/tributary-iot/tributary/protocols/internal/assemble"
	"github.com/tributary-iot/tributary/protocols/payload"
)

// Format is the name of the format in errors.
const Format = "msgpack"

// Decode parses the msgpack records in data and appends one point per
// record to dst. See the package documentation for the mapping and
// payload.Finish for the checks each point passes. On error dst is
// returned with its original length and the error is a *payload.Error.
func Decode(dst []models.Point, data []byte, c payload.Context) ([]models.Point, error) {
	return assemble.Decode(Format, dst, data, func(dst []models.Point) ([]models.Point, error) {
		d := decoder{data: data, b: data, txt: assemble.NewText(data), c: c, n0: len(dst)}
		return d.payload(dst)
	})
}

type decoder struct {
	data []byte
	b    []byte // what is left to read
	txt  assemble.Text
	c    payload.Context
	n0   int // len(dst) on entry
	rec  assemble.Record
}

func (d *decoder) offset() int { return len(d.data) - len(d.b) }

// fail returns err as a *payload.Error at the current offset; errors of
// the msgp package are syntax errors.
func (d *decoder) fail(err error) error { return payload.Wrap(Format, 0, d.offset(), err) }

func (d *decoder) payload(dst []models.Point) ([]models.Point, error) {
	var err error
	for len(d.b) > 0 {
		switch t := msgp.NextType(d.b); t {
		case msgp.MapType:
			if dst, err = d.record(dst, 1); err != nil {
				return dst, err
			}
		case msgp.ArrayType:
			var n uint32
			n, d.b, err = msgp.ReadArrayHeaderBytes(d.b)
			if err != nil {
				return dst, d.fail(err)
			}
			if int64(n) > int64(len(d.b)) {
				return dst, d.fail(fmt.Errorf("%w: array of %d records in %d bytes", payload.ErrSyntax, n, len(d.b)))
			}
			for ; n > 0; n-- {
				if msgp.NextType(d.b) != msgp.MapType {
					return dst, d.fail(fmt.Errorf("%w: array element is not a record map", payload.ErrSyntax))
				}
				if dst, err = d.record(dst, 2); err != nil {
					return dst, err
				}
			}
		default:
			return dst, d.fail(fmt.Errorf("%w: expected a map or an array, found %s", payload.ErrSyntax, t))
		}
	}
	return dst, nil
}

// mapHeader reads a map header and checks it against the bytes left: each
// entry takes at least two bytes.
func (d *decoder) mapHeader() (uint32, error) {
	n, rest, err := msgp.ReadMapHeaderBytes(d.b)
	if err != nil {
		return 0, err
	}
	if int64(n)*2 > int64(len(rest)) {
		return 0, fmt.Errorf("%w: map of %d entries in %d bytes", payload.ErrSyntax, n, len(rest))
	}
	d.b = rest
	return n, nil
}

// key reads a map key.
func (d *decoder) key() (string, error) {
	k, rest, err := msgp.ReadMapKeyZC(d.b)
	if err != nil {
		return "", err
	}
	if len(k) == 0 {
		return "", fmt.Errorf("%w: empty key", payload.ErrBadKey)
	}
	if !utf8.Valid(k) {
		return "", fmt.Errorf("%w: key is not valid UTF-8", payload.ErrBadKey)
	}
	d.b = rest
	return d.txt.String(k), nil
}

// str reads a str value that must be valid UTF-8.
func (d *decoder) str() (string, error) {
	v, rest, err := msgp.ReadStringZC(d.b)
	if err != nil {
		return "", err
	}
	if !utf8.Valid(v) {
		return "", fmt.Errorf("%w: string is not valid UTF-8", payload.ErrBadValue)
	}
	d.b = rest
	return d.txt.String(v), nil
}

// record reads one record map into a new point of dst.
func (d *decoder) record(dst []models.Point, depth int) ([]models.Point, error) {
	start := d.offset()
	dst, p, err := assemble.NextPoint(dst, d.n0)
	if err != nil {
		return dst, d.fail(err)
	}
	r := &d.rec
	r.Begin(p, d.c.DeviceTag)
	n, err := d.mapHeader()
	if err != nil {
		return dst, d.fail(err)
	}
	for ; n > 0; n-- {
		key, err := d.key()
		if err != nil {
			return dst, d.fail(err)
		}
		if err := r.ReadTopKey(d, key, depth+1); err != nil {
			return dst, d.fail(err)
		}
	}
	if err := r.End(&d.c); err != nil {
		end := d.b
		d.b = d.data[start:]
		err = d.fail(err)
		d.b = end
		return dst, err
	}
	return dst, nil
}

// TimeValue reads the value of a time key.
func (d *decoder) TimeValue() error {
	var ns int64
	var err error
	switch t := msgp.NextType(d.b); t {
	case msgp.IntType:
		var x int64
		if x, d.b, err = msgp.ReadInt64Bytes(d.b); err == nil {
			ns, err = payload.EpochInt(x)
		}
	case msgp.UintType:
		var x uint64
		if x, d.b, err = msgp.ReadUint64Bytes(d.b); err == nil {
			ns, err = payload.EpochUint(x)
		}
	case msgp.Float64Type, msgp.Float32Type:
		var x float64
		if x, d.b, err = msgp.ReadFloat64Bytes(d.b); err == nil {
			ns, err = payload.EpochFloat(x)
		}
	case msgp.StrType:
		var s string
		if s, err = d.str(); err == nil {
			ns, err = payload.ParseTime(s)
		}
	case msgp.TimeType:
		ts, rest, rerr := msgp.ReadTimeBytes(d.b)
		if err = rerr; err == nil {
			d.b = rest
			ns, err = payload.TimeNanos(ts)
		}
	case msgp.NilType:
		d.b, err = msgp.ReadNilBytes(d.b)
		return err
	default:
		return fmt.Errorf("%w: time must be a number, a string or a timestamp, not %s", payload.ErrBadTime, t)
	}
	if err != nil {
		var te msgp.InvalidTimestamp
		if errors.As(err, &te) {
			return fmt.Errorf("%w: %v", payload.ErrBadTime, err)
		}
		return err
	}
	return d.rec.SetTime(ns)
}

// IDValue reads a device id or stream: a str, or an integer as decimal
// text; nil gives "".
func (d *decoder) IDValue(key string) (string, error) {
	var err error
	switch msgp.NextType(d.b) {
	case msgp.StrType:
		return d.str()
	case msgp.IntType:
		var x int64
		x, d.b, err = msgp.ReadInt64Bytes(d.b)
		return strconv.FormatInt(x, 10), err
	case msgp.UintType:
		var x uint64
		x, d.b, err = msgp.ReadUint64Bytes(d.b)
		return strconv.FormatUint(x, 10), err
	case msgp.NilType:
		d.b, err = msgp.ReadNilBytes(d.b)
		return "", err
	}
	return "", fmt.Errorf("%w: %q must be a string", payload.ErrBadValue, key)
}

// scalar reads a number, bool or str as a Value; ok is false for nil.
func (d *decoder) scalar(t msgp.Type) (v models.Value, ok bool, err error) {
	switch t {
	case msgp.Float64Type:
		var x float64
		x, d.b, err = msgp.ReadFloat64Bytes(d.b)
		return models.Float(x), true, err
	case msgp.Float32Type:
		var x float32
		x, d.b, err = msgp.ReadFloat32Bytes(d.b)
		return models.Float(float64(x)), true, err
	case msgp.IntType:
		var x int64
		x, d.b, err = msgp.ReadInt64Bytes(d.b)
		return models.Int(x), true, err
	case msgp.UintType:
		var x uint64
		x, d.b, err = msgp.ReadUint64Bytes(d.b)
		return models.Uint(x), true, err
	case msgp.BoolType:
		var x bool
		x, d.b, err = msgp.ReadBoolBytes(d.b)
		return models.Bool(x), true, err
	case msgp.StrType:
		var s string
		s, err = d.str()
		return models.String(s), true, err
	case msgp.NilType:
		d.b, err = msgp.ReadNilBytes(d.b)
		return models.Value{}, false, err
	case msgp.InvalidType:
		return models.Value{}, false, msgp.ErrShortBytes
	}
	return models.Value{}, false, fmt.Errorf("%w: %s values are not supported", payload.ErrBadValue, t)
}

// FieldValue reads the value of the field name, at nesting depth.
func (d *decoder) FieldValue(name string, depth int) error {
	r := &d.rec
	switch t := msgp.NextType(d.b); t {
	case msgp.MapType, msgp.ArrayType:
		if depth > payload.MaxDepth {
			return payload.ErrTooDeep
		}
		mark, err := r.Push(name)
		if err != nil {
			return err
		}
		if t == msgp.MapType {
			err = d.members(depth)
		} else {
			err = d.elements(depth)
		}
		r.Pop(mark)
		return err
	default:
		v, ok, err := d.scalar(t)
		if err != nil || !ok {
			return err
		}
		key, err := r.Key(name)
		if err != nil {
			return err
		}
		r.AddField(key, v)
		return nil
	}
}

// members reads a map whose entries are fields.
func (d *decoder) members(depth int) error {
	n, err := d.mapHeader()
	if err != nil {
		return err
	}
	for ; n > 0; n-- {
		k, err := d.key()
		if err != nil {
			return err
		}
		if err := d.FieldValue(k, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// elements reads an array whose elements are fields named by index.
func (d *decoder) elements(depth int) error {
	n, rest, err := msgp.ReadArrayHeaderBytes(d.b)
	if err != nil {
		return err
	}
	if int64(n) > int64(len(rest)) {
		return fmt.Errorf("%w: array of %d elements in %d bytes", payload.ErrSyntax, n, len(rest))
	}
	d.b = rest
	for i := 0; i < int(n); i++ {
		if err := d.FieldValue(strconv.Itoa(i), depth+1); err != nil {
			return err
		}
	}
	return nil
}

// FieldsValue reads the value of the "fields" key.
func (d *decoder) FieldsValue(depth int) error {
	switch t := msgp.NextType(d.b); t {
	case msgp.NilType:
		var err error
		d.b, err = msgp.ReadNilBytes(d.b)
		return err
	case msgp.MapType:
	default:
		return fmt.Errorf("%w: \"fields\" must be a map, not %s", payload.ErrBadValue, t)
	}
	if err := d.rec.BeginFields(); err != nil {
		return err
	}
	if err := d.members(depth); err != nil {
		return err
	}
	d.rec.EndFields()
	return nil
}

// TagsValue reads the value of the "tags" key.
func (d *decoder) TagsValue() error {
	switch t := msgp.NextType(d.b); t {
	case msgp.NilType:
		var err error
		d.b, err = msgp.ReadNilBytes(d.b)
		return err
	case msgp.MapType:
	default:
		return fmt.Errorf("%w: \"tags\" must be a map, not %s", payload.ErrBadValue, t)
	}
	n, err := d.mapHeader()
	if err != nil {
		return err
	}
	var buf [32]byte
	for ; n > 0; n-- {
		k, err := d.key()
		if err != nil {
			return err
		}
		t := msgp.NextType(d.b)
		if t == msgp.MapType || t == msgp.ArrayType {
			return fmt.Errorf("%w: tag %q must be a string", payload.ErrBadValue, k)
		}
		v, ok, err := d.scalar(t)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if v.Kind() == models.KindString {
			d.rec.AddTag(k, v.Str())
		} else {
			d.rec.AddTag(k, string(v.AppendText(buf[:0])))
		}
	}
	return nil
}
