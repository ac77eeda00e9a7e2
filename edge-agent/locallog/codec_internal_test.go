package locallog

// White-box tests of the pure encoders and decoders (not reachable from
// outside the package).

import (
	"bytes"
	"math"
	"testing"
	"time"

	"github.com/tributary-iot/tributary/models"
)

func TestPointEncodingCarriesThePatchedSeq(t *testing.T) {
	tests := []struct {
		name string
		p    models.Point
		seq  uint64
	}{
		{"small", models.Point{Device: "d", Stream: "s", Received: 1}, 1},
		{"negative received", models.Point{Device: "d", Stream: "s", Time: -5, Received: -1}, 1 << 40},
		{"big received", models.Point{Device: "veh-0001", Stream: "vehicle-telemetry", Received: math.MaxInt64}, math.MaxUint64},
		{"fields and tags", models.Point{Device: "d", Stream: "s", Agent: "gw",
			Fields: []models.Field{{Key: "f", Value: models.Float(1.5)}, {Key: "s", Value: models.String("x")}, {Key: "u", Value: models.Uint(7)}},
			Tags:   []models.Tag{{Key: "k", Value: "v"}}, Received: 1_700_000_000_000_000_000}, 42},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prefix := []byte("junk")
			b, at, err := appendPoint(bytes.Clone(prefix), &tt.p)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b[:len(prefix)], prefix) {
				t.Fatal("appendPoint overwrote dst")
			}
			enc := b[len(prefix):]
			putSeq(enc, at, tt.seq)
			var got models.Point
			rest, err := got.UnmarshalMsg(enc)
			if err != nil || len(rest) != 0 {
				t.Fatalf("decode: %v (%d bytes left)", err, len(rest))
			}
			want := tt.p.Clone()
			want.Seq = tt.seq
			if !got.Equal(&want) {
				t.Fatalf("got %+v, want %+v", got, want)
			}
			seq, recv, err := pointTail(enc)
			if err != nil || seq != tt.seq || recv != tt.p.Received {
				t.Fatalf("pointTail = %d, %d, %v", seq, recv, err)
			}
		})
	}
}

func FuzzPointTail(f *testing.F) {
	p := models.Point{Device: "d", Stream: "s", Fields: []models.Field{{Key: "x", Value: models.Int(3)}}, Received: 99}
	enc, at, _ := appendPoint(nil, &p)
	putSeq(enc, at, 7)
	f.Add(enc)
	f.Add([]byte{0x98})
	f.Fuzz(func(t *testing.T, b []byte) {
		seq, recv, err := pointTail(b)
		var full models.Point
		if _, ferr := full.UnmarshalMsg(b); ferr == nil && err == nil && (full.Seq != seq || full.Received != recv) {
			t.Fatalf("pointTail %d/%d disagrees with UnmarshalMsg %d/%d", seq, recv, full.Seq, full.Received)
		}
	})
}

func FuzzDeadLetterRoundTrip(f *testing.F) {
	f.Add(int64(0), "lp/x", "undecodable", "bad", []byte("payload"), 7)
	f.Add(int64(-1), "", "", "", []byte(nil), 0)
	f.Fuzz(func(t *testing.T, ns int64, topic, reason, errMsg string, payload []byte, size int) {
		d := DeadLetter{Time: time.Unix(0, ns), Topic: topic, Reason: reason, Error: errMsg, Payload: payload, PayloadSize: size}
		got, err := decodeDeadLetter(appendDeadLetter(nil, &d))
		if err != nil {
			t.Fatal(err)
		}
		if !got.Time.Equal(d.Time) || got.Topic != d.Topic || got.Reason != d.Reason || got.Error != d.Error ||
			!bytes.Equal(got.Payload, d.Payload) || got.PayloadSize != d.PayloadSize {
			t.Fatalf("round trip: %+v, want %+v", got, d)
		}
	})
}

func FuzzDecodeDeadLetter(f *testing.F) {
	d := DeadLetter{Topic: "t", Reason: "r", Payload: []byte{1, 2}}
	f.Add(appendDeadLetter(nil, &d))
	f.Add([]byte{0x96, 0xd3})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = decodeDeadLetter(b)
	})
}

