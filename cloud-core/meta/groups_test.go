package meta_test

import (
	"errors"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/tributary-iot/tributary/cloud-core/meta"
)

func TestGroups(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meta.db")
	db := openDB(t, path)
	if gs, err := db.Groups("s"); err != nil || len(gs) != 0 {
		t.Fatalf("no groups yet: %v %v", gs, err)
	}
	if _, err := db.Group("s", "g"); !errors.Is(err, meta.ErrNotFound) {
		t.Errorf("missing group: %v", err)
	}
	g, created, err := db.CreateGroup(meta.Group{Stream: "s", Name: "g", Positions: map[string]uint64{"0": 5, "1": 7}})
	if err != nil || !created || g.Created == 0 {
		t.Fatalf("create: %+v %v %v", g, created, err)
	}
	again, created, err := db.CreateGroup(meta.Group{Stream: "s", Name: "g", Positions: map[string]uint64{"0": 1}})
	if err != nil || created || again.Positions["0"] != 5 {
		t.Errorf("create again: %+v %v %v", again, created, err)
	}
	if _, _, err := db.CreateGroup(meta.Group{Stream: "s", Name: "bad", Positions: map[string]uint64{"0": 0}}); err == nil {
		t.Error("created a group with position 0")
	}
	up, err := db.UpdateGroup("s", "g", func(g *meta.Group) error {
		g.Positions["0"] = 9
		g.Finished = append(g.Finished, "2")
		g.Checkpoints++
		return nil
	})
	if err != nil || up.Positions["0"] != 9 || up.Checkpoints != 1 {
		t.Fatalf("update: %+v %v", up, err)
	}
	if _, err := db.UpdateGroup("s", "nope", func(*meta.Group) error { return nil }); !errors.Is(err, meta.ErrNotFound) {
		t.Errorf("update of a missing group: %v", err)
	}
	stop := errors.New("stop")
	if _, err := db.UpdateGroup("s", "g", func(g *meta.Group) error { g.Positions["0"] = 1; return stop }); !errors.Is(err, stop) {
		t.Errorf("update error: %v", err)
	}
	if _, _, err := db.CreateGroup(meta.Group{Stream: "s", Name: "h", Positions: map[string]uint64{"0": 3}}); err != nil {
		t.Fatal(err)
	}
	if pos, err := db.GroupPositions("s", "0"); err != nil || !reflect.DeepEqual(pos, []uint64{3, 9}) {
		t.Errorf("positions in segment 0: %v %v", pos, err)
	}

	// Durable across a reopen.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openDB(t, path)
	got, err := db.Group("s", "g")
	if err != nil || !reflect.DeepEqual(got, up) {
		t.Errorf("after reopen: %+v %v, want %+v", got, err, up)
	}
	if err := db.DeleteGroup("s", "g"); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteGroup("s", "g"); !errors.Is(err, meta.ErrNotFound) {
		t.Errorf("delete twice: %v", err)
	}
	if gs, err := db.Groups("s"); err != nil || len(gs) != 1 || gs[0].Name != "h" {
		t.Errorf("groups left: %+v %v", gs, err)
	}
}
