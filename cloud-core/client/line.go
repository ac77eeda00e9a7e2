package client

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/tributary-iot/tributary/models"
)

// ErrBadLine is returned (wrapped) for an NDJSON line of the read API
// that does not decode.
var ErrBadLine = errors.New("malformed line")

// lineKind says what a line of the read API holds.
type lineKind uint8

const (
	linePoint     lineKind = iota // a point (with seg and pos on a tail)
	lineCut                       // {"cut":"..."}
	lineError                     // {"error":"..."}
	lineRebalance                 // {"rebalance":true}
	lineAssigned                  // {"group":..,"member":..,"assigned":[..]}
)

// line is one decoded line.
type line struct {
	kind lineKind
	// seg and pos locate a tailed point.
	seg string
	pos uint64
	// text is the cut or the error message.
	text string
	// assigned lists a group member's segments.
	assigned []string
}

// maxInterned bounds the strings a decoder keeps to reuse.
const maxInterned = 1 << 14

// lineDecoder decodes the lines of the read API: points in the shape
//
//	{"device":"veh-1","stream":"s","time":"2026-11-25T12:00:00.1Z",
//	 "fields":{"speed":52.0,"gear":3},"tags":{"model":"sedan"},"agent":"gw","seq":7}
//
// (a number with a fraction or exponent is a float, one without an int, or
// a uint past int64), and the control lines of tails. It keeps the
// strings that repeat (keys, devices) to reuse them. It is not safe for
// concurrent use.
type lineDecoder struct {
	b    []byte
	i    int
	keep map[string]string
	buf  []byte
}

// decode decodes data into p (reusing its slices) and l.
func (d *lineDecoder) decode(data []byte, p *models.Point, l *line) (err error) {
	d.b, d.i = data, 0
	p.Reset()
	*l = line{assigned: l.assigned[:0]}
	d.ws()
	if err := d.expect('{'); err != nil {
		return err
	}
	d.ws()
	if d.peek() == '}' {
		return d.fail("empty object")
	}
	for {
		d.ws()
		key, err := d.rawString()
		if err != nil {
			return err
		}
		d.ws()
		if err := d.expect(':'); err != nil {
			return err
		}
		d.ws()
		if err := d.member(key, p, l); err != nil {
			return err
		}
		d.ws()
		if d.peek() == ',' {
			d.i++
			continue
		}
		if err := d.expect('}'); err != nil {
			return err
		}
		break
	}
	d.ws()
	if d.i != len(d.b) {
		return d.fail("data after the object")
	}
	return nil
}

func (d *lineDecoder) member(key []byte, p *models.Point, l *line) error {
	var err error
	switch string(key) {
	case "device":
		p.Device, err = d.str(true)
	case "stream":
		p.Stream, err = d.str(true)
	case "agent":
		p.Agent, err = d.str(true)
	case "time":
		p.Time, err = d.time()
	case "seq":
		p.Seq, err = d.uint()
	case "received":
		p.Received, err = d.int()
	case "fields":
		err = d.fields(p)
	case "tags":
		err = d.tags(p)
	case "seg":
		l.seg, err = d.str(true)
	case "pos":
		l.pos, err = d.uint()
	case "cut":
		l.kind = lineCut
		l.text, err = d.str(false)
	case "error":
		l.kind = lineError
		l.text, err = d.str(false)
	case "rebalance":
		l.kind = lineRebalance
		err = d.skip(0)
	case "assigned":
		l.kind = lineAssigned
		err = d.strings(&l.assigned)
	default:
		err = d.skip(0)
	}
	return err
}

func (d *lineDecoder) fail(why string) error {
	return fmt.Errorf("%w at byte %d: %s", ErrBadLine, d.i, why)
}

func (d *lineDecoder) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\r', '\n':
			d.i++
		default:
			return
		}
	}
}

func (d *lineDecoder) peek() byte {
	if d.i < len(d.b) {
		return d.b[d.i]
	}
	return 0
}

func (d *lineDecoder) expect(c byte) error {
	if d.peek() != c {
		return d.fail(fmt.Sprintf("want %q", c))
	}
	d.i++
	return nil
}

// rawString reads a string and returns its bytes, unescaped; they are
// only valid until the next read.
func (d *lineDecoder) rawString() ([]byte, error) {
	if err := d.expect('"'); err != nil {
		return nil, err
	}
	start := d.i
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			d.i++
			return d.b[start : d.i-1], nil
		case c == '\\':
			return d.escaped(start)
		case c < 0x20:
			return nil, d.fail("control character in a string")
		}
		d.i++
	}
	return nil, d.fail("unterminated string")
}

