package truth_test

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/tributary-iot/tributary/simulators/truth"
)

// FuzzRead: Read never panics, and what it accepts writes back and reads
// again to the same records.
func FuzzRead(f *testing.F) {
	f.Add([]byte(`{"device":"veh-1","profile":"p","stream":"s","kind":"stuck","signal":"rpm","start":"2026-11-25T12:00:00Z","end":"2026-11-25T12:00:30Z","points":3}`))
	f.Add([]byte(`[{"device":"veh-1","kind":"gps_jump","signal":"lat","related":["lon"],"start":"2026-11-25T12:00:00Z","end":"2026-11-25T12:00:00Z"}]`))
	f.Add([]byte(`[]`))
	f.Add([]byte(" \n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := truth.Read(bytes.NewReader(data))
		if err != nil {
			return
		}
		var buf bytes.Buffer
		w := truth.NewWriter(&buf, truth.FormatLines)
		for i := range recs {
			if err := w.Write(&recs[i]); err != nil {
				t.Fatalf("Write of accepted record: %v", err)
			}
		}
		_ = w.Close()
		again, err := truth.Read(&buf)
		if err != nil {
			t.Fatalf("re-read: %v", err)
		}
		if len(recs) != len(again) {
			t.Fatalf("re-read %d records, want %d", len(again), len(recs))
		}
		for i := range recs {
			a, b := recs[i], again[i]
			if !a.Start.Equal(b.Start) || !a.End.Equal(b.End) {
				t.Fatalf("times changed: %+v -> %+v", a, b)
			}
			a.Start, a.End = b.Start, b.End
			if len(a.Related) == 0 {
				a.Related = nil
			}
			if !reflect.DeepEqual(a, b) {
				t.Fatalf("record changed: %+v -> %+v", a, b)
			}
		}
	})
}
