package assemble

import (
	"fmt"

	"github.com/tributary-iot/tributary/models"
	"github.com/tributary-iot/tributary/protocols/payload"
)

// NextPoint extends dst by one point and returns it, reset. A point in dst's
// spare capacity is reused with its Fields and Tags capacity. n0 is
// len(dst) before the payload's first point: when the payload has already
// given payload.MaxPoints points, NextPoint returns dst unchanged and a
// *payload.Error (without format and position) wrapping payload.ErrTooLarge.
func NextPoint(dst []models.Point, n0 int) ([]models.Point, *models.Point, error) {
	if len(dst)-n0 >= payload.MaxPoints {
		return dst, nil, &payload.Error{Offset: -1, Err: payload.ErrTooLarge,
			Reason: fmt.Sprintf("more than %d points", payload.MaxPoints)}
	}
	if len(dst) < cap(dst) {
		dst = dst[:len(dst)+1]
	} else {
		dst = append(dst, models.Point{})
	}
	p := &dst[len(dst)-1]
	p.Reset()
	return dst, p, nil
}

// Arena hands out the Fields and Tags slices of the points of one payload
// from shared blocks, so that decoding allocates per block rather than per
// point. Each slice handed out is capacity-limited, so appending to one
// point's fields never overwrites another's. The zero Arena is ready.
type Arena struct {
	fields slab[models.Field]
	tags   slab[models.Tag]
}

// StartFields returns an empty slice to append a point's fields to: own
// (the point's old Fields) when it has capacity, else free room in a block.
// Only one StartFields/EndFields pair may be open at a time.
func (a *Arena) StartFields(own []models.Field) []models.Field { return a.fields.start(own) }

// EndFields seals fs, returned by StartFields and appended to.
func (a *Arena) EndFields(fs []models.Field) []models.Field { return a.fields.end(fs) }

// StartTags is StartFields for tags.
func (a *Arena) StartTags(own []models.Tag) []models.Tag { return a.tags.start(own) }

// EndTags is EndFields for tags.
func (a *Arena) EndTags(ts []models.Tag) []models.Tag { return a.tags.end(ts) }

const (
	minBlock = 32
	maxBlock = 4096
)

type slab[T any] struct {
	buf  []T // the current block; len is the part handed out
	next int // size of the next block
	hint int // length of the last slice sealed: the room wanted for the next
	tail int // capacity of the open slice if it came from buf, else -1
}

func (s *slab[T]) start(own []T) []T {
	if cap(own) > 0 {
		s.tail = -1
		return own[:0]
	}
	want := max(s.hint, 8)
	if cap(s.buf)-len(s.buf) < want {
		n := max(s.next, minBlock, want)
		s.next = min(2*n, maxBlock)
		s.buf = make([]T, 0, n)
	}
	out := s.buf[len(s.buf):len(s.buf)]
	s.tail = cap(out)
	return out
}

func (s *slab[T]) end(x []T) []T {
	s.hint = len(x)
	if s.tail < 0 {
		return x
	}
	if len(x) == 0 {
		return nil
	}
	if cap(x) == s.tail { // not reallocated by append: still in the block
		s.buf = s.buf[:len(s.buf)+len(x)]
	}
	return x[:len(x):len(x)]
}
