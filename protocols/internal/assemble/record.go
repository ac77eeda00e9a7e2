package assemble

import (
	"fmt"

	"github.com/tributary-iot/tributary/models"
	"github.com/tributary-iot/tributary/protocols/payload"
)

// Role is what a top-level key of a map-shaped record stands for.
type Role uint8

// The roles of top-level keys.
const (
	// RoleField: any other key; its value is a field (nested maps and
	// arrays are flattened).
	RoleField Role = iota
	// RoleTime: "time", "ts" or "timestamp".
	RoleTime
	// RoleDevice: "device", the device id when the context has none.
	RoleDevice
	// RoleStream: "stream", the stream when the context has none.
	RoleStream
	// RoleFields: "fields", a map of fields; its presence makes the record
	// structured, and then other non-reserved keys are ignored.
	RoleFields
	// RoleTags: "tags", a map of tags.
	RoleTags
	// RoleDeviceTag: the key named by Context.DeviceTag.
	RoleDeviceTag
)

// TopRole returns the role of a top-level key.
func TopRole(key, deviceTag string) Role {
	if deviceTag != "" && key == deviceTag {
		return RoleDeviceTag
	}
	switch key {
	case "time", "ts", "timestamp":
		return RoleTime
	case "device":
		return RoleDevice
	case "stream":
		return RoleStream
	case "fields":
		return RoleFields
	case "tags":
		return RoleTags
	}
	return RoleField
}

// KeyReader reads the value of a top-level key of a map-shaped record, by
// the key's role (Record.ReadTopKey): what each decoder does its own way.
type KeyReader interface {
	// TimeValue reads the point's time.
	TimeValue() error
	// IDValue reads the string id that key holds (device, stream).
	IDValue(key string) (string, error)
	// FieldsValue reads the "fields" map, at nesting depth depth.
	FieldsValue(depth int) error
	// TagsValue reads the "tags" map.
	TagsValue() error
	// FieldValue reads the value of the field named name.
	FieldValue(name string, depth int) error
}

// ReadTopKey reads the value of the top-level key with d, as the key's
// role says, at nesting depth depth.
func (r *Record) ReadTopKey(d KeyReader, key string, depth int) error {
	role := TopRole(key, r.deviceTag)
	switch role {
	case RoleTime:
		return d.TimeValue()
	case RoleFields:
		return d.FieldsValue(depth)
	case RoleTags:
		return d.TagsValue()
	case RoleField:
		return d.FieldValue(key, depth)
	}
	s, err := d.IDValue(key)
	switch {
	case err != nil:
		return err
	case role == RoleDevice:
		r.SetDevice(s)
	case role == RoleStream:
		r.SetStream(s)
	case s != "": // RoleDeviceTag
		r.SetTagDevice(s)
	}
	return nil
}

// Record collects one point of a map-shaped payload. A decoder calls Begin,
// then the setters as it walks the record's keys, then End.
//
// A Record keeps its buffers and the Arena of the payload's points; use a
// new one per payload.
type Record struct {
	arena     Arena
	p         *models.Point
	deviceTag string

	fields  []models.Field
	tags    []models.Tag
	tagOpen bool     // tags holds a slice from the arena
	path    []byte   // joined keys of the enclosing nested maps
	joined  []string // joined keys made so far

	time       int64
	hasTime    bool
	device     string // from the "device" key
	tagDevice  string // from the DeviceTag key or tag
	stream     string
	structured bool
	from, to   int // the fields of the "fields" map: fields[from:to]
}

// Begin starts collecting into p (already reset). deviceTag is the
// context's DeviceTag.
func (r *Record) Begin(p *models.Point, deviceTag string) {
	r.p, r.deviceTag = p, deviceTag
	r.fields = r.arena.StartFields(p.Fields)
	r.tags, r.tagOpen = nil, false
	r.path = r.path[:0]
	r.time, r.hasTime = 0, false
	r.device, r.tagDevice, r.stream = "", "", ""
	r.structured, r.from, r.to = false, 0, 0
}

