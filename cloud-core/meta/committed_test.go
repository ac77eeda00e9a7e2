package meta_test

import (
	"path/filepath"
	"testing"

	"github.com/tributary-iot/tributary/cloud-core/meta"
)

func TestCommittedMarksPersistAndNeverMoveBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meta.db")
	db, err := meta.Open(path, meta.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if m, err := db.CommittedMarks(); err != nil || len(m) != 0 {
		t.Fatalf("fresh db: %v %v", m, err)
	}
	if err := db.SaveCommittedMarks(map[string]uint64{"gw.high": 10, "gw.low": 5}); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveCommittedMarks(map[string]uint64{"gw.high": 7}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = meta.Open(path, meta.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m, err := db.CommittedMarks()
	if err != nil || m["gw.high"] != 10 || m["gw.low"] != 5 {
		t.Fatalf("marks after reopen: %v %v", m, err)
	}
}
