package procstat

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
)

// System is the machine's CPU time so far, over all CPUs, in clock ticks
// (TicksPerSecond), from the first line of /proc/stat.
type System struct {
	// Busy is user, nice, system, irq and softirq time.
	Busy uint64
	// Idle is idle and iowait time.
	Idle uint64
	// Steal is time the hypervisor gave to other guests.
	Steal uint64
}

// Sub returns s - earlier.
func (s System) Sub(earlier System) System {
	return System{Busy: s.Busy - earlier.Busy, Idle: s.Idle - earlier.Idle, Steal: s.Steal - earlier.Steal}
}

// ParseSystem parses the contents of /proc/stat.
func ParseSystem(b []byte) (System, error) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := bytes.Fields(sc.Bytes())
		if len(f) == 0 || string(f[0]) != "cpu" {
			continue
		}
		if len(f) < 9 {
			return System{}, fmt.Errorf("%w: cpu line has %d fields", ErrFormat, len(f))
		}
		var v [8]uint64
		for i := range v {
			n, err := strconv.ParseUint(string(f[i+1]), 10, 64)
			if err != nil {
				return System{}, fmt.Errorf("%w: cpu field %d: %w", ErrFormat, i+1, err)
			}
			v[i] = n
		}
		// user nice system idle iowait irq softirq steal
		return System{Busy: v[0] + v[1] + v[2] + v[5] + v[6], Idle: v[3] + v[4], Steal: v[7]}, nil
	}
	return System{}, fmt.Errorf("%w: no cpu line", ErrFormat)
}

// ReadSystem returns the machine's CPU time so far.
func ReadSystem() (System, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return System{}, fmt.Errorf("read machine cpu time: %w", err)
	}
	return ParseSystem(b)
}
