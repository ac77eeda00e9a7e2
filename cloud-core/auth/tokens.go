package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// TokenPrefix starts every read token.
const TokenPrefix = "tbr1."

// ErrBadToken is returned (wrapped) for a token that is malformed, forged or expired.
var ErrBadToken = errors.New("invalid token")

// TokenClaims is what a read token grants.
type TokenClaims struct {
	// Name says whose token it is.
	Name string `json:"n"`
	// Streams the token may read; "*" means all.
	Streams []string `json:"s"`
	// Issued and Expires are Unix seconds; Expires 0 means never.
	Issued  int64 `json:"i"`
	Expires int64 `json:"e,omitempty"`
}

// Allows reports whether the token may read stream.
func (c *TokenClaims) Allows(stream string) bool {
	return slices.Contains(c.Streams, "*") || slices.Contains(c.Streams, stream)
}

// IssueToken signs a read token for name, scoped to streams.
func (k *Keys) IssueToken(name string, streams []string, ttl time.Duration) (string, error) {
	if name == "" || len(streams) == 0 {
		return "", errors.New("a token needs a name and at least one stream (or '*')")
	}
	c := TokenClaims{Name: name, Streams: streams, Issued: time.Now().Unix()}
	if ttl != 0 { // a negative ttl issues an expired token (for tests)
		c.Expires = time.Now().Add(ttl).Unix()
	}
	body, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	payload := base64.RawURLEncoding.EncodeToString(body)
	return TokenPrefix + payload + "." + base64.RawURLEncoding.EncodeToString(k.sign(payload)), nil
}

func (k *Keys) sign(payload string) []byte {
	m := hmac.New(sha256.New, k.tokenSecret)
	m.Write([]byte(payload))
	return m.Sum(nil)
}

// VerifyToken checks a token's signature and expiry and returns its claims.
func (k *Keys) VerifyToken(tok string) (*TokenClaims, error) {
	rest, ok := strings.CutPrefix(tok, TokenPrefix)
	if !ok {
		return nil, fmt.Errorf("%w: unknown format", ErrBadToken)
	}
	payload, sig, ok := strings.Cut(rest, ".")
	if !ok {
		return nil, fmt.Errorf("%w: no signature", ErrBadToken)
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, k.sign(payload)) {
		return nil, fmt.Errorf("%w: bad signature", ErrBadToken)
	}
	body, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return nil, fmt.Errorf("%w: bad payload", ErrBadToken)
	}
	var c TokenClaims
	if err := json.Unmarshal(body, &c); err != nil {
		return nil, fmt.Errorf("%w: bad payload", ErrBadToken)
	}
	if c.Expires != 0 && time.Now().Unix() > c.Expires {
		return nil, fmt.Errorf("%w: expired", ErrBadToken)
	}
	return &c, nil
}
