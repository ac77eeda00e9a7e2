package rawlog_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tributary-iot/tributary/bench/rawlog"
)

func TestSubject(t *testing.T) {
	tests := map[string]string{
		"vehicles/veh-00001/telemetry": "raw.vehicles.veh-00001.telemetry",
		"lp/a.b":                       "raw.lp.a_b",
		"x/*/>":                        "raw.x._._",
	}
	for in, want := range tests {
		if got := rawlog.Subject(in); got != want {
			t.Errorf("Subject(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPublishStoreReadBack(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	l, err := rawlog.Start(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var msgs []rawlog.Message
	for i := range 500 {
		data := fmt.Appendf(nil, `[{"device":"veh-%d","fields":{"speed":%d}}]`, i%7, i)
		msgs = append(msgs, rawlog.Message{Subject: rawlog.Subject(fmt.Sprintf("vehicles/veh-%d/telemetry", i%7)), Data: data, Points: 1 + i%3})
	}
	pub, err := l.Publish(ctx, msgs)
	if err != nil {
		t.Fatal(err)
	}
	wantPoints := 0
	for _, m := range msgs {
		wantPoints += m.Points
	}
	if pub.Messages != 500 || pub.Points != wantPoints || pub.PointsPerSecond() <= 0 {
		t.Errorf("Publish = %+v", pub)
	}
	st, err := l.Stored(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Messages != 500 || int64(st.Bytes) < pub.Bytes || st.DiskBytes < pub.Bytes {
		t.Errorf("Stored = %+v, published %d bytes", st, pub.Bytes)
	}
	r, err := l.ReadAll(ctx, func(i int) int { return msgs[i].Points })
	if err != nil {
		t.Fatal(err)
	}
	if r.Messages != 500 || r.Points != wantPoints || r.Bytes != pub.Bytes {
		t.Errorf("ReadAll = %+v, want %d points %d bytes", r, wantPoints, pub.Bytes)
	}
	lat, err := l.Paced(ctx, msgs, rawlog.PacedOptions{Rate: 2000, Duration: 300 * time.Millisecond, MarkerEvery: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if len(lat) == 0 {
		t.Error("no latency markers")
	}
	for _, d := range lat {
		if d <= 0 {
			t.Errorf("latency %v", d)
		}
	}
}