func TestNormalizeKeepsUTF8AndSizes(t *testing.T) {
	d := DeadLetter{Topic: string(bytes.Repeat([]byte("€"), 100)), Reason: "", Payload: make([]byte, 3000)}.normalize(1024)
	if len(d.Topic) > dlTopicMax || !bytes.Equal([]byte(d.Topic), bytes.Repeat([]byte("€"), dlTopicMax/3)) {
		t.Errorf("topic %d bytes", len(d.Topic))
	}
	if d.Reason != "unknown" || len(d.Payload) != 1024 || d.PayloadSize != 3000 {
		t.Errorf("normalized %+v", d)
	}
}

func FuzzLease(f *testing.F) {
	f.Add(encodeLease(12345))
	f.Add([]byte("TSEQ"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := decodeLease(b)
		if err != nil {
			return
		}
		if !bytes.Equal(encodeLease(c), b) {
			t.Fatalf("lease %d does not re-encode to its bytes", c)
		}
	})
}

func TestLeaseFile(t *testing.T) {
	path := t.TempDir() + "/log.db.seq"
	if _, ok, err := readLease(path); ok || err != nil {
		t.Fatalf("missing lease: ok %v err %v", ok, err)
	}
	if err := writeLease(path, 1<<40); err != nil {
		t.Fatal(err)
	}
	if c, ok, err := readLease(path); !ok || err != nil || c != 1<<40 {
		t.Fatalf("lease %d %v %v", c, ok, err)
	}
}

func TestSeqStart(t *testing.T) {
	const clock = int64(1_800_000_000_000_000) // microseconds
	tests := []struct {
		name    string
		logNext uint64
		fresh   bool
		lease   uint64
		leaseOK bool
		want    uint64
	}{
		{"intact log and lease", 500, false, 1 << 20, true, 500},
		{"fresh log, lease", 0, true, 1 << 20, true, 1 << 20},
		{"intact log, lease lost", 500, false, 0, false, uint64(clock) + clockSlack},
		{"log ahead of the clock, lease lost", 1 << 62, false, 0, false, 1 << 62},
		{"fresh log, lease lost", 0, true, 0, false, uint64(clock) + clockSlack},
	}
	for _, tt := range tests {
		if got := seqStart(tt.logNext, tt.fresh, tt.lease, tt.leaseOK, clock); got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, got, tt.want)
		}
	}
	if got := seqStart(0, true, 0, false, 0); got != 1 {
		t.Errorf("no information at all: %d, want 1", got)
	}
}

func TestGeometryBounds(t *testing.T) {
	for _, maxBytes := range []int64{minMaxBytes(pageSize), 3 << 20, 64 << 20, 1 << 30, 8 << 30} {
		g, err := newGeometry(pageSize, maxBytes)
		if err != nil {
			t.Fatalf("%d: %v", maxBytes, err)
		}
		// Four maximal elements and a page header fill at most one page.
		if 4*(g.maxElem)+16 > g.psize || elemSize(g.maxValue) != g.maxElem {
			t.Errorf("%d: max element %d does not keep nodes in one page", maxBytes, g.maxElem)
		}
		// bbolt refuses to grow past MaxSize when (hw+1) pages plus
		// AllocSize would pass it; maxHW must stay within that.
		if (g.maxHW+1)*g.psize+int64(g.allocSize) > maxBytes {
			t.Errorf("%d: maxHW %d lets bbolt grow past the cap", maxBytes, g.maxHW)
		}
		if g.reserve <= 0 || g.maxHW < 2*g.reserve {
			t.Errorf("%d: reserve %d of %d pages", maxBytes, g.reserve, g.maxHW)
		}
		t.Logf("cap %d: %d pages, reserve %d (%.1f%%), txn %d bytes", maxBytes, g.maxHW, g.reserve,
			100*float64(g.reserve)/float64(g.maxHW), g.txnBytes)
	}
	g, _ := newGeometry(pageSize, 64<<20)
	for n := int64(1); n < 1<<22; n *= 3 {
		if g.depth(n) > g.depth(n*3) {
			t.Errorf("depth(%d) = %d > depth(%d) = %d", n, g.depth(n), n*3, g.depth(n*3))
		}
	}
	if _, err := newGeometry(pageSize, minMaxBytes(pageSize)-64<<10); err == nil {
		t.Error("a cap below the minimum was accepted")
	}
}