// escaped reads the rest of a string with escapes, from start.
func (d *lineDecoder) escaped(start int) ([]byte, error) {
	d.buf = append(d.buf[:0], d.b[start:d.i]...)
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			d.i++
			return d.buf, nil
		case c < 0x20:
			return nil, d.fail("control character in a string")
		case c != '\\':
			d.buf = append(d.buf, c)
			d.i++
			continue
		}
		if d.i+1 >= len(d.b) {
			return nil, d.fail("unterminated escape")
		}
		e := d.b[d.i+1]
		d.i += 2
		switch e {
		case '"', '\\', '/':
			d.buf = append(d.buf, e)
		case 'b':
			d.buf = append(d.buf, '\b')
		case 'f':
			d.buf = append(d.buf, '\f')
		case 'n':
			d.buf = append(d.buf, '\n')
		case 'r':
			d.buf = append(d.buf, '\r')
		case 't':
			d.buf = append(d.buf, '\t')
		case 'u':
			r, err := d.hex4()
			if err != nil {
				return nil, err
			}
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if d.i+1 < len(d.b) && d.b[d.i] == '\\' && d.b[d.i+1] == 'u' {
					d.i += 2
					if r2, err = d.hex4(); err != nil {
						return nil, err
					}
				}
				r = utf16.DecodeRune(r, r2)
			}
			d.buf = utf8.AppendRune(d.buf, r)
		default:
			return nil, d.fail("bad escape")
		}
	}
	return nil, d.fail("unterminated string")
}

func (d *lineDecoder) hex4() (rune, error) {
	if d.i+4 > len(d.b) {
		return 0, d.fail("short \\u escape")
	}
	v, err := strconv.ParseUint(string(d.b[d.i:d.i+4]), 16, 32)
	if err != nil {
		return 0, d.fail("bad \\u escape")
	}
	d.i += 4
	return rune(v), nil
}

// str reads a string; with intern, one that repeats shares its memory.
func (d *lineDecoder) str(intern bool) (string, error) {
	b, err := d.rawString()
	if err != nil {
		return "", err
	}
	if !intern {
		return string(b), nil
	}
	return d.intern(b), nil
}

func (d *lineDecoder) intern(b []byte) string {
	if s, ok := d.keep[string(b)]; ok {
		return s
	}
	s := string(b)
	if d.keep == nil || len(d.keep) >= maxInterned {
		d.keep = make(map[string]string, 256)
	}
	d.keep[s] = s
	return s
}

func (d *lineDecoder) strings(dst *[]string) error {
	if err := d.expect('['); err != nil {
		return err
	}
	d.ws()
	if d.peek() == ']' {
		d.i++
		return nil
	}
	for {
		d.ws()
		s, err := d.str(true)
		if err != nil {
			return err
		}
		*dst = append(*dst, s)
		d.ws()
		if d.peek() == ',' {
			d.i++
			continue
		}
		return d.expect(']')
	}
}

// number returns the text of a number.
func (d *lineDecoder) number() ([]byte, bool, error) {
	start, float := d.i, false
	if d.peek() == '-' {
		d.i++
	}
	for d.i < len(d.b) {
		c := d.b[d.i]
		if c >= '0' && c <= '9' {
			d.i++
			continue
		}
		if c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-' {
			float = true
			d.i++
			continue
		}
		break
	}
	if d.i == start {
		return nil, false, d.fail("want a number")
	}
	return d.b[start:d.i], float, nil
}

func (d *lineDecoder) uint() (uint64, error) {
	n, _, err := d.number()
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseUint(string(n), 10, 64)
	if err != nil {
		return 0, d.fail("want an unsigned integer")
	}
	return v, nil
}

func (d *lineDecoder) int() (int64, error) {
	n, _, err := d.number()
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil {
		return 0, d.fail("want an integer")
	}
	return v, nil
}

