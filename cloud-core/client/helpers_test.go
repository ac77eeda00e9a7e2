package client_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/tributary-iot/tributary/cloud-core/auth"
	"github.com/tributary-iot/tributary/cloud-core/client"
	"github.com/tributary-iot/tributary/cloud-core/httpapi"
	"github.com/tributary-iot/tributary/cloud-core/segment"
	"github.com/tributary-iot/tributary/cloud-core/store"
	"github.com/tributary-iot/tributary/internal/storetest"
	"github.com/tributary-iot/tributary/models"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// t0 is 2025-11-25T12:00:00Z in Unix ns.
const t0 = int64(1764072000000000000)

// server is a cloud core's HTTP API on a store with its real parts.
type server struct {
	hs   *httptest.Server
	st   *store.Store
	keys *auth.Keys
}

// newServer starts a server; with secure, it needs tokens.
func newServer(t testing.TB, secure bool) *server {
	t.Helper()
	env := storetest.Open(t, nil)
	st, dir := env.Store, env.Dir
	var err error
	s := &server{st: st}
	h := httpapi.New(httpapi.Options{Store: st, Heartbeat: 200 * time.Millisecond})
	if secure {
		if s.keys, err = auth.LoadOrCreateKeys(dir); err != nil {
			t.Fatal(err)
		}
		h = httpapi.RequireTokens(h, s.keys)
	}
	s.hs = httptest.NewServer(h)
	t.Cleanup(s.hs.Close)
	return s
}

// client returns a client of the server with token.
func (s *server) client(t testing.TB, token string) *client.Client {
	t.Helper()
	c, err := client.New(s.hs.URL, client.Options{Token: token})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// points returns seqs first..last over devices devices, with a float, an
// int, a bool, a string and a tag.
func points(first, last uint64, devices int) []models.Point {
	var out []models.Point
	for s := first; s <= last; s++ {
		p := models.Point{
			Device: fmt.Sprintf("veh-%03d", int(s)%devices), Time: t0 + int64(s)*1e6, Seq: s,
			Fields: []models.Field{
				{Key: "coolant", Value: models.Float(80 + float64(s%20))},
				{Key: "gear", Value: models.Int(int64(s % 6))},
				{Key: "mode", Value: models.String("eco \"x\"")},
				{Key: "on", Value: models.Bool(s%2 == 0)},
			},
			Tags: []models.Tag{{Key: "model", Value: "sedan"}},
		}
		out = append(out, p)
	}
	return out
}

// write stores points through the client as writer gw-1.normal.
func write(t testing.TB, c *client.Client, stream string, pts []models.Point) {
	t.Helper()
	if err := c.Write(context.Background(), stream, "gw-1.normal", pts); err != nil {
		t.Fatal(err)
	}
}

// storeTierAll tiers everything tier 1 holds.
var storeTierAll = store.TierOptions{}

// policy is a stream policy of n segments.
func policy(n int) segment.Policy { return segment.Policy{Segments: n} }
