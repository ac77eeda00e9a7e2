package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tributary-iot/tributary/cloud-core/auth"
	"github.com/tributary-iot/tributary/cloud-core/httpapi"
	"github.com/tributary-iot/tributary/cloud-core/store"
)

func TestRequireTokens(t *testing.T) {
	keys, err := auth.LoadOrCreateKeys(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	h := httpapi.RequireTokens(ok, keys)
	reader, _ := keys.IssueToken("reader", []string{"vehicle-telemetry"}, time.Hour)
	admin, _ := keys.IssueToken("ops", []string{"*"}, 0)
	expired, _ := keys.IssueToken("old", []string{"*"}, -time.Hour)
	for _, tc := range []struct {
		method, path, token string
		want                int
	}{
		{"GET", "/healthz", "", 200},
		{"GET", "/metrics", "", 200},
		{"GET", "/v1/streams", "", 401},
		{"GET", "/v1/streams", "garbage", 401},
		{"GET", "/v1/streams", expired, 401},
		{"GET", "/v1/streams", reader, 200},
		{"GET", "/v1/streams/vehicle-telemetry/events", reader, 200},
		{"GET", "/v1/streams/anomalies/events", reader, 403},
		{"POST", "/v1/streams/vehicle-telemetry/tier", reader, 403},
		{"POST", "/v1/streams/vehicle-telemetry/tier", admin, 200},
		{"GET", "/v1/streams/anomalies/count", admin, 200},
		{"GET", "/v1/splits/" + store.Split{Stream: "vehicle-telemetry", Segment: "0", First: 1, Last: 2, Tier: 2}.Token(), reader, 200},
		{"GET", "/v1/splits/" + store.Split{Stream: "anomalies", Segment: "0", First: 1, Last: 2, Tier: 2}.Token(), reader, 403},
		{"GET", "/v1/splits/" + store.Split{Stream: "anomalies", Segment: "0", First: 1, Last: 2, Tier: 2}.Token(), "", 401},
		{"GET", "/v1/streams/anomalies/tail", reader, 403},
		{"GET", "/v1/streams/vehicle-telemetry/splits", reader, 200},
	} {
		req := httptest.NewRequest(tc.method, tc.path, nil)
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("%s %s: %d, want %d (%s)", tc.method, tc.path, rec.Code, tc.want, rec.Body.String())
		}
		if rec.Code >= 400 && rec.Header().Get("Content-Type") != "application/json" {
			t.Errorf("%s %s: error is not JSON", tc.method, tc.path)
		}
	}
}
