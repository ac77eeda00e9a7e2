package natsembed_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/goleak"

	"github.com/tributary-iot/tributary/cloud-core/natsembed"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func start(t *testing.T, opts natsembed.Options) *natsembed.Server {
	t.Helper()
	opts.StoreDir = t.TempDir()
	s, err := natsembed.Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Shutdown)
	return s
}

func TestInProcessJetStream(t *testing.T) {
	s := start(t, natsembed.Options{})
	if s.ClientURL() != "" {
		t.Errorf("no listener asked for, got %q", s.ClientURL())
	}
	nc, err := s.Connect("t")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "X", Subjects: []string{"x.>"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, "x.1", []byte("hi")); err != nil {
		t.Fatal(err)
	}
}

func TestListenerAccess(t *testing.T) {
	for _, tc := range []struct {
		name     string
		insecure bool
	}{{"secure by default", false}, {"insecure", true}} {
		t.Run(tc.name, func(t *testing.T) {
			s := start(t, natsembed.Options{Listen: "127.0.0.1:0", Insecure: tc.insecure})
			errs := make(chan error, 4)
			nc, err := nats.Connect(s.ClientURL(), nats.MaxReconnects(0), nats.Timeout(5*time.Second),
				nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { errs <- err }))
			if !tc.insecure {
				if err == nil {
					nc.Close()
					t.Fatal("a client without credentials connected")
				}
				return
			}
			if err != nil {
				t.Fatalf("insecure listener refused a client: %v", err)
			}
			defer nc.Close()
			// The anonymous user may not write into the store's subjects.
			if err := nc.Publish("t1.s.0.gw.normal", []byte("x")); err != nil {
				t.Fatal(err)
			}
			if err := nc.Flush(); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-errs:
				if !errors.Is(err, nats.ErrPermissionViolation) {
					t.Errorf("publish to a tier-1 subject: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Error("publish to a tier-1 subject was not refused")
			}
		})
	}
}
