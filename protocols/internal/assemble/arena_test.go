package assemble_test

import (
	"testing"

	"github.com/tributary-iot/tributary/models"
	"github.com/tributary-iot/tributary/protocols/internal/assemble"
)

func TestArenaSlicesDoNotOverlap(t *testing.T) {
	var a assemble.Arena
	var all [][]models.Field
	for n := range 200 {
		fs := a.StartFields(nil)
		for i := range n % 37 {
			fs = append(fs, models.Field{Key: "k", Value: models.Int(int64(n*1000 + i))})
		}
		all = append(all, a.EndFields(fs))
	}
	// Appending to a sealed slice must not touch any other.
	for i := range all {
		all[i] = append(all[i], models.Field{Key: "extra"})
	}
	for n, fs := range all {
		for i, f := range fs[:len(fs)-1] {
			if f.Value.IntV() != int64(n*1000+i) {
				t.Fatalf("slice %d field %d = %v: overwritten", n, i, f.Value)
			}
		}
	}
}

func TestArenaReusesOwnCapacity(t *testing.T) {
	var a assemble.Arena
	own := make([]models.Tag, 3, 8)
	ts := a.StartTags(own)
	ts = append(ts, models.Tag{Key: "a"})
	got := a.EndTags(ts)
	if &got[0] != &own[:1][0] || len(got) != 1 {
		t.Fatalf("own capacity not reused")
	}
}

func TestNextPoint(t *testing.T) {
	dst := make([]models.Point, 1, 2)
	dst[0].Device = "keep"
	spare := dst[:2]
	spare[1] = models.Point{Device: "old", Fields: make([]models.Field, 2, 5)}
	dst, p, err := assemble.NextPoint(dst, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(dst) != 2 || dst[0].Device != "keep" || p.Device != "" || len(p.Fields) != 0 || cap(p.Fields) != 5 {
		t.Fatalf("NextPoint: %+v, %+v", dst, *p)
	}
	dst, p, err = assemble.NextPoint(dst, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(dst) != 3 || p != &dst[2] {
		t.Fatalf("NextPoint past capacity: %d points", len(dst))
	}
}

func TestTextSubstrings(t *testing.T) {
	data := []byte("hello world")
	txt := assemble.NewText(data)
	if got := txt.String(data[6:11]); got != "world" {
		t.Errorf("String = %q", got)
	}
	if off := txt.Offset(data[6:11]); off != 6 {
		t.Errorf("Offset = %d, want 6", off)
	}
	other := []byte("world")
	if off := txt.Offset(other); off != -1 {
		t.Errorf("Offset of another array = %d, want -1", off)
	}
	if got := txt.String(other); got != "world" {
		t.Errorf("String of another array = %q", got)
	}
	copy(data, "HELLO WORLD")
	if got := txt.Slice(0, 5); got != "hello" {
		t.Errorf("Slice after the bytes changed = %q, want the copy", got)
	}
}
