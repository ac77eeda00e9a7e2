package agent_test

// Agent ingest through MQTT: publishers send multi-line line-protocol
// payloads with QoS 1 to the embedded broker; each PUBACK means the points
// are committed (fsync'd) in the local log. Reported as points/s.
//
// Run: go test -run '^$' -bench IngestMQTT -benchtime 20000x ./edge-agent/agent

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/tributary-iot/tributary/edge-agent/agent"
	"github.com/tributary-iot/tributary/edge-agent/config"
)

func startAgent(b *testing.B) (*agent.Agent, func()) {
	b.Helper()
	opts, err := config.Parse([]string{"--data-dir", b.TempDir(), "--mqtt-listen", "127.0.0.1:0", "--http-listen", "", "--max-buffer", "4GiB"}, io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	a, err := agent.New(context.Background(), opts, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = a.Run(ctx) }()
	return a, func() { cancel(); <-done }
}

// lpPayload is one message: lines points of a truck, 10 fields each.
func lpPayload(lines int, t0 int64) []byte {
	var sb strings.Builder
	for i := 0; i < lines; i++ {
		fmt.Fprintf(&sb, "engine,fleet=north,model=fh16 rpm=%di,load=%d.5,fuel_rate=%d.25,oil_kpa=%di,coolant=%d.5,speed=%d.1,axle1=%di,axle2=%di,gear=%di,brake=%t %d\n",
			1200+i, i%100, i%40, 300+i%50, 80+i%10, i%90, 7000+i, 9000+i, i%12, i%7 == 0, t0+int64(i)*1e6)
	}
	return []byte(sb.String())
}

func BenchmarkIngestMQTT(b *testing.B) {
	for _, pubs := range []int{1, 8, 16} {
		for _, lines := range []int{100, 500} {
			b.Run(fmt.Sprintf("publishers=%d/lines=%d", pubs, lines), func(b *testing.B) {
				a, stop := startAgent(b)
				defer stop()
				payload := lpPayload(lines, time.Now().UnixNano())
				clients := make([]paho.Client, pubs)
				for i := range clients {
					clients[i] = paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + a.MQTTAddr()).
						SetClientID(fmt.Sprintf("bench-%d", i)).SetMaxResumePubInFlight(64))
					if tok := clients[i].Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
						b.Fatal(tok.Error())
					}
					defer clients[i].Disconnect(0)
				}
				b.SetBytes(int64(len(payload)))
				b.ReportAllocs()
				b.ResetTimer()
				var wg sync.WaitGroup
				per := b.N / pubs
				for i := range clients {
					wg.Add(1)
					go func(c paho.Client, d int) {
						defer wg.Done()
						const window = 32 // QoS 1 messages in flight per publisher
						toks := make([]paho.Token, 0, window)
						for k := 0; k < per; k++ {
							toks = append(toks, c.Publish(fmt.Sprintf("lp/truck-%d", d), 1, false, payload))
							if len(toks) == window {
								for _, t := range toks {
									t.Wait()
								}
								toks = toks[:0]
							}
						}
						for _, t := range toks {
							t.Wait()
						}
					}(clients[i], i)
				}
				wg.Wait()
				b.StopTimer()
				st := a.Status()
				if st.PointsBuffered != int64(per*pubs*lines) {
					b.Fatalf("buffered %d points, want %d", st.PointsBuffered, per*pubs*lines)
				}
				b.ReportMetric(float64(per*pubs*lines)/b.Elapsed().Seconds(), "points/s")
			})
		}
	}
}
