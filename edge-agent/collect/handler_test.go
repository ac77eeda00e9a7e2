package collect_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tributary-iot/tributary/edge-agent/collect"
	"github.com/tributary-iot/tributary/edge-agent/locallog"
	profiles "github.com/tributary-iot/tributary/firmware-profiles"
)

func newHandler(t *testing.T, o locallog.Options) (*collect.Handler, *locallog.Log) {
	t.Helper()
	o.Path = filepath.Join(t.TempDir(), "log.db")
	o.Agent = "gw-1"
	l, err := locallog.Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	all, err := profiles.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	set, err := profiles.NewSet(all...)
	if err != nil {
		t.Fatal(err)
	}
	h, err := collect.NewHandler(collect.HandlerOptions{Profiles: set, Log: l})
	if err != nil {
		t.Fatal(err)
	}
	return h, l
}

func TestHandleOutcomes(t *testing.T) {
	h, l := newHandler(t, locallog.Options{MaxBytes: 64 << 20})
	now := time.Now()
	for _, tc := range []struct {
		topic, payload string
		want           collect.Outcome
		reason         string
	}{
		{"lp/veh-1", "engine rpm=1i,temp=80.5\nengine rpm=2i,temp=80.6\n", collect.Stored, ""},
		{"vehicles/veh-2/telemetry", `{"speed_kmh": 52.5, "rpm": 2100}`, collect.Stored, ""},
		{"lp/veh-1", "engine rpm=", collect.DeadLettered, "undecodable"},
		{"somewhere/else", "engine rpm=1i", collect.DeadLettered, "unknown_topic"},
		{"vehicles/veh-2/telemetry", `{"speed_kmh": 52.5, "rpm": 2100.5}`, collect.DeadLettered, "type_mismatch"},
		{"lp/veh-1", "engine x=1 " + fmt.Sprint(now.Add(-30*24*time.Hour).UnixNano()), collect.DeadLettered, "timestamp"},
		{"lp/veh-1", "engine x=\"" + strings.Repeat("a", 300<<10) + "\"", collect.DeadLettered, "oversized"},
		// Under the payload cap, but one point too big for the local log.
		{"lp/veh-1", "engine x=\"" + strings.Repeat("a", 8<<10) + "\"", collect.DeadLettered, "oversized"},
	} {
		r := h.Handle(context.Background(), tc.topic, []byte(tc.payload), now)
		if r.Outcome != tc.want || r.Reason != tc.reason {
			t.Errorf("%s %.40q: got %v %q (%v), want %v %q", tc.topic, tc.payload, r.Outcome, r.Reason, r.Err, tc.want, tc.reason)
		}
		if r.Outcome.Ack() != (tc.want != collect.Rejected && tc.want != collect.Failed) {
			t.Errorf("ack decision wrong for %v", r.Outcome)
		}
	}
	st := l.Stats()
	if st.PointsBuffered != 3 || st.DeadLetters != 6 {
		t.Fatalf("buffered %d, dead letters %d; want 3 and 6", st.PointsBuffered, st.DeadLetters)
	}
}

// TestRejectNewIsNotAcknowledged fills a small log under reject-new: a
// message whose points are refused must not be acknowledged.
func TestRejectNewIsNotAcknowledged(t *testing.T) {
	h, l := newHandler(t, locallog.Options{MaxBytes: 2 << 20, WhenFull: locallog.RejectNew})
	var rejected int
	line := "engine " + strings.Repeat("f", 40) + "=\"" + strings.Repeat("v", 200) + "\"\n"
	payload := []byte(strings.Repeat(line, 100))
	for i := 0; i < 200 && rejected == 0; i++ {
		r := h.Handle(context.Background(), "lp/veh-1", payload, time.Now())
		switch r.Outcome {
		case collect.Stored:
		case collect.Rejected:
			rejected++
			if r.Outcome.Ack() {
				t.Fatal("a rejected message would be acknowledged")
			}
		default:
			t.Fatalf("unexpected outcome %v: %v", r.Outcome, r.Err)
		}
	}
	if rejected == 0 {
		t.Fatal("the log never filled")
	}
	if st := l.Stats(); st.PointsDropped == 0 || st.FileBytes > 2<<20 {
		t.Fatalf("dropped %d, file %d bytes", st.PointsDropped, st.FileBytes)
	}
}
