// Package storetest opens a segment store on its real parts for tests: an
// embedded nats-server with JetStream, a bbolt metadata file and a tier-2
// directory, all in the test's temporary directory and closed when the
// test ends.
package storetest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tributary-iot/tributary/cloud-core/meta"
	"github.com/tributary-iot/tributary/cloud-core/natsembed"
	"github.com/tributary-iot/tributary/cloud-core/store"
	"github.com/tributary-iot/tributary/cloud-core/tier2"
)

// Env is an open store and what it runs on.
type Env struct {
	Store *store.Store
	Meta  *meta.DB
	// Registry holds the store's metrics.
	Registry *prometheus.Registry
	// Dir is the temporary directory everything lives in.
	Dir string
}

// Open opens a store; edit, if not nil, changes its options first (the
// JetStream, metadata, tier-2 and registerer fields are already set).
// Tier 2 uses the fastest compression, to keep tests quick.
func Open(t testing.TB, edit func(*store.Options)) *Env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	srv, err := natsembed.Start(ctx, natsembed.Options{StoreDir: filepath.Join(dir, "js")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	nc, err := srv.Connect(t.Name())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	db, err := meta.Open(filepath.Join(dir, "meta.db"), meta.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	t2, err := tier2.Open(ctx, tier2.Options{Root: filepath.Join(dir, "t2"), Compression: tier2.CompressionFastest})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	o := store.Options{JetStream: js, Meta: db, Tier2: t2, Registerer: reg}
	if edit != nil {
		edit(&o)
	}
	st, err := store.Open(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return &Env{Store: st, Meta: db, Registry: reg, Dir: dir}
}
