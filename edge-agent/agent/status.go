package agent

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tributary-iot/tributary/models"
)

// Status is the JSON document served at /v1/status.
type Status struct {
	AgentID        string                 `json:"agent_id"`
	Uptime         string                 `json:"uptime"`
	PointsBuffered int64                  `json:"points_buffered"`
	BytesBuffered  int64                  `json:"bytes_buffered"`
	PointsDropped  int64                  `json:"points_dropped"`
	DeadLetters    int64                  `json:"dead_letters"`
	PointsSynced   int64                  `json:"points_synced"`
	OldestUnsynced *time.Time             `json:"oldest_unsynced"`
	Cloud          string                 `json:"cloud"`
	CloudURL       string                 `json:"cloud_url,omitempty"`
	CloudError     string                 `json:"cloud_error,omitempty"`
	MQTT           MQTTStatus             `json:"mqtt"`
	Log            LogStatus              `json:"log"`
	Classes        map[string]ClassStatus `json:"classes"`
}

// MQTTStatus describes the MQTT front end.
type MQTTStatus struct {
	Listen          string `json:"listen,omitempty"`
	Broker          string `json:"broker,omitempty"`
	BrokerConnected *bool  `json:"broker_connected,omitempty"`
}

// LogStatus describes the local log file.
type LogStatus struct {
	FileBytes   int64  `json:"file_bytes"`
	MaxBytes    int64  `json:"max_bytes"`
	WhenFull    string `json:"when_full"`
	RecoveredTo string `json:"recovered_to,omitempty"`
	Recovered   string `json:"recovered_reason,omitempty"`
}

// ClassStatus is the buffer state of one priority class.
type ClassStatus struct {
	PointsBuffered int64            `json:"points_buffered"`
	BytesBuffered  int64            `json:"bytes_buffered"`
	Dropped        map[string]int64 `json:"dropped"`
}

// Status returns the agent's current status.
func (a *Agent) Status() Status {
	st := a.log.Stats()
	s := Status{
		AgentID:        a.id,
		Uptime:         time.Since(a.started).Round(time.Second).String(),
		PointsBuffered: st.PointsBuffered,
		BytesBuffered:  st.BytesBuffered,
		PointsDropped:  st.PointsDropped,
		DeadLetters:    st.DeadLetters,
		PointsSynced:   st.PointsSynced,
		Cloud:          "disabled",
		CloudURL:       a.opts.Cloud,
		MQTT:           MQTTStatus{Listen: a.MQTTAddr(), Broker: a.opts.MQTTBroker},
		Log: LogStatus{
			FileBytes: st.FileBytes,
			MaxBytes:  int64(a.opts.MaxBuffer),
			WhenFull:  a.opts.WhenFull.String(),
		},
		Classes: map[string]ClassStatus{},
	}
	if !st.OldestUnsynced.IsZero() {
		t := st.OldestUnsynced.UTC()
		s.OldestUnsynced = &t
	}
	if st.Recovered != nil {
		s.Log.RecoveredTo, s.Log.Recovered = st.Recovered.MovedTo, st.Recovered.Reason
	}
	if a.uplink != nil {
		s.Cloud = a.uplink.State().String()
		s.CloudError = a.uplink.LastError()
	}
	if a.subscriber != nil {
		c := a.subscriber.Connected()
		s.MQTT.BrokerConnected = &c
	}
	for _, p := range models.Priorities() {
		cs := st.Classes[p]
		s.Classes[p.String()] = ClassStatus{PointsBuffered: cs.PointsBuffered, BytesBuffered: cs.BytesBuffered, Dropped: cs.Dropped}
	}
	return s
}

func (a *Agent) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.registry, promhttp.HandlerOpts{Registry: a.registry}))
	mux.HandleFunc("GET /v1/status", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, a.Status())
	})
	mux.HandleFunc("GET /v1/deadletters", a.serveDeadLetters)
	return mux
}

func (a *Agent) serveDeadLetters(w http.ResponseWriter, r *http.Request) {
	limit := 100
	if s := r.URL.Query().Get("limit"); s != "" {
		var n int
		if err := json.Unmarshal([]byte(s), &n); err != nil || n <= 0 || n > 10000 {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "limit must be an integer from 1 to 10000"})
			return
		}
		limit = n
	}
	dls, err := a.log.DeadLetters(r.Context(), limit)
	if err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, dls)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
