package rawlog

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// StreamName is the baseline's one stream; its subjects are
// "raw.<topic with dots>".
const StreamName = "RAW"

// maxPending bounds async publishes in flight.
const maxPending = 4096

// Message is one payload to keep.
type Message struct {
	// Subject is the NATS subject (Subject turns an MQTT topic into one).
	Subject string
	Data    []byte
	// Points is how many points the payload holds (for rates only).
	Points int
}

// Subject maps an MQTT topic to a subject of the stream:
// "vehicles/veh-1/telemetry" -> "raw.vehicles.veh-1.telemetry".
func Subject(topic string) string {
	r := strings.NewReplacer(".", "_", " ", "_", "*", "_", ">", "_", "/", ".")
	return "raw." + r.Replace(topic)
}

// Log is a running baseline log.
type Log struct {
	dir string
	srv *server.Server
	nc  *nats.Conn
	js  jetstream.JetStream
}

// Start starts nats-server with JetStream storing in dir (loopback, a
// random port), connects to it over TCP as a producer would, and creates
// the stream.
func Start(ctx context.Context, dir string) (*Log, error) {
	srv, err := server.NewServer(&server.Options{
		ServerName: "rawlog", Host: "127.0.0.1", Port: server.RANDOM_PORT,
		JetStream: true, StoreDir: dir, NoSigs: true, NoLog: true,
		MaxPayload: 8 << 20,
	})
	if err != nil {
		return nil, fmt.Errorf("configure nats-server: %w", err)
	}
	srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		return nil, errors.New("nats-server not ready after 10s")
	}
	l := &Log{dir: dir, srv: srv}
	if l.nc, err = nats.Connect(srv.ClientURL()); err != nil {
		l.Close()
		return nil, fmt.Errorf("connect: %w", err)
	}
	if l.js, err = jetstream.New(l.nc, jetstream.WithPublishAsyncMaxPending(maxPending)); err != nil {
		l.Close()
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	_, err = l.js.CreateStream(ctx, jetstream.StreamConfig{
		Name: StreamName, Subjects: []string{"raw.>"}, Storage: jetstream.FileStorage,
		MaxMsgs: -1, MaxBytes: -1,
	})
	if err != nil {
		l.Close()
		return nil, fmt.Errorf("create stream: %w", err)
	}
	return l, nil
}

// Close stops the client and the server.
func (l *Log) Close() {
	if l.nc != nil {
		l.nc.Close()
	}
	l.srv.Shutdown()
	l.srv.WaitForShutdown()
}

// Published is the outcome of Publish.
type Published struct {
	Messages int           `json:"messages"`
	Points   int           `json:"points"`
	Bytes    int64         `json:"bytes"`
	Elapsed  time.Duration `json:"elapsed_ns"`
}

// PointsPerSecond returns the publish rate.
func (p Published) PointsPerSecond() float64 { return rate(p.Points, p.Elapsed) }

func rate(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// Publish publishes msgs as fast as the log acknowledges them (async,
// up to 4096 in flight) and returns once every one is acknowledged.
func (l *Log) Publish(ctx context.Context, msgs []Message) (Published, error) {
	var p Published
	start := time.Now()
	for _, m := range msgs {
		if _, err := l.js.PublishAsync(m.Subject, m.Data, jetstream.WithStallWait(time.Minute)); err != nil {
			return p, fmt.Errorf("publish: %w", err)
		}
		p.Messages++
		p.Points += m.Points
		p.Bytes += int64(len(m.Data))
		if ctx.Err() != nil {
			return p, ctx.Err()
		}
	}
	select {
	case <-l.js.PublishAsyncComplete():
	case <-ctx.Done():
		return p, ctx.Err()
	}
	p.Elapsed = time.Since(start)
	return p, nil
}

// Stored describes what the log keeps.
type Stored struct {
	Messages uint64 `json:"messages"`
	// Bytes is JetStream's own count of the stream's bytes.
	Bytes uint64 `json:"bytes"`
	// DiskBytes is the size of the store directory's files.
	DiskBytes int64 `json:"disk_bytes"`
}

// Stored returns the stream's size, in JetStream's count and on disk.
func (l *Log) Stored(ctx context.Context) (Stored, error) {
	s, err := l.js.Stream(ctx, StreamName)
	if err != nil {
		return Stored{}, fmt.Errorf("stream info: %w", err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		return Stored{}, fmt.Errorf("stream info: %w", err)
	}
	disk, err := DirBytes(l.dir)
	return Stored{Messages: info.State.Msgs, Bytes: info.State.Bytes, DiskBytes: disk}, err
}

// DirBytes returns the total size of the regular files under dir.
func DirBytes(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			fi, err := d.Info()
			if err != nil {
				return err
			}
			n += fi.Size()
		}
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("size of %s: %w", dir, err)
	}
	return n, nil
}
