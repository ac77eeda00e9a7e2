package cmdtest

import (
	"bytes"
	"io"
	"slices"
	"strings"
	"testing"
)

// Run is a command's main without the process: it runs the command with
// args and returns its exit code.
type Run func(args []string, stdout, stderr io.Writer) int

// BadFlags checks that run, the command name, exits 2 with one line
// "name: ..." on stderr for an unknown flag, an API URL that is not
// HTTP and a leftover argument, and exits 0 with the flags on stdout for
// --help. valid are flags that make the rest of the command line
// acceptable (required ones): each bad case is valid plus the one fault,
// so that it fails for that fault alone.
func BadFlags(t *testing.T, name string, run Run, valid ...string) {
	t.Helper()
	for _, bad := range [][]string{{"--nope"}, {"--api", "ftp://x"}, {"extra"}} {
		args := append(slices.Clone(valid), bad...)
		var out, errOut bytes.Buffer
		if code := run(args, &out, &errOut); code != 2 || !strings.HasPrefix(errOut.String(), name+": ") || strings.Count(errOut.String(), "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut.String())
		}
	}
	var out, errOut bytes.Buffer
	if code := run([]string{"--help"}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "-api") {
		t.Errorf("--help: exit %d, %q", code, out.String())
	}
}
