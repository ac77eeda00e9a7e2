package scenario

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"strings"

	"github.com/tributary-iot/tributary/bench/procs"
	"github.com/tributary-iot/tributary/bench/report"
)

func machine(ctx context.Context, o Options) report.Machine {
	m := report.Machine{CPUs: cores()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if out, err := procs.Output(ctx, o.Go, "env", "GOVERSION"); err == nil {
		m.GoVersion = strings.TrimSpace(string(out))
	}
	return m
}
