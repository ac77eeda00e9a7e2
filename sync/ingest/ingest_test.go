package ingest_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/tributary-iot/tributary/models"
	"github.com/tributary-iot/tributary/protocols/frame"
	"github.com/tributary-iot/tributary/sync/ingest"
)

func serve(t *testing.T, store *ingest.MemStore) *nats.Conn {
	t.Helper()
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server not ready")
	}
	t.Cleanup(s.Shutdown)
	nc, err := nats.Connect(s.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	srv, err := ingest.New(ingest.Options{Conn: nc, Store: store, Marks: store})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	<-srv.Ready()
	return nc
}

func batch(first, last uint64) models.Batch {
	b := models.Batch{Writer: "gw.normal", FirstSeq: first, LastSeq: last}
	for s := first; s <= last; s++ {
		b.Points = append(b.Points, models.Point{Device: "d" + strconv.FormatUint(s%3, 10), Stream: "s", Agent: "gw", Seq: s,
			Fields: []models.Field{{Key: "v", Value: models.Uint(s)}}})
	}
	return b
}

func send(t *testing.T, nc *nats.Conn, agent string, prev uint64, data []byte) frame.Ack {
	t.Helper()
	msg := &nats.Msg{Subject: ingest.IngestPrefix + agent, Data: data,
		Header: nats.Header{ingest.PrevHeader: []string{strconv.FormatUint(prev, 10)}}}
	reply, err := nc.RequestMsg(msg, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var a frame.Ack
	if _, err := a.UnmarshalMsg(reply.Data); err != nil {
		t.Fatal(err)
	}
	return a
}

func TestChainDuplicatesAndRefusals(t *testing.T) {
	store := ingest.NewMemStore()
	nc := serve(t, store)
	enc, _ := frame.NewEncoder(frame.EncoderOptions{})
	encode := func(b models.Batch) []byte {
		d, err := enc.AppendBatch(nil, &b)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	steps := []struct {
		name   string
		prev   uint64
		data   []byte
		status frame.AckStatus
		mark   uint64
	}{
		{"first batch", 0, encode(batch(1, 10)), frame.AckOK, 10},
		{"skips a batch", 20, encode(batch(21, 30)), frame.AckOutOfOrder, 10},
		{"the missing one", 10, encode(batch(11, 20)), frame.AckOK, 20},
		{"a late retry", 10, encode(batch(11, 20)), frame.AckOK, 20},
		{"prev under the mark (agent resumed after its trim point)", 5, encode(batch(21, 30)), frame.AckOK, 30},
		{"garbage", 30, []byte("not a frame"), frame.AckRefused, 0},
	}
	for _, s := range steps {
		a := send(t, nc, "gw", s.prev, s.data)
		if a.Status != s.status || (s.mark != 0 && a.Mark != s.mark) {
			t.Fatalf("%s: got %v mark %d (%s), want %v mark %d", s.name, a.Status, a.Mark, a.Error, s.status, s.mark)
		}
	}
	if n := len(store.Points()); n != 30 {
		t.Fatalf("%d points stored, want 30 (each once)", n)
	}
	// A frame whose writer or points name another agent is refused.
	other := batch(31, 31)
	other.Writer = "victim.normal"
	if a := send(t, nc, "gw", 30, encode(other)); a.Status != frame.AckRefused {
		t.Fatalf("impersonation: %v", a.Status)
	}
	spoof := batch(31, 31)
	spoof.Points[0].Agent = "victim"
	if a := send(t, nc, "gw", 30, encode(spoof)); a.Status != frame.AckRefused {
		t.Fatalf("point naming another agent: %v", a.Status)
	}
	// So is a frame wholly of another agent (writer and points), and
	// none of these stored a point.
	victim := batch(1, 1)
	victim.Writer, victim.Points[0].Agent = "victim.normal", "victim"
	if a := send(t, nc, "mallory", 0, encode(victim)); a.Status != frame.AckRefused {
		t.Fatalf("impersonating batch got %v, want refused", a.Status)
	}
	if n := len(store.Points()); n != 30 {
		t.Fatalf("%d points stored, want 30: an impersonator wrote %d", n, n-30)
	}
	// Hello returns the committed mark of the agent's own writers only.
	h := frame.Hello{Version: 1, Agent: "gw", Writers: []string{"gw.normal", "victim.normal"}}
	b, _ := h.MarshalMsg(nil)
	reply, err := nc.Request(ingest.HelloPrefix+"gw", b, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var hr frame.HelloReply
	if _, err := hr.UnmarshalMsg(reply.Data); err != nil {
		t.Fatal(err)
	}
	if hr.Marks["gw.normal"] != 30 || len(hr.Marks) != 1 {
		t.Fatalf("hello marks %v", hr.Marks)
	}
}
