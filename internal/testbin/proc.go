package testbin

import (
	"context"
	"net/http"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// termTimeout is how long Term waits for the process to exit.
const termTimeout = 60 * time.Second

// maxLoggedOutput is how much of a process's output, from the end, is
// logged when its test fails.
const maxLoggedOutput = 20000

// Proc is a binary running as a subprocess of a test.
type Proc struct {
	t      testing.TB
	name   string
	cmd    *exec.Cmd
	out    *Buffer
	exited chan struct{}
}

// Start starts bin with args through Command, with its stdout and stderr
// collected for Output. name labels the process in failure messages. When
// the test ends the process is killed and, if the test failed, the end of
// its output is logged.
func Start(t testing.TB, name, bin string, args ...string) *Proc {
	t.Helper()
	p := &Proc{t: t, name: name, out: &Buffer{}, exited: make(chan struct{})}
	p.cmd = Command(context.Background(), bin, args...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.exited
		if t.Failed() {
			out := p.out.String()
			if len(out) > maxLoggedOutput {
				out = "...\n" + out[len(out)-maxLoggedOutput:]
			}
			t.Logf("%s output:\n%s", name, out)
		}
	})
	return p
}

// Kill sends SIGKILL and waits for the process to exit.
func (p *Proc) Kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

// Term sends SIGTERM, waits up to 60s for the process to exit (failing the
// test if it does not), and returns its exit code.
func (p *Proc) Term() int {
	p.t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(termTimeout):
		p.t.Fatalf("%s did not stop within %v of SIGTERM", p.name, termTimeout)
	}
	return p.cmd.ProcessState.ExitCode()
}

// WaitHTTP polls url until it answers 200 OK. It fails the test if the
// process exits first or timeout passes.
func (p *Proc) WaitHTTP(url string, timeout time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-p.exited:
			p.t.Fatalf("%s exited with %d before it was ready:\n%s", p.name, p.cmd.ProcessState.ExitCode(), p.out.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s not ready after %v:\n%s", p.name, timeout, p.out.String())
		}
	}
}

// Output returns the process's stdout and stderr so far.
func (p *Proc) Output() string { return p.out.String() }
