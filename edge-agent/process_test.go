package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tributary-iot/tributary/internal/testbin"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testbin.Cleanup()
	os.Exit(code)
}

// agentProc is a running edge-agent binary.
type agentProc struct {
	*testbin.Proc
	t       *testing.T
	mqtt    string // host:port of the embedded broker
	http    string // host:port of the HTTP endpoints
	dataDir string
}

// startAgent runs the agent binary on dataDir with the given extra flags
// and waits until its HTTP endpoint answers.
func startAgent(t *testing.T, bin, dataDir string, extra ...string) *agentProc {
	t.Helper()
	p := &agentProc{t: t, dataDir: dataDir, http: testbin.FreeAddr(t)}
	args := []string{"--data-dir", dataDir, "--http-listen", p.http, "--agent-id", "gw-test", "--log-level", "debug"}
	if !hasFlag(extra, "--mqtt-broker") {
		p.mqtt = testbin.FreeAddr(t)
		args = append(args, "--mqtt-listen", p.mqtt)
	}
	p.Proc = testbin.Start(t, "agent", bin, append(args, extra...)...)
	p.WaitHTTP("http://"+p.http+"/healthz", 60*time.Second)
	return p
}

func hasFlag(args []string, name string) bool {
	for _, a := range args {
		if a == name || strings.HasPrefix(a, name+"=") {
			return true
		}
	}
	return false
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

// buildAgent builds the agent binary (once per test process: testbin.Build
// memoizes it).
func buildAgent(t *testing.T) string {
	t.Helper()
	return testbin.Build(t, "./edge-agent")
}

func dataDir(t *testing.T) string {
	d := filepath.Join(t.TempDir(), "edge")
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	return d
}
