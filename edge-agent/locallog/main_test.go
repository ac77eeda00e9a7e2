package locallog_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/tributary-iot/tributary/edge-agent/locallog"
	"github.com/tributary-iot/tributary/models"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		os.Exit(crashChild(dir))
	}
	goleak.VerifyTestMain(m)
}

// testOptions returns options for a log in a fresh temporary directory.
// Tests that are not about durability skip fsync.
func testOptions(t testing.TB) locallog.Options {
	t.Helper()
	return locallog.Options{
		Path:     filepath.Join(t.TempDir(), "log.db"),
		Agent:    "gw-test",
		MaxBytes: 64 << 20,
		NoSync:   true,
	}
}

// openLog opens a log that is closed when the test ends.
func openLog(t testing.TB, opts locallog.Options) *locallog.Log {
	t.Helper()
	l, err := locallog.Open(context.Background(), opts)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil && !errors.Is(err, locallog.ErrClosed) {
			t.Errorf("close: %v", err)
		}
	})
	return l
}

// makePoints returns n points whose string field is between minPad and
// maxPad bytes long; field "i" numbers them from first.
func makePoints(rng *rand.Rand, n, first, minPad, maxPad int) []models.Point {
	pts := make([]models.Point, n)
	for i := range pts {
		pad := minPad
		if maxPad > minPad {
			pad += rng.IntN(maxPad - minPad)
		}
		pts[i] = models.Point{
			Device: fmt.Sprintf("veh-%04d", rng.IntN(50)),
			Stream: "vehicle-telemetry",
			Time:   1_700_000_000_000_000_000 + int64(first+i),
			Fields: []models.Field{
				{Key: "i", Value: models.Int(int64(first + i))},
				{Key: "speed_kmh", Value: models.Float(rng.Float64() * 130)},
				{Key: "note", Value: models.String(strings.Repeat("x", pad))},
			},
			Tags: []models.Tag{{Key: "fw", Value: "1.2.3"}},
		}
	}
	return pts
}

// readAll returns every point of class, in order.
func readAll(t testing.TB, l *locallog.Log, class models.Priority) []models.Point {
	t.Helper()
	var all []models.Point
	var after uint64
	var buf []models.Point
	for {
		var err error
		buf, err = l.Read(context.Background(), class, after, 97, 64<<10, buf)
		if err != nil {
			t.Fatalf("read %s: %v", class, err)
		}
		if len(buf) == 0 {
			return all
		}
		for _, p := range buf {
			all = append(all, p.Clone())
		}
		after = buf[len(buf)-1].Seq
	}
}

// checkCounts verifies that every point offered is accounted for once.
func checkCounts(t testing.TB, st locallog.Stats, offered [models.NumPriorities]int64) {
	t.Helper()
	for c := range offered {
		cs := st.Classes[c]
		got := cs.PointsBuffered + cs.PointsSynced + cs.PointsDropped
		if got != offered[c] {
			t.Errorf("class %s: buffered %d + synced %d + dropped %d = %d, offered %d",
				models.Priority(c), cs.PointsBuffered, cs.PointsSynced, cs.PointsDropped, got, offered[c])
		}
		if acc := cs.PointsAppended + cs.Dropped["rejected"]; acc != offered[c] {
			t.Errorf("class %s: appended %d + rejected %d = %d, offered %d",
				models.Priority(c), cs.PointsAppended, cs.Dropped["rejected"], acc, offered[c])
		}
	}
}
