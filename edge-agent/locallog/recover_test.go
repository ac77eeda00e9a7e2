package locallog_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tributary-iot/tributary/edge-agent/locallog"
	"github.com/tributary-iot/tributary/models"
)

var ne = binary.NativeEndian

// buildLog writes a log with points in every class, some trimmed (so the
// file has free pages), and returns its bytes and its highest seq.
func buildLog(t testing.TB, opts locallog.Options, marker string) ([]byte, uint64) {
	t.Helper()
	ctx := context.Background()
	l, err := locallog.Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(20, 20))
	var last uint64
	for i := range 30 {
		pts := makePoints(rng, 20, i*20, 0, 400)
		if i == 7 && marker != "" {
			pts[3].SetField("note", models.String(marker))
		}
		res, err := l.Append(ctx, models.Priority(i%3), pts)
		if err != nil {
			t.Fatal(err)
		}
		last = res.LastSeq
	}
	if err := l.Trim(ctx, models.PriorityHigh, last-200); err != nil {
		t.Fatal(err)
	}
	if err := l.AddDeadLetter(ctx, locallog.DeadLetter{Reason: "undecodable", Payload: []byte("?")}); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(opts.Path)
	if err != nil {
		t.Fatal(err)
	}
	return b, last
}

func TestDamagedFilesAreMovedAsideAndReplaced(t *testing.T) {
	const psize = 8 << 10
	garbage := func(n int) []byte {
		b := make([]byte, n)
		rng := rand.New(rand.NewPCG(21, 21))
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	tests := []struct {
		name   string
		damage func(b []byte) []byte
	}{
		{"torn", func(b []byte) []byte { return b[:len(b)/2+1234] }},
		{"torn inside the meta pages", func(b []byte) []byte { return b[:psize+100] }},
		{"garbage over the data pages", func(b []byte) []byte {
			copy(b[2*psize:], garbage(len(b)-2*psize))
			return b
		}},
		{"garbage over both meta pages", func(b []byte) []byte {
			copy(b, garbage(2*psize))
			return b
		}},
		{"pure garbage", func(b []byte) []byte { return garbage(len(b)) }},
		{"zero length", func([]byte) []byte { return nil }},
		{"a page pointing at itself", func(b []byte) []byte {
			// Turn the first leaf page after the meta pages into a branch
			// whose only child is itself.
			for id := 2; (id+1)*psize <= len(b); id++ {
				p := b[id*psize : (id+1)*psize]
				if p[8]&0x02 == 0 { // not a leaf
					continue
				}
				p[8], p[10], p[11] = 0x01, 1, 0 // branch, 1 element
				copy(p[16:], []byte{16, 0, 0, 0, 1, 0, 0, 0})
				ne.PutUint64(p[24:], uint64(id))
				p[32] = 0
			}
			return b
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := testOptions(t)
			opts.MaxBytes = 4 << 20
			orig, last := buildLog(t, opts, "")
			damaged := tt.damage(bytes.Clone(orig))
			if err := os.WriteFile(opts.Path, damaged, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := locallog.CheckFile(bytes.NewReader(damaged), int64(len(damaged))); err == nil {
				t.Fatal("CheckFile passed a damaged file")
			} else if ce := (*locallog.CorruptionError)(nil); !errors.As(err, &ce) {
				t.Fatalf("CheckFile: %v, want a *CorruptionError", err)
			}
			l := openLog(t, opts)
			st := l.Stats()
			if st.Recovered == nil || st.Recovered.Reason == "" {
				t.Fatalf("not reported as recovered: %+v", st.Recovered)
			}
			moved, err := os.ReadFile(st.Recovered.MovedTo)
			if err != nil || !bytes.Equal(moved, damaged) {
				t.Fatalf("damaged file not kept at %s: %v", st.Recovered.MovedTo, err)
			}
			if filepath.Dir(st.Recovered.MovedTo) != filepath.Dir(opts.Path) {
				t.Errorf("moved to another directory: %s", st.Recovered.MovedTo)
			}
			if st.PointsBuffered != 0 {
				t.Fatalf("fresh log holds %d points", st.PointsBuffered)
			}
			pts := makePoints(rand.New(rand.NewPCG(22, 22)), 2, 0, 0, 0)
			if _, err := l.Append(context.Background(), models.PriorityNormal, pts); err != nil {
				t.Fatal(err)
			}
			if pts[0].Seq <= last {
				t.Fatalf("seq %d in the fresh log, the damaged one reached %d", pts[0].Seq, last)
			}
			if got := readAll(t, l, models.PriorityNormal); len(got) != 2 {
				t.Fatalf("fresh log reads %d points", len(got))
			}
			t.Logf("reason: %s", st.Recovered.Reason)
		})
	}
}

func TestForeignBoltFileIsMovedAside(t *testing.T) {
	opts := testOptions(t)
	db, err := bolt.Open(opts.Path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("something-else"))
		if err != nil {
			return err
		}
		return b.Put([]byte("k"), []byte("v"))
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	l := openLog(t, opts)
	if rec := l.Stats().Recovered; rec == nil {
		t.Fatal("a foreign bbolt file was taken as a log")
	}
}

func TestUndecodablePointIsDroppedAndCounted(t *testing.T) {
	opts := testOptions(t)
	const marker = "MARKER-4f1c9e"
	b, _ := buildLog(t, opts, marker)
	i := bytes.Index(b, []byte(marker))
	if i < 0 {
		t.Fatal("marker not in the file")
	}
	b[i-1] = 0xc1 // the string's header: a byte msgpack never uses
	if err := os.WriteFile(opts.Path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	l := openLog(t, opts)
	if l.Stats().Recovered != nil {
		t.Fatal("a bad value made the whole file count as damaged")
	}
	class := models.Priority(7 % 3) // buildLog's batch i goes to class i%3
	before := l.Stats().Classes[class]
	got := readAll(t, l, class)
	if int64(len(got)) != before.PointsBuffered-1 {
		t.Fatalf("read %d points, %d held: want all but the bad one", len(got), before.PointsBuffered)
	}
	deadline := time.Now().Add(30 * time.Second)
	for l.Stats().Classes[class].Dropped["corrupt"] != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the bad point was not dropped")
		}
		time.Sleep(time.Millisecond)
	}
	if st := l.Stats().Classes[class]; st.PointsBuffered != before.PointsBuffered-1 || st.PointsBuffered+st.PointsSynced+st.PointsDropped != st.PointsAppended {
		t.Errorf("after the drop: %+v", st)
	}
}

// fuzzBase is a small valid log file for the fuzz tests.
func fuzzBase(f *testing.F) []byte {
	opts := testOptions(f)
	opts.MaxBytes = 2 << 20
	b, _ := buildLog(f, opts, "")
	return b
}

// FuzzOpen opens logs made of arbitrary bytes: Open never panics, and
// always yields a usable log.
func FuzzOpen(f *testing.F) {
	base := fuzzBase(f)
	f.Add(base)
	f.Add([]byte{})
	f.Add(base[:len(base)/3])
	f.Add(bytes.Repeat([]byte{0xff}, 20000))
	f.Fuzz(func(t *testing.T, data []byte) {
		openFuzzed(t, data)
	})
}

// FuzzOpenPatched damages a valid log at one place and opens it.
func FuzzOpenPatched(f *testing.F) {
	base := fuzzBase(f)
	f.Add(uint32(0), []byte{1})
	f.Add(uint32(2*8192+8), []byte{1, 0})
	f.Add(uint32(3*8192+16), []byte{0xff, 0xff, 0xff, 0xff})
	f.Add(uint32(len(base)-100), []byte("garbage"))
	f.Fuzz(func(t *testing.T, at uint32, patch []byte) {
		data := bytes.Clone(base)
		if off := int(at % uint32(len(data))); off < len(data) {
			copy(data[off:], patch)
		}
		openFuzzed(t, data)
	})
}

func openFuzzed(t *testing.T, data []byte) {
	path := filepath.Join(t.TempDir(), "log.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	_ = locallog.CheckFile(bytes.NewReader(data), int64(len(data)))
	ctx := context.Background()
	l, err := locallog.Open(ctx, locallog.Options{Path: path, Agent: "gw-fuzz", MaxBytes: 2 << 20, NoSync: true})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer l.Close()
	for _, class := range models.Priorities() {
		if _, err := l.Read(ctx, class, 0, 0, 0, nil); err != nil {
			t.Fatalf("read: %v", err)
		}
	}
	pts := []models.Point{{Device: "d", Stream: "s", Fields: []models.Field{{Key: "x", Value: models.Int(1)}}}}
	res, err := l.Append(ctx, models.PriorityHigh, pts)
	if err != nil {
		t.Fatalf("append: %v", err)
	}
	if res.Accepted == 1 {
		got, err := l.Read(ctx, models.PriorityHigh, res.FirstSeq-1, 1, 0, nil)
		if err != nil || len(got) != 1 || got[0].Seq != res.FirstSeq {
			t.Fatalf("read back: %v %v", got, err)
		}
	}
	if _, err := l.DeadLetters(ctx, 0); err != nil {
		t.Fatalf("dead letters: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
}

// FuzzCheckFile runs the consistency check on arbitrary bytes.
func FuzzCheckFile(f *testing.F) {
	base := fuzzBase(f)
	f.Add(base)
	f.Add(base[:8192*2])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		err := locallog.CheckFile(bytes.NewReader(data), int64(len(data)))
		if ce := (*locallog.CorruptionError)(nil); err != nil && !errors.As(err, &ce) {
			t.Fatalf("CheckFile on bytes: %v is not a *CorruptionError", err)
		}
	})
}
