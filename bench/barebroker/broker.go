package barebroker

import (
	"context"
	"fmt"
	"log/slog"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"
)

// Options configure Run.
type Options struct {
	// Addr is the TCP listen address, e.g. "127.0.0.1:1883".
	Addr string
	// MaxPacketSize bounds an MQTT packet (0: the agent's default, 1 MiB).
	MaxPacketSize uint32
	// Logger receives the broker's log; nil discards it.
	Logger *slog.Logger
	// Ready, when not nil, receives the listen address once serving.
	Ready chan<- string
}

// Run serves MQTT on opts.Addr until ctx is done.
func Run(ctx context.Context, opts Options) error {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	caps := mqtt.NewDefaultServerCapabilities()
	caps.MaximumPacketSize = opts.MaxPacketSize
	if caps.MaximumPacketSize == 0 {
		caps.MaximumPacketSize = 1 << 20
	}
	caps.MaximumSessionExpiryInterval = 24 * 60 * 60
	srv := mqtt.New(&mqtt.Options{Capabilities: caps, Logger: logger})
	if err := srv.AddHook(new(auth.AllowHook), nil); err != nil {
		return fmt.Errorf("add auth hook: %w", err)
	}
	tcp := listeners.NewTCP(listeners.Config{ID: "tcp", Address: opts.Addr})
	if err := srv.AddListener(tcp); err != nil {
		return fmt.Errorf("listen for MQTT on %s: %w", opts.Addr, err)
	}
	if err := srv.Serve(); err != nil {
		return fmt.Errorf("serve MQTT: %w", err)
	}
	if opts.Ready != nil {
		opts.Ready <- tcp.Address()
	}
	<-ctx.Done()
	return srv.Close()
}
