package procs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// ErrExited is returned by Stop when the process had already exited with
// an error before it was asked to stop.
var ErrExited = errors.New("process exited on its own")

// Proc is a running child process.
type Proc struct {
	Name string
	// LogPath holds the process's stdout and stderr.
	LogPath string
	cmd     *exec.Cmd
	log     *os.File
	done    chan struct{}
	// err is cmd.Wait's result; read it only after done is closed.
	err error
}

// Start starts bin with args; its output goes to logPath.
func Start(name, logPath, bin string, args ...string) (*Proc, error) {
	f, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &Proc{Name: name, LogPath: logPath, cmd: cmd, log: f, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	return p, nil
}

// PID returns the process id.
func (p *Proc) PID() int { return p.cmd.Process.Pid }

// Done is closed when the process has exited.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Wait waits for the process to exit and returns its exit error.
func (p *Proc) Wait(ctx context.Context) error {
	select {
	case <-p.done:
		if p.err != nil {
			return fmt.Errorf("%s: %w (log %s)", p.Name, p.err, p.LogPath)
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Stop sends SIGTERM and waits up to grace for the process to exit, then
// kills it. It returns ErrExited (wrapped) if the process had already
// died on its own with an error.
func (p *Proc) Stop(grace time.Duration) error {
	select {
	case <-p.done:
		if p.err != nil {
			return fmt.Errorf("%s: %w: %w (log %s)", p.Name, ErrExited, p.err, p.LogPath)
		}
		return nil
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return nil
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("%s did not stop within %v: killed", p.Name, grace)
	}
}

// CPUTime returns the user and system CPU time of an exited process.
func (p *Proc) CPUTime() time.Duration {
	select {
	case <-p.done:
	default:
		return 0
	}
	if st := p.cmd.ProcessState; st != nil {
		return st.UserTime() + st.SystemTime()
	}
	return 0
}

// Output runs bin with args and returns its stdout; stderr is in the error.
func Output(ctx context.Context, bin string, args ...string) ([]byte, error) {
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("%s %v: %w: %s", bin, args, err, bytes.TrimSpace(stderr.Bytes()))
	}
	return out, nil
}

// FreeAddr returns a loopback address with a port that was free a moment
// ago ("127.0.0.1:PORT").
func FreeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// WaitHTTP polls url until it answers 200, the process exits, or ctx ends.
func WaitHTTP(ctx context.Context, url string, p *Proc) error {
	c := &http.Client{Timeout: time.Second}
	return p.waitUntil(ctx, "wait for "+url, func() bool {
		resp, err := c.Get(url)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// WaitTCP polls addr until it accepts a TCP connection, the process exits,
// or ctx ends.
func WaitTCP(ctx context.Context, addr string, p *Proc) error {
	return p.waitUntil(ctx, p.Name+" not listening on "+addr, func() bool {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return false
		}
		c.Close()
		return true
	})
}

// waitUntil calls ready every 50 ms until it returns true, p exits, or
// ctx ends; what prefixes the error when ctx ends.
func (p *Proc) waitUntil(ctx context.Context, what string, ready func() bool) error {
	for !ready() {
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w", what, ctx.Err())
		case <-p.done:
			return fmt.Errorf("%s exited while starting: %v (log %s)", p.Name, p.err, p.LogPath)
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}
