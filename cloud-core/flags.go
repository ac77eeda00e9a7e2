package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"time"
)

// config is what the command line says.
type config struct {
	dataDir     string
	natsListen  string
	mqttListen  string
	httpListen  string
	tier2Dir    string
	tierAfter   time.Duration
	insecure    bool
	profilesDir string
	tlsCert     string
	tlsKey      string
	syncAlways  bool
	logLevel    slog.Level
}

// errHelp is returned by parseFlags for -h: usage goes to stdout, exit 0.
var errHelp = flag.ErrHelp

func newFlagSet(c *config, tier2, fsync, level *string) *flag.FlagSet {
	fs := flag.NewFlagSet("cloud-core", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.dataDir, "data-dir", "./data/cloud", "directory for JetStream, metadata and (by default) tier 2")
	fs.StringVar(&c.natsListen, "nats-listen", ":4222", "NATS listener for agents (host:port; empty: in-process only)")
	fs.StringVar(&c.mqttListen, "mqtt-listen", ":1884", "direct device MQTT listener (host:port; empty disables); devices log in with a read token as password unless --insecure")
	fs.StringVar(&c.httpListen, "http-listen", ":8080", "HTTP API listener (host:port)")
	fs.StringVar(tier2, "tier2", "", "tier-2 location: file://DIR (default: file://DATA-DIR/tier2)")
	fs.DurationVar(&c.tierAfter, "tier-after", time.Hour, "age at which tier-1 data moves to tier 2 (0: only on demand)")
	fs.StringVar(&c.profilesDir, "profiles", "", "folder of extra firmware profiles for direct MQTT (*.yaml)")
	fs.StringVar(&c.tlsCert, "nats-tls-cert", "", "PEM certificate for the NATS listener (with --nats-tls-key: agents must use tls://)")
	fs.StringVar(&c.tlsKey, "nats-tls-key", "", "PEM private key for --nats-tls-cert")
	fs.BoolVar(&c.insecure, "insecure", false, "accept any agent and any reader (experiments on one machine)")
	fs.StringVar(fsync, "fsync", "interval", "tier-1 durability: interval (an ack survives a process crash) or always (also power loss)")
	fs.StringVar(level, "log-level", "info", "log level: debug, info, warn or error")
	return fs
}

// usage writes the flags' help to w.
func usage(w io.Writer) {
	var c config
	var a, b, d string
	fs := newFlagSet(&c, &a, &b, &d)
	fs.SetOutput(w)
	fmt.Fprintln(w, "Usage: cloud-core [flags]")
	fmt.Fprintln(w, "Runs the Tributary cloud core: embedded NATS/JetStream (tier 1), Parquet tier 2, HTTP API.")
	fs.PrintDefaults()
}

// parseFlags reads the command line.
func parseFlags(args []string) (config, error) {
	var (
		c                   config
		tier2, fsync, level string
	)
	fs := newFlagSet(&c, &tier2, &fsync, &level)
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if c.dataDir == "" {
		return c, errors.New("--data-dir is empty")
	}
	for _, l := range []struct {
		name, addr string
		optional   bool
	}{{"nats-listen", c.natsListen, true}, {"mqtt-listen", c.mqttListen, true}, {"http-listen", c.httpListen, false}} {
		if l.addr == "" && l.optional {
			continue
		}
		if _, _, err := net.SplitHostPort(l.addr); err != nil {
			return c, fmt.Errorf("--%s %q: want host:port", l.name, l.addr)
		}
	}
	switch {
	case tier2 == "":
		c.tier2Dir = filepath.Join(c.dataDir, "tier2")
	case strings.HasPrefix(tier2, "file://") && len(tier2) > len("file://"):
		c.tier2Dir = strings.TrimPrefix(tier2, "file://")
	case strings.HasPrefix(tier2, "s3://"):
		return c, fmt.Errorf("--tier2 %q: s3:// is not supported yet (use file://DIR)", tier2)
	default:
		return c, fmt.Errorf("--tier2 %q: want file://DIR", tier2)
	}
	if (c.tlsCert == "") != (c.tlsKey == "") {
		return c, errors.New("--nats-tls-cert and --nats-tls-key go together")
	}
	if c.tierAfter < 0 {
		return c, fmt.Errorf("--tier-after %v is negative", c.tierAfter)
	}
	switch fsync {
	case "interval":
	case "always":
		c.syncAlways = true
	default:
		return c, fmt.Errorf("--fsync %q: want interval or always", fsync)
	}
	if err := c.logLevel.UnmarshalText([]byte(level)); err != nil {
		return c, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	return c, nil
}
