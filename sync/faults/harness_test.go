package faults_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/tributary-iot/tributary/internal/testbin"
)

// bins are the binaries under test; testbin.Build builds each once per
// test process.
type bins struct{ cloud, agent string }

func build(t *testing.T) bins {
	t.Helper()
	return bins{cloud: testbin.Build(t, "./cloud-core"), agent: testbin.Build(t, "./edge-agent")}
}

func TestMain(m *testing.M) {
	code := m.Run()
	testbin.Cleanup()
	os.Exit(code)
}

// cloud is a cloud-core process with fixed ports and data dir, restartable.
type cloud struct {
	t     *testing.T
	bin   string
	dir   string
	nats  string
	http  string
	p     *testbin.Proc
	token string
	extra []string
}

func newCloud(t *testing.T, bin string, extra ...string) *cloud {
	return &cloud{t: t, bin: bin, dir: filepath.Join(t.TempDir(), "cloud"), nats: testbin.FreeAddr(t), http: testbin.FreeAddr(t), extra: extra}
}

func (c *cloud) start() {
	c.t.Helper()
	args := append([]string{"--data-dir", c.dir, "--nats-listen", c.nats, "--http-listen", c.http, "--mqtt-listen", "", "--log-level", "debug"}, c.extra...)
	c.p = testbin.Start(c.t, "cloud-core", c.bin, args...)
	c.p.WaitHTTP("http://"+c.http+"/healthz", 90*time.Second)
	if c.token == "" {
		c.token = strings.TrimSpace(string(c.run("tokens", "add", "faults", "--streams", "*")))
	}
}

// run runs a cloud-core subcommand on the data dir and returns its stdout.
func (c *cloud) run(args ...string) []byte {
	c.t.Helper()
	cmd := testbin.Command(context.Background(), c.bin, append(args, "--data-dir", c.dir)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		c.t.Fatalf("cloud-core %v: %v\n%s", args, err, stderr.String())
	}
	return out
}

// creds issues credentials for agent and returns the file's path.
func (c *cloud) creds(agent string) string {
	c.t.Helper()
	p := filepath.Join(c.t.TempDir(), agent+".creds")
	if err := os.WriteFile(p, c.run("agents", "add", agent), 0o600); err != nil {
		c.t.Fatal(err)
	}
	return p
}

func (c *cloud) get(path string) (*http.Response, error) {
	req, _ := http.NewRequest(http.MethodGet, "http://"+c.http+path, nil)
	req.Header.Set("Authorization", "Bearer "+c.token)
	return http.DefaultClient.Do(req)
}

// cloudPoint is a point as the read API returns it.
type cloudPoint struct {
	Device string             `json:"device"`
	Stream string             `json:"stream"`
	Fields map[string]float64 `json:"fields"`
	Agent  string             `json:"agent"`
	Seq    uint64             `json:"seq"`
}

// events reads every point of stream.
func (c *cloud) events(stream string) []cloudPoint {
	c.t.Helper()
	resp, err := c.get("/v1/streams/" + stream + "/events?format=ndjson")
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		c.t.Fatalf("events: %s: %s", resp.Status, b)
	}
	var out []cloudPoint
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var p cloudPoint
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			c.t.Fatalf("events line %q: %v", sc.Text(), err)
		}
		out = append(out, p)
	}
	if err := sc.Err(); err != nil {
		c.t.Fatal(err)
	}
	return out
}

// agent is an edge-agent process, restartable on the same data dir.
type agent struct {
	t     *testing.T
	bin   string
	dir   string
	mqtt  string
	http  string
	p     *testbin.Proc
	flags []string
}

func newAgent(t *testing.T, bin string, flags ...string) *agent {
	return &agent{t: t, bin: bin, dir: filepath.Join(t.TempDir(), "edge"), mqtt: testbin.FreeAddr(t), http: testbin.FreeAddr(t), flags: flags}
}

func (a *agent) start() {
	a.t.Helper()
	args := append([]string{"--data-dir", a.dir, "--mqtt-listen", a.mqtt, "--http-listen", a.http,
		"--uplink-linger", "20ms", "--uplink-batch", "500", "--log-level", "debug"}, a.flags...)
	a.p = testbin.Start(a.t, "edge-agent", a.bin, args...)
	a.p.WaitHTTP("http://"+a.http+"/healthz", 90*time.Second)
}

