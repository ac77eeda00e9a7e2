package jsonpoint

import (
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/tributary-iot/tributary/models"
	"github.com/tributary-iot/tributary/protocols/internal/assemble"
	"github.com/tributary-iot/tributary/protocols/payload"
)

// Format is the name of the format in errors.
const Format = "json"

// Decode parses the JSON records in data and appends one point per record
// to dst. See the package documentation for the shapes accepted and
// payload.Finish for the checks each point passes. On error dst is returned
// with its original length and the error is a *payload.Error.
func Decode(dst []models.Point, data []byte, c payload.Context) ([]models.Point, error) {
	return assemble.Decode(Format, dst, data, func(dst []models.Point) ([]models.Point, error) {
		d := decoder{data: data, txt: assemble.NewText(data), c: c, n0: len(dst)}
		return d.payload(dst)
	})
}

type decoder struct {
	data    []byte
	i       int
	txt     assemble.Text
	c       payload.Context
	n0      int // len(dst) on entry
	rec     assemble.Record
	scratch []byte // unescaped strings
}

// fail returns err as a *payload.Error at the current offset.
func (d *decoder) fail(err error) error { return payload.Wrap(Format, 0, d.i, err) }

func (d *decoder) syntax(format string, args ...any) error {
	return &payload.Error{Format: Format, Offset: d.i, Err: payload.ErrSyntax, Reason: fmt.Sprintf(format, args...)}
}

