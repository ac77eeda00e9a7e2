package simconfig_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tributary-iot/tributary/simulators/fleet"
	"github.com/tributary-iot/tributary/simulators/simconfig"
	"github.com/tributary-iot/tributary/simulators/truth"
)

func parse(t *testing.T, args ...string) simconfig.Options {
	t.Helper()
	o, err := simconfig.Parse(args, io.Discard)
	if err != nil {
		t.Fatalf("Parse(%q): %v", args, err)
	}
	return o
}

func TestDefaults(t *testing.T) {
	o := parse(t)
	if o.MQTT != "tcp://127.0.0.1:1883" || o.Profile != "passenger-car" || o.Rate != 1 || o.QoS != 1 ||
		o.Vehicles != 10 || o.Batch != 1 || o.DryRun || o.Mess != fleet.DefaultMess() || !o.Start.IsZero() {
		t.Errorf("defaults: %+v", o)
	}
}

func TestFlags(t *testing.T) {
	before := time.Now()
	o := parse(t, "--rate", "max", "--out", "x.msgs", "--duration", "2d", "--start", "-2h",
		"--anomalies", "stuck, gps_jump", "--clean", "--dup-rate", "0.1", "--batch", "5", "--qos", "0")
	if o.Rate != 0 || !o.DryRun || o.Out != "x.msgs" || o.Duration != 48*time.Hour || o.Batch != 5 || o.QoS != 0 {
		t.Errorf("%+v", o)
	}
	if d := before.Add(-2 * time.Hour).Sub(o.Start); d > time.Second || d < -time.Minute {
		t.Errorf("start %v is not two hours ago", o.Start)
	}
	if len(o.Anomalies) != 2 || o.Anomalies[0] != truth.KindStuck || o.Anomalies[1] != truth.KindGPSJump {
		t.Errorf("anomalies %v", o.Anomalies)
	}
	want := fleet.Mess{DuplicateRate: 0.1, MaxSkew: 90 * time.Second}
	if o.Mess != want {
		t.Errorf("--clean --dup-rate 0.1: %+v", o.Mess)
	}
	o = parse(t, "--start", "2026-11-25T06:00:00Z", "--rate", "2.5")
	if !o.Start.Equal(time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC)) || o.Rate != 2.5 {
		t.Errorf("%+v", o)
	}
}

func TestHelp(t *testing.T) {
	var b strings.Builder
	if _, err := simconfig.Parse([]string{"--help"}, &b); !errors.Is(err, simconfig.ErrHelp) {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(b.String(), "-vehicles") {
		t.Errorf("usage:\n%s", b.String())
	}
}

func TestProfiles(t *testing.T) {
	ws, err := simconfig.Profiles("passenger-car=3, heavy-truck", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 2 || ws[0].Profile.Name != "passenger-car" || ws[0].Weight != 3 || ws[1].Weight != 1 {
		t.Errorf("%+v", ws)
	}
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("reefer.yaml", "name: reefer\ntopic: reefer/{device}\nencoding: json\nstream: reefer\n"+
		"signals:\n  - {name: box_temp_c, type: float, range: [-30, 25]}\n")
	write("car.yaml", "name: passenger-car\ntopic: cars/{device}\nencoding: json\nstream: cars\n")
	ws, err = simconfig.Profiles("reefer,passenger-car", dir)
	if err != nil {
		t.Fatal(err)
	}
	if ws[0].Profile.Name != "reefer" || ws[1].Profile.Topic != "cars/{device}" {
		t.Errorf("custom profiles: %+v %+v", ws[0].Profile, ws[1].Profile)
	}
	write("bad.yaml", "name: bad\ntopic: x\nencodng: json\nfoo: 1\n")
	if _, err := simconfig.Profiles("reefer", dir); err == nil || strings.Contains(err.Error(), "\n") {
		t.Errorf("bad profile dir: %v", err)
	}
	for _, spec := range []string{"nope", "passenger-car=x", "passenger-car=-1", "json,json", ""} {
		if _, err := simconfig.Profiles(spec, ""); err == nil {
			t.Errorf("%q accepted", spec)
		}
	}
}
