package models

// Decoders refuse array and map headers larger than these limits instead of
// allocating for them, so hostile input cannot exhaust memory.
//msgp:limit arrays:65536 maps:4096

import (
	"slices"
	"strings"
)

// Field is one named value of a point.
// Its msgp codec is hand-written (field_msgp.go): [key, kind, value].
//
//msgp:ignore Field
type Field struct {
	Key   string
	Value Value
}

// Tag is one name=value label of a point (dictionary-encoded in tier 2).
//
//msgp:tuple Tag
type Tag struct {
	Key   string
	Value string
}

// Point is one reading from one device.
//
// Device is the routing key: every point of a device goes to one segment of
// its stream per epoch, which keeps the device's points in order. Time is the
// device's timestamp in Unix nanoseconds. Agent and Seq name the writer that
// carried the point and its place in that writer's strictly increasing
// sequence; together they identify the point exactly once end to end.
// Received is when the agent took the point in (Unix ns).
//
//msgp:tuple Point
type Point struct {
	Device   string
	Stream   string
	Time     int64
	Fields   []Field
	Tags     []Tag
	Agent    string
	Seq      uint64
	Received int64
}

// Reset clears p for reuse, keeping the capacity of its slices.
func (p *Point) Reset() {
	*p = Point{Fields: p.Fields[:0], Tags: p.Tags[:0]}
}

// Field returns the value of the field named key and whether it exists.
func (p *Point) Field(key string) (Value, bool) {
	for _, f := range p.Fields {
		if f.Key == key {
			return f.Value, true
		}
	}
	return Value{}, false
}

// Tag returns the value of the tag named key and whether it exists.
func (p *Point) Tag(key string) (string, bool) {
	for _, t := range p.Tags {
		if t.Key == key {
			return t.Value, true
		}
	}
	return "", false
}

// SetField sets (or adds) the field key to v.
func (p *Point) SetField(key string, v Value) {
	for i := range p.Fields {
		if p.Fields[i].Key == key {
			p.Fields[i].Value = v
			return
		}
	}
	p.Fields = append(p.Fields, Field{Key: key, Value: v})
}

// SetTag sets (or adds) the tag key to value.
func (p *Point) SetTag(key, value string) {
	for i := range p.Tags {
		if p.Tags[i].Key == key {
			p.Tags[i].Value = value
			return
		}
	}
	p.Tags = append(p.Tags, Tag{Key: key, Value: value})
}

// Normalize sorts fields and tags by key, so equal points encode equally.
func (p *Point) Normalize() {
	slices.SortFunc(p.Fields, func(a, b Field) int { return strings.Compare(a.Key, b.Key) })
	slices.SortFunc(p.Tags, func(a, b Tag) int { return strings.Compare(a.Key, b.Key) })
}

// Clone returns a deep copy of p that shares no slices with it.
func (p *Point) Clone() Point {
	c := *p
	c.Fields = slices.Clone(p.Fields)
	c.Tags = slices.Clone(p.Tags)
	return c
}

// Equal reports whether p and o hold the same data, field and tag order included.
func (p *Point) Equal(o *Point) bool {
	return p.Device == o.Device && p.Stream == o.Stream && p.Time == o.Time &&
		p.Agent == o.Agent && p.Seq == o.Seq && p.Received == o.Received &&
		slices.Equal(p.Fields, o.Fields) && slices.Equal(p.Tags, o.Tags)
}

// Size returns an estimate of the point's in-memory payload in bytes, used
// for buffer accounting and batching decisions (not an exact encoded size).
func (p *Point) Size() int {
	n := len(p.Device) + len(p.Stream) + len(p.Agent) + 24
	for _, f := range p.Fields {
		n += len(f.Key) + len(f.Value.str) + 9
	}
	for _, t := range p.Tags {
		n += len(t.Key) + len(t.Value) + 2
	}
	return n
}