func (d *decoder) ws() {
	for d.i < len(d.data) {
		switch d.data[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *decoder) payload(dst []models.Point) ([]models.Point, error) {
	if len(d.data) >= 3 && d.data[0] == 0xEF && d.data[1] == 0xBB && d.data[2] == 0xBF {
		d.i = 3 // byte order mark
	}
	var err error
	for {
		d.ws()
		if d.i >= len(d.data) {
			return dst, nil
		}
		switch d.data[d.i] {
		case '{':
			if dst, err = d.record(dst, 1); err != nil {
				return dst, err
			}
		case '[':
			d.i++
			d.ws()
			if d.i < len(d.data) && d.data[d.i] == ']' {
				d.i++
				continue
			}
			for {
				d.ws()
				if d.i >= len(d.data) || d.data[d.i] != '{' {
					return dst, d.syntax("expected a record object in the array")
				}
				if dst, err = d.record(dst, 2); err != nil {
					return dst, err
				}
				d.ws()
				if d.i >= len(d.data) {
					return dst, d.syntax("unterminated array")
				}
				c := d.data[d.i]
				d.i++
				if c == ']' {
					break
				}
				if c != ',' {
					d.i--
					return dst, d.syntax("expected ',' or ']' after a record, found %q", c)
				}
			}
		default:
			return dst, d.syntax("expected '{' or '[', found %q", d.data[d.i])
		}
	}
}

// record reads one record object at d.i ('{') into a new point of dst.
func (d *decoder) record(dst []models.Point, depth int) ([]models.Point, error) {
	start := d.i
	dst, p, err := assemble.NextPoint(dst, d.n0)
	if err != nil {
		return dst, d.fail(err)
	}
	r := &d.rec
	r.Begin(p, d.c.DeviceTag)
	d.i++
	d.ws()
	if d.i < len(d.data) && d.data[d.i] == '}' {
		d.i++
	} else {
		for {
			key, err := d.key()
			if err != nil {
				return dst, err
			}
			if err := r.ReadTopKey(d, key, depth+1); err != nil {
				return dst, d.fail(err)
			}
			more, err := d.next('}')
			if err != nil {
				return dst, err
			}
			if !more {
				break
			}
		}
	}
	if err := r.End(&d.c); err != nil {
		end := d.i
		d.i = start
		err = d.fail(err)
		d.i = end
		return dst, err
	}
	return dst, nil
}

// key reads `"name" :` and returns name.
func (d *decoder) key() (string, error) {
	d.ws()
	if d.i >= len(d.data) || d.data[d.i] != '"' {
		return "", d.syntax("expected a key")
	}
	k, err := d.str()
	if err != nil {
		return "", err
	}
	d.ws()
	if d.i >= len(d.data) || d.data[d.i] != ':' {
		return "", d.syntax("expected ':' after key %q", k)
	}
	d.i++
	d.ws()
	if k == "" {
		return "", d.fail(fmt.Errorf("%w: empty key", payload.ErrBadKey))
	}
	return k, nil
}

// next reads the ',' or the closing byte after a member or element and
// reports whether another one follows.
func (d *decoder) next(closing byte) (bool, error) {
	d.ws()
	if d.i >= len(d.data) {
		return false, d.syntax("unexpected end of input")
	}
	switch d.data[d.i] {
	case ',':
		d.i++
		return true, nil
	case closing:
		d.i++
		return false, nil
	}
	return false, d.syntax("expected ',' or %q, found %q", closing, d.data[d.i])
}

// TimeValue reads the value of a time key.
func (d *decoder) TimeValue() error {
	if d.i >= len(d.data) {
		return d.syntax("unexpected end of input")
	}
	var ns int64
	switch c := d.data[d.i]; {
	case c == '"':
		s, err := d.str()
		if err != nil {
			return err
		}
		if ns, err = payload.ParseTime(s); err != nil {
			return err
		}
	case c == '-' || c >= '0' && c <= '9':
		num, err := d.number()
		if err != nil {
			return err
		}
		if ns, err = payload.EpochDecimal(num); err != nil {
			return err
		}
	case c == 'n':
		return d.literal("null")
	default:
		return fmt.Errorf("%w: time must be a string or a number", payload.ErrBadTime)
	}
	return d.rec.SetTime(ns)
}

// IDValue reads a device id or stream: a string or a number as written;
// null gives "".
func (d *decoder) IDValue(key string) (string, error) {
	if d.i >= len(d.data) {
		return "", d.syntax("unexpected end of input")
	}
	switch c := d.data[d.i]; {
	case c == '"':
		return d.str()
	case c == '-' || c >= '0' && c <= '9':
		return d.number()
	case c == 'n':
		return "", d.literal("null")
	}
	return "", fmt.Errorf("%w: %q must be a string", payload.ErrBadValue, key)
}

// FieldsValue reads the value of the "fields" key.
func (d *decoder) FieldsValue(depth int) error {
	if d.i < len(d.data) && d.data[d.i] == 'n' {
		return d.literal("null")
	}
	if d.i >= len(d.data) || d.data[d.i] != '{' {
		return fmt.Errorf("%w: \"fields\" must be an object", payload.ErrBadValue)
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

// members reads an object at d.i whose members are fields.
func (d *decoder) members(depth int) error {
	d.i++
	d.ws()
	if d.i < len(d.data) && d.data[d.i] == '}' {
		d.i++
		return nil
	}
	for {
		k, err := d.key()
		if err != nil {
			return err
		}
		if err := d.FieldValue(k, depth+1); err != nil {
			return err
		}
		more, err := d.next('}')
		if err != nil || !more {
			return err
		}
	}
}

// FieldValue reads the value of the field name, at nesting depth.
func (d *decoder) FieldValue(name string, depth int) error {
	if d.i >= len(d.data) {
		return d.syntax("unexpected end of input")
	}
	r := &d.rec
	var v models.Value
	switch c := d.data[d.i]; c {
	case '"':
		s, err := d.str()
		if err != nil {
			return err
		}
		v = models.String(s)
	case 't':
		if err := d.literal("true"); err != nil {
			return err
		}
		v = models.Bool(true)
	case 'f':
		if err := d.literal("false"); err != nil {
			return err
		}
		v = models.Bool(false)
	case 'n':
		return d.literal("null")
	case '{', '[':
		if depth > payload.MaxDepth {
			return payload.ErrTooDeep
		}
		mark, err := r.Push(name)
		if err != nil {
			return err
		}
		if c == '{' {
			err = d.members(depth)
		} else {
			err = d.elements(depth)
		}
		r.Pop(mark)
		return err
	default:
		num, err := d.number()
		if err != nil {
			return err
		}
		f, ok := assemble.FastFloat(num)
		if !ok {
			if f, err = strconv.ParseFloat(num, 64); err != nil && math.IsInf(f, 0) {
				return fmt.Errorf("%w: number %s out of range", payload.ErrBadValue, num)
			}
		}
		v = models.Float(f)
	}
	key, err := r.Key(name)
	if err != nil {
		return err
	}
	r.AddField(key, v)
	return nil
}

// elements reads an array at d.i whose elements are fields named by index.
func (d *decoder) elements(depth int) error {
	d.i++
	d.ws()
	if d.i < len(d.data) && d.data[d.i] == ']' {
		d.i++
		return nil
	}
	for n := 0; ; n++ {
		d.ws()
		if err := d.FieldValue(strconv.Itoa(n), depth+1); err != nil {
			return err
		}
		more, err := d.next(']')
		if err != nil || !more {
			return err
		}
	}
}

// TagsValue reads the value of the "tags" key.
func (d *decoder) TagsValue() error {
	if d.i < len(d.data) && d.data[d.i] == 'n' {
		return d.literal("null")
	}
	if d.i >= len(d.data) || d.data[d.i] != '{' {
		return fmt.Errorf("%w: \"tags\" must be an object", payload.ErrBadValue)
	}
	d.i++
	d.ws()
	if d.i < len(d.data) && d.data[d.i] == '}' {
		d.i++
		return nil
	}
	for {
		k, err := d.key()
		if err != nil {
			return err
		}
		if d.i >= len(d.data) {
			return d.syntax("unexpected end of input")
		}
		var s string
		null := false
		switch c := d.data[d.i]; {
		case c == '"':
			s, err = d.str()
		case c == '-' || c >= '0' && c <= '9':
			s, err = d.number()
		case c == 't':
			s, err = "true", d.literal("true")
		case c == 'f':
			s, err = "false", d.literal("false")
		case c == 'n':
			null, err = true, d.literal("null")
		default:
			return fmt.Errorf("%w: tag %q must be a string", payload.ErrBadValue, k)
		}
		if err != nil {
			return err
		}
		if !null {
			d.rec.AddTag(k, s)
		}
		more, err := d.next('}')
		if err != nil || !more {
			return err
		}
	}
}

// literal reads the literal word (true, false, null).
func (d *decoder) literal(word string) error {
	if len(d.data)-d.i < len(word) || string(d.data[d.i:d.i+len(word)]) != word {
		return d.syntax("invalid literal")
	}
	d.i += len(word)
	return nil
}

// number reads a JSON number and returns its text.
func (d *decoder) number() (string, error) {
	b, start := d.data, d.i
	i := start
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i++; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		}
	default:
		return "", d.syntax("invalid number")
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			d.i = i
			return "", d.syntax("invalid number: no digit after '.'")
		}
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			d.i = i
			return "", d.syntax("invalid number: no digit in exponent")
		}
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		}
	}
	d.i = i
	return d.txt.Slice(start, i), nil
}