// time reads an RFC 3339 string or Unix ns.
func (d *lineDecoder) time() (int64, error) {
	if d.peek() != '"' {
		return d.int()
	}
	b, err := d.rawString()
	if err != nil {
		return 0, err
	}
	if t, ok := parseUTC(b); ok {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil {
		return 0, d.fail("bad time")
	}
	return t.UnixNano(), nil
}

// parseUTC reads YYYY-MM-DDTHH:MM:SS[.fraction]Z quickly.
func parseUTC(b []byte) (int64, bool) {
	if len(b) < 20 || b[len(b)-1] != 'Z' || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' {
		return 0, false
	}
	num := func(s []byte) (int, bool) {
		v := 0
		for _, c := range s {
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		return v, true
	}
	y, ok1 := num(b[0:4])
	mo, ok2 := num(b[5:7])
	dd, ok3 := num(b[8:10])
	h, ok4 := num(b[11:13])
	mi, ok5 := num(b[14:16])
	s, ok6 := num(b[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || mo < 1 || mo > 12 || dd < 1 || dd > 31 || h > 23 || mi > 59 || s > 59 {
		return 0, false
	}
	ns := 0
	rest := b[19 : len(b)-1]
	if len(rest) > 0 {
		if rest[0] != '.' || len(rest) < 2 || len(rest) > 10 {
			return 0, false
		}
		f, ok := num(rest[1:])
		if !ok {
			return 0, false
		}
		for i := len(rest) - 1; i < 9; i++ {
			f *= 10
		}
		ns = f
	}
	t := time.Date(y, time.Month(mo), dd, h, mi, s, ns, time.UTC)
	if t.Day() != dd {
		return 0, false // not a date of that month
	}
	return t.UnixNano(), true
}

func (d *lineDecoder) fields(p *models.Point) error {
	if err := d.expect('{'); err != nil {
		return err
	}
	d.ws()
	if d.peek() == '}' {
		d.i++
		return nil
	}
	for {
		d.ws()
		kb, err := d.rawString()
		if err != nil {
			return err
		}
		key := d.intern(kb)
		d.ws()
		if err := d.expect(':'); err != nil {
			return err
		}
		d.ws()
		v, err := d.value()
		if err != nil {
			return err
		}
		p.Fields = append(p.Fields, models.Field{Key: key, Value: v})
		d.ws()
		if d.peek() == ',' {
			d.i++
			continue
		}
		return d.expect('}')
	}
}

// value reads a field value.
func (d *lineDecoder) value() (models.Value, error) {
	switch c := d.peek(); {
	case c == '"':
		s, err := d.str(false)
		return models.String(s), err
	case c == 't' || c == 'f':
		if d.literal("true") {
			return models.Bool(true), nil
		}
		if d.literal("false") {
			return models.Bool(false), nil
		}
		return models.Value{}, d.fail("bad literal")
	}
	n, float, err := d.number()
	if err != nil {
		return models.Value{}, err
	}
	if !float {
		if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
			return models.Int(i), nil
		}
		if u, err := strconv.ParseUint(string(n), 10, 64); err == nil {
			return models.Uint(u), nil
		}
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsInf(f, 0) {
		return models.Value{}, d.fail("bad number")
	}
	return models.Float(f), nil
}

func (d *lineDecoder) literal(word string) bool {
	if len(d.b)-d.i >= len(word) && string(d.b[d.i:d.i+len(word)]) == word {
		d.i += len(word)
		return true
	}
	return false
}

func (d *lineDecoder) tags(p *models.Point) error {
	if err := d.expect('{'); err != nil {
		return err
	}
	d.ws()
	if d.peek() == '}' {
		d.i++
		return nil
	}
	for {
		d.ws()
		kb, err := d.rawString()
		if err != nil {
			return err
		}
		key := d.intern(kb)
		d.ws()
		if err := d.expect(':'); err != nil {
			return err
		}
		d.ws()
		v, err := d.str(true)
		if err != nil {
			return err
		}
		p.Tags = append(p.Tags, models.Tag{Key: key, Value: v})
		d.ws()
		if d.peek() == ',' {
			d.i++
			continue
		}
		return d.expect('}')
	}
}

// maxDepth bounds the nesting of values skipped.
const maxDepth = 32

// skip passes over any JSON value.
func (d *lineDecoder) skip(depth int) error {
	if depth > maxDepth {
		return d.fail("nested too deep")
	}
	switch c := d.peek(); c {
	case '"':
		_, err := d.rawString()
		return err
	case '{', '[':
		closing := byte('}')
		if c == '[' {
			closing = ']'
		}
		d.i++
		d.ws()
		if d.peek() == closing {
			d.i++
			return nil
		}
		for {
			d.ws()
			if c == '{' {
				if _, err := d.rawString(); err != nil {
					return err
				}
				d.ws()
				if err := d.expect(':'); err != nil {
					return err
				}
				d.ws()
			}
			if err := d.skip(depth + 1); err != nil {
				return err
			}
			d.ws()
			if d.peek() == ',' {
				d.i++
				continue
			}
			return d.expect(closing)
		}
	case 't':
		if d.literal("true") {
			return nil
		}
	case 'f':
		if d.literal("false") {
			return nil
		}
	case 'n':
		if d.literal("null") {
			return nil
		}
	default:
		_, _, err := d.number()
		return err
	}
	return d.fail("bad literal")
}
