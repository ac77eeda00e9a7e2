package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/tributary-iot/tributary/cloud-core/auth"
	"github.com/tributary-iot/tributary/models"
)

// subcommand runs `cloud-core agents add NAME` or `cloud-core tokens add
// NAME --streams LIST`; handled reports whether args named a subcommand.
func subcommand(args []string, stdout, stderr io.Writer) (code int, handled bool) {
	if len(args) == 0 || (args[0] != "agents" && args[0] != "tokens") {
		return 0, false
	}
	if err := runSubcommand(args, stdout); err != nil {
		fmt.Fprintf(stderr, "cloud-core %s: %v\n", args[0], err)
		return 2, true
	}
	return 0, true
}

func runSubcommand(args []string, stdout io.Writer) error {
	kind := args[0]
	if len(args) < 3 || args[1] != "add" {
		if kind == "agents" {
			return errors.New("usage: cloud-core agents add NAME [--data-dir DIR] [--ttl DURATION]")
		}
		return errors.New("usage: cloud-core tokens add NAME --streams LIST|'*' [--data-dir DIR] [--ttl DURATION]")
	}
	name := args[2]
	fs := flag.NewFlagSet("cloud-core "+kind+" add", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dataDir := fs.String("data-dir", "./data/cloud", "cloud-core's data dir (holds the signing keys)")
	ttl := fs.Duration("ttl", 0, "validity (default: no expiry)")
	streams := fs.String("streams", "", "comma-separated streams the token may read, or '*' for all")
	if err := fs.Parse(args[3:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	keys, err := auth.LoadKeys(*dataDir)
	if err != nil {
		return err
	}
	switch kind {
	case "agents":
		if err := models.ValidateID("agent", name); err != nil {
			return err
		}
		creds, err := keys.AgentCreds(name, *ttl)
		if err != nil {
			return err
		}
		_, err = stdout.Write(creds)
		return err
	default:
		var list []string
		for _, s := range strings.Split(*streams, ",") {
			if s = strings.TrimSpace(s); s != "" {
				list = append(list, s)
			}
		}
		if len(list) == 0 {
			return errors.New("--streams is required: a comma-separated list, or '*' for all streams")
		}
		tok, err := keys.IssueToken(name, list, *ttl)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(stdout, tok)
		return err
	}
}
