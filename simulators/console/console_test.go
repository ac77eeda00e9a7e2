package console_test

import (
	"bytes"
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tributary-iot/tributary/simulators/console"
	"github.com/tributary-iot/tributary/simulators/fleet"
)

func TestLine(t *testing.T) {
	prev := fleet.Progress{Points: 1000, Elapsed: time.Second}
	p := fleet.Progress{Points: 1301000, Messages: 650500, Errors: 3, Elapsed: 2*time.Second + 3*time.Hour}
	got := console.Line(p, prev)
	want := "published 1,301,000 points (650,500 messages) | 120 points/s | 3 errors | 3:00:02"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestProgressTTY(t *testing.T) {
	var buf bytes.Buffer
	var n atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		console.Progress(ctx, console.Options{Out: &buf, TTY: true, Every: time.Millisecond}, func() fleet.Progress {
			if n.Add(1) == 5 {
				cancel()
			}
			return fleet.Progress{Points: n.Load()}
		})
	}()
	<-done
	out := buf.String()
	if !strings.HasPrefix(out, "\rpublished ") || !strings.HasSuffix(out, "\n") || strings.Count(out, "\r") < 2 {
		t.Errorf("output %q", out)
	}
}

func TestSummary(t *testing.T) {
	var buf bytes.Buffer
	console.Summary(&buf, fleet.Report{Stopped: "points", ElapsedSeconds: 61, Points: 12345, Messages: 100,
		Target: "out.msgs", Vehicles: 3, Profiles: map[string]fleet.ProfileReport{"passenger-car": {Vehicles: 3, Points: 12345}},
		Anomalies: 2, AnomaliesByKind: map[string]int64{"stuck": 2}})
	out := buf.String()
	for _, want := range []string{"stopped (points) after 0:01:01", "12,345 in 100 messages", "asked max per vehicle x 3",
		"passenger-car", "anomalies  2 (stuck 2)"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
}
