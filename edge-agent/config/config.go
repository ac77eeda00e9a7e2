package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/tributary-iot/tributary/edge-agent/locallog"
	"github.com/tributary-iot/tributary/models"
)

// ErrHelp is returned by Parse when -h or --help was asked for.
var ErrHelp = flag.ErrHelp

// Options is the edge agent's whole configuration.
type Options struct {
	// DataDir holds the local log, the agent id and the dead letters.
	DataDir string
	// AgentID names this agent; empty means generated once and kept in DataDir.
	AgentID string
	// MQTTListen is the embedded broker's address; empty disables it.
	MQTTListen string
	// MQTTBroker is an external broker URL to subscribe to instead.
	MQTTBroker string
	// MQTTClientID is the client id used with an external broker (default: the agent id).
	MQTTClientID string
	// ProfilesDir is a folder of extra firmware profiles (*.yaml).
	ProfilesDir string
	// Cloud is cloud-core's NATS URL; empty means buffer only.
	Cloud string
	// CredsFile is the agent's NATS credentials file.
	CredsFile string
	// CloudCA is a PEM file of CA certificates that sign cloud-core's NATS
	// TLS certificate (for tls:// URLs).
	CloudCA string
	// UplinkRate caps the uplink's bytes per second (0: no cap).
	UplinkRate ByteSize
	// UplinkBatch is the most points in one uplink batch.
	UplinkBatch int
	// UplinkLinger is how long a batch that is not full waits for more points.
	UplinkLinger time.Duration
	// MaxBuffer caps the local log's size on disk.
	MaxBuffer ByteSize
	// WhenFull is the full-buffer policy.
	WhenFull locallog.Policy
	// TTL per priority class (index: models.Priority); zero keeps points until synced.
	TTL [models.NumPriorities]time.Duration
	// MaxDeadLetters caps the dead-letter store (oldest removed first).
	MaxDeadLetters int
	// MaxPayload caps an MQTT message's size at the broker.
	MaxPayload ByteSize
	// HTTPListen serves /healthz, /metrics and /v1/status; empty disables it.
	HTTPListen string
	// LogLevel is the minimum level logged.
	LogLevel slog.Level
}

// Default returns the defaults of the interface contract.
func Default() Options {
	return Options{
		DataDir:        filepath.Join("data", "edge"),
		MQTTListen:     ":1883",
		MaxBuffer:      512 << 20,
		WhenFull:       locallog.DropOldest,
		MaxDeadLetters: 10000,
		MaxPayload:     1 << 20,
		HTTPListen:     ":9100",
		LogLevel:       slog.LevelInfo,
		UplinkBatch:    5000,
		UplinkLinger:   200 * time.Millisecond,
	}
}

