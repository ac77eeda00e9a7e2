package main_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/tributary-iot/tributary/edge-agent/locallog"
	"github.com/tributary-iot/tributary/internal/testbin"
	"github.com/tributary-iot/tributary/models"
)

func connect(t *testing.T, broker, clientID string) paho.Client {
	t.Helper()
	c := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + broker).SetClientID(clientID).
		SetCleanSession(true).SetAutoReconnect(false).SetConnectTimeout(10 * time.Second))
	if tok := c.Connect(); !tok.WaitTimeout(30*time.Second) || tok.Error() != nil {
		t.Fatalf("connect to %s: %v", broker, tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(0) })
	return c
}

// readLog opens the agent's local log (the agent must be stopped) and
// returns every buffered point of every class.
func readLog(t *testing.T, dataDir string) []models.Point {
	t.Helper()
	ctx := context.Background()
	l, err := locallog.Open(ctx, locallog.Options{Path: filepath.Join(dataDir, "log.db"), Agent: "gw-test", MaxBytes: 1 << 30})
	if err != nil {
		t.Fatalf("open log: %v", err)
	}
	defer l.Close()
	var all []models.Point
	for _, class := range models.Priorities() {
		var after uint64
		for {
			pts, err := l.Read(ctx, class, after, 1000, 1<<20, nil)
			if err != nil {
				t.Fatalf("read log: %v", err)
			}
			if len(pts) == 0 {
				break
			}
			all = append(all, pts...)
			after = pts[len(pts)-1].Seq
		}
	}
	return all
}

// TestKillAfterLastAckLosesNothing publishes N messages with QoS 1 to the
// running agent, SIGKILLs it right after the last PUBACK, restarts it on the
// same data dir, and finds every one of the N points exactly once.
func TestKillAfterLastAckLosesNothing(t *testing.T) {
	bin := buildAgent(t)
	dir := dataDir(t)
	p := startAgent(t, bin, dir)

	const n = 600
	const devices = 6
	clients := make([]paho.Client, devices)
	for d := range clients {
		clients[d] = connect(t, p.mqtt, fmt.Sprintf("pub-%d", d))
	}
	// Each device publishes on its own connection, several messages in flight.
	toks := make([]paho.Token, 0, n)
	for i := 0; i < n; i++ {
		d := i % devices
		payload := fmt.Sprintf("engine rpm=%di,temp=%d.5 %d\n", i, i%100, time.Now().UnixNano())
		toks = append(toks, clients[d].Publish(fmt.Sprintf("lp/dev-%d", d), 1, false, payload))
	}
	for i, tok := range toks {
		if !tok.WaitTimeout(60*time.Second) || tok.Error() != nil {
			t.Fatalf("publish %d: not acknowledged: %v", i, tok.Error())
		}
	}
	p.Kill() // right after the last PUBACK

	p2 := startAgent(t, bin, dir)
	if s := p2.status(); s.PointsBuffered != n {
		t.Errorf("after restart: points_buffered = %d, want %d", s.PointsBuffered, n)
	}
	if code := p2.Term(); code != 0 {
		t.Fatalf("SIGTERM: exit %d, want 0\n%s", code, p2.Output())
	}
	seen := make(map[int64]int)
	lastByDevice := map[string]int64{}
	for _, pt := range readLog(t, dir) {
		v, ok := pt.Field("rpm")
		if !ok {
			t.Fatalf("point without rpm: %+v", pt)
		}
		seen[v.IntV()]++
		if pt.Stream != "engine" || pt.Agent != "gw-test" {
			t.Fatalf("bad point %+v", pt)
		}
		if last, ok := lastByDevice[pt.Device]; ok && v.IntV() <= last {
			t.Errorf("device %s out of order: %d after %d", pt.Device, v.IntV(), last)
		}
		lastByDevice[pt.Device] = v.IntV()
	}
	for i := 0; i < n; i++ {
		if seen[int64(i)] != 1 {
			t.Errorf("point %d found %d times, want once", i, seen[int64(i)])
		}
	}
	if len(seen) != n {
		t.Errorf("found %d distinct points, want %d", len(seen), n)
	}
}

