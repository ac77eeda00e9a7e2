package auth_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/tributary-iot/tributary/cloud-core/auth"
	"github.com/tributary-iot/tributary/protocols/frame"
)

func startServer(t *testing.T, k *auth.Keys) *server.Server {
	t.Helper()
	opts := &server.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true, JetStream: true, StoreDir: t.TempDir()}
	if err := k.ConfigureServer(opts); err != nil {
		t.Fatal(err)
	}
	s, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("server not ready")
	}
	t.Cleanup(s.Shutdown)
	return s
}

func credsFile(t *testing.T, k *auth.Keys, agent string) string {
	t.Helper()
	b, err := k.AgentCreds(agent, 0)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), agent+".creds")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAgentCredsScopeAndRefusals(t *testing.T) {
	dir := t.TempDir()
	k, err := auth.LoadOrCreateKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	s := startServer(t, k)

	// The service user has every permission, JetStream included.
	j, seed, err := k.ServiceCreds()
	if err != nil {
		t.Fatal(err)
	}
	svc, err := nats.Connect(s.ClientURL(), nats.UserJWTAndSeed(j, string(seed)))
	if err != nil {
		t.Fatalf("service connect: %v", err)
	}
	defer svc.Close()
	js, err := svc.JetStream()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.AddStream(&nats.StreamConfig{Name: "probe", Subjects: []string{"probe.>"}}); err != nil {
		t.Fatalf("JetStream in the application account: %v", err)
	}
	sub, err := svc.SubscribeSync("tb.ingest.*")
	if err != nil {
		t.Fatal(err)
	}
	svc.Flush()

	errs := make(chan error, 10)
	agent, err := nats.Connect(s.ClientURL(), nats.UserCredentials(credsFile(t, k, "gw-1")),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { errs <- err }))
	if err != nil {
		t.Fatalf("agent connect: %v", err)
	}
	defer agent.Close()
	if err := agent.Publish("tb.ingest.gw-1", []byte("mine")); err != nil {
		t.Fatal(err)
	}
	if err := agent.Publish("tb.ingest.gw-2", []byte("not mine")); err != nil {
		t.Fatal(err)
	}
	agent.Flush()
	m, err := sub.NextMsg(5 * time.Second)
	if err != nil || m.Subject != "tb.ingest.gw-1" {
		t.Fatalf("own subject: %v %v", m, err)
	}
	if m, err := sub.NextMsg(300 * time.Millisecond); err == nil {
		t.Fatalf("agent gw-1 published as gw-2: %s", m.Subject)
	}
	select {
	case err := <-errs:
		if !strings.Contains(strings.ToLower(err.Error()), "permissions violation") {
			t.Errorf("unexpected async error %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Error("no permissions violation reported to the impostor")
	}

	// Nor may it receive what is not its own: join ingest's queue group on
	// every agent's batches, or listen on another agent's inbox. The
	// server refuses each subscription with a permissions violation.
	refused := map[string]bool{
		fmt.Sprintf("subscription to %q using queue %q", frame.IngestPrefix+"*", frame.QueueGroup): false,
		fmt.Sprintf("subscription to %q", frame.InboxPrefix+"gw-2.>"):                              false,
	}
	if _, err := agent.QueueSubscribe(frame.IngestPrefix+"*", frame.QueueGroup, func(*nats.Msg) {}); err != nil {
		t.Fatal(err)
	}
	if _, err := agent.SubscribeSync(frame.InboxPrefix + "gw-2.>"); err != nil {
		t.Fatal(err)
	}
	if err := agent.Flush(); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(5 * time.Second)
	for missing := len(refused); missing > 0; {
		select {
		case err := <-errs:
			msg := strings.ToLower(err.Error())
			for want, seen := range refused {
				if !seen && strings.Contains(msg, "permissions violation for "+strings.ToLower(want)) {
					refused[want] = true
					missing--
				}
			}
		case <-deadline:
			t.Fatalf("subscriptions not refused to agent gw-1: %v", refused)
		}
	}

	// No credentials, or credentials from other keys: refused at connect.
	if nc, err := nats.Connect(s.ClientURL(), nats.MaxReconnects(0)); err == nil {
		nc.Close()
		t.Error("anonymous connection accepted")
	}
	other, _ := auth.LoadOrCreateKeys(t.TempDir())
	if nc, err := nats.Connect(s.ClientURL(), nats.UserCredentials(credsFile(t, other, "gw-1")), nats.MaxReconnects(0)); err == nil {
		nc.Close()
		t.Error("credentials signed by a foreign account accepted")
	}

	// Keys persist: loading again gives the same identity.
	k2, err := auth.LoadKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := k.IssueToken("x", []string{"*"}, 0)
	if _, err := k2.VerifyToken(tok); err != nil {
		t.Fatalf("reloaded keys reject a token: %v", err)
	}
	if _, err := auth.LoadKeys(t.TempDir()); err == nil {
		t.Error("LoadKeys on an empty dir succeeded")
	}
}

func TestTokens(t *testing.T) {
	k, _ := auth.LoadOrCreateKeys(t.TempDir())
	other, _ := auth.LoadOrCreateKeys(t.TempDir())
	tok, err := k.IssueToken("trainer", []string{"vehicle-telemetry"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	c, err := k.VerifyToken(tok)
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "trainer" || !c.Allows("vehicle-telemetry") || c.Allows("anomalies") {
		t.Fatalf("claims %+v", c)
	}
	star, _ := k.IssueToken("ops", []string{"*"}, 0)
	if c, err := k.VerifyToken(star); err != nil || !c.Allows("anything") {
		t.Fatalf("star token: %v", err)
	}
	expired, _ := k.IssueToken("old", []string{"*"}, -time.Minute)
	forged, _ := other.IssueToken("trainer", []string{"*"}, 0)
	tampered := tok[:len(tok)-3] + "AAA"
	for name, bad := range map[string]string{"expired": expired, "forged": forged, "tampered": tampered,
		"garbage": "hello", "empty": "", "no sig": auth.TokenPrefix + "abc"} {
		if _, err := k.VerifyToken(bad); !errors.Is(err, auth.ErrBadToken) {
			t.Errorf("%s token: err %v, want ErrBadToken", name, err)
		}
	}
	if _, err := k.IssueToken("x", nil, 0); err == nil {
		t.Error("token without streams issued")
	}
}
