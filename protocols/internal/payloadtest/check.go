package payloadtest

import (
	"errors"
	"testing"

	"github.com/tributary-iot/tributary/models"
	"github.com/tributary-iot/tributary/protocols/payload"
)

// keep is the device id of the point in Dst.
const keep = "keep"

// Dst returns a dst to hand a decoder under test: one point, which
// CheckError expects back unchanged when the decoder fails.
func Dst() []models.Point { return []models.Point{{Device: keep}} }

// CheckError fails t unless err, returned by a decoder given Dst(), is a
// *payload.Error and pts, returned with it, is Dst() unchanged.
func CheckError(t testing.TB, pts []models.Point, err error) {
	t.Helper()
	var pe *payload.Error
	if !errors.As(err, &pe) {
		t.Fatalf("error %T is not a *payload.Error: %v", err, err)
	}
	if len(pts) != 1 || pts[0].Device != keep {
		t.Fatalf("dst changed on error")
	}
}

// CheckFinished fails t unless p is a point as payload.Finish leaves it:
// with fields, a device and a stream, and fields and tags sorted by key
// with each key once.
func CheckFinished(t testing.TB, p *models.Point) {
	t.Helper()
	if len(p.Fields) == 0 || p.Device == "" || p.Stream == "" {
		t.Fatalf("unfinished point %+v", *p)
	}
	for i := 1; i < len(p.Fields); i++ {
		if p.Fields[i-1].Key >= p.Fields[i].Key {
			t.Fatalf("fields not sorted and unique: %+v", p.Fields)
		}
	}
	for i := 1; i < len(p.Tags); i++ {
		if p.Tags[i-1].Key >= p.Tags[i].Key {
			t.Fatalf("tags not sorted and unique: %+v", p.Tags)
		}
	}
}
