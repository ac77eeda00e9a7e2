package profiles

import (
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

//go:embed builtin/*.yaml
var builtinFS embed.FS

// Builtin parses the built-in profiles embedded in the binary
// (builtin/*.yaml: line-protocol, json, passenger-car, heavy-truck,
// ev-battery), sorted by file name. Each call returns fresh copies.
func Builtin() ([]*Profile, error) {
	ps, err := loadFS(builtinFS, "builtin", func(name string) string { return "builtin/" + name })
	for _, p := range ps {
		p.builtin = true
	}
	return ps, err
}

// LoadDir parses every *.yaml and *.yml file directly inside dir, sorted by
// file name (profile names come from the files, not the file names).
// Problems are reported for all files at once, each
// *ValidationError naming its file by its path under dir. A missing or
// unreadable directory is an error; an empty one is not.
func LoadDir(dir string) ([]*Profile, error) {
	return loadFS(os.DirFS(dir), ".", func(name string) string { return filepath.Join(dir, name) })
}

// LoadSet returns the Set of the built-in profiles plus those in dir (none
// when dir is ""); a profile in dir replaces the built-in one of the same
// name (see NewSet). Errors from LoadDir and NewSet are returned as they
// are: they name the files at fault.
func LoadSet(dir string) (*Set, error) {
	all, err := Builtin()
	if err != nil {
		return nil, fmt.Errorf("built-in profiles: %w", err)
	}
	if dir != "" {
		extra, err := LoadDir(dir)
		if err != nil {
			return nil, err
		}
		all = append(all, extra...)
	}
	return NewSet(all...)
}

// LoadFS is LoadDir on a file system: it parses the profile files in the
// folder dir of fsys. Errors name files by their path in fsys.
func LoadFS(fsys fs.FS, dir string) ([]*Profile, error) {
	return loadFS(fsys, dir, func(name string) string { return path.Join(dir, name) })
}

func loadFS(fsys fs.FS, dir string, display func(string) string) ([]*Profile, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("read profiles: %w", err)
	}
	var (
		out  []*Profile
		errs []error
	)
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || strings.HasPrefix(name, ".") || !(strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")) {
			continue
		}
		data, err := readLimited(fsys, path.Join(dir, name))
		if err != nil {
			errs = append(errs, fmt.Errorf("read profile %s: %w", display(name), err))
			continue
		}
		p, err := Parse(display(name), data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, p)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// readLimited reads a file, stopping one byte past MaxFileSize (Parse
// then refuses it) so a huge file is never read whole.
func readLimited(fsys fs.FS, name string) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, MaxFileSize+1))
}
