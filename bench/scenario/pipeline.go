package scenario

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tributary-iot/tributary/bench/cloudapi"
	"github.com/tributary-iot/tributary/bench/procs"
	"github.com/tributary-iot/tributary/bench/promtext"
	"github.com/tributary-iot/tributary/bench/report"
)

// agentID is the edge agent's name in the cloud.
const agentID = "bench-gw"

// startPipeline starts cloud-core, issues credentials and a token, and
// starts the edge agent connected to it.
func (s *state) startPipeline(ctx context.Context) error {
	var err error
	addrs := make([]string, 4)
	for i := range addrs {
		if addrs[i], err = procs.FreeAddr(); err != nil {
			return err
		}
	}
	s.natsAddr, s.cloudHTTP, s.mqttAddr, s.agentHTTP = addrs[0], addrs[1], addrs[2], addrs[3]
	cloudDir, edgeDir := s.path("cloud"), s.path("edge")
	s.tier2Dir = s.path("tier2")
	for _, d := range []string{cloudDir, edgeDir, s.tier2Dir} {
		if err := mkdir(d); err != nil {
			return err
		}
	}
	s.cloud, err = procs.Start("cloud-core", s.path("cloud-core.log"), s.bin("cloud-core"),
		"--data-dir", cloudDir, "--nats-listen", s.natsAddr, "--mqtt-listen", "", "--http-listen", s.cloudHTTP,
		"--tier2", "file://"+s.tier2Dir, "--tier-after", "0")
	if err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := procs.WaitHTTP(wctx, "http://"+s.cloudHTTP+"/healthz", s.cloud); err != nil {
		return err
	}
	creds, err := procs.Output(ctx, s.bin("cloud-core"), "agents", "add", agentID, "--data-dir", cloudDir)
	if err != nil {
		return err
	}
	credsFile := s.path(agentID + ".creds")
	if err := writeFile(credsFile, creds); err != nil {
		return err
	}
	tok, err := procs.Output(ctx, s.bin("cloud-core"), "tokens", "add", "bench", "--streams", "*", "--data-dir", cloudDir)
	if err != nil {
		return err
	}
	s.api = &cloudapi.Client{Base: "http://" + s.cloudHTTP, Token: strings.TrimSpace(string(tok)),
		HTTP: &http.Client{Timeout: 5 * time.Minute}}

	args := []string{"--data-dir", edgeDir, "--agent-id", agentID, "--mqtt-listen", s.mqttAddr,
		"--http-listen", s.agentHTTP, "--cloud", "nats://" + s.natsAddr, "--creds", credsFile, "--max-buffer", "4GiB"}
	if s.o.UplinkBatch > 0 {
		args = append(args, "--uplink-batch", strconv.Itoa(s.o.UplinkBatch))
	}
	if s.o.UplinkLinger > 0 {
		args = append(args, "--uplink-linger", s.o.UplinkLinger.String())
	}
	if s.agent, err = procs.Start("edge-agent", s.path("edge-agent.log"), s.bin("edge-agent"), args...); err != nil {
		return err
	}
	if err := procs.WaitHTTP(wctx, "http://"+s.agentHTTP+"/healthz", s.agent); err != nil {
		return err
	}
	// Wait for the uplink session, so the load does not start buffered.
	for {
		st, err := s.agentStatus(wctx)
		if err == nil && st == "connected" {
			return nil
		}
		select {
		case <-wctx.Done():
			return fmt.Errorf("edge agent not connected to the cloud (state %q, %v): see %s", st, err, s.agent.LogPath)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// stopPipeline stops the agent, then the cloud; it is safe to call twice.
func (s *state) stopPipeline(context.Context) error {
	var errs []error
	if s.agent != nil {
		errs = append(errs, s.agent.Stop(30*time.Second))
		s.agent = nil
	}
	if s.cloud != nil {
		errs = append(errs, s.cloud.Stop(30*time.Second))
		s.cloud = nil
	}
	return errors.Join(errs...)
}

func (s *state) agentStatus(ctx context.Context) (string, error) {
	b, err := get(ctx, "http://"+s.agentHTTP+"/v1/status")
	if err != nil {
		return "", err
	}
	var st struct {
		Cloud *string `json:"cloud"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return "", fmt.Errorf("agent status: %w", err)
	}
	if st.Cloud == nil {
		return "", errors.New("status has no cloud field")
	}
	return *st.Cloud, nil
}

// agentMetrics returns the agent's /metrics, summed by name.
func (s *state) agentMetrics(ctx context.Context) (promtext.Sums, error) {
	b, err := get(ctx, "http://"+s.agentHTTP+"/metrics")
	if err != nil {
		return nil, err
	}
	return promtext.Parse(b)
}

func get(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return b, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return b, nil
}

// waitVisible polls the stream's count until it reaches want and returns
// the time of the answer that first did. It hands each count of Stream to
// the sampler, which then need not ask for its own.
func (s *state) waitVisible(ctx context.Context, stream string, want int64, limit time.Duration) (time.Time, error) {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	var last int64
	for {
		n, err := s.api.Count(ctx, stream)
		now := time.Now()
		if err == nil && stream == Stream && s.series != nil {
			s.series.counted(n, now)
		}
		if err == nil && n >= want {
			if n > want {
				return now, fmt.Errorf("%s counts %d points, %d were published: duplicates", stream, n, want)
			}
			return now, nil
		}
		if err == nil {
			last = n
		}
		select {
		case <-ctx.Done():
			return now, fmt.Errorf("%s: %d of %d points visible after %v: %w", stream, last, want, limit, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// sampler records the time series while a load phase runs.
type sampler struct {
	s     *state
	t0    time.Time
	every time.Duration
	// mu guards phase, samples, count and countAt.
	mu      sync.Mutex
	phase   string
	samples []report.Sample
	// count is the last count of Stream waitVisible handed in, answered
	// at countAt.
	count   int64
	countAt time.Time
	stop    chan struct{}
	done    chan struct{}
}

func newSampler(s *state) *sampler {
	return &sampler{s: s, t0: time.Now(), every: time.Second}
}

// run samples until end is called; phase labels the samples.
func (sm *sampler) run(ctx context.Context, phase string) {
	sm.mu.Lock()
	sm.phase, sm.countAt = phase, time.Time{}
	sm.mu.Unlock()
	sm.stop, sm.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(sm.done)
		t := time.NewTicker(sm.every)
		defer t.Stop()
		for {
			sm.sample(ctx)
			select {
			case <-sm.stop:
				sm.sample(ctx)
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

func (sm *sampler) setPhase(p string) {
	sm.mu.Lock()
	sm.phase = p
	sm.mu.Unlock()
}

func (sm *sampler) end() {
	if sm.stop != nil {
		close(sm.stop)
		<-sm.done
		sm.stop = nil
	}
}

// counted records a count of Stream answered at t, for sample to use.
func (sm *sampler) counted(n int64, t time.Time) {
	sm.mu.Lock()
	sm.count, sm.countAt = n, t
	sm.mu.Unlock()
}

func (sm *sampler) sample(ctx context.Context) {
	sm.mu.Lock()
	vis, fresh := sm.count, time.Since(sm.countAt) < time.Second
	sm.mu.Unlock()
	var err1 error
	if !fresh {
		vis, err1 = sm.s.api.Count(ctx, Stream)
	}
	m, err2 := sm.s.agentMetrics(ctx)
	if err1 != nil || err2 != nil {
		return
	}
	t := time.Since(sm.t0).Seconds()
	sm.mu.Lock()
	defer sm.mu.Unlock()
	sm.samples = append(sm.samples, report.Sample{
		T: t, Phase: sm.phase, Visible: vis,
		Received: int64(m["tributary_edge_points_received_total"]),
		Backlog:  int64(m["tributary_edge_log_buffered_points"]),
	})
}

func (sm *sampler) all() []report.Sample {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	return append([]report.Sample(nil), sm.samples...)
}
