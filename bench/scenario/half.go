package scenario

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/tributary-iot/tributary/bench/cloudapi"
	"github.com/tributary-iot/tributary/bench/probe"
	"github.com/tributary-iot/tributary/bench/procs"
	"github.com/tributary-iot/tributary/bench/procstat"
)

const (
	// tailStream is the stream the tail probe's markers go to.
	tailStream = "bench_tail"
	// probePerStream markers go to each probe stream.
	probePerStream = 16
	// probeMaxGap is the most time between a marker showing and the next.
	probeMaxGap = 50 * time.Millisecond
)

// halfLoad runs fleetsim at half the end-to-end rate measured at max
// load, and the latency probe beside it.
func (s *state) halfLoad(ctx context.Context) error {
	p := &s.r.Pipeline
	s.r.Config.HalfRate = p.MaxPointsPerS / 2
	perVehicle := s.r.Config.HalfRate / float64(s.o.Vehicles)
	// Probe streams, made beforehand so that no stream is created while
	// the probe measures. Enough for a marker every 20 ms (a marker waits for the one before it).
	n := int(math.Ceil(s.o.LatencyWindow.Seconds()/0.02/probePerStream)) + 1
	n = min(n, 400)
	streams := make([]string, n)
	for i := range streams {
		streams[i] = fmt.Sprintf("bench_probe_%03d", i)
		if err := s.api.PutStream(ctx, streams[i], []byte(`{"segments":1}`)); err != nil {
			return err
		}
	}
	if err := s.api.PutStream(ctx, tailStream, []byte(`{"segments":1}`)); err != nil {
		return err
	}
	base, err := s.api.Count(ctx, Stream)
	if err != nil {
		return err
	}
	flags := []string{"--profile", s.o.Profile, "--vehicles", strconv.Itoa(s.o.Vehicles),
		"--rate", strconv.FormatFloat(perVehicle, 'f', 3, 64), "--batch", strconv.Itoa(s.o.Batch),
		"--duration", (s.o.Warmup + s.o.LatencyWindow + 2*time.Second).String(), "--clean",
		"--seed", strconv.Itoa(s.o.Seed + 1), "--start", "now", "--log-level", "warn"}

	type probeOut struct {
		res probe.Result
		err error
	}
	probed, tailed := make(chan probeOut, 1), make(chan probeOut, 1)
	var edge0, edge1 procstat.CPU
	var rcv0, rcv1 float64
	var t0, t1 time.Time
	// The probe goroutine reads the agent's pid, not s.agent (the deferred
	// stopPipeline clears it), and ends with gctx when halfLoad returns.
	pid := s.agent.PID()
	gctx, stop := context.WithCancel(ctx)
	defer stop()
	probing := false
	started := func(*procs.Proc) {
		probing = true
		go func() {
			select {
			case <-time.After(s.o.Warmup):
			case <-gctx.Done():
				tailed <- probeOut{err: gctx.Err()}
				probed <- probeOut{err: gctx.Err()}
				return
			}
			edge0, _ = procstat.Read(pid)
			m, _ := s.agentMetrics(gctx)
			rcv0, t0 = m["tributary_edge_points_received_total"], time.Now()
			pctx, cancel := context.WithTimeout(gctx, s.o.LatencyWindow)
			defer cancel()
			go func() {
				res, err := probe.RunTail(pctx, probe.TailOptions{
					Broker: "tcp://" + s.mqttAddr, Topic: "lp/bench-tail", Stream: tailStream, Every: 20 * time.Millisecond,
					Grace: 10 * time.Second, Open: s.api.Tail, Seed: uint64(s.o.Seed),
				})
				tailed <- probeOut{res, err}
			}()
			res, err := probe.Run(pctx, probe.Options{
				Broker: "tcp://" + s.mqttAddr, Topic: "lp/bench-probe", Streams: streams, PerStream: probePerStream,
				Poll: s.o.ProbePoll, MaxGap: probeMaxGap, Timeout: 10 * time.Second, Cloud: s.api, Seed: uint64(s.o.Seed),
			})
			edge1, _ = procstat.Read(pid)
			m, _ = s.agentMetrics(gctx)
			rcv1, t1 = m["tributary_edge_points_received_total"], time.Now()
			probed <- probeOut{res, err}
		}()
	}
	s.series.run(ctx, "half load")
	rep, _, err := s.runFleetsim(ctx, "fleetsim-half", s.mqttAddr, flags, started)
	if err != nil {
		stop()
		if probing {
			<-probed
		}
		s.series.end()
		return err
	}
	out, tail := <-probed, <-tailed
	s.series.setPhase("drain")
	_, err = s.waitVisible(ctx, Stream, base+rep.Points, 3*time.Minute)
	s.series.end()
	s.r.Series = s.series.all()
	if err != nil {
		return err
	}
	p.ExactlyOnceMsg += fmt.Sprintf("; half load: %d published, %d visible", rep.Points, rep.Points)
	if out.err != nil && !errors.Is(out.err, probe.ErrStreamsUsedUp) {
		return out.err
	}
	if errors.Is(out.err, probe.ErrStreamsUsedUp) {
		s.note("the latency probe used up its %d streams before the window ended", len(streams))
	}
	p.HalfPoints = rep.Points
	var visible, acked []time.Duration
	for _, smp := range out.res.Samples {
		visible, acked = append(visible, smp.Visible), append(acked, smp.Acked)
	}
	latency := ms(visible)
	p.Latency, p.Ack = summaryOf(latency), summaryOf(ms(acked))
	p.ProbeTimedOut, p.ProbePolls = out.res.TimedOut, out.res.Polls
	if len(latency) == 0 {
		return errors.New("the latency probe measured nothing")
	}
	switch {
	case errors.Is(tail.err, cloudapi.ErrNotServed):
		s.tailSkip = "cloud-core serves no /v1/streams/{s}/tail"
	case tail.err != nil:
		s.tailSkip = "tail probe failed: " + tail.err.Error()
		s.note("tail latency probe: %v", tail.err)
	default:
		var seen []time.Duration
		for _, smp := range tail.res.Samples {
			seen = append(seen, smp.Visible)
		}
		lat := ms(seen)
		p.TailLatency, p.TailTimedOut = summaryOf(lat), tail.res.TimedOut
		if len(lat) == 0 {
			s.tailSkip = "no marker came back on the tail"
		}
	}
	if dt := t1.Sub(t0).Seconds(); dt > 0 {
		p.EdgeHalfCores = edge1.Sub(edge0).Total().Seconds() / dt
		p.EdgeHalfRate = (rcv1 - rcv0) / dt
	}
	return nil
}