// str reads a JSON string at d.i ('"') and returns its value.
func (d *decoder) str() (string, error) {
	b := d.data
	start := d.i + 1
	i := start
	ascii := true
	for ; i < len(b); i++ {
		c := b[i]
		if c == '"' {
			if !ascii && !utf8.Valid(b[start:i]) {
				return "", d.syntax("invalid UTF-8 in string")
			}
			d.i = i + 1
			return d.txt.Slice(start, i), nil
		}
		if c == '\\' {
			return d.strEscaped(start, i)
		}
		if c < 0x20 {
			d.i = i
			return "", d.syntax("control character in string")
		}
		if c >= 0x80 {
			ascii = false
		}
	}
	d.i = i
	return "", d.syntax("unterminated string")
}

// strEscaped continues str from the first backslash at i.
func (d *decoder) strEscaped(start, i int) (string, error) {
	b := d.data
	out := append(d.scratch[:0], b[start:i]...)
	defer func() { d.scratch = out[:0] }()
	for i < len(b) {
		c := b[i]
		switch {
		case c == '"':
			if !utf8.Valid(out) {
				d.i = i
				return "", d.syntax("invalid UTF-8 in string")
			}
			d.i = i + 1
			return string(out), nil
		case c < 0x20:
			d.i = i
			return "", d.syntax("control character in string")
		case c != '\\':
			out = append(out, c)
			i++
			continue
		}
		if i+1 >= len(b) {
			break
		}
		e := b[i+1]
		i += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := hex4(b, i)
			if !ok {
				d.i = i
				return "", d.syntax("invalid \\u escape")
			}
			i += 4
			if utf16Surrogate(r) {
				r2, ok := rune(-1), false
				if i+6 <= len(b) && b[i] == '\\' && b[i+1] == 'u' {
					r2, ok = hex4(b, i+2)
				}
				if ok && r < 0xDC00 && r2 >= 0xDC00 && r2 < 0xE000 {
					r = (r-0xD800)<<10 + (r2 - 0xDC00) + 0x10000
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			out = utf8.AppendRune(out, r)
		default:
			d.i = i - 1
			return "", d.syntax("invalid escape \\%c", e)
		}
	}
	d.i = i
	return "", d.syntax("unterminated string")
}

func utf16Surrogate(r rune) bool { return r >= 0xD800 && r < 0xE000 }

func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}
