package main

import (
	"bytes"
	"strings"
	"testing"
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
