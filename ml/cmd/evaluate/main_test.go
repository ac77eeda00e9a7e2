package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tributary-iot/tributary/ml/internal/cmdtest"
)

func TestBadFlags(t *testing.T) {
	// A truth file that exists and an API that refuses at once: only the
	// fault each case adds makes the command line bad.
	truth := filepath.Join(t.TempDir(), "truth.jsonl")
	if err := os.WriteFile(truth, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cmdtest.BadFlags(t, "evaluate", run, "--truth", truth, "--api", "http://127.0.0.1:1")
}