// Key returns the field key for name inside the current nesting: name
// itself at the top, else the enclosing keys and name joined with '_'.
// Joined keys are remembered, so that the records of one payload share them.
func (r *Record) Key(name string) (string, error) {
	if len(r.path) == 0 {
		if len(name) > payload.MaxKeyLen {
			return "", fmt.Errorf("%w: key longer than %d bytes", payload.ErrBadKey, payload.MaxKeyLen)
		}
		return name, nil
	}
	if len(r.path)+1+len(name) > payload.MaxKeyLen {
		return "", fmt.Errorf("%w: joined key longer than %d bytes", payload.ErrBadKey, payload.MaxKeyLen)
	}
	mark := len(r.path)
	r.path = append(append(r.path, '_'), name...)
	defer func() { r.path = r.path[:mark] }()
	for _, k := range r.joined {
		if k == string(r.path) {
			return k, nil
		}
	}
	k := string(r.path)
	if r.joined == nil {
		r.joined = make([]string, 0, 8)
	}
	if len(r.joined) < maxJoined {
		r.joined = append(r.joined, k)
	}
	return k, nil
}

// maxJoined bounds the joined keys a Record remembers.
const maxJoined = 32

// Push enters the nested map or array named name; Pop(mark) leaves it.
func (r *Record) Push(name string) (mark int, err error) {
	mark = len(r.path)
	sep := min(len(r.path), 1)
	if len(r.path)+sep+len(name) > payload.MaxKeyLen {
		return mark, fmt.Errorf("%w: joined key longer than %d bytes", payload.ErrBadKey, payload.MaxKeyLen)
	}
	if sep > 0 {
		r.path = append(r.path, '_')
	}
	r.path = append(r.path, name...)
	return mark, nil
}

// Pop leaves the nesting entered by the Push that returned mark.
func (r *Record) Pop(mark int) { r.path = r.path[:mark] }

// AddField adds a field with a key from Key.
func (r *Record) AddField(key string, v models.Value) {
	r.fields = append(r.fields, models.Field{Key: key, Value: v})
}

// AddTag adds a tag; the tag named by the context's DeviceTag becomes the
// device id instead.
func (r *Record) AddTag(key, value string) {
	if r.deviceTag != "" && key == r.deviceTag {
		r.SetTagDevice(value)
		return
	}
	if !r.tagOpen {
		r.tags, r.tagOpen = r.arena.StartTags(r.p.Tags), true
	}
	r.tags = append(r.tags, models.Tag{Key: key, Value: value})
}

// SetTime sets the record's timestamp (Unix ns); a second one is an error.
func (r *Record) SetTime(ns int64) error {
	if r.hasTime {
		return fmt.Errorf("%w: more than one time key", payload.ErrBadTime)
	}
	r.time, r.hasTime = ns, true
	return nil
}

// SetDevice sets the device id from the "device" key.
func (r *Record) SetDevice(s string) { r.device = s }

// SetTagDevice sets the device id from the DeviceTag key or tag.
func (r *Record) SetTagDevice(s string) { r.tagDevice = s }

// SetStream sets the stream from the "stream" key.
func (r *Record) SetStream(s string) { r.stream = s }

// BeginFields marks the start of the "fields" map; a second one is an error.
func (r *Record) BeginFields() error {
	if r.structured {
		return fmt.Errorf("%w: more than one \"fields\" key", payload.ErrSyntax)
	}
	r.structured = true
	r.from = len(r.fields)
	return nil
}

// EndFields marks the end of the "fields" map.
func (r *Record) EndFields() { r.to = len(r.fields) }

// End completes the point: device (DeviceTag, else c.Device, else the
// "device" key), stream (c.Stream, else the "stream" key), time (the time
// key, else c.Received), and, for a structured record, only the fields of
// the "fields" map. It then runs payload.Finish.
func (r *Record) End(c *payload.Context) error {
	p := r.p
	if r.structured && (r.from > 0 || r.to < len(r.fields)) {
		n := copy(r.fields, r.fields[r.from:r.to])
		clear(r.fields[n:])
		r.fields = r.fields[:n]
	}
	p.Fields = r.arena.EndFields(r.fields)
	if r.tagOpen {
		p.Tags = r.arena.EndTags(r.tags)
	}
	r.fields, r.tags, r.p = nil, nil, nil
	switch {
	case r.tagDevice != "":
		p.Device = r.tagDevice
	case c.Device != "":
		p.Device = c.Device
	default:
		p.Device = r.device
	}
	p.Stream = c.Stream
	if p.Stream == "" {
		p.Stream = r.stream
	}
	p.Time = c.Received
	if r.hasTime {
		p.Time = r.time
	}
	p.Received = c.Received
	return payload.Finish(p)
}
