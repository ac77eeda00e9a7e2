package meta_test

import (
	"errors"
	"path/filepath"
	"reflect"
	"testing"

	"go.etcd.io/bbolt"

	"github.com/tributary-iot/tributary/cloud-core/meta"
)

func TestRatesPersist(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meta.db")
	db := openDB(t, path)
	if all, err := db.Rates(); err != nil || len(all) != 0 {
		t.Fatalf("rates of a new file: %v %v", all, err)
	}
	if r, err := db.StreamRates("s"); err != nil || r.At != 0 || r.Segments != nil {
		t.Fatalf("rates of an unknown stream: %+v %v", r, err)
	}
	want := map[string]meta.Rates{
		"s": {At: 42, Segments: map[string]meta.SegmentRates{
			"0": {Points: meta.Windows{Short: 1, Medium: 2, Long: 3}, Bytes: meta.Windows{Short: 4.5, Medium: 5, Long: 6}, Observed: 7},
			"3": {},
		}},
		"t": {At: 1},
	}
	if err := db.SaveRates(want); err != nil {
		t.Fatal(err)
	}
	// A later save of one stream replaces only that stream's.
	if err := db.SaveRates(map[string]meta.Rates{"t": {At: 2}}); err != nil {
		t.Fatal(err)
	}
	want["t"] = meta.Rates{At: 2}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openDB(t, path)
	got, err := db.Rates()
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("after reopening: %+v %v, want %+v", got, err, want)
	}
	one, err := db.StreamRates("s")
	if err != nil || !reflect.DeepEqual(one, want["s"]) {
		t.Fatalf("StreamRates = %+v %v", one, err)
	}
}

func TestSaveRatesRefusesBadValues(t *testing.T) {
	db := openDB(t, filepath.Join(t.TempDir(), "meta.db"))
	for name, r := range map[string]meta.Rates{
		"negative time":    {At: -1},
		"segment id":       {Segments: map[string]meta.SegmentRates{"x": {}}},
		"negative rate":    {Segments: map[string]meta.SegmentRates{"1": {Points: meta.Windows{Long: -1}}}},
		"negative observe": {Segments: map[string]meta.SegmentRates{"1": {Observed: -1}}},
	} {
		if err := db.SaveRates(map[string]meta.Rates{"s": r}); err == nil {
			t.Errorf("%s: saved", name)
		}
	}
}

func TestCorruptRatesAreReported(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meta.db")
	db := openDB(t, path)
	if err := db.SaveRates(map[string]meta.Rates{"s": {At: 1}}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = b.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte("rates")).Put([]byte("s"), []byte(`{"at":1,"segments":{"0":{"observed":-5}}}`))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	db = openDB(t, path)
	var ce *meta.CorruptError
	if _, err := db.Rates(); !errors.As(err, &ce) || ce.Bucket != "rates" || ce.Key != "s" {
		t.Errorf("Rates on a corrupt value: %v", err)
	}
	if _, err := db.StreamRates("s"); !errors.As(err, &ce) {
		t.Errorf("StreamRates on a corrupt value: %v", err)
	}
}
