package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/tributary-iot/tributary/edge-agent/collect"
	"github.com/tributary-iot/tributary/edge-agent/config"
	"github.com/tributary-iot/tributary/edge-agent/locallog"
	profiles "github.com/tributary-iot/tributary/firmware-profiles"
	"github.com/tributary-iot/tributary/sync/uplink"
)

// logFile is the local log's file name inside the data dir.
const logFile = "log.db"

// Agent is the edge agent daemon. Create it with New, run it with Run.
type Agent struct {
	opts     config.Options
	logger   *slog.Logger
	id       string
	registry *prometheus.Registry
	log      *locallog.Log
	profiles *profiles.Set
	handler  *collect.Handler

	broker     *collect.Broker
	subscriber *collect.Subscriber
	uplink     *uplink.Uplink
	httpLn     net.Listener
	started    time.Time
}

// New prepares an agent: it creates the data dir, settles the agent id,
// loads the firmware profiles, opens the local log and binds the listeners,
// so every configuration error surfaces here, before Run.
func New(ctx context.Context, opts config.Options, logger *slog.Logger) (a *Agent, err error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(opts.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	id, err := loadOrCreateID(opts.DataDir, opts.AgentID)
	if err != nil {
		return nil, err
	}
	a = &Agent{opts: opts, logger: logger.With("agent", id), id: id, registry: prometheus.NewRegistry(), started: time.Now()}
	a.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	if a.profiles, err = profiles.LoadSet(opts.ProfilesDir); err != nil {
		return nil, fmt.Errorf("--profiles: %w", err)
	}
	a.log, err = locallog.Open(ctx, locallog.Options{
		Path:           filepath.Join(opts.DataDir, logFile),
		Agent:          id,
		MaxBytes:       int64(opts.MaxBuffer),
		WhenFull:       opts.WhenFull,
		TTL:            opts.TTL,
		MaxDeadLetters: opts.MaxDeadLetters,
		Logger:         a.logger.With("component", "locallog"),
		Registerer:     a.registry,
	})
	if err != nil {
		return nil, fmt.Errorf("open local log: %w", err)
	}
	defer func() {
		if err != nil {
			a.closeAll()
		}
	}()
	a.registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "tributary_edge_oldest_unsynced_age_seconds",
		Help: "Age of the oldest point not yet acknowledged by the cloud (0 when none): the uplink's lag in time.",
	}, func() float64 {
		if t := a.log.Stats().OldestUnsynced; !t.IsZero() {
			return time.Since(t).Seconds()
		}
		return 0
	}))
	a.handler, err = collect.NewHandler(collect.HandlerOptions{
		Profiles: a.profiles, Log: a.log, Logger: a.logger, Registerer: a.registry,
	})
	if err != nil {
		return nil, err
	}
	if opts.MQTTListen != "" {
		a.broker, err = collect.NewBroker(collect.BrokerOptions{
			Addr: opts.MQTTListen, Handler: a.handler, MaxPacketSize: uint32(opts.MaxPayload) + 64<<10, Logger: a.logger,
		})
		if err != nil {
			return nil, err
		}
	}
	if opts.MQTTBroker != "" {
		clientID := opts.MQTTClientID
		if clientID == "" {
			clientID = "tributary-" + id
		}
		a.subscriber, err = collect.NewSubscriber(collect.SubscriberOptions{
			Broker: opts.MQTTBroker, ClientID: clientID, Filters: a.profiles.Filters(), Handler: a.handler, Logger: a.logger,
		})
		if err != nil {
			return nil, err
		}
	}
	if opts.Cloud != "" {
		a.uplink, err = uplink.New(uplink.Options{
			URL: opts.Cloud, CredsFile: opts.CredsFile, CAFile: opts.CloudCA, Agent: id, Log: a.log,
			MaxBatchPoints: opts.UplinkBatch, Linger: opts.UplinkLinger, RateLimit: int64(opts.UplinkRate),
			Logger: a.logger, Registerer: a.registry,
		})
		if err != nil {
			return nil, err
		}
	}
	if opts.HTTPListen != "" {
		if a.httpLn, err = net.Listen("tcp", opts.HTTPListen); err != nil {
			return nil, fmt.Errorf("listen for HTTP on %s: %w", opts.HTTPListen, err)
		}
	}
	return a, nil
}

// ID returns the agent id.
func (a *Agent) ID() string { return a.id }

// MQTTAddr returns the embedded broker's address ("" if disabled).
func (a *Agent) MQTTAddr() string {
	if a.broker == nil {
		return ""
	}
	return a.broker.Addr()
}

// HTTPAddr returns the HTTP listener's address ("" if disabled).
func (a *Agent) HTTPAddr() string {
	if a.httpLn == nil {
		return ""
	}
	return a.httpLn.Addr().String()
}

// Run serves until ctx ends. Then it stops taking MQTT messages (no more
// acknowledgements), waits for the appends in progress, flushes and closes
// the local log, and returns nil on a clean stop.
func (a *Agent) Run(ctx context.Context) error {
	a.logger.Info("edge agent started", "mqtt_listen", a.MQTTAddr(), "mqtt_broker", a.opts.MQTTBroker,
		"http", a.HTTPAddr(), "data_dir", a.opts.DataDir, "max_buffer", a.opts.MaxBuffer.String(),
		"when_full", a.opts.WhenFull.String(), "profiles", len(a.profiles.Profiles()))
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errc := make(chan error, 4)
	start := func(name string, run func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := run(runCtx); err != nil {
				errc <- fmt.Errorf("%s: %w", name, err)
				cancel()
			}
		}()
	}
	if a.broker != nil {
		start("mqtt broker", a.broker.Run)
	}
	if a.subscriber != nil {
		start("mqtt subscriber", a.subscriber.Run)
	}
	// The uplink stops with the rest, but after the MQTT input, so that its
	// last acks still trim the log; it is only ever behind, never ahead.
	upCtx, upCancel := context.WithCancel(context.WithoutCancel(ctx))
	var upDone chan struct{}
	if a.uplink != nil {
		upDone = make(chan struct{})
		go func() {
			defer close(upDone)
			if err := a.uplink.Run(upCtx); err != nil {
				errc <- fmt.Errorf("uplink: %w", err)
				cancel()
			}
		}()
	}
	var srv *http.Server
	if a.httpLn != nil {
		srv = &http.Server{Handler: a.routes(), ReadHeaderTimeout: 10 * time.Second}
		start("http", func(ctx context.Context) error {
			served := make(chan error, 1)
			go func() { served <- srv.Serve(a.httpLn) }()
			select {
			case err := <-served:
				return err
			case <-ctx.Done():
			}
			shutCtx, done := context.WithTimeout(context.Background(), 5*time.Second)
			defer done()
			_ = srv.Shutdown(shutCtx)
			if err := <-served; !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		})
	}
	<-runCtx.Done()
	a.logger.Info("stopping: closing MQTT input, flushing the local log")
	wg.Wait()
	upCancel()
	if upDone != nil {
		<-upDone
	}
	close(errc)
	var errs []error
	for err := range errc {
		errs = append(errs, err)
	}
	if err := a.log.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close local log: %w", err))
	}
	if len(errs) == 0 {
		a.logger.Info("stopped cleanly")
	}
	return errors.Join(errs...)
}

// closeAll releases what New opened, when New fails half way.
func (a *Agent) closeAll() {
	if a.httpLn != nil {
		a.httpLn.Close()
	}
	if a.broker != nil {
		a.broker.Close()
	}
	if a.log != nil {
		a.log.Close()
	}
}
