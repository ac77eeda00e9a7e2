package main_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tributary-iot/tributary/internal/testbin"
)

// agentProc is a running edge-agent binary.
type agentProc struct {
	t        *testing.T
	cmd      *exec.Cmd
	mqtt     string // host:port of the embedded broker
	http     string // host:port of the HTTP endpoints
	dataDir  string
	stderr   *testbin.Buffer
	exited   chan struct{}
	exitCode int
}

// startAgent runs the agent binary on dataDir with the given extra flags
// and waits until its HTTP endpoint answers.
func startAgent(t *testing.T, bin, dataDir string, extra ...string) *agentProc {
	t.Helper()
	p := &agentProc{t: t, dataDir: dataDir, http: testbin.FreeAddr(t), stderr: &testbin.Buffer{}, exited: make(chan struct{})}
	args := []string{"--data-dir", dataDir, "--http-listen", p.http, "--agent-id", "gw-test", "--log-level", "debug"}
	if !hasFlag(extra, "--mqtt-broker") {
		p.mqtt = testbin.FreeAddr(t)
		args = append(args, "--mqtt-listen", p.mqtt)
	}
	p.cmd = testbin.Command(context.Background(), bin, append(args, extra...)...)
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start agent: %v", err)
	}
	go func() {
		_ = p.cmd.Wait()
		p.exitCode = p.cmd.ProcessState.ExitCode()
		close(p.exited)
	}()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.exited
		if t.Failed() {
			t.Logf("agent stderr:\n%s", p.stderr.String())
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get("http://" + p.http + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		select {
		case <-p.exited:
			t.Fatalf("agent exited with %d before it was ready:\n%s", p.exitCode, p.stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("agent not ready after 60s:\n%s", p.stderr.String())
		}
	}
}

func hasFlag(args []string, name string) bool {
	for _, a := range args {
		if a == name || strings.HasPrefix(a, name+"=") {
			return true
		}
	}
	return false
}

// kill sends SIGKILL and waits for the process to die.
func (p *agentProc) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

// stop sends SIGTERM and returns the exit code.
func (p *agentProc) stop() int {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(60 * time.Second):
		p.t.Fatalf("agent did not stop within 60s of SIGTERM")
	}
	return p.exitCode
}

type status struct {
	AgentID        string     `json:"agent_id"`
	PointsBuffered int64      `json:"points_buffered"`
	BytesBuffered  int64      `json:"bytes_buffered"`
	PointsDropped  int64      `json:"points_dropped"`
	DeadLetters    int64      `json:"dead_letters"`
	PointsSynced   int64      `json:"points_synced"`
	OldestUnsynced *time.Time `json:"oldest_unsynced"`
	Cloud          string     `json:"cloud"`
	MQTT           struct {
		BrokerConnected *bool `json:"broker_connected"`
	} `json:"mqtt"`
	Log struct {
		FileBytes   int64  `json:"file_bytes"`
		RecoveredTo string `json:"recovered_to"`
	} `json:"log"`
}

func (p *agentProc) status() status {
	p.t.Helper()
	resp, err := http.Get("http://" + p.http + "/v1/status")
	if err != nil {
		p.t.Fatalf("GET /v1/status: %v", err)
	}
	defer resp.Body.Close()
	var s status
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		p.t.Fatalf("decode status: %v", err)
	}
	return s
}

// waitStatus polls /v1/status until ok returns true or the deadline passes.
func (p *agentProc) waitStatus(what string, ok func(status) bool) status {
	p.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		s := p.status()
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("timed out waiting for %s; last status %+v", what, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestBadFlagsExitTwoWithOneLine(t *testing.T) {
	bin := buildAgent(t)
	for _, args := range [][]string{{"--when-full", "explode"}, {"--max-buffer", "huge"}, {"--nope"}} {
		cmd := testbin.Command(context.Background(), bin, append(args, "--data-dir", t.TempDir())...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		if cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != 2 {
			t.Errorf("%v: exit %v, want 2", args, err)
		}
		lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
		if len(lines) != 1 || !strings.HasPrefix(lines[0], "edge-agent: ") {
			t.Errorf("%v: stderr is not one line: %q", args, stderr.String())
		}
	}
}

// buildAgent builds the agent binary once per test.
func buildAgent(t *testing.T) string {
	t.Helper()
	return testbin.Build(t, "./edge-agent")
}

// readAll reads every line of r; used for subprocess output.
func readAll(r io.Reader) []string {
	var out []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

func dataDir(t *testing.T) string {
	d := filepath.Join(t.TempDir(), "edge")
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	return d
}

func lpLine(device string, i int) string {
	return fmt.Sprintf("engine,device=%s rpm=%di,temp=%d.5 %d\n", device, i, i%100, time.Now().UnixNano())
}
