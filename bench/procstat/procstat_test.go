package procstat_test

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/tributary-iot/tributary/bench/procstat"
)

func TestParseStat(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    procstat.CPU
		wantErr bool
	}{
		{
			name: "plain",
			in:   "30489 (edge-agent) S 30370 30370 30370 0 -1 4194304 12345 0 0 0 1531 417 5 6 20 0 9 0 123 456 789",
			want: procstat.CPU{User: 1531, System: 417, Children: 11},
		},
		{
			name: "name with spaces and parentheses",
			in:   "7 (a (b) c) R 1 1 1 0 -1 0 0 0 0 0 12 34 0 0 20 0 1 0 5 6 7\n",
			want: procstat.CPU{User: 12, System: 34},
		},
		{name: "no name", in: "7 a R 1", wantErr: true},
		{name: "too short", in: "7 (a) R 1 1 1 0 -1 0 0 0 0 0 12 34", wantErr: true},
		{name: "not a number", in: "7 (a) R 1 1 1 0 -1 0 0 0 0 0 x 34 0", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := procstat.ParseStat([]byte(tc.in))
			if tc.wantErr {
				if !errors.Is(err, procstat.ErrFormat) {
					t.Fatalf("err %v, want ErrFormat", err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestCPUArithmetic(t *testing.T) {
	a, b := procstat.CPU{User: 150, System: 50, Children: 30}, procstat.CPU{User: 100, System: 25, Children: 10}
	d := a.Sub(b)
	if d != (procstat.CPU{User: 50, System: 25, Children: 20}) || d.Total() != 750*time.Millisecond || d.WithChildren() != 950*time.Millisecond {
		t.Errorf("Sub = %+v total %v with children %v", d, d.Total(), d.WithChildren())
	}
}

func TestParseStatus(t *testing.T) {
	in := "Name:\tedge-agent\nVmPeak:\t 1000 kB\nVmHWM:\t  252608 kB\nVmRSS:\t   61696 kB\nThreads:\t9\n"
	m, err := procstat.ParseStatus([]byte(in))
	if err != nil || m.HWM != 252608<<10 || m.RSS != 61696<<10 {
		t.Fatalf("got %+v, %v", m, err)
	}
	for _, bad := range []string{"Name:\tx\n", "VmHWM:\t12 MB\nVmRSS:\t1 kB\n", "VmHWM:\tx kB\nVmRSS:\t1 kB\n"} {
		if _, err := procstat.ParseStatus([]byte(bad)); !errors.Is(err, procstat.ErrFormat) {
			t.Errorf("ParseStatus(%q): err %v, want ErrFormat", bad, err)
		}
	}
}

func TestReadSelf(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	if _, err := procstat.Read(os.Getpid()); err != nil {
		t.Error(err)
	}
	m, err := procstat.ReadMemory(os.Getpid())
	if err != nil || m.HWM <= 0 || m.RSS <= 0 || m.RSS > m.HWM {
		t.Errorf("ReadMemory = %+v, %v", m, err)
	}
}

func TestParseSystem(t *testing.T) {
	in := "cpu  493579 1 92803 493565 9449 2 6051 222 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\nintr 1\n"
	s, err := procstat.ParseSystem([]byte(in))
	want := procstat.System{Busy: 493579 + 1 + 92803 + 2 + 6051, Idle: 493565 + 9449, Steal: 222}
	if err != nil || s != want {
		t.Fatalf("ParseSystem = %+v, %v; want %+v", s, err, want)
	}
	if d := s.Sub(procstat.System{Busy: 1, Idle: 2, Steal: 3}); d.Busy != want.Busy-1 || d.Steal != 219 {
		t.Errorf("Sub = %+v", d)
	}
	for _, bad := range []string{"intr 1\n", "cpu 1 2 3\n", "cpu 1 2 x 4 5 6 7 8\n"} {
		if _, err := procstat.ParseSystem([]byte(bad)); !errors.Is(err, procstat.ErrFormat) {
			t.Errorf("ParseSystem(%q): %v, want ErrFormat", bad, err)
		}
	}
}
