package profiles_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	profiles "github.com/tributary-iot/tributary/firmware-profiles"
	"github.com/tributary-iot/tributary/models"
)

// codeBlock returns the first fenced block of the given language in md.
func codeBlock(t *testing.T, md, lang string) string {
	t.Helper()
	_, rest, ok := strings.Cut(md, "```"+lang+"\n")
	if !ok {
		t.Fatalf("README has no %s block", lang)
	}
	block, _, _ := strings.Cut(rest, "```")
	return block
}

// TestReadmeExample keeps the full example in README.md valid, complete
// and decoding as the README says.
func TestReadmeExample(t *testing.T) {
	md, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	src := codeBlock(t, string(md), "yaml")
	p, err := profiles.Parse("README.md", []byte(src))
	if err != nil {
		t.Fatal(err)
	}

	// The example shows every key.
	var raw struct {
		Top     map[string]any   `yaml:",inline"`
		Signals []map[string]any `yaml:"signals"`
	}
	if err := yaml.Unmarshal([]byte(src), &raw); err != nil {
		t.Fatal(err)
	}
	top := []string{"signals"}
	for k := range raw.Top {
		top = append(top, k)
	}
	var sig []string
	for _, s := range raw.Signals {
		for k := range s {
			if !slices.Contains(sig, k) {
				sig = append(sig, k)
			}
		}
	}
	slices.Sort(top)
	slices.Sort(sig)
	if want := []string{"description", "device_tag", "encoding", "max_payload", "name", "priority", "rate_hz", "signals", "stream", "tags", "timestamps", "topic"}; !slices.Equal(top, want) {
		t.Errorf("example's keys %q, want %q", top, want)
	}
	if want := []string{"anomalies", "decimals", "description", "name", "noise", "range", "rate_hz", "type", "unit", "values"}; !slices.Equal(sig, want) {
		t.Errorf("example's signal keys %q, want %q", sig, want)
	}

	set, err := profiles.NewSet(p)
	if err != nil {
		t.Fatal(err)
	}
	data := strings.TrimSpace(codeBlock(t, string(md), "json"))
	pts, _, err := set.Decode(nil, "reefer/trl-0042/telemetry", []byte(data), recv)
	if err != nil {
		t.Fatal(err)
	}
	pt := pts[0]
	if len(pts) != 1 || pt.Device != "trl-0042" || pt.Stream != "reefer-telemetry" {
		t.Fatalf("decoded %+v", pts)
	}
	for key, want := range map[string]models.Value{
		"box_temp_c": models.Float(-18.2), "setpoint_c": models.Int(-18), "door_open": models.Bool(false),
		"unit_mode": models.String("cooling"), "fuel_pct": models.Float(71),
	} {
		if got, _ := pt.Field(key); got != want {
			t.Errorf("%s = %s %v, want %s %v", key, got.Kind(), got, want.Kind(), want)
		}
	}
}
