package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tributary-iot/tributary/bench/report"
)

func TestBadFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{nil, "--bin is required"},
		{[]string{"--bin", "x", "--profiler", "magic"}, "--profiler"},
		{[]string{"--bin", "x", "--log-level", "loud"}, "--log-level"},
		{[]string{"--bin", "x", "extra"}, "unexpected argument"},
		{[]string{"--nope"}, "flag provided but not defined"},
	}
	for _, tc := range tests {
		var out, errb bytes.Buffer
		if code := run(tc.args, &out, &errb); code != 2 {
			t.Errorf("run(%q) = %d, want 2", tc.args, code)
		}
		if !strings.Contains(errb.String(), tc.want) || strings.Count(errb.String(), "\n") != 1 {
			t.Errorf("run(%q): stderr %q, want one line with %q", tc.args, errb.String(), tc.want)
		}
	}
}

func TestRender(t *testing.T) {
	dir := t.TempDir()
	rep := &report.Report{Version: report.Version, Figures: []report.Figure{
		report.NewFigure("k", "a figure", 2, "B", "a baseline", 4, report.Lower, ""),
	}}
	b, err := rep.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "latest.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	var errb bytes.Buffer
	if code := run([]string{"render", "--out", dir}, io.Discard, &errb); code != 0 {
		t.Fatalf("render = %d: %s", code, errb.String())
	}
	md, err := os.ReadFile(filepath.Join(dir, "latest.md"))
	if err != nil || !strings.Contains(string(md), "| a figure | 2.00 B | a baseline | 4.00 B | 0.50x (lower is better) |") {
		t.Errorf("latest.md: %v\n%s", err, md)
	}
	if _, err := os.Stat(filepath.Join(dir, "latest.svg")); err != nil {
		t.Error(err)
	}
}
