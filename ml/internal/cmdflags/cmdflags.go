package cmdflags

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/tributary-iot/tributary/cloud-core/client"
)

// Command is the command line of one command.
type Command struct {
	// Flags holds the flags: the command adds its own before Parse.
	Flags          *flag.FlagSet
	name           string
	stdout, stderr io.Writer
	api, token     *string
}

// New returns the command line of the command name, with --api and
// --token (default $TRIBUTARY_TOKEN). Help goes to stdout, errors to
// stderr.
func New(name string, stdout, stderr io.Writer) *Command {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return &Command{
		Flags: fs, name: name, stdout: stdout, stderr: stderr,
		api:   fs.String("api", "http://127.0.0.1:8080", "cloud-core HTTP API"),
		token: fs.String("token", os.Getenv("TRIBUTARY_TOKEN"), "bearer token (default $TRIBUTARY_TOKEN)"),
	}
}

// Parse parses args, rejects arguments left after the flags, and returns
// the client of --api with --token. With a nil client the command is to
// exit at once with the code returned: 0 after --help (the flags are
// printed on stdout), 2 after a bad command line (Fail printed why).
func (c *Command) Parse(args []string) (*client.Client, int) {
	if err := c.Flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			c.Flags.SetOutput(c.stdout)
			c.Flags.PrintDefaults()
			return nil, 0
		}
		return nil, c.Fail(2, err)
	}
	if c.Flags.NArg() > 0 {
		return nil, c.Fail(2, fmt.Errorf("no arguments are taken (got %q)", c.Flags.Arg(0)))
	}
	cl, err := client.New(*c.api, client.Options{Token: *c.token})
	if err != nil {
		return nil, c.Fail(2, err)
	}
	return cl, 0
}

// Fail prints err on stderr as one line, "name: err", and returns code.
func (c *Command) Fail(code int, err error) int {
	fmt.Fprintf(c.stderr, "%s: %s\n", c.name, strings.ReplaceAll(err.Error(), "\n", "; "))
	return code
}
