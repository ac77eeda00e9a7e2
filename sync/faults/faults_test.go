package faults_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/tributary-iot/tributary/internal/testbin"
)

// TestAgentKilledAgainAndAgain SIGKILLs the agent many times while it
// takes points in and syncs them.
func TestAgentKilledAgainAndAgain(t *testing.T) {
	b := build(t)
	c := newCloud(t, b.cloud)
	c.start()
	a := newAgent(t, b.agent, "--agent-id", "gw-1", "--cloud", "nats://"+c.nats, "--creds", c.creds("gw-1"))
	pub := newPublisher(t, 5)
	rng := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 6; round++ {
		a.start()
		pub.publish(a.mqtt, 200+rng.IntN(200))
		time.Sleep(time.Duration(rng.IntN(150)) * time.Millisecond) // let the uplink be mid-batch
		a.p.Kill()
	}
	a.start()
	pub.publish(a.mqtt, 100)
	a.waitSynced(90 * time.Second)
	check(t, c.events("telemetry"), pub, 0)
}

// TestCloudKilledWhileIngesting SIGKILLs cloud-core while the agent sends.
func TestCloudKilledWhileIngesting(t *testing.T) {
	b := build(t)
	c := newCloud(t, b.cloud)
	c.start()
	a := newAgent(t, b.agent, "--agent-id", "gw-1", "--cloud", "nats://"+c.nats, "--creds", c.creds("gw-1"))
	a.start()
	pub := newPublisher(t, 5)
	for round := 0; round < 4; round++ {
		pub.publish(a.mqtt, 400)
		time.Sleep(time.Duration(20*round) * time.Millisecond)
		c.p.Kill()
		pub.publish(a.mqtt, 100) // buffered while the cloud is down
		c.start()
	}
	a.waitSynced(90 * time.Second)
	if code := a.p.Term(); code != 0 {
		t.Errorf("agent exit %d after SIGTERM", code)
	}
	check(t, c.events("telemetry"), pub, 0)
}

// TestLinkCutMidBatch cuts the TCP link between agent and cloud again and
// again, and once for a long outage while the agent keeps buffering.
func TestLinkCutMidBatch(t *testing.T) {
	b := build(t)
	c := newCloud(t, b.cloud)
	c.start()
	px := newProxy(t, c.nats)
	a := newAgent(t, b.agent, "--agent-id", "gw-1", "--cloud", "nats://"+px.addr(), "--creds", c.creds("gw-1"))
	a.start()
	pub := newPublisher(t, 5)
	for round := 0; round < 5; round++ {
		pub.publish(a.mqtt, 300)
		time.Sleep(time.Duration(10*round) * time.Millisecond)
		px.cut(false) // reconnect allowed at once: drops connections mid-batch
	}
	px.cut(true)
	pub.publish(a.mqtt, 1000)
	deadline := time.Now().Add(30 * time.Second)
	for a.status().Cloud == "connected" && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if s := a.status(); s.PointsBuffered == 0 {
		t.Fatalf("nothing buffered during the outage: %+v", s)
	}
	time.Sleep(2 * time.Second) // an outage the uplink must retry through, with backoff
	px.restore()
	a.waitSynced(90 * time.Second)
	check(t, c.events("telemetry"), pub, 0)
}

// TestDiskCapDuringOutage fills the agent's disk cap while the cloud is
// down: exactly the points the drop-oldest policy dropped are missing, and
// the agent's drop counter says how many.
func TestDiskCapDuringOutage(t *testing.T) {
	b := build(t)
	c := newCloud(t, b.cloud)
	c.start()
	a := newAgent(t, b.agent, "--agent-id", "gw-1", "--cloud", "nats://"+c.nats, "--creds", c.creds("gw-1"),
		"--max-buffer", "2MiB", "--when-full", "drop-oldest")
	a.start()
	pub := newPublisher(t, 5)
	pub.publish(a.mqtt, 200)
	a.waitSynced(60 * time.Second)
	c.p.Kill()
	for i := 0; i < 30; i++ {
		pub.publish(a.mqtt, 1000)
	}
	s := a.status()
	if s.PointsDropped == 0 {
		t.Fatalf("the 2 MiB cap was never reached: %+v", s)
	}
	c.start()
	s = a.waitSynced(120 * time.Second)
	check(t, c.events("telemetry"), pub, int(s.PointsDropped))
}