// Parse parses the command-line arguments (without the program name).
// Usage text goes to usage (on -h or an error). Errors are one line.
func Parse(args []string, usage io.Writer) (Options, error) {
	o := Default()
	fs := flag.NewFlagSet("edge-agent", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.DataDir, "data-dir", o.DataDir, "folder for the local log, agent id and dead letters")
	fs.StringVar(&o.AgentID, "agent-id", "", "agent id (default: generated once and kept in the data dir)")
	fs.StringVar(&o.MQTTListen, "mqtt-listen", o.MQTTListen, "embedded MQTT broker address; empty disables it (default off when --mqtt-broker is set)")
	fs.StringVar(&o.MQTTBroker, "mqtt-broker", "", "external MQTT broker URL to subscribe to, e.g. tcp://host:1883")
	fs.StringVar(&o.MQTTClientID, "mqtt-client-id", "", "client id at the external broker (default: the agent id)")
	fs.StringVar(&o.ProfilesDir, "profiles", "", "folder of extra firmware profiles (*.yaml); built-in ones are always there")
	fs.StringVar(&o.Cloud, "cloud", "", "cloud-core NATS URL, e.g. nats://host:4222; empty: buffer only")
	fs.StringVar(&o.CredsFile, "creds", "", "NATS credentials file from `cloud-core agents add`")
	fs.StringVar(&o.CloudCA, "cloud-ca", "", "PEM CA certificates for a tls:// --cloud (default: the system's)")
	fs.Var(&o.UplinkRate, "uplink-rate", "cap on uplink bandwidth in bytes/s, e.g. 64KiB (default: no cap)")
	fs.IntVar(&o.UplinkBatch, "uplink-batch", o.UplinkBatch, "most points in one uplink batch")
	fs.DurationVar(&o.UplinkLinger, "uplink-linger", o.UplinkLinger, "how long a batch that is not full waits for more points")
	fs.Var(&o.MaxBuffer, "max-buffer", "cap on the local log's disk use, e.g. 512MiB")
	whenFull := fs.String("when-full", o.WhenFull.String(), "full-buffer policy: drop-oldest or reject-new")
	ttl := fs.String("ttl", "", "time to live per priority class, e.g. low=24h,normal=168h (default: keep until synced)")
	fs.IntVar(&o.MaxDeadLetters, "max-dead-letters", o.MaxDeadLetters, "dead letters kept (oldest removed first)")
	fs.Var(&o.MaxPayload, "max-payload", "largest MQTT message the embedded broker accepts")
	fs.StringVar(&o.HTTPListen, "http-listen", o.HTTPListen, "HTTP address for /healthz, /metrics and /v1/status; empty disables it")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")

	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(usage)
			fmt.Fprintln(usage, "Usage: edge-agent [flags]")
			fs.PrintDefaults()
			return o, ErrHelp
		}
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if o.MQTTBroker != "" && !set["mqtt-listen"] {
		o.MQTTListen = ""
	}
	var err error
	if o.WhenFull, err = locallog.ParsePolicy(*whenFull); err != nil {
		return o, fmt.Errorf("--when-full: %w", err)
	}
	if o.TTL, err = parseTTL(*ttl); err != nil {
		return o, fmt.Errorf("--ttl: %w", err)
	}
	if err := o.LogLevel.UnmarshalText([]byte(*logLevel)); err != nil {
		return o, fmt.Errorf("--log-level: %w", err)
	}
	return o, o.Validate()
}

// Validate checks the options for contradictions and bad values.
func (o *Options) Validate() error {
	if o.DataDir == "" {
		return errors.New("--data-dir: must not be empty")
	}
	if o.AgentID != "" {
		if err := models.ValidateID("agent", o.AgentID); err != nil {
			return fmt.Errorf("--agent-id: %w", err)
		}
	}
	if o.MQTTListen == "" && o.MQTTBroker == "" {
		return errors.New("no MQTT input: set --mqtt-listen (embedded broker) or --mqtt-broker (external broker)")
	}
	if o.MQTTBroker != "" {
		if err := checkURL(o.MQTTBroker, "tcp", "ssl", "tls", "mqtt", "mqtts", "ws", "wss"); err != nil {
			return fmt.Errorf("--mqtt-broker: %w", err)
		}
	}
	if o.Cloud != "" {
		if err := checkURL(o.Cloud, "nats", "tls"); err != nil {
			return fmt.Errorf("--cloud: %w", err)
		}
	}
	if (o.CredsFile != "" || o.CloudCA != "") && o.Cloud == "" {
		return errors.New("--creds and --cloud-ca need --cloud")
	}
	if o.UplinkRate < 0 || o.UplinkBatch <= 0 || o.UplinkBatch > 60000 || o.UplinkLinger < 0 {
		return errors.New("--uplink-rate must not be negative, --uplink-batch must be 1..60000, --uplink-linger not negative")
	}
	if o.MaxBuffer <= 0 {
		return errors.New("--max-buffer: must be above zero")
	}
	if o.MaxDeadLetters < 0 {
		return errors.New("--max-dead-letters: must not be negative")
	}
	if o.MaxPayload <= 0 {
		return errors.New("--max-payload: must be above zero")
	}
	return nil
}

func checkURL(s string, schemes ...string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("invalid URL %q: %w", s, err)
	}
	for _, sc := range schemes {
		if u.Scheme == sc {
			if u.Host == "" {
				return fmt.Errorf("URL %q has no host", s)
			}
			return nil
		}
	}
	return fmt.Errorf("URL %q: scheme must be one of %s", s, strings.Join(schemes, ", "))
}

func parseTTL(s string) ([models.NumPriorities]time.Duration, error) {
	var ttl [models.NumPriorities]time.Duration
	if strings.TrimSpace(s) == "" {
		return ttl, nil
	}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			return ttl, fmt.Errorf("%q: want CLASS=DURATION", kv)
		}
		class, err := models.ParsePriority(k)
		if err != nil {
			return ttl, err
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return ttl, fmt.Errorf("%q: invalid duration %q", kv, v)
		}
		ttl[class] = d
	}
	return ttl, nil
}
