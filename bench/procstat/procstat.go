package procstat

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"
)

// ErrFormat is returned (wrapped) for stat or status text that does not
// parse.
var ErrFormat = errors.New("bad /proc format")

// TicksPerSecond is USER_HZ, the unit of utime and stime in /proc/PID/stat:
// 100 on every Linux architecture Go supports.
const TicksPerSecond = 100

// CPU is a process's CPU time so far.
type CPU struct {
	// User and System are in clock ticks (TicksPerSecond).
	User, System uint64
	// Children is the user and system time of the children the process
	// has waited for (cutime + cstime).
	Children uint64
}

// Total returns user plus system time.
func (c CPU) Total() time.Duration {
	return time.Duration(c.User+c.System) * time.Second / TicksPerSecond
}

// Sub returns c - earlier.
func (c CPU) Sub(earlier CPU) CPU {
	return CPU{User: c.User - earlier.User, System: c.System - earlier.System, Children: c.Children - earlier.Children}
}

// WithChildren returns the process's own time plus its waited-for
// children's.
func (c CPU) WithChildren() time.Duration {
	return time.Duration(c.User+c.System+c.Children) * time.Second / TicksPerSecond
}

// ParseStat parses the contents of /proc/PID/stat. The command name (in
// parentheses) may hold spaces and parentheses: the fields are counted
// from the last ')'.
func ParseStat(b []byte) (CPU, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return CPU{}, fmt.Errorf("%w: stat has no command name", ErrFormat)
	}
	// After ')': state(3) ppid(4) ... utime(14) stime(15) cutime(16)
	// cstime(17); the last two are signed in the kernel's format.
	f := bytes.Fields(b[i+1:])
	if len(f) < 15 {
		return CPU{}, fmt.Errorf("%w: stat has %d fields after the name", ErrFormat, len(f))
	}
	u, err1 := strconv.ParseUint(string(f[11]), 10, 64)
	s, err2 := strconv.ParseUint(string(f[12]), 10, 64)
	cu, err3 := strconv.ParseInt(string(f[13]), 10, 64)
	cs, err4 := strconv.ParseInt(string(f[14]), 10, 64)
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return CPU{}, fmt.Errorf("%w: utime/stime/cutime/cstime: %w", ErrFormat, err)
	}
	return CPU{User: u, System: s, Children: uint64(max(cu, 0) + max(cs, 0))}, nil
}

// Memory is what /proc/PID/status says about a process's resident memory.
type Memory struct {
	// HWM is the peak resident set size (VmHWM) in bytes.
	HWM int64
	// RSS is the current resident set size (VmRSS) in bytes.
	RSS int64
}

// ParseStatus parses the contents of /proc/PID/status.
func ParseStatus(b []byte) (Memory, error) {
	var m Memory
	var seen int
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		key, val, ok := bytes.Cut(sc.Bytes(), []byte(":"))
		if !ok {
			continue
		}
		var dst *int64
		switch string(key) {
		case "VmHWM":
			dst = &m.HWM
		case "VmRSS":
			dst = &m.RSS
		default:
			continue
		}
		f := bytes.Fields(val)
		if len(f) != 2 || string(f[1]) != "kB" {
			return m, fmt.Errorf("%w: %s %q", ErrFormat, key, val)
		}
		kb, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil || kb < 0 {
			return m, fmt.Errorf("%w: %s %q", ErrFormat, key, val)
		}
		*dst = kb << 10
		seen++
	}
	if seen < 2 {
		return m, fmt.Errorf("%w: status lacks VmHWM or VmRSS", ErrFormat)
	}
	return m, nil
}

// Read returns the CPU time of process pid.
func Read(pid int) (CPU, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return CPU{}, fmt.Errorf("read cpu time: %w", err)
	}
	return ParseStat(b)
}

// ReadMemory returns the memory figures of process pid.
func ReadMemory(pid int) (Memory, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Memory{}, fmt.Errorf("read memory: %w", err)
	}
	return ParseStatus(b)
}
