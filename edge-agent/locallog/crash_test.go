package locallog_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tributary-iot/tributary/edge-agent/locallog"
	"github.com/tributary-iot/tributary/models"
)

// crashChildEnv names the directory in which the re-executed test binary
// runs crashChild instead of the tests.
const crashChildEnv = "LOCALLOG_CRASH_CHILD_DIR"

// crashChild appends from several goroutines forever, printing
// "ack CLASS FIRST LAST" once each Append has returned, until it is
// killed (or a minute has passed).
func crashChild(dir string) int {
	ctx := context.Background()
	l, err := locallog.Open(ctx, locallog.Options{Path: filepath.Join(dir, "log.db"), Agent: "gw-crash", MaxBytes: 64 << 20})
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		return 1
	}
	fmt.Println("ready")
	deadline := time.Now().Add(time.Minute)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
			for i := 0; time.Now().Before(deadline); i++ {
				class := models.Priority(rng.IntN(models.NumPriorities))
				pts := makePoints(rng, 1+rng.IntN(20), i, 0, 200)
				res, err := l.Append(ctx, class, pts)
				if err != nil {
					fmt.Fprintln(os.Stderr, "append:", err)
					os.Exit(1)
				}
				// One write per line, so lines from goroutines never mix.
				_, _ = os.Stdout.WriteString(fmt.Sprintf("ack %d %d %d\n", class, res.FirstSeq, res.LastSeq))
			}
		})
	}
	wg.Wait()
	_ = l.Close()
	return 0
}

// startChild runs the test binary as a crash child, through qemu-user when
// the binary is for another architecture and the kernel cannot run it.
func startChild(t *testing.T, dir string) (*exec.Cmd, *bufio.Scanner) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, argv := range [][]string{{exe}, {"qemu-" + qemuArch(), exe}} {
		cmd := exec.Command(argv[0], append(argv[1:], "-test.run=^$")...)
		cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		err = cmd.Start()
		if errors.Is(err, syscall.ENOEXEC) || errors.Is(err, exec.ErrNotFound) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		return cmd, bufio.NewScanner(out)
	}
	t.Skip("cannot run the test binary as a child process")
	return nil, nil
}

func qemuArch() string {
	switch runtime.GOARCH {
	case "arm64":
		return "aarch64"
	case "amd64":
		return "x86_64"
	}
	return runtime.GOARCH
}

func TestKill9LosesNothingAcknowledged(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(13, uint64(time.Now().UnixNano())))
	var prevMax uint64
	acked := map[uint64]models.Priority{}
	for round := range 3 {
		cmd, lines := startChild(t, dir)
		if !lines.Scan() || lines.Text() != "ready" {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			t.Fatalf("round %d: child did not start", round)
		}
		killAfter := 20 + rng.IntN(300)
		var roundMin uint64
		n := 0
		for lines.Scan() {
			var class models.Priority
			var first, last uint64
			if _, err := fmt.Sscanf(lines.Text(), "ack %d %d %d", &class, &first, &last); err != nil {
				t.Fatalf("child said %q", lines.Text())
			}
			for s := first; s <= last; s++ {
				acked[s] = class
			}
			if roundMin == 0 || first < roundMin {
				roundMin = first
			}
			if n++; n == killAfter {
				_ = cmd.Process.Signal(syscall.SIGKILL)
			}
		}
		_ = cmd.Wait()
		if n < killAfter {
			t.Fatalf("round %d: child stopped after %d acks", round, n)
		}
		if roundMin <= prevMax {
			t.Fatalf("round %d: seq %d handed out again (earlier rounds reached %d)", round, roundMin, prevMax)
		}

		path := filepath.Join(dir, "log.db")
		if err := checkPath(path); err != nil {
			t.Fatalf("round %d: file damaged by kill -9: %v", round, err)
		}
		l, err := locallog.Open(context.Background(), locallog.Options{Path: path, Agent: "gw-crash", MaxBytes: 64 << 20})
		if err != nil {
			t.Fatal(err)
		}
		if l.Stats().Recovered != nil {
			t.Fatalf("round %d: log recovered after kill -9: %+v", round, l.Stats().Recovered)
		}
		held := map[uint64]models.Priority{}
		for _, class := range models.Priorities() {
			var last uint64
			for _, p := range readAll(t, l, class) {
				if p.Seq <= last {
					t.Fatalf("class %s: seq %d after %d", class, p.Seq, last)
				}
				last = p.Seq
				held[p.Seq] = class
				prevMax = max(prevMax, p.Seq)
			}
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		for s, class := range acked {
			if c, ok := held[s]; !ok || c != class {
				t.Fatalf("round %d: acknowledged seq %d (class %s) is not in the log", round, s, class)
			}
		}
		t.Logf("round %d: killed after %d acks; %d acknowledged points all present (%d held)", round, n, len(acked), len(held))
	}
}

// checkPath runs CheckFile on the file at path.
func checkPath(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	return locallog.CheckFile(f, fi.Size())
}
