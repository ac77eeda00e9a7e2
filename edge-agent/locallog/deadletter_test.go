package locallog_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tributary-iot/tributary/edge-agent/locallog"
)

func TestDeadLettersAreCappedTruncatedAndCounted(t *testing.T) {
	ctx := context.Background()
	opts := testOptions(t)
	opts.MaxDeadLetters = 5
	l := openLog(t, opts)
	at := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	for i := range 12 {
		reason := "undecodable"
		if i%3 == 0 {
			reason = "unknown-topic"
		}
		err := l.AddDeadLetter(ctx, locallog.DeadLetter{
			Time:    at.Add(time.Duration(i) * time.Second),
			Topic:   fmt.Sprintf("lp/dev-%d", i),
			Reason:  reason,
			Error:   "bad line",
			Payload: []byte(fmt.Sprintf("payload %d", i)),
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	dls, err := l.DeadLetters(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(dls) != 5 {
		t.Fatalf("%d dead letters kept, want 5", len(dls))
	}
	for i, d := range dls { // newest first: 11, 10, ..., 7
		n := 11 - i
		if d.Topic != fmt.Sprintf("lp/dev-%d", n) || string(d.Payload) != fmt.Sprintf("payload %d", n) ||
			!d.Time.Equal(at.Add(time.Duration(n)*time.Second)) || d.Error != "bad line" || d.PayloadSize != len(d.Payload) {
			t.Errorf("dead letter %d = %+v, want number %d", i, d, n)
		}
		if i > 0 && d.ID >= dls[i-1].ID {
			t.Errorf("ids not newest first: %d after %d", d.ID, dls[i-1].ID)
		}
	}
	if two, _ := l.DeadLetters(ctx, 2); len(two) != 2 || two[0].ID != dls[0].ID {
		t.Errorf("limit 2: %+v", two)
	}
	st := l.Stats()
	if st.DeadLetters != 12 || st.DeadLettersStored != 5 || st.DeadLettersDropped != 7 ||
		st.DeadLettersByReason["unknown-topic"] != 4 || st.DeadLettersByReason["undecodable"] != 8 {
		t.Errorf("stats: %+v", st)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l = openLog(t, opts)
	re := l.Stats()
	if re.DeadLetters != 12 || re.DeadLettersStored != 5 || re.DeadLettersDropped != 7 || re.DeadLettersByReason["unknown-topic"] != 4 {
		t.Errorf("after reopen: %+v", re)
	}
	if again, _ := l.DeadLetters(ctx, 0); len(again) != 5 || again[0].ID != dls[0].ID {
		t.Errorf("after reopen: %d kept", len(again))
	}
}

func TestDeadLetterTruncation(t *testing.T) {
	ctx := context.Background()
	l := openLog(t, testOptions(t))
	tests := []struct {
		name string
		in   locallog.DeadLetter
		want func(d locallog.DeadLetter) bool
	}{
		{"long payload", locallog.DeadLetter{Reason: "oversized", Payload: make([]byte, 5000)},
			func(d locallog.DeadLetter) bool { return len(d.Payload) == 1024 && d.PayloadSize == 5000 }},
		{"long topic", locallog.DeadLetter{Reason: "x", Topic: strings.Repeat("t", 1000)},
			func(d locallog.DeadLetter) bool { return len(d.Topic) == 256 }},
		{"long reason", locallog.DeadLetter{Reason: strings.Repeat("r", 100)},
			func(d locallog.DeadLetter) bool { return len(d.Reason) == 64 }},
		{"no reason", locallog.DeadLetter{},
			func(d locallog.DeadLetter) bool { return d.Reason == "unknown" && !d.Time.IsZero() }},
		{"runes kept whole", locallog.DeadLetter{Reason: "x", Topic: strings.Repeat("é", 200)},
			func(d locallog.DeadLetter) bool { return d.Topic == strings.Repeat("é", 128) }},
		{"long error", locallog.DeadLetter{Reason: "x", Error: strings.Repeat("e", 999)},
			func(d locallog.DeadLetter) bool { return len(d.Error) == 256 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := l.AddDeadLetter(ctx, tt.in); err != nil {
				t.Fatal(err)
			}
			dls, err := l.DeadLetters(ctx, 1)
			if err != nil || len(dls) != 1 {
				t.Fatalf("%v %v", dls, err)
			}
			if !tt.want(dls[0]) {
				t.Errorf("stored %+v", dls[0])
			}
		})
	}
}

func TestDeadLetterReasonsAreBounded(t *testing.T) {
	ctx := context.Background()
	opts := testOptions(t)
	opts.MaxDeadLetters = -1 // count only
	l := openLog(t, opts)
	for i := range 40 {
		if err := l.AddDeadLetter(ctx, locallog.DeadLetter{Reason: fmt.Sprintf("reason-%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	st := l.Stats()
	if len(st.DeadLettersByReason) != 33 || st.DeadLettersByReason["other"] != 8 || st.DeadLetters != 40 {
		t.Errorf("%d reasons, other=%d, total %d", len(st.DeadLettersByReason), st.DeadLettersByReason["other"], st.DeadLetters)
	}
	if st.DeadLettersStored != 0 || st.DeadLettersDropped != 40 {
		t.Errorf("stored %d dropped %d with MaxDeadLetters < 0", st.DeadLettersStored, st.DeadLettersDropped)
	}
	if dls, err := l.DeadLetters(ctx, 0); err != nil || len(dls) != 0 {
		t.Errorf("%d dead letters kept: %v", len(dls), err)
	}
}
