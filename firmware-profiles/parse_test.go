package profiles_test

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	profiles "github.com/tributary-iot/tributary/firmware-profiles"
	"github.com/tributary-iot/tributary/models"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/bad")

// TestBadFilesGolden parses each testdata/bad/*.yaml and compares the
// error, one problem a line, with the .err file beside it.
func TestBadFilesGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/bad/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no bad profiles found: %v", err)
	}
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(strings.TrimSuffix(name, ".yaml"), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			p, err := profiles.Parse(name, data)
			if err == nil {
				t.Fatalf("Parse accepted a bad profile: %+v", p)
			}
			if p != nil {
				t.Errorf("Parse returned a profile with an error")
			}
			problems := profiles.Problems(err)
			if len(problems) == 0 {
				t.Fatalf("error holds no *ValidationError: %v", err)
			}
			var lines []string
			for _, vp := range problems {
				if vp.File != name {
					t.Errorf("problem names file %q, want %q", vp.File, name)
				}
				lines = append(lines, vp.Error())
			}
			got := strings.Join(lines, "\n") + "\n"
			if got != err.Error()+"\n" {
				t.Errorf("Problems and Error disagree:\n%s\nvs\n%s", got, err)
			}
			golden := strings.TrimSuffix(path, ".yaml") + ".err"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("errors differ from %s\ngot:\n%s\nwant:\n%s", golden, got, want)
			}
		})
	}
}

