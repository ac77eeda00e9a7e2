package main_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/tributary-iot/tributary/internal/testbin"
)

// binary is the cloud-core built for these tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "cloud-core-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "cloud-core")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	if err := goleak.Find(); err != nil && code == 0 {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}

// core is one running cloud-core process.
type core struct {
	cmd  *exec.Cmd
	url  string
	log  *testbin.Buffer
	done chan error
}

var listenRE = regexp.MustCompile(`msg="http api listening" addr=(\S+)`)

// startCore runs cloud-core on dataDir and waits until its HTTP API listens.
func startCore(t *testing.T, dataDir string, extra ...string) *core {
	t.Helper()
	args := append([]string{"--data-dir", dataDir, "--http-listen", "127.0.0.1:0", "--nats-listen", "", "--mqtt-listen", "", "--insecure"}, extra...)
	cmd := exec.Command(binary, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &core{cmd: cmd, log: &testbin.Buffer{}, done: make(chan error, 1)}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(c.log, line)
			if m := listenRE.FindStringSubmatch(line); m != nil {
				addr <- m[1]
			}
		}
		c.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-c.done
		}
		if t.Failed() {
			t.Logf("cloud-core log:\n%s", c.log)
		}
	})
	select {
	case a := <-addr:
		c.url = "http://" + a
	case err := <-c.done:
		t.Fatalf("cloud-core exited at start: %v\n%s", err, c.log)
	case <-time.After(30 * time.Second):
		t.Fatalf("cloud-core did not start\n%s", c.log)
	}
	return c
}

// stop sends sig and returns the exit code.
func (c *core) stop(t *testing.T, sig syscall.Signal) int {
	t.Helper()
	if err := c.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("cloud-core did not stop on %v", sig)
	}
	return c.cmd.ProcessState.ExitCode()
}

var client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

