package config_test

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/tributary-iot/tributary/edge-agent/config"
	"github.com/tributary-iot/tributary/edge-agent/locallog"
	"github.com/tributary-iot/tributary/models"
)

func TestParseDefaults(t *testing.T) {
	o, err := config.Parse(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.MQTTListen != ":1883" || o.HTTPListen != ":9100" || o.DataDir != "data/edge" || o.WhenFull != locallog.DropOldest {
		t.Fatalf("defaults differ from the contract: %+v", o)
	}
	if o.MaxBuffer != 512<<20 {
		t.Fatalf("max buffer %v", o.MaxBuffer)
	}
}

func TestParseFlags(t *testing.T) {
	o, err := config.Parse([]string{
		"--data-dir", "/tmp/x", "--agent-id", "gw-7", "--mqtt-broker", "tcp://127.0.0.1:1883",
		"--max-buffer", "64MiB", "--when-full", "reject-new", "--ttl", "low=24h,high=720h", "--http-listen", "",
	}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.MQTTListen != "" {
		t.Errorf("embedded broker should be off with --mqtt-broker, got %q", o.MQTTListen)
	}
	if o.MaxBuffer != 64<<20 || o.WhenFull != locallog.RejectNew || o.AgentID != "gw-7" {
		t.Errorf("parsed %+v", o)
	}
	if o.TTL[models.PriorityLow] != 24*time.Hour || o.TTL[models.PriorityHigh] != 720*time.Hour || o.TTL[models.PriorityNormal] != 0 {
		t.Errorf("ttl %v", o.TTL)
	}
}

func TestParseErrorsAreOneLine(t *testing.T) {
	for _, args := range [][]string{
		{"--max-buffer", "lots"},
		{"--max-buffer", "0"},
		{"--when-full", "panic"},
		{"--agent-id", "a.b"},
		{"--mqtt-broker", "http://x"},
		{"--mqtt-listen", ""},
		{"--cloud", "nats://"},
		{"--ttl", "low"},
		{"--ttl", "urgent=1h"},
		{"--no-such-flag"},
		{"stray"},
		{"--log-level", "loud"},
	} {
		_, err := config.Parse(args, io.Discard)
		if err == nil {
			t.Errorf("%v: accepted", args)
			continue
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: error spans lines: %q", args, err)
		}
	}
}

func TestHelp(t *testing.T) {
	var sb strings.Builder
	_, err := config.Parse([]string{"-h"}, &sb)
	if !errors.Is(err, config.ErrHelp) || !strings.Contains(sb.String(), "--max-buffer") && !strings.Contains(sb.String(), "-max-buffer") {
		t.Fatalf("help: %v %q", err, sb.String())
	}
}

func TestByteSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want config.ByteSize
	}{{"512MiB", 512 << 20}, {"1GiB", 1 << 30}, {"500MB", 500e6}, {"64k", 64 << 10}, {"4096", 4096}, {"1.5KiB", 1536}} {
		got, err := config.ParseByteSize(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseByteSize(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "MiB", "12XB", "1e3", "-5"} {
		if _, err := config.ParseByteSize(bad); err == nil {
			t.Errorf("ParseByteSize(%q) accepted", bad)
		}
	}
	if s := config.ByteSize(512 << 20).String(); s != "512MiB" {
		t.Errorf("String() = %q", s)
	}
}
