// Package testbin helps tests run the project's real binaries as
// subprocesses: it builds a main package once per test process for the
// architecture the tests run on (Build, Cleanup), runs it (through an
// emulator when the tests themselves run under one) with its lifecycle tied
// to the test (Start, Proc), and finds free loopback ports.
//
// When tests run as foreign-architecture binaries under qemu-user
// (`GOARCH=arm64 go test -exec qemu-aarch64`), the subprocess must run under
// the same emulator: set TRIBUTARY_TEST_EXEC to it (the Makefile does).
package testbin

import (
	"bytes"
	"context"
	"fmt"
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
// from the module root) and returns the binary's path. Each pkg is built
// once per test process, on first use, into a directory shared by all tests
// of the process; later calls (from any test or goroutine) return the same
// binary, or fail with the first build's error. Call Cleanup from TestMain
// to remove the directory; without it, it is left in os.TempDir().
// GOOS/GOARCH/GOARM from the environment at the first call apply, so under
// emulation the binary matches the tests.
func Build(t testing.TB, pkg string) string {
	t.Helper()
	b, err := builds.get(pkg)
	if err != nil {
		t.Fatal(err)
	}
	b.once.Do(func() { b.path, b.err = build(pkg, b.dir) })
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

// Cleanup removes the binaries Build made. Call it from TestMain after
// m.Run; a later Build builds afresh.
func Cleanup() {
	builds.mu.Lock()
	defer builds.mu.Unlock()
	if builds.dir != "" {
		_ = os.RemoveAll(builds.dir)
	}
	builds.dir, builds.bins = "", nil
}

// builds memoizes Build for the test process: the binaries are the same for
// every test, and building them dominates the cost of a short test.
var builds buildCache

// buildCache holds one binary per package path, in one temporary directory.
type buildCache struct {
	// mu guards dir and bins; each binary's build is guarded by its once.
	mu   sync.Mutex
	dir  string
	bins map[string]*binary
}

// binary is one package's build: path and err are set by once.
type binary struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// get returns pkg's entry, creating the cache directory and the entry's
// own subdirectory (packages may share a base name) on first use.
func (c *buildCache) get(pkg string) (*binary, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if b, ok := c.bins[pkg]; ok {
		return b, nil
	}
	if c.dir == "" {
		dir, err := os.MkdirTemp("", "testbin-")
		if err != nil {
			return nil, fmt.Errorf("build %s: %w", pkg, err)
		}
		c.dir, c.bins = dir, map[string]*binary{}
	}
	dir, err := os.MkdirTemp(c.dir, "bin-")
	if err != nil {
		return nil, fmt.Errorf("build %s: %w", pkg, err)
	}
	b := &binary{dir: dir}
	c.bins[pkg] = b
	return b, nil
}

// build runs go build for pkg from the module root, with its output in dir.
func build(pkg, dir string) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", fmt.Errorf("find module root: %w", err)
	}
	out := filepath.Join(dir, filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %w\n%s", pkg, err, b)
	}
	return out, nil
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
