package cloudapi_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/tributary-iot/tributary/bench/cloudapi"
)

func TestLineCounter(t *testing.T) {
	tests := []struct {
		name    string
		chunks  []string
		want    int64
		wantErr string
	}{
		{"three lines", []string{"{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n"}, 3, ""},
		{"split across writes", []string{"{\"a\":", "1}\n{\"a", "\":2}\n"}, 2, ""},
		{"no final newline", []string{"{}\n{}"}, 2, ""},
		{"trailing error", []string{"{}\n{}\n{\"error\":\"disk gone\"}\n"}, 2, "disk gone"},
		{"error-looking point", []string{"{\"error\":\"x\",\"device\":\"d\"}\n"}, 1, ""},
		{"empty", nil, 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var lc cloudapi.LineCounter
			for _, c := range tc.chunks {
				if n, err := lc.Write([]byte(c)); n != len(c) || err != nil {
					t.Fatalf("Write = %d, %v", n, err)
				}
			}
			msg, _ := lc.TrailingError()
			if lc.Lines() != tc.want || msg != tc.wantErr {
				t.Errorf("Lines %d error %q, want %d %q", lc.Lines(), msg, tc.want, tc.wantErr)
			}
		})
	}
}

func TestSplitTokens(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  error
	}{
		{`{"splits":[{"token":"a","segment":"0"},{"token":"b"}]}`, []string{"a", "b"}, nil},
		{`["x","y"]`, []string{"x", "y"}, nil},
		{`{"splits":[]}`, nil, cloudapi.ErrNoTokens},
		{`{"splits":[{"segment":"0"}]}`, nil, cloudapi.ErrNoTokens},
	}
	for _, tc := range tests {
		got, err := cloudapi.SplitTokens([]byte(tc.in))
		slices.Sort(got)
		if !errors.Is(err, tc.err) || !slices.Equal(got, tc.want) {
			t.Errorf("SplitTokens(%s) = %v, %v; want %v, %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

// fakeAPI serves a stream of n points, and splits when withSplits.
func fakeAPI(t *testing.T, n int, withSplits bool) *cloudapi.Client {
	t.Helper()
	mux := http.NewServeMux()
	ndjson := func(w http.ResponseWriter, from, to int) {
		for i := from; i < to; i++ {
			fmt.Fprintf(w, "{\"device\":\"d\",\"seq\":%d}\n", i)
		}
	}
	mux.HandleFunc("GET /v1/streams/s/count", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error":"missing bearer token"}`)
			return
		}
		fmt.Fprintf(w, `{"events": %d}`, n)
	})
	mux.HandleFunc("GET /v1/streams/s/events", func(w http.ResponseWriter, r *http.Request) { ndjson(w, 0, n) })
	if withSplits {
		mux.HandleFunc("GET /v1/streams/s/splits", func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `{"splits":[{"token":"lo"},{"token":"hi"}]}`)
		})
		mux.HandleFunc("GET /v1/splits/{tok}", func(w http.ResponseWriter, r *http.Request) {
			if r.PathValue("tok") == "lo" {
				ndjson(w, 0, n/2)
			} else {
				ndjson(w, n/2, n)
			}
		})
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"error":"no such endpoint: `+r.Method+` `+r.URL.Path+`"}`)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &cloudapi.Client{Base: srv.URL, Token: "tok"}
}

func TestClientReads(t *testing.T) {
	ctx := context.Background()
	c := fakeAPI(t, 1001, true)
	if n, err := c.Count(ctx, "s"); err != nil || n != 1001 {
		t.Fatalf("Count = %d, %v", n, err)
	}
	r, err := c.ReadEvents(ctx, "s")
	if err != nil || r.Points != 1001 || r.Bytes == 0 || r.PointsPerSecond() <= 0 {
		t.Fatalf("ReadEvents = %+v, %v", r, err)
	}
	toks, err := c.Splits(ctx, "s")
	if err != nil || len(toks) != 2 {
		t.Fatalf("Splits = %v, %v", toks, err)
	}
	r, err = c.ReadSplits(ctx, toks, 2)
	if err != nil || r.Points != 1001 {
		t.Fatalf("ReadSplits = %+v, %v", r, err)
	}
	bad := *c
	bad.Token = ""
	if _, err := bad.Count(ctx, "s"); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("Count without a token: %v", err)
	}
}

func TestSplitsNotServed(t *testing.T) {
	c := fakeAPI(t, 10, false)
	if _, err := c.Splits(context.Background(), "s"); !errors.Is(err, cloudapi.ErrNotServed) {
		t.Errorf("Splits: %v, want ErrNotServed", err)
	}
}

func TestTail(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/streams/s/tail", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("from") != "now" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		io.WriteString(w, "{\"cut\":\"0:1\"}\n{\"device\":\"d\"}\n")
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"error":"no such endpoint"}`)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := &cloudapi.Client{Base: srv.URL}
	body, err := c.Tail(context.Background(), "s", "now")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(body)
	body.Close()
	if !strings.HasPrefix(string(b), `{"cut":"0:1"}`) {
		t.Errorf("tail body %q", b)
	}
	if _, err := c.Tail(context.Background(), "other", "now"); !errors.Is(err, cloudapi.ErrNotServed) {
		t.Errorf("Tail of a server without one: %v, want ErrNotServed", err)
	}
}
