package meta

import (
	"encoding/binary"
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
