package procs_test

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tributary-iot/tributary/bench/procs"
)

func TestStartStop(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep command")
	}
	p, err := procs.Start("sleeper", filepath.Join(t.TempDir(), "log"), sleep, "60")
	if err != nil {
		t.Fatal(err)
	}
	if p.PID() <= 0 {
		t.Errorf("pid %d", p.PID())
	}
	if err := p.Stop(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Done():
	default:
		t.Error("Done not closed after Stop")
	}
}

func TestExitedOnItsOwn(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	log := filepath.Join(t.TempDir(), "log")
	p, err := procs.Start("failer", log, sh, "-c", "echo broken; exit 3")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Wait(context.Background()); err == nil {
		t.Fatal("Wait: no error for exit status 3")
	}
	if err := p.Stop(time.Second); !errors.Is(err, procs.ErrExited) {
		t.Errorf("Stop: %v, want ErrExited", err)
	}
	if b, _ := os.ReadFile(log); !strings.Contains(string(b), "broken") {
		t.Errorf("log %q lacks the output", b)
	}
}

func TestFreeAddr(t *testing.T) {
	addr, err := procs.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("address %s not usable: %v", addr, err)
	}
	l.Close()
}
