package natsembed

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// ErrNotReady is returned by Start when the server does not come up in time.
var ErrNotReady = errors.New("nats-server not ready")

// DefaultMaxPayload is the largest message the embedded server accepts.
const DefaultMaxPayload = 8 << 20

// Options configure Start.
type Options struct {
	// StoreDir is JetStream's file-store directory.
	StoreDir string
	// Listen is the client listener's host:port ("" for none: in-process
	// connections only; port 0 picks a free port).
	Listen string
	// SyncAlways makes JetStream fsync every write before acknowledging it
	// (power-loss durability). Without it, every write reaches the
	// operating system before its ack (process-crash durability) and is
	// fsynced at nats-server's default interval.
	SyncAlways bool
	// Insecure lets network clients connect without credentials, as an
	// anonymous user who may neither publish to the store's subjects nor
	// use the JetStream API. Without it the listener accepts no one until
	// agent credentials exist.
	Insecure bool
	// Authority, when set (and Insecure is not), runs the server in NATS
	// operator mode: clients authenticate with user JWTs signed by the
	// authority's account (agents' .creds files), and the cloud core's own
	// connections use its service credentials.
	Authority Authority
	// TLSCert and TLSKey, when set, make the client listener require TLS.
	TLSCert, TLSKey string
	// Logger receives the server's log; nil discards it.
	Logger *slog.Logger
}

// Authority configures operator-mode authentication (cloud-core/auth.Keys).
type Authority interface {
	ConfigureServer(opts *server.Options) error
	ServiceCreds() (userJWT string, seed []byte, err error)
}

// Server is a running embedded nats-server.
type Server struct {
	srv        *server.Server
	user, pass string
	// jwt and seed are the service credentials in operator mode.
	jwt  string
	seed []byte
}

// readyTimeout bounds the wait for the server to start.
const readyTimeout = 10 * time.Second

// internalUser is the account the cloud core's own connections use.
const internalUser = "cloud-core"

// Start starts the server and waits until it accepts connections.
func Start(ctx context.Context, opts Options) (*Server, error) {
	pass, err := randomSecret()
	if err != nil {
		return nil, err
	}
	so := &server.Options{
		ServerName: "cloud-core",
		JetStream:  true,
		StoreDir:   opts.StoreDir,
		SyncAlways: opts.SyncAlways,
		MaxPayload: DefaultMaxPayload,
		NoSigs:     true,
		NoLog:      opts.Logger == nil,
		Users:      []*server.User{{Username: internalUser, Password: pass}},
	}
	if opts.Insecure {
		so.Users = append(so.Users, &server.User{
			Username: "anonymous",
			Permissions: &server.Permissions{
				Publish: &server.SubjectPermission{Deny: []string{"t1.>", "$JS.>", "$KV.>", "$O.>", "$SYS.>"}},
			},
		})
		so.NoAuthUser = "anonymous"
	}
	var svcJWT string
	var svcSeed []byte
	if opts.Authority != nil && !opts.Insecure {
		so.Users = nil
		if err := opts.Authority.ConfigureServer(so); err != nil {
			return nil, fmt.Errorf("cannot configure NATS authentication: %w", err)
		}
		if svcJWT, svcSeed, err = opts.Authority.ServiceCreds(); err != nil {
			return nil, fmt.Errorf("cannot make service credentials: %w", err)
		}
	}
	if opts.Listen == "" {
		so.DontListen = true
	} else {
		host, port, err := net.SplitHostPort(opts.Listen)
		if err != nil {
			return nil, fmt.Errorf("nats listen address %q: %w", opts.Listen, err)
		}
		p, err := strconv.Atoi(port)
		if err != nil || p < 0 || p > 65535 {
			return nil, fmt.Errorf("nats listen address %q: bad port", opts.Listen)
		}
		if p == 0 {
			p = server.RANDOM_PORT
		}
		if host == "" {
			host = "0.0.0.0"
		}
		so.Host, so.Port = host, p
	}
	if opts.TLSCert != "" || opts.TLSKey != "" {
		tc, err := server.GenTLSConfig(&server.TLSConfigOpts{CertFile: opts.TLSCert, KeyFile: opts.TLSKey})
		if err != nil {
			return nil, fmt.Errorf("cannot load NATS TLS certificate: %w", err)
		}
		so.TLSConfig, so.TLS, so.TLSTimeout = tc, true, 5
	}
	srv, err := server.NewServer(so)
	if err != nil {
		return nil, fmt.Errorf("cannot configure nats-server: %w", err)
	}
	if opts.Logger != nil {
		srv.SetLoggerV2(serverLogger{l: opts.Logger}, false, false, false)
	}
	srv.Start()
	timeout := readyTimeout
	if d, ok := ctx.Deadline(); ok && time.Until(d) < timeout {
		timeout = time.Until(d)
	}
	if !srv.ReadyForConnections(timeout) {
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, fmt.Errorf("%w after %v", ErrNotReady, timeout)
	}
	if !srv.JetStreamEnabled() {
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, fmt.Errorf("%w: JetStream did not start (store %q)", ErrNotReady, opts.StoreDir)
	}
	return &Server{srv: srv, user: internalUser, pass: pass, jwt: svcJWT, seed: svcSeed}, nil
}

func randomSecret() (string, error) {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("cannot make a secret: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// Connect opens an in-process connection as the cloud core's own user.
func (s *Server) Connect(name string, extra ...nats.Option) (*nats.Conn, error) {
	auth := nats.UserInfo(s.user, s.pass)
	if s.jwt != "" {
		auth = nats.UserJWTAndSeed(s.jwt, string(s.seed))
	}
	opts := append([]nats.Option{
		nats.InProcessServer(s.srv),
		auth,
		nats.Name(name),
		nats.MaxReconnects(-1),
	}, extra...)
	nc, err := nats.Connect("", opts...)
	if err != nil {
		return nil, fmt.Errorf("cannot connect to embedded nats-server: %w", err)
	}
	return nc, nil
}

// ClientURL returns the URL network clients connect to ("" without a
// listener).
func (s *Server) ClientURL() string {
	if s.srv.Addr() == nil {
		return ""
	}
	return s.srv.ClientURL()
}

// Shutdown stops the server and waits until it is down.
func (s *Server) Shutdown() {
	s.srv.Shutdown()
	s.srv.WaitForShutdown()
}
