// Package testapi runs a cloud core's HTTP API in process for the tests
// and benchmarks of the ML jobs: the segment store with its real parts
// (an embedded nats-server, a bbolt file, a tier-2 directory) under a
// temporary directory.
package testapi

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tributary-iot/tributary/cloud-core/client"
	"github.com/tributary-iot/tributary/cloud-core/httpapi"
	"github.com/tributary-iot/tributary/cloud-core/meta"
	"github.com/tributary-iot/tributary/cloud-core/natsembed"
	"github.com/tributary-iot/tributary/cloud-core/store"
	"github.com/tributary-iot/tributary/cloud-core/tier2"
)

// Server is a running API.
type Server struct {
	// URL is the API's base URL.
	URL string
	// Store is the store behind it.
	Store *store.Store
	// Client is a client of the API.
	Client *client.Client
}

// Start runs an API until the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	srv, err := natsembed.Start(ctx, natsembed.Options{StoreDir: filepath.Join(dir, "js")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	nc, err := srv.Connect("ml-test")
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
	st, err := store.Open(ctx, store.Options{JetStream: js, Meta: db, Tier2: t2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	hs := httptest.NewServer(httpapi.New(httpapi.Options{Store: st}))
	t.Cleanup(hs.Close)
	c, err := client.New(hs.URL, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return &Server{URL: hs.URL, Store: st, Client: c}
}
