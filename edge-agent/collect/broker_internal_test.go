package collect

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/tributary-iot/tributary/edge-agent/locallog"
	profiles "github.com/tributary-iot/tributary/firmware-profiles"
	"github.com/tributary-iot/tributary/models"
)

// fakeLog answers every Append and AddDeadLetter the same way.
type fakeLog struct {
	rejected int   // points Append reports as rejected
	err      error // returned by Append
	dlErr    error // returned by AddDeadLetter
	calls    int   // Append and AddDeadLetter calls
}

func (f *fakeLog) Append(_ context.Context, _ models.Priority, pts []models.Point) (locallog.AppendResult, error) {
	f.calls++
	if f.err != nil {
		return locallog.AppendResult{}, f.err
	}
	return locallog.AppendResult{Accepted: len(pts) - f.rejected, Rejected: f.rejected, Policy: locallog.RejectNew}, nil
}

func (f *fakeLog) AddDeadLetter(context.Context, locallog.DeadLetter) error {
	f.calls++
	return f.dlErr
}

// TestOnPublishRefusal checks the answer the publish hook gives the broker
// for each outcome: nil (acknowledge) only once the message is stored or
// dead-lettered, a refusal otherwise, by QoS and protocol version.
func TestOnPublishRefusal(t *testing.T) {
	set, err := profiles.LoadSet("")
	if err != nil {
		t.Fatal(err)
	}
	const good, unknown = "lp/veh-1", "nowhere/veh-1"
	type publish struct {
		qos, version byte
		want         error
	}
	// every lists the four QoS/version pairs, all answered with err.
	every := func(err error) []publish {
		return []publish{{0, 4, err}, {0, 5, err}, {1, 4, err}, {1, 5, err}}
	}
	for _, tc := range []struct {
		name    string
		log     fakeLog
		topic   string
		outcome Outcome
		publish []publish
	}{
		{"stored", fakeLog{}, good, Stored, every(nil)},
		{"dead-lettered", fakeLog{}, unknown, DeadLettered, every(nil)},
		{"rejected", fakeLog{rejected: 1}, good, Rejected, []publish{
			{0, 4, packets.ErrRejectPacket},
			{0, 5, packets.ErrRejectPacket},
			{1, 4, packets.ErrRejectPacket},
			{1, 5, packets.ErrQuotaExceeded},
		}},
		{"append failed", fakeLog{err: locallog.ErrClosed}, good, Failed, []publish{
			{0, 4, packets.ErrRejectPacket},
			{0, 5, packets.ErrRejectPacket},
			{1, 4, packets.ErrRejectPacket},
			{1, 5, packets.ErrUnspecifiedError},
		}},
		{"dead letter failed", fakeLog{dlErr: errors.New("disk gone")}, unknown, Failed, []publish{
			{0, 4, packets.ErrRejectPacket},
			{0, 5, packets.ErrRejectPacket},
			{1, 4, packets.ErrRejectPacket},
			{1, 5, packets.ErrUnspecifiedError},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log := tc.log
			h, err := NewHandler(HandlerOptions{Profiles: set, Log: &log})
			if err != nil {
				t.Fatal(err)
			}
			r := h.Handle(context.Background(), tc.topic, []byte("engine rpm=1i"), time.Now())
			if r.Outcome != tc.outcome {
				t.Fatalf("Handle: outcome %v (%v), want %v", r.Outcome, r.Err, tc.outcome)
			}
			if ack := tc.outcome == Stored || tc.outcome == DeadLettered; r.Outcome.Ack() != ack {
				t.Errorf("%v.Ack() = %v, want %v", r.Outcome, r.Outcome.Ack(), ack)
			}
			hook := &publishHook{h: h}
			for _, p := range tc.publish {
				t.Run(fmt.Sprintf("qos=%d/v%d", p.qos, p.version), func(t *testing.T) {
					cl := &mqtt.Client{Properties: mqtt.ClientProperties{ProtocolVersion: p.version}}
					pk := packets.Packet{TopicName: tc.topic, Payload: []byte("engine rpm=1i")}
					pk.FixedHeader.Qos = p.qos
					out, err := hook.OnPublish(cl, pk)
					if err != p.want {
						t.Errorf("OnPublish error = %v, want %v", err, p.want)
					}
					if out.TopicName != pk.TopicName {
						t.Errorf("OnPublish changed the packet's topic to %q", out.TopicName)
					}
				})
			}
		})
	}
}

// TestOnPublishSkipsSystemTopics checks that "$..." topics pass through
// the hook without reaching the log.
func TestOnPublishSkipsSystemTopics(t *testing.T) {
	set, err := profiles.LoadSet("")
	if err != nil {
		t.Fatal(err)
	}
	log := &fakeLog{err: locallog.ErrClosed, dlErr: locallog.ErrClosed}
	h, err := NewHandler(HandlerOptions{Profiles: set, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	pk := packets.Packet{TopicName: "$SYS/broker/uptime", Payload: []byte("1")}
	pk.FixedHeader.Qos = 1
	if _, err := (&publishHook{h: h}).OnPublish(&mqtt.Client{}, pk); err != nil {
		t.Errorf("OnPublish($SYS) = %v, want nil", err)
	}
	if log.calls != 0 {
		t.Errorf("$SYS publish reached the log %d times", log.calls)
	}
}
