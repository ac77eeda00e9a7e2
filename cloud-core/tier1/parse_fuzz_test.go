package tier1

import (
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// FuzzParseMessage feeds arbitrary subjects and header values to the
// reader of stored messages: it must refuse or accept, never panic, and
// what it accepts must carry the values given.
func FuzzParseMessage(f *testing.F) {
	f.Add("t1.s.0.gw.normal", "msgp+zstd/1", "10", "3", "-5", "7")
	f.Add("t1.s.1.gw.normal", "msgp+zstd/1", "x", "", "", "")
	f.Add("t1.s.0.", "other", "18446744073709551616", "-1", "9223372036854775808", "0")
	f.Fuzz(func(t *testing.T, subject, format, mark, points, minT, maxT string) {
		h := nats.Header{}
		h.Set(HeaderFormat, format)
		h.Set(HeaderMark, mark)
		h.Set(HeaderPoints, points)
		h.Set(HeaderMinTime, minT)
		h.Set(HeaderMaxTime, maxT)
		m, err := parseMessage("s", "0", &jetstream.RawStreamMsg{Subject: subject, Sequence: 9, Header: h, Data: []byte{1}})
		if err != nil {
			return
		}
		if m.Pos != 9 || m.Summary.Writer == "" || format != "msgp+zstd/1" {
			t.Fatalf("accepted %+v from subject %q format %q", m, subject, format)
		}
	})
}
