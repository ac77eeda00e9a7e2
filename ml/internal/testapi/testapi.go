// Package testapi runs a cloud core's HTTP API in process for the tests
// and benchmarks of the ML jobs: the segment store with its real parts
// (an embedded nats-server, a bbolt file, a tier-2 directory) under a
// temporary directory.
package testapi

import (
	"net/http/httptest"
	"testing"

	"github.com/tributary-iot/tributary/cloud-core/client"
	"github.com/tributary-iot/tributary/cloud-core/httpapi"
	"github.com/tributary-iot/tributary/cloud-core/store"
	"github.com/tributary-iot/tributary/internal/storetest"
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
	st := storetest.Open(t, nil).Store
	hs := httptest.NewServer(httpapi.New(httpapi.Options{Store: st}))
	t.Cleanup(hs.Close)
	c, err := client.New(hs.URL, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return &Server{URL: hs.URL, Store: st, Client: c}
}
