package scenario

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"

	profiles "github.com/tributary-iot/tributary/firmware-profiles"
	"github.com/tributary-iot/tributary/models"
	"github.com/tributary-iot/tributary/simulators/msgfile"

	"github.com/tributary-iot/tributary/bench/procs"
	"github.com/tributary-iot/tributary/bench/procstat"
	"github.com/tributary-iot/tributary/bench/quantile"
	"github.com/tributary-iot/tributary/bench/rawlog"
)

func summaryOf(xs []float64) quantile.Summary { return quantile.Summarize(xs) }

// bareBroker runs the max-load phase's fleetsim against a bare mochi-mqtt
// broker in its own process (benchrun broker) and measures its CPU and
// memory: what MQTT alone costs at that load.
func (s *state) bareBroker(ctx context.Context) error {
	addr, err := procs.FreeAddr()
	if err != nil {
		return err
	}
	br, err := procs.Start("bare-broker", s.path("bare-broker.log"), s.o.Self, "broker", "--listen", addr)
	if err != nil {
		return err
	}
	defer br.Stop(10 * time.Second)
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := procs.WaitTCP(wctx, addr, br); err != nil {
		return err
	}
	cpu0, err := procstat.Read(br.PID())
	if err != nil {
		return err
	}
	launch := time.Now()
	rep, _, err := s.runFleetsim(ctx, "fleetsim-bare", addr, s.maxFlags(), nil)
	if err != nil {
		return err
	}
	wall := time.Since(launch)
	cpu1, err := procstat.Read(br.PID())
	if err != nil {
		return err
	}
	mem, err := procstat.ReadMemory(br.PID())
	if err != nil {
		return err
	}
	b := &s.r.Baseline
	b.BrokerCores = cpu1.Sub(cpu0).Total().Seconds() / wall.Seconds()
	b.BrokerPeakRSS = mem.HWM
	b.BrokerPointsPerS = rep.PointsPerS
	return nil
}

// loadMessages reads the dry run's messages and counts each one's points
// by decoding it with its firmware profile, as the agent would.
func loadMessages(path string) ([]rawlog.Message, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open messages: %w", err)
	}
	defer f.Close()
	builtin, err := profiles.Builtin()
	if err != nil {
		return nil, err
	}
	set, err := profiles.NewSet(builtin...)
	if err != nil {
		return nil, err
	}
	r := msgfile.NewReader(f)
	var (
		out []rawlog.Message
		pts []models.Point
	)
	now := time.Now()
	for {
		m, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read messages: %w", err)
		}
		pts, _, err = set.Decode(pts[:0], m.Topic, m.Payload, now)
		if err != nil {
			return nil, fmt.Errorf("decode message %d on %s: %w", len(out), m.Topic, err)
		}
		out = append(out, rawlog.Message{Subject: rawlog.Subject(m.Topic), Data: m.Payload, Points: len(pts)})
	}
	return out, nil
}

// rawLog runs the same payloads through the plain JetStream log: publish
// rate, bytes kept, read-back rate, and publish-to-ack latency at the
// half-load rate.
func (s *state) rawLog(ctx context.Context) error {
	msgs, err := loadMessages(s.msgsFile)
	if err != nil {
		return err
	}
	dir := s.path("rawlog")
	if err := mkdir(dir); err != nil {
		return err
	}
	l, err := rawlog.Start(ctx, dir)
	if err != nil {
		return err
	}
	defer l.Close()
	// Flush what the pipeline wrote, so its write-back does not land in
	// the baseline's measurement.
	syscall.Sync()
	pub, err := l.Publish(ctx, msgs)
	if err != nil {
		return err
	}
	b := &s.r.Baseline
	b.LogMessages, b.LogPoints, b.LogPayloadBytes = pub.Messages, pub.Points, pub.Bytes
	b.LogPublishPerS = pub.PointsPerSecond()
	if int64(pub.Points) != s.r.Pipeline.MaxPoints {
		s.note("the raw log holds %d points, the pipeline's max-load phase %d", pub.Points, s.r.Pipeline.MaxPoints)
	}
	st, err := l.Stored(ctx)
	if err != nil {
		return err
	}
	b.LogStoredBytes, b.LogDiskBytes = st.Bytes, st.DiskBytes
	rd, err := l.ReadAll(ctx, func(i int) int { return msgs[i].Points })
	if err != nil {
		return err
	}
	b.LogReadPerS = rd.PointsPerSecond()
	lat, err := l.Paced(ctx, msgs, rawlog.PacedOptions{Rate: s.r.Config.HalfRate, Duration: 10 * time.Second, MarkerEvery: 20 * time.Millisecond})
	if err != nil {
		return err
	}
	b.LogAckLatency = summaryOf(ms(lat))
	return nil
}
