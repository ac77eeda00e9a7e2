// Command cloud-core runs Tributary's cloud side on one machine: the
// segment store with an embedded nats-server (JetStream, tier 1), bbolt
// metadata, Parquet tier 2 on the local filesystem, and the HTTP API.
//
// With no flags it keeps everything under ./data/cloud and serves HTTP on
// :8080 and NATS on :4222. SIGTERM (or ^C) stops it gracefully (exit 0);
// bad flags print one line and exit 2.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/tributary-iot/tributary/cloud-core/auth"
	"github.com/tributary-iot/tributary/cloud-core/httpapi"
	"github.com/tributary-iot/tributary/cloud-core/meta"
	"github.com/tributary-iot/tributary/cloud-core/mqttdirect"
	"github.com/tributary-iot/tributary/cloud-core/natsembed"
	"github.com/tributary-iot/tributary/cloud-core/scaler"
	"github.com/tributary-iot/tributary/cloud-core/store"
	"github.com/tributary-iot/tributary/cloud-core/tier2"
	profiles "github.com/tributary-iot/tributary/firmware-profiles"
	"github.com/tributary-iot/tributary/sync/ingest"
)

// loadProfiles returns the built-in firmware profiles plus those in dir.
func loadProfiles(dir string) (*profiles.Set, error) {
	set, err := profiles.LoadSet(dir)
	if err != nil {
		return nil, fmt.Errorf("--profiles: %w", err)
	}
	return set, nil
}

// committedMarks keeps ingest's committed marks in the metadata store.
type committedMarks struct{ db *meta.DB }

// LoadMarks implements ingest.MarkStore.
func (c committedMarks) LoadMarks(context.Context) (map[string]uint64, error) {
	return c.db.CommittedMarks()
}

// SaveMarks implements ingest.MarkStore.
func (c committedMarks) SaveMarks(_ context.Context, m map[string]uint64) error {
	return c.db.SaveCommittedMarks(m)
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if code, ok := subcommand(args, stdout, stderr); ok {
		return code
	}
	cfg, err := parseFlags(args)
	if errors.Is(err, errHelp) {
		usage(stdout)
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "cloud-core: %v\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.logLevel}))
	if err := serve(ctx, cfg, log); err != nil {
		log.Error("cloud-core stopped", "err", err)
		return 1
	}
	log.Info("cloud-core stopped")
	return 0
}

// serve runs everything until ctx is done, then stops it in order.
func serve(ctx context.Context, cfg config, log *slog.Logger) error {
	if err := os.MkdirAll(cfg.dataDir, 0o755); err != nil {
		return fmt.Errorf("cannot create data dir: %w", err)
	}
	keys, err := auth.LoadOrCreateKeys(cfg.dataDir)
	if err != nil {
		return err
	}
	if cfg.insecure {
		log.Warn("--insecure: any agent may connect and write, and any reader may read; for experiments on one machine only")
	} else {
		log.Info("security on: agents need credentials (cloud-core agents add NAME), readers a token (cloud-core tokens add NAME --streams LIST)")
	}

	db, err := meta.Open(filepath.Join(cfg.dataDir, "meta.db"), meta.Options{})
	if err != nil {
		return err
	}
	defer db.Close()

	ns, err := natsembed.Start(ctx, natsembed.Options{
		StoreDir: filepath.Join(cfg.dataDir, "jetstream"), Listen: cfg.natsListen,
		SyncAlways: cfg.syncAlways, Insecure: cfg.insecure, Authority: keys, TLSCert: cfg.tlsCert, TLSKey: cfg.tlsKey, Logger: log.With("component", "nats"),
	})
	if err != nil {
		return err
	}
	defer ns.Shutdown()
	if u := ns.ClientURL(); u != "" {
		log.Info("nats listening", "url", u)
	}
	nc, err := ns.Connect("cloud-core")
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("cannot use JetStream: %w", err)
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	t2, err := tier2.Open(ctx, tier2.Options{Root: cfg.tier2Dir, Logger: log.With("component", "tier2"), Registerer: reg})
	if err != nil {
		return fmt.Errorf("cannot open tier 2 at %s: %w", cfg.tier2Dir, err)
	}
	st, err := store.Open(ctx, store.Options{
		JetStream: js, Meta: db, Tier2: t2, TierAfter: cfg.tierAfter,
		Logger: log.With("component", "store"), Registerer: reg,
	})
	if err != nil {
		return err
	}
	defer st.Close()
	sc, err := scaler.New(scaler.Options{Store: st, History: db, Logger: log.With("component", "scaler"), Registerer: reg})
	if err != nil {
		return err
	}

	ingestConn, err := ns.Connect("cloud-core-ingest")
	if err != nil {
		return err
	}
	defer ingestConn.Close()
	ing, err := ingest.New(ingest.Options{
		Conn: ingestConn, Store: st, Marks: committedMarks{db},
		Logger: log, Registerer: reg,
	})
	if err != nil {
		return err
	}

	var direct *mqttdirect.Server
	if cfg.mqttListen != "" {
		set, err := loadProfiles(cfg.profilesDir)
		if err != nil {
			return err
		}
		o := mqttdirect.Options{Addr: cfg.mqttListen, Store: st, Profiles: set, Logger: log.With("component", "mqtt-direct"), Registerer: reg}
		if !cfg.insecure {
			// Devices log in with a token from `cloud-core tokens add` as the password.
			o.Authenticate = func(_, password []byte) bool {
				_, err := keys.VerifyToken(string(password))
				return err == nil
			}
		}
		if direct, err = mqttdirect.New(o); err != nil {
			return err
		}
		log.Info("direct device MQTT listening", "addr", direct.Addr(), "auth", !cfg.insecure)
	}

	ln, err := net.Listen("tcp", cfg.httpListen)
	if err != nil {
		return fmt.Errorf("cannot listen for HTTP: %w", err)
	}
	stopping := make(chan struct{}) // closed when the HTTP server begins to stop
	handler := httpapi.New(httpapi.Options{Store: st, Gatherer: reg, Logger: log.With("component", "http"), Stopping: stopping})
	if !cfg.insecure {
		handler = httpapi.RequireTokens(handler, keys)
	}
	hs := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
	}
	hs.RegisterOnShutdown(func() { close(stopping) })
	log.Info("http api listening", "addr", ln.Addr().String(), "data_dir", cfg.dataDir, "tier2", cfg.tier2Dir, "tier_after", cfg.tierAfter, "fsync_always", cfg.syncAlways)

	runCtx, cancelRun := context.WithCancel(ctx)
	defer cancelRun()
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	wg.Go(func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs <- fmt.Errorf("http: %w", err)
		}
	})
	wg.Go(func() {
		if err := st.Run(runCtx); err != nil {
			errs <- err
		}
	})
	wg.Go(func() { _ = sc.Run(runCtx) }) // splits and merges by load; returns nil when runCtx ends
	if direct != nil {
		wg.Go(func() {
			if err := direct.Run(runCtx); err != nil {
				errs <- fmt.Errorf("direct MQTT: %w", err)
			}
		})
	}
	wg.Go(func() {
		if err := ing.Run(runCtx); err != nil {
			errs <- fmt.Errorf("ingest: %w", err)
		}
	})
	var runErr error
	select {
	case <-ctx.Done():
		log.Info("stopping")
	case runErr = <-errs:
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutCtx); err != nil {
		_ = hs.Close()
	}
	cancelRun()
	wg.Wait()
	return runErr
}
