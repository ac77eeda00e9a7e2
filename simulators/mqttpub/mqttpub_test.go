package mqttpub_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/tributary-iot/tributary/simulators/fleet"
	"github.com/tributary-iot/tributary/simulators/internal/simtest"
	"github.com/tributary-iot/tributary/simulators/internal/testbroker"
	"github.com/tributary-iot/tributary/simulators/mqttpub"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// run simulates cfg against the broker and returns the report and the
// publisher's stats.
func run(t *testing.T, b *testbroker.Broker, cfg fleet.Config, qos byte) (fleet.Report, mqttpub.Stats, []fleet.Vehicle) {
	t.Helper()
	sim, err := fleet.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := mqttpub.New(mqttpub.Options{Broker: b.URL(), QoS: qos}, sim.Vehicles())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := pub.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	rep, err := sim.Run(ctx, pub, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := pub.Close(ctx); err != nil {
		t.Fatal(err)
	}
	return rep, pub.Stats(), sim.Vehicles()
}

func TestPublish(t *testing.T) {
	for _, qos := range []byte{0, 1} {
		t.Run(map[byte]string{0: "qos0", 1: "qos1"}[qos], func(t *testing.T) {
			b := testbroker.Start(t, testbroker.Options{Keep: true})
			cfg := fleet.Config{
				Profiles: []fleet.Weighted{{Profile: simtest.Builtin(t, "passenger-car"), Weight: 1}, {Profile: simtest.Builtin(t, "heavy-truck"), Weight: 1}},
				Vehicles: 20, Points: 2000, Seed: 1, Batch: 2,
			}
			rep, st, vehicles := run(t, b, cfg, qos)
			if rep.Points != 2000 || rep.Messages != 1000 {
				t.Fatalf("report: %d points in %d messages", rep.Points, rep.Messages)
			}
			if st.Errors != 0 || rep.Errors != 0 || st.Published != 1000 {
				t.Fatalf("stats %+v", st)
			}
			if got := b.WaitCount(1000, 10*time.Second); got != 1000 {
				t.Fatalf("broker got %d messages, want 1000", got)
			}
			byClient := map[string]map[string]int{}
			for _, m := range b.Messages() {
				if byClient[m.Client] == nil {
					byClient[m.Client] = map[string]int{}
				}
				byClient[m.Client][m.Topic]++
			}
			if len(byClient) != 20 {
				t.Fatalf("%d clients published, want 20", len(byClient))
			}
			for _, v := range vehicles {
				if byClient[v.ClientID][v.Topic] != 50 {
					t.Errorf("%s on %s: %d messages, want 50 (%v)", v.ClientID, v.Topic, byClient[v.ClientID][v.Topic], byClient[v.ClientID])
				}
			}
		})
	}
}

// Simulated connection drops really disconnect, the vehicles come back,
// and nothing is lost.
func TestDrops(t *testing.T) {
	b := testbroker.Start(t, testbroker.Options{})
	mess := fleet.Mess{DropRate: 0.05}
	cfg := fleet.Config{
		Profiles: []fleet.Weighted{{Profile: simtest.Builtin(t, "passenger-car"), Weight: 1}},
		Vehicles: 5, Points: 1500, Seed: 2, Mess: mess,
	}
	rep, st, _ := run(t, b, cfg, 1)
	if rep.Disconnects == 0 {
		t.Fatal("no drops simulated")
	}
	if st.Errors != 0 || st.Published != rep.Messages {
		t.Fatalf("stats %+v, report %d messages", st, rep.Messages)
	}
	if got := b.WaitCount(rep.Messages, 10*time.Second); got != rep.Messages {
		t.Fatalf("broker got %d messages, want %d", got, rep.Messages)
	}
	connects := 0
	for _, n := range b.Connects() {
		connects += n
	}
	if int64(connects) != 5+rep.Disconnects || st.Connects != int64(connects) {
		t.Fatalf("%d connects at the broker, %d by the publisher, want 5 + %d drops", connects, st.Connects, rep.Disconnects)
	}
}

// Pacing: the rate asked for is what the broker sees, within a generous
// band (the test must not flake on a busy machine).
func TestPacing(t *testing.T) {
	b := testbroker.Start(t, testbroker.Options{})
	const vehicles, rate = 50, 20.0
	cfg := fleet.Config{
		Profiles: []fleet.Weighted{{Profile: simtest.Builtin(t, "passenger-car"), Weight: 1}},
		Vehicles: vehicles, Rate: rate, Duration: 2 * time.Second, Seed: 3,
	}
	sim, err := fleet.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := mqttpub.New(mqttpub.Options{Broker: b.URL(), QoS: 1}, sim.Vehicles())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := pub.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	rep, err := sim.Run(ctx, pub, nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = pub.Close(ctx)
	elapsed := time.Since(start).Seconds()
	got := float64(b.WaitCount(rep.Messages, 10*time.Second)) / elapsed
	want := vehicles * rate
	t.Logf("asked %v messages/s, broker saw %.0f/s, report says %.0f points/s", want, got, rep.PointsPerSecond)
	if got < 0.5*want || got > 1.5*want {
		t.Errorf("broker saw %.0f messages/s, want %v ± 50%%", got, want)
	}
	if rep.PointsPerSecond < 0.5*want || rep.PointsPerSecond > 1.5*want {
		t.Errorf("report says %.0f points/s, want %v ± 50%%", rep.PointsPerSecond, want)
	}
	if rep.Stopped != "duration" {
		t.Errorf("stopped by %q", rep.Stopped)
	}
}

func TestBadBroker(t *testing.T) {
	for _, u := range []string{"ws://localhost:1883", "tcp://", "http://x", "tcp://[::1"} {
		if _, err := mqttpub.New(mqttpub.Options{Broker: u}, nil); !errors.Is(err, mqttpub.ErrBrokerURL) {
			t.Errorf("%q: err = %v, want ErrBrokerURL", u, err)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	pub, err := mqttpub.New(mqttpub.Options{Broker: "tcp://" + addr, ConnectTimeout: time.Second},
		[]fleet.Vehicle{{Index: 0, ClientID: "c0"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := pub.Connect(context.Background()); !errors.Is(err, mqttpub.ErrNoConnection) {
		t.Errorf("err = %v, want ErrNoConnection", err)
	}
	_ = pub.Close(context.Background())
}
