package auth

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/nats-io/nkeys"
)

// KeysDir is the folder inside the data dir that holds the keys.
const KeysDir = "keys"

// Keys are cloud-core's signing keys.
type Keys struct {
	operator nkeys.KeyPair
	account  nkeys.KeyPair
	system   nkeys.KeyPair
	// tokenSecret signs read tokens (HMAC-SHA256).
	tokenSecret []byte
}

// LoadOrCreateKeys loads the keys from dataDir/keys, creating any that are
// missing (files mode 0600).
func LoadOrCreateKeys(dataDir string) (*Keys, error) {
	dir := filepath.Join(dataDir, KeysDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create keys dir: %w", err)
	}
	var k Keys
	var err error
	if k.operator, err = loadOrCreateNKey(filepath.Join(dir, "operator.nk"), nkeys.CreateOperator); err != nil {
		return nil, err
	}
	if k.account, err = loadOrCreateNKey(filepath.Join(dir, "account.nk"), nkeys.CreateAccount); err != nil {
		return nil, err
	}
	if k.system, err = loadOrCreateNKey(filepath.Join(dir, "system.nk"), nkeys.CreateAccount); err != nil {
		return nil, err
	}
	if k.tokenSecret, err = loadOrCreateSecret(filepath.Join(dir, "token.key")); err != nil {
		return nil, err
	}
	return &k, nil
}

// LoadKeys loads existing keys; it fails if the data dir has none (the
// server has never run there).
func LoadKeys(dataDir string) (*Keys, error) {
	if _, err := os.Stat(filepath.Join(dataDir, KeysDir, "account.nk")); err != nil {
		return nil, fmt.Errorf("no keys in %s (has cloud-core run with this --data-dir?): %w", dataDir, err)
	}
	return LoadOrCreateKeys(dataDir)
}

func loadOrCreateNKey(path string, create func() (nkeys.KeyPair, error)) (nkeys.KeyPair, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		kp, err := nkeys.FromSeed([]byte(strings.TrimSpace(string(b))))
		if err != nil {
			return nil, fmt.Errorf("read key %s: %w", path, err)
		}
		return kp, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read key %s: %w", path, err)
	}
	kp, err := create()
	if err != nil {
		return nil, fmt.Errorf("create key: %w", err)
	}
	seed, err := kp.Seed()
	if err != nil {
		return nil, fmt.Errorf("create key: %w", err)
	}
	if err := writeSecret(path, append(seed, '\n')); err != nil {
		return nil, err
	}
	return kp, nil
}

func loadOrCreateSecret(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		if len(b) < 32 {
			return nil, fmt.Errorf("token secret %s is too short", path)
		}
		return b, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read token secret: %w", err)
	}
	b = make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	return b, writeSecret(path, b)
}

// writeSecret creates path with mode 0600, failing if it exists (two
// processes racing to create keys must not end up with different ones).
func writeSecret(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("write key %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write key %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write key %s: %w", path, err)
	}
	return f.Close()
}