type agentStatus struct {
	PointsBuffered int64  `json:"points_buffered"`
	PointsDropped  int64  `json:"points_dropped"`
	PointsSynced   int64  `json:"points_synced"`
	Cloud          string `json:"cloud"`
	CloudError     string `json:"cloud_error"`
}

func (a *agent) status() agentStatus {
	a.t.Helper()
	resp, err := http.Get("http://" + a.http + "/v1/status")
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	var s agentStatus
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		a.t.Fatal(err)
	}
	return s
}

func (a *agent) waitSynced(timeout time.Duration) agentStatus {
	a.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		s := a.status()
		if s.PointsBuffered == 0 && s.Cloud == "connected" {
			return s
		}
		if time.Now().After(deadline) {
			a.t.Fatalf("agent not synced after %v: %+v", timeout, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// publisher publishes numbered points with QoS 1 and remembers which were acked.
type publisher struct {
	t       *testing.T
	devices int
	next    int
	acked   map[int]bool
}

func newPublisher(t *testing.T, devices int) *publisher {
	return &publisher{t: t, devices: devices, acked: map[int]bool{}}
}

// publish sends n points to the agent at broker, one message each, and
// returns how many were acknowledged (a killed agent stops acking).
func (p *publisher) publish(broker string, n int) int {
	p.t.Helper()
	c := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + broker).SetClientID(fmt.Sprintf("pub-%d", p.next)).
		SetAutoReconnect(false).SetConnectTimeout(5 * time.Second).SetWriteTimeout(5 * time.Second))
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		return 0
	}
	defer c.Disconnect(0)
	type sent struct {
		i   int
		tok paho.Token
	}
	var toks []sent
	for k := 0; k < n; k++ {
		i := p.next
		p.next++
		line := fmt.Sprintf("telemetry v=%di %d\n", i, time.Now().UnixNano())
		toks = append(toks, sent{i, c.Publish(fmt.Sprintf("lp/dev-%d", i%p.devices), 1, false, line)})
	}
	acked := 0
	for _, s := range toks {
		if s.tok.WaitTimeout(10*time.Second) && s.tok.Error() == nil {
			p.acked[s.i] = true
			acked++
		}
	}
	return acked
}

// check verifies the cloud holds every acked point exactly once (except
// the `dropped` ones the agent's policy dropped, which must be missing),
// no point it never acked, each (agent, seq) once, and per-device order.
func check(t *testing.T, pts []cloudPoint, pub *publisher, dropped int) {
	t.Helper()
	count := map[int]int{}
	seqs := map[string]bool{}
	last := map[string]uint64{}
	for _, p := range pts {
		v := int(p.Fields["v"])
		count[v]++
		key := fmt.Sprintf("%s/%d", p.Agent, p.Seq)
		if seqs[key] {
			t.Errorf("(agent, seq) %s twice", key)
		}
		seqs[key] = true
		if p.Seq <= last[p.Device] {
			t.Errorf("device %s out of order: seq %d after %d", p.Device, p.Seq, last[p.Device])
		}
		last[p.Device] = p.Seq
	}
	missing := 0
	for i := range pub.acked {
		switch count[i] {
		case 0:
			missing++
		case 1:
		default:
			t.Errorf("point %d arrived %d times", i, count[i])
		}
	}
	for v, n := range count {
		if n > 0 && !pub.acked[v] && v >= pub.next {
			t.Errorf("point %d was never published", v)
		}
	}
	if missing != dropped {
		t.Errorf("%d acked points missing, want %d (the ones the agent dropped by policy)", missing, dropped)
	}
	t.Logf("%d points in the cloud, %d acked by the agent, %d dropped by policy", len(pts), len(pub.acked), dropped)
}

// proxy forwards TCP to a target and can cut every connection.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  []net.Conn
	down   bool
}

func newProxy(t *testing.T, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target}
	go p.serve()
	t.Cleanup(func() { ln.Close(); p.cut(true) })
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.down {
			p.mu.Unlock()
			c.Close()
			continue
		}
		u, err := net.Dial("tcp", p.target)
		if err != nil {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.conns = append(p.conns, c, u)
		p.mu.Unlock()
		go func() { _, _ = io.Copy(u, c); u.Close() }()
		go func() { _, _ = io.Copy(c, u); c.Close() }()
	}
}

// cut drops every connection; with down, new ones are refused until restore.
func (p *proxy) cut(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *proxy) restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = false
}
