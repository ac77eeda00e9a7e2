package tier2_test

import (
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tributary-iot/tributary/cloud-core/tier2"
)

// TestWriteIsDurableBeforeVisible checks guarantee 5's order for a chunk
// in new directories: each new directory's parent is fsynced, the file is
// written and fsynced under a temporary name, renamed, and only then is
// its directory fsynced; Write returns after all of it.
func TestWriteIsDurableBeforeVisible(t *testing.T) {
	root := t.TempDir()
	b, err := tier2.NewDirBucket(root)
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		steps []string
	)
	tier2.ObserveDurability(b, func(step, path string) {
		rel, err := filepath.Rel(root, path)
		if err != nil {
			t.Errorf("step %s outside the root: %s", step, path)
		}
		if step == "sync-file" { // a random temporary name
			rel = filepath.Dir(rel) + "/temp"
		}
		mu.Lock()
		steps = append(steps, step+" "+filepath.ToSlash(rel))
		mu.Unlock()
	})
	s := openStore(t, tier2.Options{Bucket: b})
	info := write(t, s, spec("0", 1, 1), truckPoints(1, time.Minute))
	dir := filepath.ToSlash(filepath.Dir(info.Path))
	stream := strings.Split(dir, "/")[0]
	want := []string{
		"sync-dir .",                 // root, after creating stream=...
		"sync-dir " + stream,         // stream dir, after creating date=...
		"sync-file " + dir + "/temp", // the data, under its temporary name
		"rename " + info.Path,        // then visible under its name
		"sync-dir " + dir,            // and the rename durable
	}
	if !slices.Equal(steps, want) {
		t.Fatalf("durability steps:\n%s\nwant:\n%s", strings.Join(steps, "\n"), strings.Join(want, "\n"))
	}

	// A second chunk in the same directory creates no directory.
	steps = nil
	info2 := write(t, s, spec("0", 2, 2), truckPoints(1, time.Minute))
	want = []string{"sync-file " + dir + "/temp", "rename " + info2.Path, "sync-dir " + dir}
	if !slices.Equal(steps, want) {
		t.Fatalf("durability steps of a second chunk:\n%s\nwant:\n%s", strings.Join(steps, "\n"), strings.Join(want, "\n"))
	}
}