func TestValidationErrorFormat(t *testing.T) {
	tests := []struct {
		err  profiles.ValidationError
		want string
	}{
		{profiles.ValidationError{File: "car.yaml", Line: 12, Field: "signals[3].range", Msg: "min 10 is above max 5"},
			"car.yaml:12: signals[3].range: min 10 is above max 5"},
		{profiles.ValidationError{File: "car.yaml", Field: "name", Msg: "required"}, "car.yaml: name: required"},
		{profiles.ValidationError{File: "car.yaml", Line: 3, Msg: "invalid YAML: x"}, "car.yaml:3: invalid YAML: x"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestParseErrorsAreTyped(t *testing.T) {
	_, err := profiles.Parse("car.yaml", []byte("name: car\ntopic: c/{device}\nencoding: json\nstream: s\nsignals:\n  - name: x\n    type: int\n    range: [10, 5]\n"))
	var ve *profiles.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v is not a *ValidationError", err)
	}
	want := profiles.ValidationError{File: "car.yaml", Line: 8, Field: "signals[0].range", Msg: "min 10 is above max 5"}
	if *ve != want {
		t.Errorf("got %+v, want %+v", *ve, want)
	}
}

func TestParseDefaults(t *testing.T) {
	p, err := profiles.Parse("min.yaml", []byte("name: min\ntopic: m/{device}\nencoding: line-protocol\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p.MaxPayload != profiles.DefaultMaxPayload || p.Priority != models.PriorityNormal ||
		p.Timestamps.MaxPast != profiles.DefaultMaxPast || p.Timestamps.MaxFuture != profiles.DefaultMaxFuture ||
		p.RateHz != profiles.DefaultRateHz || p.Stream != "" || p.DeviceTag != "" || len(p.Signals) != 0 || p.IsBuiltin() {
		t.Errorf("defaults not applied: %+v", p)
	}
	if p.File != "min.yaml" {
		t.Errorf("File = %q", p.File)
	}
}

func TestParseValues(t *testing.T) {
	tests := []struct {
		yaml  string
		check func(*profiles.Profile) bool
	}{
		{"max_payload: 65536", func(p *profiles.Profile) bool { return p.MaxPayload == 65536 }},
		{"max_payload: 64KiB", func(p *profiles.Profile) bool { return p.MaxPayload == 64<<10 }},
		{"max_payload: 2 MB", func(p *profiles.Profile) bool { return p.MaxPayload == 2e6 }},
		{"max_payload: 1MiB", func(p *profiles.Profile) bool { return p.MaxPayload == 1<<20 }},
		{"timestamps: {max_past: 30d}", func(p *profiles.Profile) bool {
			return p.Timestamps.MaxPast == 720*time.Hour && p.Timestamps.MaxFuture == profiles.DefaultMaxFuture
		}},
		{"timestamps: {max_past: 0, max_future: 90s}", func(p *profiles.Profile) bool {
			return p.Timestamps.MaxPast == 0 && p.Timestamps.MaxFuture == 90*time.Second
		}},
		{"priority: high", func(p *profiles.Profile) bool { return p.Priority == models.PriorityHigh }},
		{"priority: low", func(p *profiles.Profile) bool { return p.Priority == models.PriorityLow }},
		{"device_tag: vin", func(p *profiles.Profile) bool { return p.DeviceTag == "vin" }},
		{`device_tag: ""`, func(p *profiles.Profile) bool { return p.DeviceTag == "" }},
		{"description:", func(p *profiles.Profile) bool { return p.Description == "" }},
		{"tags: {site: north, fw: 1.2}", func(p *profiles.Profile) bool {
			return len(p.Tags) == 2 && p.Tags[0] == models.Tag{Key: "fw", Value: "1.2"} && p.Tags[1] == models.Tag{Key: "site", Value: "north"}
		}},
		{"rate_hz: 20\nsignals: [{name: a, type: float}, {name: b, type: int, rate_hz: 0.5}]", func(p *profiles.Profile) bool {
			return p.Signals[0].RateHz == 20 && p.Signals[1].RateHz == 0.5 && p.Signals[0].Decimals == -1
		}},
		{"signals: [{name: s, type: string, values: [a, b], anomalies: [stuck, dropout]}]", func(p *profiles.Profile) bool {
			s, ok := p.Signal("s")
			return ok && s.Type == models.KindString && len(s.Values) == 2 && len(s.Anomalies) == 2 &&
				s.Anomalies[0] == profiles.AnomalyStuck && s.Anomalies[1] == profiles.AnomalyDropout && s.Range == nil
		}},
		{"signals: [{name: x, type: float, range: [-1.5, 1e3], decimals: 2, noise: 0.1}]", func(p *profiles.Profile) bool {
			s, _ := p.Signal("x")
			return *s.Range == profiles.Range{Min: -1.5, Max: 1000} && s.Decimals == 2 && s.Noise == 0.1 && s.Line == 4
		}},
	}
	for _, tt := range tests {
		src := "name: v\ntopic: v/{device}\nencoding: line-protocol\n" + tt.yaml + "\n"
		p, err := profiles.Parse("v.yaml", []byte(src))
		if err != nil {
			t.Errorf("%s: %v", tt.yaml, err)
			continue
		}
		if !tt.check(p) {
			t.Errorf("%s: parsed to %+v", tt.yaml, p)
		}
	}
}

func TestBuiltin(t *testing.T) {
	ps, err := profiles.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		enc      profiles.Encoding
		priority models.Priority
		topic    string
		signals  int
	}{
		"line-protocol": {profiles.EncodingLineProtocol, models.PriorityNormal, "lp/{device}", 0},
		"json":          {profiles.EncodingJSON, models.PriorityNormal, "json/{device}/{stream}", 0},
		"passenger-car": {profiles.EncodingJSON, models.PriorityNormal, "vehicles/{device}/telemetry", 9},
		"heavy-truck":   {profiles.EncodingMsgpack, models.PriorityNormal, "trucks/{device}/j1939", 15},
		"ev-battery":    {profiles.EncodingJSON, models.PriorityHigh, "vehicles/{device}/bms", 9},
	}
	if len(ps) != len(want) {
		t.Errorf("got %d built-in profiles, want %d", len(ps), len(want))
	}
	for _, p := range ps {
		w, ok := want[p.Name]
		if !ok {
			t.Errorf("unexpected built-in %q", p.Name)
			continue
		}
		if p.Encoding != w.enc || p.Priority != w.priority || p.Topic != w.topic || len(p.Signals) != w.signals {
			t.Errorf("%s: encoding %s, priority %s, topic %s, %d signals; want %s, %s, %s, %d",
				p.Name, p.Encoding, p.Priority, p.Topic, len(p.Signals), w.enc, w.priority, w.topic, w.signals)
		}
		if !p.IsBuiltin() || !strings.HasPrefix(p.File, "builtin/") {
			t.Errorf("%s: IsBuiltin %v, File %q", p.Name, p.IsBuiltin(), p.File)
		}
		if p.Description == "" {
			t.Errorf("%s: no description", p.Name)
		}
		for _, s := range p.Signals {
			numeric := s.Type != models.KindBool && s.Type != models.KindString
			if numeric && (s.Range == nil || s.Unit == "" && s.Name != "gear" && s.Name != "current_gear") {
				t.Errorf("%s: signal %s lacks a range or unit", p.Name, s.Name)
			}
			if s.Description == "" || s.RateHz <= 0 {
				t.Errorf("%s: signal %s lacks a description or rate", p.Name, s.Name)
			}
		}
	}
	if _, err := profiles.NewSet(ps...); err != nil {
		t.Fatalf("built-ins do not form a set: %v", err)
	}
}

func TestLoadDir(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("b.yaml", "name: bee\ntopic: b/{device}\nencoding: line-protocol\n")
	write("a.yml", "name: ay\ntopic: a/{device}\nencoding: line-protocol\n")
	write("notes.txt", "not a profile")
	write(".hidden.yaml", "not: [a profile")
	if err := os.Mkdir(filepath.Join(dir, "sub.yaml"), 0o755); err != nil {
		t.Fatal(err)
	}
	ps, err := profiles.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 || ps[0].Name != "ay" || ps[1].Name != "bee" {
		t.Fatalf("loaded %v", ps)
	}
	if ps[0].File != filepath.Join(dir, "a.yml") || ps[0].IsBuiltin() {
		t.Errorf("File = %q, builtin %v", ps[0].File, ps[0].IsBuiltin())
	}

	write("c.yaml", "name: c\ntopic: c/{device}\nencoding: xml\n")
	write("d.yaml", "name: d\ntopic: d/{device}\nencodin: json\n")
	_, err = profiles.LoadDir(dir)
	problems := profiles.Problems(err)
	if len(problems) != 3 {
		t.Fatalf("want 3 problems over two files, got %v", err)
	}
	if problems[0].File != filepath.Join(dir, "c.yaml") || problems[1].File != filepath.Join(dir, "d.yaml") {
		t.Errorf("problems name files %q, %q", problems[0].File, problems[1].File)
	}

	if _, err := profiles.LoadDir(filepath.Join(dir, "missing")); err == nil {
		t.Error("LoadDir of a missing folder succeeded")
	}
}

func TestLoadDirTooLarge(t *testing.T) {
	dir := t.TempDir()
	big := "name: big\ntopic: b/{device}\nencoding: line-protocol\ndescription: " + strings.Repeat("x", profiles.MaxFileSize) + "\n"
	if err := os.WriteFile(filepath.Join(dir, "big.yaml"), []byte(big), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := profiles.LoadDir(dir)
	if err == nil || !strings.Contains(err.Error(), "larger than 1MiB") {
		t.Errorf("got %v, want a size error", err)
	}
}

func TestLoadSet(t *testing.T) {
	builtin, err := profiles.LoadSet("")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(builtin.Profiles()); n != 5 {
		t.Errorf("LoadSet(\"\") has %d profiles, want the 5 built-ins", n)
	}

	dir := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("reefer.yaml", "name: reefer\ntopic: reefer/{device}\nencoding: json\nstream: reefer\n")
	write("lp.yaml", "name: line-protocol\ntopic: mylp/{device}\nencoding: line-protocol\n")
	set, err := profiles.LoadSet(dir)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(set.Profiles()); n != 6 {
		t.Errorf("got %d profiles, want 6", n)
	}
	if p, ok := set.Get("line-protocol"); !ok || p.IsBuiltin() || p.Topic != "mylp/{device}" {
		t.Errorf("line-protocol not replaced by the loaded one: %+v", p)
	}
	if _, ok := set.Get("reefer"); !ok {
		t.Error("reefer not loaded")
	}

	write("dup.yaml", "name: reefer\ntopic: other/{device}\nencoding: json\nstream: reefer\n")
	if _, err := profiles.LoadSet(dir); !errors.Is(err, profiles.ErrDuplicateProfile) {
		t.Errorf("duplicate name: got %v, want ErrDuplicateProfile", err)
	}
	write("dup.yaml", "name: bad\ntopic: x/{device}\nencodin: json\n")
	if _, err := profiles.LoadSet(dir); len(profiles.Problems(err)) == 0 {
		t.Errorf("bad file: got %v, want validation problems", err)
	}
	if _, err := profiles.LoadSet(filepath.Join(dir, "missing")); err == nil {
		t.Error("LoadSet of a missing folder succeeded")
	}
}
