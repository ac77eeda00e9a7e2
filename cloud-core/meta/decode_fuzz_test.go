package meta

import (
	"encoding/binary"
	"encoding/json"
	"reflect"
	"testing"
)

func FuzzDecodeChunk(f *testing.F) {
	c := Chunk{Path: "p", Stream: "s", Segment: "0", FirstPos: 3, LastPos: 9, MinTime: 1, MaxTime: 2, Rows: 4, Bytes: 5}
	v, _ := jsonChunk(&c)
	f.Add(u64Key(3), v)
	f.Add([]byte{1}, []byte(`{"first_pos":1}`))
	f.Fuzz(func(t *testing.T, key, val []byte) {
		c, err := decodeChunk("b", key, val)
		if err != nil {
			return
		}
		if binary.BigEndian.Uint64(key) != c.FirstPos || c.validate() != nil {
			t.Fatalf("accepted an inconsistent chunk %+v", c)
		}
		v, err := jsonChunk(&c)
		if err != nil {
			t.Fatal(err)
		}
		back, err := decodeChunk("b", key, v)
		if err != nil || back != c {
			t.Fatalf("round trip: %+v %v", back, err)
		}
	})
}

func FuzzDecodeStream(f *testing.F) {
	f.Add([]byte("s"), []byte(`{"name":"s","policy":{"segments":1},"layout":{"segments":[{"id":"0","range":{"lo":0,"hi":18446744073709551615},"created_epoch":1}],"epochs":[{"number":1,"segments":["0"],"created":"2026-11-25T12:00:00Z"}],"next_id":1}}`))
	f.Fuzz(func(t *testing.T, key, val []byte) {
		s, err := decodeStream(key, val)
		if err != nil {
			return
		}
		if s.Layout.Validate() != nil || s.Name != string(key) {
			t.Fatalf("accepted an invalid stream %+v", s)
		}
	})
}

func FuzzDecodeRates(f *testing.F) {
	f.Add([]byte("s"), []byte(`{"at":5,"segments":{"0":{"points":{"short":1,"medium":2,"long":3},"bytes":{"short":1e9,"medium":0,"long":0},"observed":60000000000}}}`))
	f.Add([]byte("s"), []byte(`{"segments":{"x":{}}}`))
	f.Add([]byte("s"), []byte(`{"at":-1}`))
	f.Fuzz(func(t *testing.T, key, val []byte) {
		r, err := decodeRates(key, val)
		if err != nil {
			return
		}
		if r.validate() != nil {
			t.Fatalf("accepted invalid rates %+v", r)
		}
		v, err := json.Marshal(&r)
		if err != nil {
			t.Fatal(err)
		}
		back, err := decodeRates(key, v)
		if err != nil || !reflect.DeepEqual(back, r) {
			t.Fatalf("round trip: %+v %v, want %+v", back, err, r)
		}
	})
}

func FuzzDecodeGroup(f *testing.F) {
	g := Group{Stream: "s", Name: "g", Positions: map[string]uint64{"0": 3, "7": 1}, Finished: []string{"1"}, Checkpoints: 2}
	v, _ := json.Marshal(&g)
	f.Add([]byte("g"), v)
	f.Add([]byte("g"), []byte(`{"stream":"s","name":"g","positions":{"0":0}}`))
	f.Fuzz(func(t *testing.T, key, val []byte) {
		g, err := decodeGroup("s", key, val)
		if err != nil {
			return
		}
		if g.Name != string(key) || g.Stream != "s" || g.validate() != nil {
			t.Fatalf("accepted an inconsistent group %+v", g)
		}
		v, err := json.Marshal(&g)
		if err != nil {
			t.Fatal(err)
		}
		back, err := decodeGroup("s", key, v)
		if err != nil || !reflect.DeepEqual(back, g) {
			t.Fatalf("round trip: %+v %v", back, err)
		}
	})
}