func post(url, body string) (int, string, error) {
	resp, err := client.Post(url, "application/x-ndjson", strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

func TestBadFlagsExitTwoWithOneLine(t *testing.T) {
	for _, args := range [][]string{
		{"--bogus"},
		{"--tier2", "s3://bucket/prefix"},
		{"--tier2", "ftp://x"},
		{"--tier-after", "soon"},
		{"--tier-after", "-1s"},
		{"--http-listen", "8080"},
		{"--nats-listen", "nowhere"},
		{"--fsync", "sometimes"},
		{"--data-dir", ""},
		{"extra-argument"},
	} {
		cmd := exec.Command(binary, args...)
		cmd.Dir = t.TempDir() // a run that got past the flags would write here
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		code := -1
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
		if code != 2 || len(lines) != 1 || lines[0] == "" {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line", args, code, stderr.String())
		}
	}
}

func TestSIGTERMStopsGracefullyAndDataSurvives(t *testing.T) {
	dir := t.TempDir()
	c := startCore(t, dir)
	body := points("gw.normal", 1, 20)
	if status, resp, err := post(c.url+"/v1/streams/vt/points", body); err != nil || status != 200 {
		t.Fatalf("write: %d %s %v", status, resp, err)
	}
	// An open tail does not hold the shutdown up: it ends with a cut
	// line and an error line that says why.
	resp, err := client.Get(c.url + "/v1/streams/vt/tail?from=start")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	if _, err := br.ReadString('\n'); err != nil { // the first cut: the tail runs
		t.Fatal(err)
	}
	if code := c.stop(t, syscall.SIGTERM); code != 0 {
		t.Fatalf("exit code %d after SIGTERM", code)
	}
	rest, err := io.ReadAll(br)
	lines := strings.Split(strings.TrimSpace(string(rest)), "\n")
	if err != nil || len(lines) < 2 || !strings.HasPrefix(lines[len(lines)-2], `{"cut":`) || !strings.Contains(lines[len(lines)-1], "shutting down") {
		t.Fatalf("tail after SIGTERM: %v, ends with %q", err, lines[max(0, len(lines)-2):])
	}
	c = startCore(t, dir)
	got := readAll(t, c.url, "vt")
	if len(got) != 20 {
		t.Fatalf("read %d points after restart, want 20", len(got))
	}
	if code := c.stop(t, syscall.SIGTERM); code != 0 {
		t.Fatalf("exit code %d after SIGTERM", code)
	}
}

// points returns NDJSON lines of writer's seqs first..last.
func points(writer string, first, last uint64) string {
	var sb strings.Builder
	agent := writer[:strings.IndexByte(writer, '.')]
	for s := first; s <= last; s++ {
		fmt.Fprintf(&sb, `{"writer":%q,"seq":%d,"device":"%s-d%d","time":%d,"fields":{"v":%d}}`+"\n",
			writer, s, agent, s%5, 1795608000000000000+int64(s)*1e6, s)
	}
	return sb.String()
}

type readPoint struct {
	Device string `json:"device"`
	Agent  string `json:"agent"`
	Seq    uint64 `json:"seq"`
	Time   string `json:"time"`
}

func readAll(t *testing.T, url, stream string) []readPoint {
	t.Helper()
	resp, err := client.Get(url + "/v1/streams/" + stream + "/events?format=ndjson")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("events: %d %s", resp.StatusCode, b)
	}
	var out []readPoint
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		var p readPoint
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil || p.Agent == "" {
			t.Fatalf("event line %q: %v", sc.Text(), err)
		}
		out = append(out, p)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestKill9LosesNoAckAndDoublesNothing appends from several writers while
// cloud-core is killed with SIGKILL at random moments (tiering runs by age
// and on demand all along), restarted, and the writers retry their
// unacknowledged batch as is. At the end every acknowledged point must be
// readable exactly once, and no point may appear twice.
func TestKill9LosesNoAckAndDoublesNothing(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 42))
	dir := t.TempDir()
	const (
		writers   = 4
		batchSize = 40
		rounds    = 6
	)
	var (
		url   atomic.Pointer[string] // nil while cloud-core is down
		acked [writers]atomic.Uint64 // seqs 1..acked[i] of writer i are acknowledged
		wg    sync.WaitGroup
	)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	writerID := func(i int) string { return fmt.Sprintf("gw-%d.normal", i) }
	for i := range writers {
		wg.Go(func() {
			next := uint64(1)
			for ctx.Err() == nil {
				u := url.Load()
				if u == nil {
					time.Sleep(5 * time.Millisecond) // polling for the restart
					continue
				}
				status, body, err := post(*u+"/v1/streams/vt/points", points(writerID(i), next, next+batchSize-1))
				if err != nil || status != 200 {
					if err == nil && status != 500 {
						t.Errorf("writer %d: %d %s", i, status, body)
						return
					}
					continue // retry the same batch
				}
				acked[i].Store(next + batchSize - 1)
				next += batchSize
			}
		})
	}
	wg.Go(func() {
		for ctx.Err() == nil {
			if u := url.Load(); u != nil {
				_, _, _ = post(*u+"/v1/streams/vt/tier", "")
			}
			time.Sleep(time.Duration(rand.IntN(50)) * time.Millisecond)
		}
	})
	var kills int
	for round := range rounds {
		c := startCore(t, dir, "--tier-after", "100ms")
		u := c.url
		url.Store(&u)
		time.Sleep(time.Duration(200+rng.IntN(600)) * time.Millisecond) // let it work: the kill lands at a random moment
		url.Store(nil)
		if round < rounds-1 {
			c.stop(t, syscall.SIGKILL)
			kills++
			continue
		}
		// Last round: stop the writers (each finishes or abandons its
		// batch) and read everything.
		url.Store(&u)
		cancel()
		wg.Wait()
		got := readAll(t, c.url, "vt")
		seen := map[string]bool{}
		lastSeq := map[string]uint64{}
		for _, p := range got {
			k := fmt.Sprintf("%s/%d", p.Agent, p.Seq)
			if seen[k] {
				t.Errorf("point %s read twice", k)
			}
			seen[k] = true
			if p.Seq <= lastSeq[p.Device] {
				t.Errorf("device %s out of order: %d after %d", p.Device, p.Seq, lastSeq[p.Device])
			}
			lastSeq[p.Device] = p.Seq
		}
		var total uint64
		for i := range writers {
			a := acked[i].Load()
			total += a
			for s := uint64(1); s <= a; s++ {
				if k := fmt.Sprintf("gw-%d/%d", i, s); !seen[k] {
					t.Errorf("acknowledged point %s lost", k)
				}
			}
		}
		t.Logf("%d kills; %d points acknowledged, %d read", kills, total, len(got))
		if total == 0 {
			t.Error("no point was acknowledged: the test did not exercise anything")
		}
		if code := c.stop(t, syscall.SIGTERM); code != 0 {
			t.Errorf("exit code %d after SIGTERM", code)
		}
	}
}