// TestBadInputIsDeadLetteredAndFlowContinues sends garbage, an oversized
// payload and a message on an unknown topic between good ones: the bad ones
// are dead-lettered and counted, the good ones stored.
func TestBadInputIsDeadLetteredAndFlowContinues(t *testing.T) {
	bin := buildAgent(t)
	p := startAgent(t, bin, dataDir(t), "--max-payload", "1MiB")
	c := connect(t, p.mqtt, "pub-bad")
	msgs := []struct{ topic, payload string }{
		{"lp/dev-1", "engine rpm=1i\n"},
		{"lp/dev-1", "engine rpm=== garbage \x00\xff"},
		{"lp/dev-1", "engine rpm=2i\n"},
		{"nobody/listens/here", "engine rpm=3i\n"},
		{"json/dev-2/cabin", `{"temp": 21.5}`},
		{"json/dev-2/cabin", `{"temp": [`},
		// Over the line-protocol profile's 256 KiB max_payload.
		{"lp/dev-1", "engine big=\"" + strings.Repeat("x", 300<<10) + "\"\n"},
		// A timestamp from 2001: outside the profile's sanity window.
		{"lp/dev-1", "engine rpm=5i 1000000000000000000\n"},
		{"lp/dev-1", "engine rpm=4i\n"},
	}
	for _, m := range msgs {
		if tok := c.Publish(m.topic, 1, false, m.payload); !tok.WaitTimeout(30*time.Second) || tok.Error() != nil {
			t.Fatalf("publish %q: %v", m.topic, tok.Error())
		}
	}
	s := p.status()
	if s.DeadLetters != 5 {
		t.Errorf("dead_letters = %d, want 5 (garbage, unknown topic, bad json, oversized, timestamp)", s.DeadLetters)
	}
	if s.PointsBuffered != 4 {
		t.Errorf("points_buffered = %d, want 4", s.PointsBuffered)
	}
	resp, err := http.Get("http://" + p.http + "/v1/deadletters")
	if err != nil {
		t.Fatal(err)
	}
	var dls []struct {
		Topic, Reason string
	}
	if err := json.NewDecoder(resp.Body).Decode(&dls); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	reasons := map[string]int{}
	for _, d := range dls {
		reasons[d.Reason]++
	}
	for _, want := range []string{"undecodable", "unknown_topic", "oversized", "timestamp"} {
		if reasons[want] == 0 {
			t.Errorf("no dead letter with reason %q; got %v", want, reasons)
		}
	}
	if code := p.Term(); code != 0 {
		t.Fatalf("exit %d", code)
	}
}

// TestMosquittoInterop subscribes the agent to a real Mosquitto broker and
// feeds it with mosquitto_pub.
func TestMosquittoInterop(t *testing.T) {
	addr, pub := startMosquitto(t)
	port := addr[strings.LastIndexByte(addr, ':')+1:]

	bin := buildAgent(t)
	p := startAgent(t, bin, dataDir(t), "--mqtt-broker", "tcp://"+addr)
	p.waitStatus("subscription to mosquitto", func(s status) bool {
		return s.MQTT.BrokerConnected != nil && *s.MQTT.BrokerConnected
	})
	// The SUBACK may trail the CONNACK a little; QoS 1 and a persistent
	// session make later messages safe, so publish until the first arrives.
	deadline := time.Now().Add(30 * time.Second)
	for p.status().PointsBuffered == 0 {
		if out, err := exec.Command(pub, "-h", "127.0.0.1", "-p", port, "-q", "1", "-t", "lp/probe", "-m", "probe ok=true").CombinedOutput(); err != nil {
			t.Fatalf("mosquitto_pub: %v: %s", err, out)
		}
		if time.Now().After(deadline) {
			t.Fatal("no message reached the agent through mosquitto")
		}
		time.Sleep(100 * time.Millisecond)
	}
	base := p.status().PointsBuffered
	const n = 50
	for i := 0; i < n; i++ {
		line := fmt.Sprintf("engine rpm=%di", i)
		if out, err := exec.Command(pub, "-h", "127.0.0.1", "-p", port, "-q", "1", "-t", "lp/veh-7", "-m", line).CombinedOutput(); err != nil {
			t.Fatalf("mosquitto_pub: %v: %s", err, out)
		}
	}
	p.waitStatus("all points from mosquitto", func(s status) bool { return s.PointsBuffered == base+n })
	if code := p.Term(); code != 0 {
		t.Fatalf("exit %d", code)
	}
}

