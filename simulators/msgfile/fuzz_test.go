package msgfile_test

import (
	"bytes"
	"testing"

	"github.com/tributary-iot/tributary/simulators/msgfile"
)

// FuzzReader: reading never panics or hangs, and what reads back writes
// back to the same bytes.
func FuzzReader(f *testing.F) {
	f.Add([]byte("vehicles/veh-00001/telemetry 7\n{\"a\":1}\n"))
	f.Add([]byte("a 0\n\nb 2\n\x00\x01\n"))
	f.Add([]byte("a 5\nab"))
	f.Fuzz(func(t *testing.T, data []byte) {
		msgs, err := msgfile.ReadAll(bytes.NewReader(data))
		var buf bytes.Buffer
		w := msgfile.NewWriter(&buf)
		for _, m := range msgs {
			if err := w.WriteMessage(m.Topic, m.Payload); err != nil {
				t.Fatalf("message read cannot be written: %v", err)
			}
		}
		_ = w.Flush()
		if err == nil && !bytes.Equal(buf.Bytes(), data) {
			t.Fatalf("rewrote %q as %q", data, buf.Bytes())
		}
		if err != nil && !bytes.HasPrefix(data, buf.Bytes()) {
			t.Fatalf("messages before the error are not a prefix of the input")
		}
	})
}
