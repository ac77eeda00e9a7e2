package agent

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/tributary-iot/tributary/models"
)

// agentIDFile is the file in the data dir that keeps a generated agent id.
const agentIDFile = "agent-id"

// loadOrCreateID returns the agent id: the one asked for (which must match
// a kept one, so a data dir is never replayed under another name), else the
// kept one, else a new one that is kept from now on.
func loadOrCreateID(dataDir, want string) (string, error) {
	path := filepath.Join(dataDir, agentIDFile)
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		kept := strings.TrimSpace(string(b))
		if err := models.ValidateID("agent", kept); err != nil {
			return "", fmt.Errorf("agent id kept in %s: %w", path, err)
		}
		if want != "" && want != kept {
			return "", fmt.Errorf("--agent-id %q differs from %q kept in %s: a data dir belongs to one agent", want, kept, path)
		}
		return kept, nil
	case !errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("read agent id: %w", err)
	}
	id := want
	if id == "" {
		id = models.NewAgentID()
	}
	if err := writeFileSync(path, []byte(id+"\n")); err != nil {
		return "", fmt.Errorf("keep agent id: %w", err)
	}
	return id, nil
}

// writeFileSync writes a small file atomically: temp file, fsync, rename,
// fsync of the directory.
func writeFileSync(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
