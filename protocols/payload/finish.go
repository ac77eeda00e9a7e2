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

// indexSortMax is the number of keys up to which a point is sorted through
// an index on the stack: an insertion sort of the index (stable, cheap for
// the few dozen fields a point usually has), then one pass that moves each
// field once. Moving a Field costs pointer writes, so this beats swapping
// the fields themselves.
const indexSortMax = 64

// sortFields sorts fs stably by key and keeps only the last field of each key.
func sortFields(fs []models.Field) []models.Field {
	if len(fs) > indexSortMax {
		slices.SortStableFunc(fs, func(a, b models.Field) int { return strings.Compare(a.Key, b.Key) })
		return dedup(fs, func(i int) string { return fs[i].Key })
	}
	var keys [indexSortMax]string
	var idx [indexSortMax]uint8
	for i := range fs {
		keys[i] = fs[i].Key
	}
	if sortIndex(keys[:len(fs)], idx[:len(fs)]) {
		permute(fs, idx[:len(fs)])
		return fs
	}
	permute(fs, idx[:len(fs)])
	return dedup(fs, func(i int) string { return fs[i].Key })
}

// sortTags is sortFields for tags.
func sortTags(ts []models.Tag) []models.Tag {
	if len(ts) > indexSortMax {
		slices.SortStableFunc(ts, func(a, b models.Tag) int { return strings.Compare(a.Key, b.Key) })
		return dedup(ts, func(i int) string { return ts[i].Key })
	}
	var keys [indexSortMax]string
	var idx [indexSortMax]uint8
	sorted := true
	for i := range ts {
		keys[i] = ts[i].Key
		if i > 0 && keys[i-1] >= keys[i] {
			sorted = false
		}
	}
	if sorted {
		return ts
	}
	if sortIndex(keys[:len(ts)], idx[:len(ts)]) {
		permute(ts, idx[:len(ts)])
		return ts
	}
	permute(ts, idx[:len(ts)])
	return dedup(ts, func(i int) string { return ts[i].Key })
}

// sortIndex fills idx with the order of keys (stable) and reports whether
// the keys are unique. Each key is packed with its index into an integer,
// first seven bytes high and index low, so one integer sort orders all
// keys that differ in their first seven bytes, and ties keep input order;
// only runs sharing seven bytes need string compares.
func sortIndex(keys []string, idx []uint8) (unique bool) {
	var packed [indexSortMax]uint64
	ps := packed[:len(keys)]
	for i, k := range keys {
		ps[i] = prefix7(k)<<8 | uint64(i)
	}
	slices.Sort(ps)
	unique = true
	for i := 0; i < len(ps); {
		j := i + 1
		for j < len(ps) && ps[j]>>8 == ps[i]>>8 {
			j++
		}
		if j-i > 1 { // a run with a common prefix: order by the whole key
			run := ps[i:j]
			for a := 1; a < len(run); a++ {
				x := run[a]
				b := a
				for ; b > 0 && keys[uint8(x)] < keys[uint8(run[b-1])]; b-- {
					run[b] = run[b-1]
				}
				run[b] = x
			}
			for a := 1; a < len(run); a++ {
				if keys[uint8(run[a])] == keys[uint8(run[a-1])] {
					unique = false
				}
			}
		}
		i = j
	}
	for i, p := range ps {
		idx[i] = uint8(p)
	}
	return unique
}

// prefix7 returns the first seven bytes of s as a big-endian integer,
// padded with zeros: prefix7(a) < prefix7(b) implies a < b.
func prefix7(s string) uint64 {
	if len(s) >= 7 {
		return uint64(s[0])<<48 | uint64(s[1])<<40 | uint64(s[2])<<32 | uint64(s[3])<<24 |
			uint64(s[4])<<16 | uint64(s[5])<<8 | uint64(s[6])
	}
	var p uint64
	for i := range 7 {
		p <<= 8
		if i < len(s) {
			p |= uint64(s[i])
		}
	}
	return p
}

// permute reorders s so that the new s[i] is the old s[idx[i]], moving
// each element once (cycle by cycle). It leaves idx as the identity.
func permute[T any](s []T, idx []uint8) {
	for i := range idx {
		if int(idx[i]) == i {
			continue
		}
		tmp := s[i]
		j := i
		for {
			k := int(idx[j])
			idx[j] = uint8(j)
			if k == i {
				s[j] = tmp
				break
			}
			s[j] = s[k]
			j = k
		}
	}
}

// dedup keeps the last element of each run of equal keys in the sorted s.
func dedup[T any](s []T, key func(int) string) []T {
	w := 0
	for i := range s {
		if i+1 < len(s) && key(i+1) == key(i) {
			continue
		}
		if w != i {
			s[w] = s[i]
		}
		w++
	}
	clear(s[w:])
	return s[:w]
}