// startMosquitto runs a Mosquitto broker on a free loopback port until the
// test ends and returns its address and the path of mosquitto_pub.
func startMosquitto(t *testing.T) (addr, pub string) {
	t.Helper()
	mosq, err := exec.LookPath("mosquitto")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("mosquitto is not installed; .ci/run installs it")
		}
		t.Skip("mosquitto not installed (apt-get install mosquitto mosquitto-clients)")
	}
	pub, err = exec.LookPath("mosquitto_pub")
	if err != nil {
		t.Skip("mosquitto_pub not installed")
	}
	addr = testbin.FreeAddr(t)
	port := addr[strings.LastIndexByte(addr, ':')+1:]
	conf := filepath.Join(t.TempDir(), "mosquitto.conf")
	if err := os.WriteFile(conf, []byte("listener "+port+" 127.0.0.1\nallow_anonymous true\npersistence false\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	broker := exec.Command(mosq, "-c", conf)
	var brokerLog testbin.Buffer
	broker.Stderr, broker.Stdout = &brokerLog, &brokerLog
	if err := broker.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = broker.Process.Kill()
		_ = broker.Wait()
		if t.Failed() {
			t.Logf("mosquitto:\n%s", brokerLog.String())
		}
	})

	return addr, pub
}

// TestMosquittoAgentKilledLosesNothing: the agent acknowledges a message
// to an external broker only after its points are committed, so SIGKILL
// mid-stream loses nothing: the broker redelivers whatever was not acked
// to the agent's persistent session when it comes back.
func TestMosquittoAgentKilledLosesNothing(t *testing.T) {
	addr, _ := startMosquitto(t)
	bin := buildAgent(t)
	dir := dataDir(t)
	p := startAgent(t, bin, dir, "--mqtt-broker", "tcp://"+addr)
	p.waitStatus("subscription to mosquitto", func(s status) bool {
		return s.MQTT.BrokerConnected != nil && *s.MQTT.BrokerConnected
	})
	c := connect(t, addr, "pub-mosquitto")
	// The subscription may trail the CONNACK: publish probes until one arrives.
	deadline := time.Now().Add(30 * time.Second)
	for p.status().PointsBuffered == 0 {
		if tok := c.Publish("lp/probe", 1, false, "probe ok=true"); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			t.Fatal(tok.Error())
		}
		if time.Now().After(deadline) {
			t.Fatal("no message reached the agent through mosquitto")
		}
		time.Sleep(50 * time.Millisecond)
	}
	const n = 600
	toks := make([]paho.Token, 0, n)
	for i := 0; i < n; i++ {
		toks = append(toks, c.Publish(fmt.Sprintf("lp/veh-%d", i%4), 1, false, fmt.Sprintf("engine rpm=%di", i)))
	}
	for i, tok := range toks {
		if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			t.Fatalf("publish %d: %v", i, tok.Error())
		}
	}
	// Kill the agent again and again while it works through the backlog
	// mosquitto holds for it.
	for round := 1; round <= 4; round++ {
		p.waitStatus("the agent mid-backlog", func(s status) bool { return s.PointsBuffered > int64(round*n/6) })
		p.Kill()
		if round < 4 {
			p = startAgent(t, bin, dir, "--mqtt-broker", "tcp://"+addr)
		}
	}
	p2 := startAgent(t, bin, dir, "--mqtt-broker", "tcp://"+addr)
	p2.waitStatus("every point after the restart", func(s status) bool { return s.PointsBuffered >= n })
	if code := p2.Term(); code != 0 {
		t.Fatalf("exit %d", code)
	}
	seen := map[int64]bool{}
	for _, pt := range readLog(t, dir) {
		if v, ok := pt.Field("rpm"); ok {
			seen[v.IntV()] = true
		}
	}
	for i := 0; i < n; i++ {
		if !seen[int64(i)] {
			t.Errorf("point %d lost", i)
		}
	}
}
