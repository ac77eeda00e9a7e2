package httpapi

import (
	"net/http"
	"strings"

	"github.com/tributary-iot/tributary/cloud-core/auth"
	"github.com/tributary-iot/tributary/cloud-core/store"
)

// TokenVerifier checks bearer tokens (cloud-core/auth.Keys).
type TokenVerifier interface {
	VerifyToken(tok string) (*auth.TokenClaims, error)
}

// RequireTokens wraps an API handler so that every /v1/ request needs a
// valid bearer token: 401 without one or with a bad one, 403 when the
// token's streams do not include the stream in the path. Requests that
// change state (anything but GET and HEAD) need a token for all streams
// ("*"). /healthz and /metrics stay open.
func RequireTokens(next http.Handler, v TokenVerifier) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/v1/") {
			next.ServeHTTP(w, r)
			return
		}
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || tok == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="tributary"`)
			writeError(w, http.StatusUnauthorized, "missing bearer token (cloud-core tokens add NAME --streams LIST)")
			return
		}
		claims, err := v.VerifyToken(strings.TrimSpace(tok))
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="tributary", error="invalid_token"`)
			writeError(w, http.StatusUnauthorized, err.Error())
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead && !claims.Allows("*") {
			writeError(w, http.StatusForbidden, "token "+claims.Name+" may read but not change streams (needs --streams '*')")
			return
		}
		if stream := streamOf(r.URL.Path); stream != "" && !claims.Allows(stream) {
			writeError(w, http.StatusForbidden, "token "+claims.Name+" may not read stream "+stream)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// streamOf returns the stream named by a /v1/streams/{stream}... path, or
// by the token of a /v1/splits/{token} path.
func streamOf(path string) string {
	if tok, ok := strings.CutPrefix(path, "/v1/splits/"); ok {
		return store.SplitTokenStream(tok)
	}
	rest, ok := strings.CutPrefix(path, "/v1/streams/")
	if !ok {
		return ""
	}
	stream, _, _ := strings.Cut(rest, "/")
	return stream
}
