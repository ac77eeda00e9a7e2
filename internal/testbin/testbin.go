// Package testbin helps tests run the project's real binaries as
// subprocesses: it builds a main package for the architecture the tests run
// on, starts it (through an emulator when the tests themselves run under
// one), and finds free loopback ports.
//
// When tests run as foreign-architecture binaries under qemu-user
// (`GOARCH=arm64 go test -exec qemu-aarch64`), the subprocess must run under
// the same emulator: set TRIBUTARY_TEST_EXEC to it (the Makefile does).
package testbin

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// ExecEnv names the environment variable holding the emulator command (and
// its arguments) that subprocesses run under, e.g. "qemu-aarch64".
const ExecEnv = "TRIBUTARY_TEST_EXEC"

// Build compiles the main package pkg (an import path or ./relative path
// from the module root) into a temporary directory and returns the binary's
// path. GOOS/GOARCH/GOARM from the environment apply, so under emulation
// the binary matches the tests.
func Build(t testing.TB, pkg string) string {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatalf("find module root: %v", err)
	}
	out := filepath.Join(t.TempDir(), filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
	return out
}

// Command returns a command that runs bin with args, under the emulator in
// $TRIBUTARY_TEST_EXEC when set.
func Command(ctx context.Context, bin string, args ...string) *exec.Cmd {
	if wrap := strings.Fields(os.Getenv(ExecEnv)); len(wrap) > 0 {
		return exec.CommandContext(ctx, wrap[0], append(append(wrap[1:], bin), args...)...)
	}
	return exec.CommandContext(ctx, bin, args...)
}

// FreeAddr returns a loopback TCP address that was free a moment ago.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().String()
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", os.ErrNotExist
		}
		dir = parent
	}
}

// Buffer is a bytes.Buffer safe for concurrent use: a subprocess's output
// goes in while the test reads it.
type Buffer struct {
	// mu guards b.
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns everything written so far.
func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
