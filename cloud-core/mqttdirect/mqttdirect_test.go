package mqttdirect_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/tributary-iot/tributary/cloud-core/mqttdirect"
	profiles "github.com/tributary-iot/tributary/firmware-profiles"
	"github.com/tributary-iot/tributary/sync/ingest"
)

func TestDirectPublishIsDurableBeforeAck(t *testing.T) {
	all, err := profiles.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	set, err := profiles.NewSet(all...)
	if err != nil {
		t.Fatal(err)
	}
	store := ingest.NewMemStore()
	srv, err := mqttdirect.New(mqttdirect.Options{Addr: "127.0.0.1:0", Store: store, Profiles: set})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Run(ctx) }()
	defer func() { cancel(); <-done }()

	c := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + srv.Addr()).SetClientID("veh-1"))
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	defer c.Disconnect(0)
	const n = 50
	for i := 0; i < n; i++ {
		payload := fmt.Sprintf(`{"speed_kmh": %d.5, "rpm": %d}`, i, 1000+i)
		tok := c.Publish(fmt.Sprintf("vehicles/veh-%d/telemetry", i%3), 1, false, payload)
		if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			t.Fatal(tok.Error())
		}
		// The PUBACK came: the point must already be in the store.
		if got := len(store.Points()); got != i+1 {
			t.Fatalf("after PUBACK %d the store holds %d points", i+1, got)
		}
	}
	if tok := c.Publish("vehicles/veh-1/telemetry", 1, false, "{not json"); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	pts := store.Points()
	if len(pts) != n {
		t.Fatalf("%d points stored, want %d (garbage must not be)", len(pts), n)
	}
	var last uint64
	for _, p := range pts {
		if p.Agent != mqttdirect.Agent || p.Seq <= last || p.Stream != "vehicle-telemetry" {
			t.Fatalf("bad point %+v after seq %d", p, last)
		}
		last = p.Seq
	}
}
