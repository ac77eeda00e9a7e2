package payload

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tributary-iot/tributary/models"
)

// Finish completes a decoded point and checks it, the last step of every
// decoder here. It sorts the fields and the tags by key; when a key occurs
// more than once, the last occurrence wins and the others are removed. It
// then checks that the point has at least one field, that every key is
// 1..MaxKeyLen bytes, that the device id passes models.ValidateDevice and
// the stream models.ValidateID. The error is an *Error without a position
// (Offset -1), wrapping ErrNoFields, ErrBadKey, ErrNoDevice, ErrNoStream or
// models.ErrBadID.
func Finish(p *models.Point) error {
	if len(p.Fields) == 0 {
		return &Error{Offset: -1, Err: ErrNoFields}
	}
	sorted := true
	for i := range p.Fields {
		f := &p.Fields[i]
		if len(f.Key) == 0 || len(f.Key) > MaxKeyLen {
			return checkKey("field", f.Key)
		}
		if !f.Value.IsValid() {
			return &Error{Offset: -1, Err: ErrBadValue, Reason: fmt.Sprintf("field %q has no value", f.Key)}
		}
		if i > 0 && p.Fields[i-1].Key >= f.Key {
			sorted = false
		}
	}
	if !sorted {
		p.Fields = sortFields(p.Fields)
	}
	for i := range p.Tags {
		if err := checkKey("tag", p.Tags[i].Key); err != nil {
			return err
		}
	}
	p.Tags = sortTags(p.Tags)
	if p.Device == "" {
		return &Error{Offset: -1, Err: ErrNoDevice}
	}
	if err := models.ValidateDevice(p.Device); err != nil {
		return &Error{Offset: -1, Err: models.ErrBadID, Reason: strings.TrimPrefix(err.Error(), models.ErrBadID.Error()+": ")}
	}
	if p.Stream == "" {
		return &Error{Offset: -1, Err: ErrNoStream}
	}
	if err := models.ValidateID("stream", p.Stream); err != nil {
		return &Error{Offset: -1, Err: models.ErrBadID, Reason: strings.TrimPrefix(err.Error(), models.ErrBadID.Error()+": ")}
	}
	return nil
}

// checkKey returns an error for an empty or too long key, else nil.
func checkKey(what, k string) error {
	if k == "" {
		return &Error{Offset: -1, Err: ErrBadKey, Reason: "empty " + what + " key"}
	}
	if len(k) > MaxKeyLen {
		return &Error{Offset: -1, Err: ErrBadKey, Reason: fmt.Sprintf("%s key longer than %d bytes", what, MaxKeyLen)}
	}
	return nil
}

// insertionMax is the length up to which an insertion sort (stable, no
// allocation, fastest for the few fields a point usually has) is used.
const insertionMax = 24

// sortFields sorts fs stably by key and keeps only the last field of each key.
func sortFields(fs []models.Field) []models.Field {
	if len(fs) <= insertionMax {
		for i := 1; i < len(fs); i++ {
			for j := i; j > 0 && fs[j].Key < fs[j-1].Key; j-- {
				fs[j], fs[j-1] = fs[j-1], fs[j]
			}
		}
	} else {
		slices.SortStableFunc(fs, func(a, b models.Field) int { return strings.Compare(a.Key, b.Key) })
	}
	// Keep the last of each run of equal keys.
	w := 0
	for i := range fs {
		if i+1 < len(fs) && fs[i+1].Key == fs[i].Key {
			continue
		}
		fs[w] = fs[i]
		w++
	}
	clear(fs[w:])
	return fs[:w]
}

// sortTags is sortFields for tags.
func sortTags(ts []models.Tag) []models.Tag {
	sorted := true
	for i := 1; i < len(ts); i++ {
		if ts[i-1].Key >= ts[i].Key {
			sorted = false
			break
		}
	}
	if sorted {
		return ts
	}
	if len(ts) <= insertionMax {
		for i := 1; i < len(ts); i++ {
			for j := i; j > 0 && ts[j].Key < ts[j-1].Key; j-- {
				ts[j], ts[j-1] = ts[j-1], ts[j]
			}
		}
	} else {
		slices.SortStableFunc(ts, func(a, b models.Tag) int { return strings.Compare(a.Key, b.Key) })
	}
	w := 0
	for i := range ts {
		if i+1 < len(ts) && ts[i+1].Key == ts[i].Key {
			continue
		}
		ts[w] = ts[i]
		w++
	}
	clear(ts[w:])
	return ts[:w]
}
