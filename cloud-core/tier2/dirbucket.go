package tier2

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
)

// DirBucket is a Bucket in a local directory. Put writes a temporary file
// next to the final one (named PartialPrefix + base + random + ".tmp"),
// fsyncs it, renames it into place and fsyncs the directory, so a crash at
// any moment leaves either the whole new file or no file under the name.
type DirBucket struct {
	root string

	// mu guards inflight and orders directory creation against the pruning
	// of empty directories in Remove.
	mu sync.Mutex
	// inflight holds the names (relative to root) of the temporary files of
	// Puts in progress, which List does not report.
	inflight map[string]struct{}

	// observe, when set (by tests), is told of each durability step in
	// order: "sync-file" (the temporary file), "rename" and "sync-dir",
	// with the absolute path concerned.
	observe func(step, path string)
}

// note reports a durability step to observe.
func (b *DirBucket) note(step, path string) {
	if b.observe != nil {
		b.observe(step, path)
	}
}

// NewDirBucket returns a DirBucket rooted at dir, creating dir if needed.
func NewDirBucket(dir string) (*DirBucket, error) {
	if dir == "" {
		return nil, errors.New("tier-2 directory not set")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("cannot resolve tier-2 directory %q: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("cannot create tier-2 directory: %w", err)
	}
	return &DirBucket{root: abs, inflight: make(map[string]struct{})}, nil
}

func (b *DirBucket) path(name string) (string, error) {
	if !fs.ValidPath(name) || name == "." {
		return "", fmt.Errorf("%w: %q", ErrBadPath, name)
	}
	return filepath.Join(b.root, filepath.FromSlash(name)), nil
}

// Put implements Bucket.
func (b *DirBucket) Put(ctx context.Context, name string, write func(w io.Writer) error) (int64, error) {
	final, err := b.path(name)
	if err != nil {
		return 0, err
	}
	f, tempName, err := b.createTemp(name)
	if err != nil {
		return 0, err
	}
	defer b.done(tempName)
	size, err := b.writeSync(f, write)
	if err == nil {
		err = ctx.Err()
	}
	if err == nil {
		if err = os.Rename(f.Name(), final); err == nil {
			b.note("rename", final)
		}
	}
	if err == nil {
		err = b.syncDir(filepath.Dir(final))
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return 0, fmt.Errorf("cannot write %q: %w", name, err)
	}
	return size, nil
}

// createTemp makes the directories of name durably and opens a new
// temporary file beside it, recording it as in flight.
func (b *DirBucket) createTemp(name string) (*os.File, string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	dir := path.Dir(name)
	if err := b.mkdirs(dir); err != nil {
		return nil, "", err
	}
	pattern := PartialPrefix + path.Base(name) + ".*" + partialSuffix
	f, err := os.CreateTemp(filepath.Join(b.root, filepath.FromSlash(dir)), pattern)
	if err != nil {
		return nil, "", fmt.Errorf("cannot create temporary file for %q: %w", name, err)
	}
	tempName := path.Join(dir, filepath.Base(f.Name()))
	b.inflight[tempName] = struct{}{}
	return f, tempName, nil
}

func (b *DirBucket) done(tempName string) {
	b.mu.Lock()
	delete(b.inflight, tempName)
	b.mu.Unlock()
}

// mkdirs creates dir (relative, slash-separated) and its parents under the
// root, fsyncing each parent whose entries changed. Callers hold b.mu.
func (b *DirBucket) mkdirs(dir string) error {
	if dir == "." {
		return nil
	}
	cur := b.root
	for _, part := range strings.Split(dir, "/") {
		next := filepath.Join(cur, part)
		err := os.Mkdir(next, 0o755)
		switch {
		case err == nil:
			if err := b.syncDir(cur); err != nil {
				return err
			}
		case errors.Is(err, fs.ErrExist):
		default:
			return fmt.Errorf("cannot create directory: %w", err)
		}
		cur = next
	}
	return nil
}

// writeSync runs write into f through a buffer, then fsyncs and closes f.
func (b *DirBucket) writeSync(f *os.File, write func(w io.Writer) error) (int64, error) {
	bw := bufio.NewWriterSize(f, 1<<20)
	cw := &countingWriter{w: bw}
	err := write(cw)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		if err = f.Sync(); err == nil {
			b.note("sync-file", f.Name())
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return cw.n, err
}

// syncDir fsyncs the directory dir.
func (b *DirBucket) syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("cannot open directory to sync: %w", err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("cannot sync directory: %w", err)
	}
	b.note("sync-dir", dir)
	return nil
}

// Open implements Bucket.
func (b *DirBucket) Open(_ context.Context, name string) (Object, error) {
	p, err := b.path(name)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, name)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot open %q: %w", name, err)
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("cannot stat %q: %w", name, err)
	}
	if !st.Mode().IsRegular() {
		_ = f.Close()
		return nil, fmt.Errorf("%w: %q is not a file", ErrNotFound, name)
	}
	return &fileObject{File: f, size: st.Size()}, nil
}

type fileObject struct {
	*os.File
	size int64
}

func (o *fileObject) Size() int64 { return o.size }

// Remove implements Bucket. It also removes the directories that the
// removal leaves empty, up to (not including) the root.
func (b *DirBucket) Remove(_ context.Context, name string) error {
	p, err := b.path(name)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("cannot remove %q: %w", name, err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for dir := path.Dir(name); dir != "."; dir = path.Dir(dir) {
		if os.Remove(filepath.Join(b.root, filepath.FromSlash(dir))) != nil {
			break // not empty (or already gone): stop pruning
		}
	}
	return nil
}

// List implements Bucket.
func (b *DirBucket) List(ctx context.Context, fn func(ObjectInfo) error) error {
	return filepath.WalkDir(b.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed while walking
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(b.root, p)
		if err != nil {
			return err
		}
		name := filepath.ToSlash(rel)
		b.mu.Lock()
		_, busy := b.inflight[name]
		b.mu.Unlock()
		if busy {
			return nil
		}
		info, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		return fn(ObjectInfo{Name: name, Size: info.Size(), ModTime: info.ModTime(), Partial: isPartial(name)})
	})
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
