package lineproto

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/influxdata/line-protocol/v2/lineprotocol"

	"github.com/tributary-iot/tributary/models"
	"github.com/tributary-iot/tributary/protocols/internal/assemble"
	"github.com/tributary-iot/tributary/protocols/payload"
)

// Format is the name of the format in errors.
const Format = "line protocol"

// Decode parses the lines of data and appends one point per line to dst;
// see the package documentation for the mapping and payload.Finish for the
// checks each point passes. On error dst is returned with its original
// length and the error is a *payload.Error naming the line.
func Decode(dst []models.Point, data []byte, c payload.Context) ([]models.Point, error) {
	return assemble.Decode(Format, dst, data, func(dst []models.Point) ([]models.Point, error) {
		d := decoder{data: data, txt: assemble.NewText(data), c: c}
		return d.run(dst)
	})
}

type decoder struct {
	data  []byte
	txt   assemble.Text
	c     payload.Context
	arena assemble.Arena
	// first is the offset of the first token of the current line that is a
	// slice of data, for error positions (-1 until one is seen).
	first int
}

func (d *decoder) str(b []byte) string {
	if d.first < 0 {
		d.first = d.txt.Offset(b)
	}
	return d.txt.String(b)
}

func (d *decoder) run(dst []models.Point) ([]models.Point, error) {
	lp := lineprotocol.NewDecoderWithBytes(d.data)
	n0 := len(dst)
	for lp.Next() {
		d.first = -1
		var p *models.Point
		var err error
		if dst, p, err = assemble.NextPoint(dst, n0); err != nil {
			return dst, d.fail(err)
		}
		if err = d.line(lp, p); err != nil {
			return dst, d.fail(err)
		}
	}
	return dst, nil
}

// line reads the current line into p.
func (d *decoder) line(lp *lineprotocol.Decoder, p *models.Point) error {
	m, err := lp.Measurement()
	if err != nil {
		return err
	}
	p.Stream = d.str(m)
	device, hasDevice := "", false
	var tags []models.Tag
	tagsOpen := false // tags is from the arena (opened at the first tag)
	for {
		k, v, err := lp.NextTag()
		if err != nil {
			return err
		}
		if k == nil {
			break
		}
		if d.c.DeviceTag != "" && string(k) == d.c.DeviceTag {
			device, hasDevice = d.str(v), true
			continue
		}
		if !tagsOpen {
			tags, tagsOpen = d.arena.StartTags(p.Tags), true
		}
		tags = append(tags, models.Tag{Key: d.str(k), Value: d.str(v)})
	}
	if tagsOpen {
		p.Tags = d.arena.EndTags(tags)
	}

	fields := d.arena.StartFields(p.Fields)
	for {
		k, kind, raw, err := lp.NextFieldBytes()
		if err != nil {
			return err
		}
		if k == nil {
			break
		}
		key := d.str(k)
		val, err := d.value(kind, raw)
		if err != nil {
			return &payload.Error{Offset: -1, Err: payload.ErrSyntax, Reason: fmt.Sprintf("field %q: %v", key, err)}
		}
		fields = append(fields, models.Field{Key: key, Value: val})
	}
	p.Fields = d.arena.EndFields(fields)

	tb, err := lp.TimeBytes()
	if err != nil {
		return err
	}
	p.Time = d.c.Received
	if tb != nil {
		ts, ok := assemble.FastInt(tb)
		if !ok {
			var err error
			ts, err = strconv.ParseInt(d.str(tb), 10, 64)
			ok = err == nil
		}
		if !ok {
			return &payload.Error{Offset: -1, Err: payload.ErrBadTime, Reason: fmt.Sprintf("%q is not an int64 of nanoseconds", tb)}
		}
		p.Time = ts
	}
	p.Received = d.c.Received
	p.Device = d.c.Device
	if hasDevice {
		p.Device = device
	}
	if p.Device == "" && d.c.DeviceTag != "" {
		return &payload.Error{Offset: -1, Err: payload.ErrNoDevice, Reason: fmt.Sprintf("no tag %q", d.c.DeviceTag)}
	}
	return payload.Finish(p)
}

// value parses a field value as lineprotocol.NewValueFromBytes would
// (raw is already unescaped and valid UTF-8), with fast paths for the
// common short numbers.
func (d *decoder) value(kind lineprotocol.ValueKind, raw []byte) (models.Value, error) {
	switch kind {
	case lineprotocol.Float:
		if f, ok := assemble.FastFloat(raw); ok {
			return models.Float(f), nil
		}
		f, err := strconv.ParseFloat(d.str(raw), 64)
		if err != nil {
			return models.Value{}, errors.New("invalid float value")
		}
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return models.Value{}, fmt.Errorf("non-number %q is not a line-protocol float", raw)
		}
		return models.Float(f), nil
	case lineprotocol.Int:
		if i, ok := assemble.FastInt(raw); ok {
			return models.Int(i), nil
		}
		i, err := strconv.ParseInt(d.str(raw), 10, 64)
		if err != nil {
			return models.Value{}, errors.New("invalid or out of range integer value")
		}
		return models.Int(i), nil
	case lineprotocol.Uint:
		if len(raw) > 0 && raw[0] != '-' {
			if i, ok := assemble.FastInt(raw); ok {
				return models.Uint(uint64(i)), nil
			}
		}
		u, err := strconv.ParseUint(d.str(raw), 10, 64)
		if err != nil {
			return models.Value{}, errors.New("invalid or out of range unsigned integer value")
		}
		return models.Uint(u), nil
	case lineprotocol.Bool:
		switch string(raw) {
		case "t", "T", "true", "True", "TRUE":
			return models.Bool(true), nil
		case "f", "F", "false", "False", "FALSE":
			return models.Bool(false), nil
		}
		return models.Value{}, fmt.Errorf("invalid bool value %q", raw)
	case lineprotocol.String:
		return models.String(d.str(raw)), nil
	}
	return models.Value{}, fmt.Errorf("unknown value kind %v", kind)
}

// fail turns err into a *payload.Error with the line it belongs to.
func (d *decoder) fail(err error) error {
	var de *lineprotocol.DecodeError
	if errors.As(err, &de) {
		off := lineStart(d.data, int(de.Line))
		if off >= 0 {
			off += de.Column - 1
		}
		return &payload.Error{Format: Format, Line: int(de.Line), Offset: off, Err: payload.ErrSyntax, Reason: de.Err.Error()}
	}
	line := 0
	if d.first >= 0 {
		line = 1 + bytes.Count(d.data[:d.first], []byte{'\n'})
	}
	return payload.Wrap(Format, line, d.first, err)
}

// lineStart returns the offset where the 1-based line n starts, or -1.
func lineStart(data []byte, n int) int {
	off := 0
	for ; n > 1; n-- {
		i := bytes.IndexByte(data[off:], '\n')
		if i < 0 {
			return -1
		}
		off += i + 1
	}
	return off
}
