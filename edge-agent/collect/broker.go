package collect

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"
)

// BrokerOptions configures the embedded MQTT broker.
type BrokerOptions struct {
	// Addr is the TCP address to listen on, e.g. ":1883" (":0" picks a port).
	Addr string
	// Handler takes every published message in. Required.
	Handler *Handler
	// MaxPacketSize caps an MQTT packet's size (0: no cap).
	MaxPacketSize uint32
	// Authenticate, if set, decides whether a client may connect, from the
	// username and password of its CONNECT packet; nil admits everyone.
	Authenticate func(username, password []byte) bool
	// Logger for the broker's own messages; nil discards.
	Logger *slog.Logger
}

// Broker is the embedded MQTT broker. Publishes are decoded and appended in
// its OnPublish hook: mochi-mqtt writes a QoS 1 PUBACK only after that hook
// returns, so an acknowledged message is durable in the local log.
type Broker struct {
	srv  *mqtt.Server
	addr string
}

// NewBroker starts listening on o.Addr; Run serves until its context ends.
func NewBroker(o BrokerOptions) (*Broker, error) {
	if o.Handler == nil {
		return nil, errors.New("collect: broker needs a handler")
	}
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	caps := mqtt.NewDefaultServerCapabilities()
	caps.MaximumPacketSize = o.MaxPacketSize
	caps.MaximumSessionExpiryInterval = 24 * 60 * 60
	srv := mqtt.New(&mqtt.Options{Capabilities: caps, Logger: logger.With("component", "mqtt-broker")})
	var authHook mqtt.Hook = new(auth.AllowHook)
	if o.Authenticate != nil {
		authHook = &connectAuth{check: o.Authenticate}
	}
	if err := srv.AddHook(authHook, nil); err != nil {
		return nil, fmt.Errorf("add auth hook: %w", err)
	}
	if err := srv.AddHook(&publishHook{h: o.Handler}, nil); err != nil {
		return nil, fmt.Errorf("add publish hook: %w", err)
	}
	tcp := listeners.NewTCP(listeners.Config{ID: "tcp", Address: o.Addr})
	if err := srv.AddListener(tcp); err != nil {
		return nil, fmt.Errorf("listen for MQTT on %s: %w", o.Addr, err)
	}
	return &Broker{srv: srv, addr: tcp.Address()}, nil
}

// Addr returns the address the broker listens on.
func (b *Broker) Addr() string { return b.addr }

// Run serves MQTT clients until ctx ends, then disconnects them and stops.
func (b *Broker) Run(ctx context.Context) error {
	if err := b.srv.Serve(); err != nil {
		return fmt.Errorf("serve MQTT: %w", err)
	}
	<-ctx.Done()
	return b.srv.Close()
}

// Close stops a broker whose Run was never called.
func (b *Broker) Close() error { return b.srv.Close() }

// connectAuth admits the clients its check accepts, to every topic.
type connectAuth struct {
	mqtt.HookBase
	check func(username, password []byte) bool
}

// ID names the hook.
func (*connectAuth) ID() string { return "tributary-auth" }

// Provides declares the events the hook handles.
func (*connectAuth) Provides(b byte) bool {
	return b == mqtt.OnConnectAuthenticate || b == mqtt.OnACLCheck
}

// OnConnectAuthenticate checks the CONNECT packet's credentials.
func (a *connectAuth) OnConnectAuthenticate(_ *mqtt.Client, pk packets.Packet) bool {
	return a.check(pk.Connect.Username, pk.Connect.Password)
}

// OnACLCheck lets an authenticated client use every topic.
func (*connectAuth) OnACLCheck(*mqtt.Client, string, bool) bool { return true }

// publishHook is the mochi-mqtt hook that hands publishes to the Handler.
type publishHook struct {
	mqtt.HookBase
	h *Handler
}

// ID names the hook.
func (*publishHook) ID() string { return "tributary-collect" }

// Provides declares the one event the hook handles.
func (*publishHook) Provides(b byte) bool { return b == mqtt.OnPublish }

// OnPublish decodes the message and appends its points before the broker
// acknowledges it. A message that could not be stored is not acknowledged:
// an MQTT 5 client gets a PUBACK with reason "quota exceeded" (full buffer)
// or "unspecified error"; an MQTT 3.1.1 client gets no PUBACK and resends
// the message when it reconnects.
func (p *publishHook) OnPublish(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if strings.HasPrefix(pk.TopicName, "$") {
		return pk, nil
	}
	r := p.h.Handle(context.Background(), pk.TopicName, pk.Payload, time.Now())
	switch {
	case r.Outcome.Ack():
		return pk, nil
	case pk.FixedHeader.Qos == 0:
		return pk, packets.ErrRejectPacket
	case cl.Properties.ProtocolVersion == 5 && r.Outcome == Rejected:
		return pk, packets.ErrQuotaExceeded
	case cl.Properties.ProtocolVersion == 5:
		return pk, packets.ErrUnspecifiedError
	default:
		return pk, packets.ErrRejectPacket
	}
}
