package client_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tributary-iot/tributary/cloud-core/client"
	"github.com/tributary-iot/tributary/models"
)

func TestEventsCountAndKinds(t *testing.T) {
	s := newServer(t, false)
	c := s.client(t, "")
	ctx := context.Background()
	want := points(1, 500, 7)
	write(t, c, "vt", want)
	if _, err := s.st.Tier(ctx, "vt", storeTierAll); err != nil {
		t.Fatal(err)
	}
	write(t, c, "vt", points(501, 600, 7))
	n, err := c.Count(ctx, "vt", client.Query{})
	if err != nil || n != 600 {
		t.Fatalf("count %d %v", n, err)
	}
	got := map[uint64]models.Point{}
	for p, err := range c.Events(ctx, "vt", client.Query{}) {
		if err != nil {
			t.Fatal(err)
		}
		got[p.Seq] = p.Clone()
	}
	if len(got) != 600 {
		t.Fatalf("%d points", len(got))
	}
	for _, w := range want {
		g := got[w.Seq]
		if g.Device != w.Device || g.Time != w.Time || g.Agent != "gw-1" || g.Stream != "vt" || len(g.Fields) != 4 {
			t.Fatalf("seq %d: %+v, want %+v", w.Seq, g, w)
		}
		for _, f := range w.Fields {
			if v, ok := g.Field(f.Key); !ok || !v.Equal(f.Value) {
				t.Fatalf("seq %d field %s: %v (%v), want %v (%v)", w.Seq, f.Key, v, v.Kind(), f.Value, f.Value.Kind())
			}
		}
	}
	// A limit, a device and a time range.
	q := client.Query{Device: "veh-002", Start: time.Unix(0, t0+100*1e6), End: time.Unix(0, t0+200*1e6), Limit: 5}
	k := 0
	for p, err := range c.Events(ctx, "vt", q) {
		if err != nil || p.Device != "veh-002" || p.Seq < 100 || p.Seq >= 200 {
			t.Fatalf("%+v %v", p, err)
		}
		k++
	}
	if k != 5 {
		t.Errorf("limit 5 gave %d", k)
	}
	names, err := c.Streams(ctx)
	if err != nil || len(names) != 1 || names[0] != "vt" {
		t.Errorf("streams %v %v", names, err)
	}
	info, err := c.Stream(ctx, "vt")
	if err != nil || info.Name != "vt" || len(info.Segments) != 1 || info.Tier2Points != 500 {
		t.Errorf("stream %+v %v", info, err)
	}
}

func TestReadSplitsInParallel(t *testing.T) {
	s := newServer(t, false)
	c := s.client(t, "")
	ctx := context.Background()
	if _, _, err := s.st.PutStream(ctx, "vt", policy(3)); err != nil {
		t.Fatal(err)
	}
	write(t, c, "vt", points(1, 2000, 50))
	if _, err := s.st.Tier(ctx, "vt", storeTierAll); err != nil {
		t.Fatal(err)
	}
	write(t, c, "vt", points(2001, 3000, 50))
	for _, workers := range []int{1, 3} {
		splits, err := c.Splits(ctx, "vt", client.SplitQuery{Target: 300})
		if err != nil {
			t.Fatal(err)
		}
		var (
			mu   sync.Mutex
			seen = map[uint64]int{}
		)
		err = c.ReadSplits(ctx, splits, workers, func(w, split int, p *models.Point) error {
			if w < 0 || w >= workers || split < 0 || split >= len(splits) {
				t.Errorf("worker %d, split %d", w, split)
			}
			mu.Lock()
			seen[p.Seq]++
			mu.Unlock()
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for s := uint64(1); s <= 3000; s++ {
			if seen[s] != 1 {
				t.Fatalf("%d workers: seq %d read %d times", workers, s, seen[s])
			}
		}
	}
	// An error of fn stops every worker and comes back.
	splits, _ := c.Splits(ctx, "vt", client.SplitQuery{Target: 300})
	stop := errors.New("stop")
	if err := c.ReadSplits(ctx, splits, 2, func(int, int, *models.Point) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("fn error: %v", err)
	}
	// A read error names the split.
	bad := []client.Split{{Token: "vt.AAAAAAAA", Segment: "7", First: 3, Last: 9}}
	err := c.ReadSplits(ctx, bad, 1, func(int, int, *models.Point) error { return nil })
	if !errors.Is(err, client.ErrBadRequest) || !strings.Contains(err.Error(), "split 7/3-9: ") {
		t.Errorf("read error: %v", err)
	}
}

func TestErrors(t *testing.T) {
	s := newServer(t, true)
	ctx := context.Background()
	reader, err := s.keys.IssueToken("reader", []string{"vt"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := s.keys.IssueToken("ops", []string{"*"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	write(t, s.client(t, admin), "vt", points(1, 10, 2))
	write(t, s.client(t, admin), "other", points(1, 10, 2))
	for _, tc := range []struct {
		name string
		c    *client.Client
		run  func(c *client.Client) error
		want error
	}{
		{"no token", s.client(t, ""), func(c *client.Client) error { _, err := c.Count(ctx, "vt", client.Query{}); return err }, client.ErrUnauthorized},
		{"other stream", s.client(t, reader), func(c *client.Client) error { _, err := c.Count(ctx, "other", client.Query{}); return err }, client.ErrForbidden},
		{"unknown stream", s.client(t, admin), func(c *client.Client) error { _, err := c.Splits(ctx, "nope", client.SplitQuery{}); return err }, client.ErrNotFound},
		{"split of another stream", s.client(t, reader), func(c *client.Client) error {
			splits, err := s.client(t, admin).Splits(ctx, "other", client.SplitQuery{})
			if err != nil || len(splits) == 0 {
				return err
			}
			for _, err := range c.ReadSplit(ctx, splits[0]) {
				return err
			}
			return nil
		}, client.ErrForbidden},
		{"bad split token", s.client(t, reader), func(c *client.Client) error {
			for _, err := range c.ReadSplit(ctx, client.Split{Token: "vt.AAAAAAAA"}) {
				return err
			}
			return nil
		}, client.ErrBadRequest},
		{"bad cut", s.client(t, reader), func(c *client.Client) error {
			for _, err := range c.Tail(ctx, "vt", client.TailOptions{From: "0:zero"}) {
				return err
			}
			return nil
		}, client.ErrBadRequest},
		{"write with a reader token", s.client(t, reader), func(c *client.Client) error {
			return c.Write(ctx, "vt", "w.normal", points(1, 1, 1))
		}, client.ErrForbidden},
	} {
		err := tc.run(tc.c)
		var apiErr *client.APIError
		if !errors.Is(err, tc.want) || !errors.As(err, &apiErr) || apiErr.Message == "" {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if _, err := client.New("ftp://x", client.Options{}); err == nil {
		t.Error("accepted an ftp URL")
	}
}
