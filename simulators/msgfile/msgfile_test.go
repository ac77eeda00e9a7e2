package msgfile_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/tributary-iot/tributary/simulators/msgfile"
)

func TestRoundTrip(t *testing.T) {
	msgs := []msgfile.Message{
		{Topic: "vehicles/veh-00001/telemetry", Payload: []byte(`{"a":1}`)},
		{Topic: "lp/veh 2", Payload: []byte("m f=1 1\nm f=2 2\n")},
		{Topic: "trucks/x/j1939", Payload: []byte{0x81, 0xa1, 'a', 0x0a, 0x00, '\n'}},
		{Topic: "empty", Payload: []byte{}},
	}
	var buf bytes.Buffer
	w := msgfile.NewWriter(&buf)
	for _, m := range msgs {
		if err := w.WriteMessage(m.Topic, m.Payload); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), "vehicles/veh-00001/telemetry 7\n{\"a\":1}\nlp/veh 2 16\n") {
		t.Errorf("layout:\n%q", buf.String())
	}
	got, err := msgfile.ReadAll(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(msgs) {
		t.Fatalf("read %d messages, want %d", len(got), len(msgs))
	}
	for i := range msgs {
		if got[i].Topic != msgs[i].Topic || !bytes.Equal(got[i].Payload, msgs[i].Payload) {
			t.Errorf("message %d: %+v, want %+v", i, got[i], msgs[i])
		}
	}
}

func TestBadTopics(t *testing.T) {
	w := msgfile.NewWriter(io.Discard)
	for _, topic := range []string{"", "a\nb", strings.Repeat("x", 65536)} {
		if err := w.WriteMessage(topic, nil); err == nil {
			t.Errorf("topic %q accepted", topic)
		}
	}
}

func TestMalformed(t *testing.T) {
	for name, in := range map[string]string{
		"no length":    "topic\n",
		"bad length":   "topic x\n",
		"leading zero": "topic 01\nx\n",
		"negative":     "topic -1\n",
		"torn header":  "topic 3",
		"torn payload": "topic 3\nab",
		"no newline":   "topic 3\nabcd",
		"huge":         "topic 99999999999\n",
		"too long hdr": strings.Repeat("t", 70000) + " 1\nx\n",
		"no topic":     " 3\nabc\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := msgfile.ReadAll(strings.NewReader(in))
			if !errors.Is(err, msgfile.ErrFormat) {
				t.Fatalf("err = %v, want ErrFormat", err)
			}
		})
	}
}
