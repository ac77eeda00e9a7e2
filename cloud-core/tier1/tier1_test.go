package tier1_test

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/goleak"

	"github.com/tributary-iot/tributary/cloud-core/batchmsg"
	"github.com/tributary-iot/tributary/cloud-core/natsembed"
	"github.com/tributary-iot/tributary/cloud-core/tier1"
	"github.com/tributary-iot/tributary/models"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type env struct {
	log   *tier1.Log
	js    jetstream.JetStream
	codec *batchmsg.Codec
}

func newEnv(t *testing.T, opts tier1.Options) *env {
	t.Helper()
	ctx := t.Context()
	srv, err := natsembed.Start(ctx, natsembed.Options{StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	nc, err := srv.Connect("test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	codec, err := batchmsg.NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(codec.Close)
	opts.Codec = codec
	l, err := tier1.New(js, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Ensure(ctx, "s", "0"); err != nil {
		t.Fatal(err)
	}
	return &env{log: l, js: js, codec: codec}
}

func points(first, last uint64) []models.Point {
	var out []models.Point
	for s := first; s <= last; s++ {
		out = append(out, models.Point{
			Device: fmt.Sprintf("d%d", s%3), Stream: "s", Time: int64(s) * 1000,
			Fields: []models.Field{{Key: "v", Value: models.Int(int64(s))}}, Agent: "gw", Seq: s,
		})
	}
	return out
}

func TestAppendLastNext(t *testing.T) {
	e := newEnv(t, tier1.Options{})
	ctx := t.Context()
	last, err := e.log.Last(ctx, "s", "0", "gw.normal")
	if err != nil || last != (tier1.Last{}) {
		t.Fatalf("last of a new writer: %+v %v", last, err)
	}
	l1, err := e.log.Append(ctx, "s", "0", "gw.normal", 0, points(1, 10))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.log.Append(ctx, "s", "0", "gw.high", 0, points(1, 2)); err != nil {
		t.Fatal(err)
	}
	l2, err := e.log.Append(ctx, "s", "0", "gw.normal", l1.Pos, points(11, 12))
	if err != nil {
		t.Fatal(err)
	}
	if l1.Last != (tier1.Last{Pos: 1, Mark: 10}) || l2.Last != (tier1.Last{Pos: 3, Mark: 12}) {
		t.Fatalf("appends returned %+v, %+v", l1, l2)
	}
	if l1.Messages != 1 || l1.Bytes <= 0 {
		t.Errorf("append of one message reports %d messages, %d bytes", l1.Messages, l1.Bytes)
	}
	got, err := e.log.Last(ctx, "s", "0", "gw.normal")
	if err != nil || got != l2.Last {
		t.Fatalf("Last = %+v, %v; want %+v", got, err, l2)
	}
	m, err := e.log.Next(ctx, "s", "0", 2)
	if err != nil {
		t.Fatal(err)
	}
	if m.Pos != 2 || m.Summary != (batchmsg.Summary{Writer: "gw.high", Mark: 2, Points: 2, MinTime: 1000, MaxTime: 2000}) {
		t.Fatalf("Next(2) = pos %d %+v", m.Pos, m.Summary)
	}
	var b models.Batch
	if err := m.Decode(e.codec, &b); err != nil || len(b.Points) != 2 || b.Writer != "gw.high" {
		t.Fatalf("decode: %+v %v", b, err)
	}
	if _, err := e.log.Next(ctx, "s", "0", 4); !errors.Is(err, tier1.ErrNoMessage) {
		t.Fatalf("Next past the end: %v", err)
	}
	st, err := e.log.State(ctx, "s", "0")
	if err != nil || st.First != 1 || st.Last != 3 || st.Msgs != 3 {
		t.Fatalf("state %+v %v", st, err)
	}
}

func TestAppendAfterAStalePositionConflicts(t *testing.T) {
	e := newEnv(t, tier1.Options{})
	ctx := t.Context()
	if _, err := e.log.Append(ctx, "s", "0", "gw.normal", 0, points(1, 5)); err != nil {
		t.Fatal(err)
	}
	for _, after := range []uint64{0, 2, 99} {
		if _, err := e.log.Append(ctx, "s", "0", "gw.normal", after, points(1, 5)); !errors.Is(err, tier1.ErrConflict) {
			t.Errorf("append after %d: %v, want ErrConflict", after, err)
		}
	}
	st, _ := e.log.State(ctx, "s", "0")
	if st.Msgs != 1 {
		t.Fatalf("conflicting appends stored messages: %+v", st)
	}
}

func TestRacingAppendsStoreOnce(t *testing.T) {
	e := newEnv(t, tier1.Options{})
	ctx := t.Context()
	const racers = 8
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		wins int
	)
	for range racers {
		wg.Go(func() {
			_, err := e.log.Append(ctx, "s", "0", "gw.normal", 0, points(1, 100))
			switch {
			case err == nil:
				mu.Lock()
				wins++
				mu.Unlock()
			case !errors.Is(err, tier1.ErrConflict):
				t.Errorf("racer: %v", err)
			}
		})
	}
	wg.Wait()
	st, _ := e.log.State(ctx, "s", "0")
	if wins != 1 || st.Msgs != 1 {
		t.Fatalf("%d racers won, %d messages stored; want 1 and 1", wins, st.Msgs)
	}
}

func TestLargeRunsAreSplit(t *testing.T) {
	e := newEnv(t, tier1.Options{MaxMessageBytes: 200})
	ctx := t.Context()
	last, err := e.log.Append(ctx, "s", "0", "gw.normal", 0, points(1, 64))
	if err != nil {
		t.Fatal(err)
	}
	st, _ := e.log.State(ctx, "s", "0")
	if st.Msgs < 2 || last.Pos != st.Last || last.Mark != 64 {
		t.Fatalf("split append: last %+v, state %+v", last, st)
	}
	if last.Messages != int(st.Msgs) {
		t.Errorf("split append reports %d messages, tier 1 holds %d", last.Messages, st.Msgs)
	}
	var seqs []uint64
	for pos := uint64(1); ; {
		m, err := e.log.Next(ctx, "s", "0", pos)
		if errors.Is(err, tier1.ErrNoMessage) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var b models.Batch
		if err := m.Decode(e.codec, &b); err != nil {
			t.Fatal(err)
		}
		for _, p := range b.Points {
			seqs = append(seqs, p.Seq)
		}
		pos = m.Pos + 1
	}
	if len(seqs) != 64 || seqs[0] != 1 || seqs[63] != 64 {
		t.Fatalf("read back %d points: %v", len(seqs), seqs)
	}
}

func TestPurgeForgetsTheWritersLastMessage(t *testing.T) {
	e := newEnv(t, tier1.Options{})
	ctx := t.Context()
	l1, _ := e.log.Append(ctx, "s", "0", "a.normal", 0, points(1, 3))
	if _, err := e.log.Append(ctx, "s", "0", "b.normal", 0, points(1, 3)); err != nil {
		t.Fatal(err)
	}
	if err := e.log.Purge(ctx, "s", "0", 2); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.log.Last(ctx, "s", "0", "a.normal"); got.Pos != 0 {
		t.Fatalf("purged writer still has a last message: %+v", got)
	}
	if _, err := e.log.Append(ctx, "s", "0", "a.normal", l1.Pos, points(4, 4)); !errors.Is(err, tier1.ErrConflict) {
		t.Fatalf("append after a purged position: %v", err)
	}
	m, err := e.log.Next(ctx, "s", "0", 1)
	if err != nil || m.Pos != 2 {
		t.Fatalf("Next(1) after purge: %d %v", m.Pos, err)
	}
	st, _ := e.log.State(ctx, "s", "0")
	if st.First != 2 || st.Last != 2 {
		t.Fatalf("state after purge %+v", st)
	}
}

func TestWatchSignalsNewMessages(t *testing.T) {
	e := newEnv(t, tier1.Options{})
	ctx := t.Context()
	ch, stop, err := e.log.Watch(ctx, "s", "0")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if _, err := e.log.Append(ctx, "s", "0", "gw.normal", 0, points(1, 1)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatal("no signal for a new message")
	}
}

func TestMalformedMessagesAreReported(t *testing.T) {
	e := newEnv(t, tier1.Options{})
	ctx := t.Context()
	for _, hdr := range []nats.Header{
		{},
		{tier1.HeaderFormat: {batchmsg.Format}},
		{tier1.HeaderFormat: {batchmsg.Format}, tier1.HeaderMark: {"x"}},
	} {
		msg := &nats.Msg{Subject: tier1.Subject("s", "0", "w.normal"), Header: hdr, Data: []byte("x")}
		ack, err := e.js.PublishMsg(ctx, msg)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.log.Next(ctx, "s", "0", ack.Sequence); !errors.Is(err, tier1.ErrBadMessage) {
			t.Errorf("headers %v: %v", hdr, err)
		}
	}
	if _, err := e.log.Last(ctx, "s", "0", "w.normal"); !errors.Is(err, tier1.ErrBadMessage) {
		t.Errorf("Last of a malformed message: %v", err)
	}
	if _, err := e.log.Next(ctx, "s", "9", 1); !errors.Is(err, tier1.ErrNoSegment) {
		t.Errorf("unknown segment: %v", err)
	}
}

func TestNames(t *testing.T) {
	for _, tc := range []struct {
		writer string
		ok     bool
	}{
		{"gw-7.high", true}, {"gw-7", true}, {"a.b.c", true},
		{"", false}, {"gw.", false}, {".x", false}, {"gw 7.high", false}, {"gw.*", false}, {"gw.>", false},
	} {
		if err := tier1.ValidateWriter(tc.writer); (err == nil) != tc.ok {
			t.Errorf("ValidateWriter(%q) = %v", tc.writer, err)
		}
	}
	sub := tier1.Subject("vt", "3", "gw-7.high")
	if sub != "t1.vt.3.gw-7.high" || tier1.WriterFromSubject("vt", "3", sub) != "gw-7.high" {
		t.Errorf("subject %q", sub)
	}
	if tier1.WriterFromSubject("vt", "4", sub) != "" {
		t.Error("writer from another segment's subject")
	}
}

// TestReadsEarlierFormat: a message written in the earlier payload format
// (zstd, before S2) still reads, after the new ones of the same writer.
func TestReadsEarlierFormat(t *testing.T) {
	e := newEnv(t, tier1.Options{})
	ctx := t.Context()
	old := models.Batch{Writer: "gw.normal", FirstSeq: 1, LastSeq: 3, Points: points(1, 3)}
	raw, err := old.MarshalMsg(nil)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderCRC(true))
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	msg := nats.NewMsg(tier1.Subject("s", "0", "gw.normal"))
	msg.Header.Set(tier1.HeaderFormat, batchmsg.FormatZstd)
	msg.Header.Set(tier1.HeaderMark, "3")
	msg.Header.Set(tier1.HeaderPoints, "3")
	msg.Header.Set(tier1.HeaderMinTime, "1000")
	msg.Header.Set(tier1.HeaderMaxTime, "3000")
	msg.Data = enc.EncodeAll(raw, nil)
	if _, err := e.js.PublishMsg(ctx, msg); err != nil {
		t.Fatal(err)
	}
	last, err := e.log.Last(ctx, "s", "0", "gw.normal")
	if err != nil || last != (tier1.Last{Pos: 1, Mark: 3}) {
		t.Fatalf("Last after an old-format message: %+v %v", last, err)
	}
	if _, err := e.log.Append(ctx, "s", "0", "gw.normal", last.Pos, points(4, 5)); err != nil {
		t.Fatal(err)
	}
	var seqs []uint64
	for pos := uint64(1); pos <= 2; pos++ {
		m, err := e.log.Next(ctx, "s", "0", pos)
		if err != nil {
			t.Fatal(err)
		}
		var b models.Batch
		if err := m.Decode(e.codec, &b); err != nil {
			t.Fatalf("message %d (%s): %v", pos, m.Format, err)
		}
		for _, p := range b.Points {
			seqs = append(seqs, p.Seq)
		}
	}
	if !slices.Equal(seqs, []uint64{1, 2, 3, 4, 5}) {
		t.Fatalf("read seqs %v", seqs)
	}
}