// TestImpersonationRefused runs an agent that claims to be gw-1 with the
// credentials of gw-2: it never gets to write.
func TestImpersonationRefused(t *testing.T) {
	b := build(t)
	c := newCloud(t, b.cloud)
	c.start()
	c.creds("gw-1")
	impostor := newAgent(t, b.agent, "--agent-id", "gw-1", "--cloud", "nats://"+c.nats, "--creds", c.creds("gw-2"))
	impostor.start()
	pub := newPublisher(t, 2)
	if n := pub.publish(impostor.mqtt, 50); n != 50 {
		t.Fatalf("only %d of 50 points taken in", n)
	}
	time.Sleep(3 * time.Second)
	s := impostor.status()
	if s.Cloud == "connected" || s.PointsSynced != 0 || s.PointsBuffered != 50 {
		t.Errorf("impostor status %+v: it must not sync", s)
	}
	if pts := c.events("telemetry"); len(pts) != 0 {
		t.Fatalf("%d points written by an impostor", len(pts))
	}
}

// TestTLSLink replicates over a TLS-only NATS listener; an agent that does
// not trust the certificate never connects.
func TestTLSLink(t *testing.T) {
	b := build(t)
	cert, key := testbin.SelfSignedCert(t)
	c := newCloud(t, b.cloud, "--nats-tls-cert", cert, "--nats-tls-key", key)
	c.start()
	creds := c.creds("gw-1")
	a := newAgent(t, b.agent, "--agent-id", "gw-1", "--cloud", "tls://"+c.nats, "--creds", creds, "--cloud-ca", cert)
	a.start()
	pub := newPublisher(t, 3)
	pub.publish(a.mqtt, 300)
	a.waitSynced(60 * time.Second)
	check(t, c.events("telemetry"), pub, 0)

	untrusting := newAgent(t, b.agent, "--agent-id", "gw-2", "--cloud", "tls://"+c.nats, "--creds", c.creds("gw-2"))
	untrusting.start()
	newPublisher(t, 1).publish(untrusting.mqtt, 10)
	time.Sleep(2 * time.Second)
	if s := untrusting.status(); s.Cloud == "connected" || s.PointsSynced != 0 {
		t.Fatalf("an agent without the CA synced over TLS: %+v", s)
	}
}

// TestDirectMQTT publishes straight to cloud-core's MQTT listener: every
// acknowledged point is in the store; a device without a valid token is
// refused.
func TestDirectMQTT(t *testing.T) {
	b := build(t)
	mqttAddr := testbin.FreeAddr(t)
	c := newCloud(t, b.cloud, "--mqtt-listen", mqttAddr)
	c.start()
	connect := func(password string) (paho.Client, error) {
		cl := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + mqttAddr).SetClientID("veh-direct-" + password[:min(4, len(password))]).
			SetUsername("device").SetPassword(password).SetAutoReconnect(false).SetConnectRetry(false))
		tok := cl.Connect()
		if !tok.WaitTimeout(10 * time.Second) {
			return nil, errors.New("connect timed out")
		}
		return cl, tok.Error()
	}
	if cl, err := connect("not-a-token"); err == nil {
		cl.Disconnect(0)
		t.Fatal("a device with a bad token connected")
	}
	cl, err := connect(c.token)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Disconnect(0)
	const n = 100
	for i := 0; i < n; i++ {
		tok := cl.Publish(fmt.Sprintf("vehicles/veh-%d/telemetry", i%4), 1, false, fmt.Sprintf(`{"speed_kmh": %d.5}`, i))
		if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			t.Fatalf("publish %d: %v", i, tok.Error())
		}
	}
	pts := c.events("vehicle-telemetry")
	if len(pts) != n {
		t.Fatalf("%d points in the cloud, want %d", len(pts), n)
	}
	seen := map[float64]bool{}
	for _, p := range pts {
		seen[p.Fields["speed_kmh"]] = true
	}
	if len(seen) != n {
		t.Fatalf("%d distinct points, want %d", len(seen), n)
	}
}
