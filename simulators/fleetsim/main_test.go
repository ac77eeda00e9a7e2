package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	profiles "github.com/tributary-iot/tributary/firmware-profiles"
	"github.com/tributary-iot/tributary/internal/testbin"
	"github.com/tributary-iot/tributary/models"
	"github.com/tributary-iot/tributary/simulators/fleet"
	"github.com/tributary-iot/tributary/simulators/internal/simtest"
	"github.com/tributary-iot/tributary/simulators/internal/testbroker"
	"github.com/tributary-iot/tributary/simulators/msgfile"
	"github.com/tributary-iot/tributary/simulators/truth"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testbin.Cleanup() // the binaries Build made
	os.Exit(code)
}

const start = "2026-11-25T06:00:00Z"

// fleetsim runs the command in process and returns its exit code and
// standard error.
func fleetsim(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr, false)
	return code, stderr.String()
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--rate", "fast"},
		{"--rate", "-1"},
		{"--vehicles", "0"},
		{"--qos", "2"},
		{"--profile", "bicycle"},
		{"--profile", "passenger-car=0"},
		{"--profile", "passenger-car,passenger-car"},
		{"--anomalies", "melted"},
		{"--garbage-rate", "1.5"},
		{"--start", "yesterday"},
		{"--duration", "soon"},
		{"--nope"},
		{"stray"},
		{"--profiles", "/does/not/exist"},
		{"--mqtt", "ws://host:80"},
		{"--device-prefix", "a/b", "--dry-run"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			code, stderr := fleetsim(t, args...)
			if code != 2 {
				t.Fatalf("exit %d, want 2; stderr:\n%s", code, stderr)
			}
			if !strings.HasPrefix(stderr, "fleetsim: ") || strings.Count(stderr, "\n") != 1 {
				t.Errorf("want one line on stderr, got:\n%s", stderr)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	code, stderr := fleetsim(t, "-h")
	if code != 0 || !strings.Contains(stderr, "-anomaly-rate") || !strings.Contains(stderr, "-garbage-rate") {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
}

// dry runs fleetsim into files in dir and returns their contents and the
// report.
func dry(t *testing.T, dir string, args ...string) (msgs, tr []byte, rep fleet.Report) {
	t.Helper()
	out, tf, rf := filepath.Join(dir, "out.msgs"), filepath.Join(dir, "truth.jsonl"), filepath.Join(dir, "report.json")
	args = append([]string{"--out", out, "--truth", tf, "--report", rf, "--start", start}, args...)
	code, stderr := fleetsim(t, args...)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "fleetsim: stopped (points)") {
		t.Errorf("no summary:\n%s", stderr)
	}
	read := func(p string) []byte {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if err := json.Unmarshal(read(rf), &rep); err != nil {
		t.Fatal(err)
	}
	return read(out), read(tf), rep
}

var mixed = []string{"--profile", "passenger-car=2,heavy-truck,ev-battery,line-protocol,json", "--vehicles", "20",
	"--rate", "max", "--points", "20000", "--batch", "2", "--anomaly-rate", "0.005", "--garbage-rate", "0.02",
	"--dup-rate", "0.02", "--late-rate", "0.01", "--reorder-rate", "0.02", "--drop-rate", "0.002", "--skew-share", "0.3"}

func TestDeterministic(t *testing.T) {
	a, at, rep := dry(t, t.TempDir(), append(mixed, "--seed", "7", "--workers", "1")...)
	b, bt, _ := dry(t, t.TempDir(), append(mixed, "--seed", "7", "--workers", "2")...)
	if !bytes.Equal(a, b) || !bytes.Equal(at, bt) {
		t.Fatal("same seed, different output")
	}
	if rep.Points != 20000 || len(a) == 0 || len(at) == 0 {
		t.Fatalf("report %+v; %d bytes of messages, %d of truth", rep, len(a), len(at))
	}
	c, _, _ := dry(t, t.TempDir(), append(mixed, "--seed", "8")...)
	if bytes.Equal(a, c) {
		t.Fatal("different seed, same output")
	}
}

// sent is what a dry run sent, decoded: each device's points by time
// (duplicates folded), and the number of messages that failed decoding.
type sent struct {
	points  map[string]map[int64]models.Point
	bad     int64
	profile map[string]*profiles.Profile
}

func decode(t *testing.T, raw []byte) sent {
	set := simtest.NoWindow(t)
	msgs, err := msgfile.ReadAll(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	s := sent{points: map[string]map[int64]models.Point{}, profile: map[string]*profiles.Profile{}}
	for _, m := range msgs {
		pts, p, err := set.Decode(nil, m.Topic, m.Payload, time.Now())
		if err != nil {
			s.bad++
			continue
		}
		for _, pt := range pts {
			if s.points[pt.Device] == nil {
				s.points[pt.Device] = map[int64]models.Point{}
			}
			s.points[pt.Device][pt.Time] = pt
			s.profile[pt.Device] = p
		}
	}
	return s
}

// series returns the device's readings of a signal in time order.
func (s sent) series(device, signal string) (times []int64, vals []models.Value) {
	for tm := range s.points[device] {
		times = append(times, tm)
	}
	slices.Sort(times)
	var ts []int64
	for _, tm := range times {
		pt := s.points[device][tm]
		if v, ok := pt.Field(signal); ok {
			ts, vals = append(ts, tm), append(vals, v)
		}
	}
	return ts, vals
}

// The ground truth describes what was really sent, and malformed payloads
// really are malformed and counted.
func TestTruthMatchesMessages(t *testing.T) {
	raw, tr, rep := dry(t, t.TempDir(), append(mixed, "--seed", "3", "--anomaly-rate", "0.01", "--points", "60000")...)
	s := decode(t, raw)
	if s.bad != rep.Garbage || s.bad == 0 {
		t.Errorf("%d messages fail decoding, report counts %d garbage", s.bad, rep.Garbage)
	}
	var points int64
	for _, byTime := range s.points {
		points += int64(len(byTime))
	}
	if points != rep.Points {
		t.Errorf("%d distinct points decoded, report says %d", points, rep.Points)
	}
	recs, err := truth.Read(bytes.NewReader(tr))
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(recs)) != rep.Anomalies {
		t.Fatalf("%d truth records, report says %d", len(recs), rep.Anomalies)
	}
	checked := map[truth.Kind]int{}
	for _, rec := range recs {
		p := s.profile[rec.Device]
		def, ok := p.Signal(rec.Signal)
		if !ok {
			def = defaultSignal(t, rec.Signal)
		}
		times, vals := s.series(rec.Device, rec.Signal)
		var in []float64
		var inVals []models.Value
		before := math.NaN()
		for i, tm := range times {
			switch {
			case tm < rec.Start.UnixNano():
				before = vals[i].FloatV()
			case tm <= rec.End.UnixNano():
				in, inVals = append(in, vals[i].FloatV()), append(inVals, vals[i])
			}
		}
		if rec.Kind != truth.KindDropout && len(in) != rec.Points {
			t.Fatalf("%+v: %d readings in the window", rec, len(in))
		}
		if rec.Truncated {
			checked[0]++
			continue // cut short by the end of the run
		}
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("%+v: %s", rec, fmt.Sprintf(format, args...))
		}
		switch rec.Kind {
		case truth.KindStuck:
			for _, v := range inVals {
				if !v.Equal(inVals[0]) {
					fail("not stuck: %v", inVals)
				}
			}
		case truth.KindOverheating:
			if slices.Max(in) <= def.Range.Max {
				fail("peak %v within %v", slices.Max(in), *def.Range)
			}
		case truth.KindVoltageDrop:
			if slices.Min(in) >= def.Range.Min {
				fail("low %v within %v", slices.Min(in), *def.Range)
			}
		case truth.KindSpike:
			if def.Range.Contains(in[0]) {
				fail("spike %v within %v", in[0], *def.Range)
			}
		case truth.KindGPSJump:
			if !math.IsNaN(before) && !jumped(s, rec) {
				fail("position did not jump")
			}
		case truth.KindFuelLoss:
			if math.IsNaN(before) || before-in[len(in)-1] < 5 {
				fail("fuel %v -> %v", before, in)
			}
		case truth.KindDropout:
			if len(in) != 0 {
				fail("%d readings in a dropout", len(in))
			}
		}
		checked[rec.Kind]++
	}
	for _, k := range []truth.Kind{truth.KindStuck, truth.KindOverheating, truth.KindVoltageDrop, truth.KindGPSJump, truth.KindFuelLoss} {
		if checked[k] == 0 {
			t.Errorf("no %s anomaly checked (%v)", k, checked)
		}
	}
}

// jumped reports whether the fixes in rec's window lie more than 5 km from
// the fix before it.
func jumped(s sent, rec truth.Record) bool {
	times, lats := s.series(rec.Device, "lat")
	lonTimes, lonVals := s.series(rec.Device, "lon")
	lons := map[int64]float64{}
	for i, tm := range lonTimes {
		lons[tm] = lonVals[i].FloatV()
	}
	prev := -1
	for i, tm := range times {
		if _, ok := lons[tm]; !ok {
			continue
		}
		if tm < rec.Start.UnixNano() {
			prev = i
			continue
		}
		if tm > rec.End.UnixNano() || prev < 0 {
			break
		}
		dy := (lats[i].FloatV() - lats[prev].FloatV()) * 111.32
		dx := (lons[tm] - lons[times[prev]]) * 111.32 * math.Cos(lats[prev].FloatV()*math.Pi/180)
		if math.Hypot(dx, dy) < 5 {
			return false
		}
	}
	return prev >= 0
}

func defaultSignal(t *testing.T, name string) *profiles.Signal {
	for _, s := range defaultSignals() {
		if s.Name == name {
			return &s
		}
	}
	t.Fatalf("unknown signal %s", name)
	return nil
}

func TestMQTT(t *testing.T) {
	b := testbroker.Start(t, testbroker.Options{})
	rf := filepath.Join(t.TempDir(), "report.json")
	code, stderr := fleetsim(t, "--mqtt", b.URL(), "--vehicles", "10", "--points", "500", "--rate", "max",
		"--clean", "--qos", "1", "--report", rf, "--profile", "heavy-truck,ev-battery")
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	var rep fleet.Report
	raw, err := os.ReadFile(rf)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	if got := b.WaitCount(500, 10*time.Second); got != 500 || rep.Messages != 500 || rep.Errors != 0 {
		t.Fatalf("broker got %d, report %+v", got, rep)
	}
	if rep.Target != b.URL() || rep.QoS != 1 || len(rep.Profiles) != 2 {
		t.Errorf("report %+v", rep)
	}
	if len(b.Connects()) != 10 {
		t.Errorf("%d client ids", len(b.Connects()))
	}
}

// SIGINT and SIGTERM stop the real binary cleanly: exit 0, a summary, a
// report.
func TestSignals(t *testing.T) {
	bin := testbin.Build(t, "./simulators/fleetsim")
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			rf := filepath.Join(dir, "report.json")
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := testbin.Command(ctx, bin, "--dry-run", "--out", filepath.Join(dir, "out.msgs"),
				"--vehicles", "5", "--rate", "20", "--report", rf, "--truth", filepath.Join(dir, "truth.json"))
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Wait for the first published messages.
			for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
				if fi, err := os.Stat(filepath.Join(dir, "out.msgs")); err == nil && fi.Size() > 0 {
					break
				}
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			if err := cmd.Wait(); err != nil {
				t.Fatalf("exit: %v\n%s", err, stderr.String())
			}
			if !strings.Contains(stderr.String(), "fleetsim: stopped (interrupted)") {
				t.Errorf("no summary:\n%s", stderr.String())
			}
			var rep fleet.Report
			raw, err := os.ReadFile(rf)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(raw, &rep); err != nil || rep.Stopped != "interrupted" || rep.Points == 0 {
				t.Errorf("report %s (%v)", raw, err)
			}
			tr, err := os.ReadFile(filepath.Join(dir, "truth.json"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := truth.Read(bytes.NewReader(tr)); err != nil || !bytes.HasPrefix(tr, []byte("[")) {
				t.Errorf("truth file %q: %v", tr, err)
			}
		})
	}
}
