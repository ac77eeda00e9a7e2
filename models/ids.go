package models

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// ErrBadID is returned (wrapped) when an agent, device or stream id is not
// acceptable.
var ErrBadID = errors.New("invalid id")

// MaxIDLen is the longest agent, device or stream id accepted.
const MaxIDLen = 128

// ValidateID checks that s can name an agent or a stream: 1..MaxIDLen bytes
// of ASCII letters, digits, '-' and '_'. These ids appear in NATS subjects
// and file names, so dots, slashes and wildcards are refused.
func ValidateID(kind, s string) error {
	if s == "" {
		return fmt.Errorf("%w: empty %s id", ErrBadID, kind)
	}
	if len(s) > MaxIDLen {
		return fmt.Errorf("%w: %s id longer than %d bytes", ErrBadID, kind, MaxIDLen)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' {
			continue
		}
		return fmt.Errorf("%w: %s id %q has %q (allowed: letters, digits, '-', '_')", ErrBadID, kind, s, c)
	}
	return nil
}

// ValidateDevice checks a device id: 1..MaxIDLen bytes, printable ASCII or
// UTF-8, no control characters. Device ids are routing keys and are hashed,
// never put into subjects, so they may hold more than agent ids.
func ValidateDevice(s string) error {
	if s == "" {
		return fmt.Errorf("%w: empty device id", ErrBadID)
	}
	if len(s) > MaxIDLen {
		return fmt.Errorf("%w: device id longer than %d bytes", ErrBadID, MaxIDLen)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			// Not printable ASCII: look at it rune by rune.
			if strings.IndexFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\uFFFD' }) >= 0 {
				return fmt.Errorf("%w: device id %q has a control or invalid character", ErrBadID, s)
			}
			return nil
		}
	}
	return nil
}

// NewAgentID returns a fresh random agent id such as "agent-3f9c0a1b2c4d".
func NewAgentID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "agent-" + hex.EncodeToString(b[:])
}

// WriterID names one sequence of one agent: the agent id and the priority
// class whose points it carries ("gw-7.high"). Each priority class drains on
// its own after an outage, so each has its own high-water mark in the cloud.
func WriterID(agent string, class Priority) string {
	return agent + "." + class.String()
}

// ParseWriterID splits a writer id made by WriterID.
func ParseWriterID(w string) (agent string, class Priority, err error) {
	i := strings.LastIndexByte(w, '.')
	if i <= 0 {
		return "", 0, fmt.Errorf("%w: writer id %q has no class", ErrBadID, w)
	}
	class, err = ParsePriority(w[i+1:])
	if err != nil {
		return "", 0, fmt.Errorf("writer id %q: %w", w, err)
	}
	return w[:i], class, nil
}
