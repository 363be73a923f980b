package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"
)

// env is what a command may touch of the outside world; tests inject it.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	now    func() time.Time
}

func (e env) clock() time.Time {
	if e.now != nil {
		return e.now()
	}
	return time.Now()
}

// isTerminal reports whether w is a terminal (progress bars go there only).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Exit codes.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

// errUsage marks a usage error (exit 2); its text is printed with the
// command's usage.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

// exitError carries an exit code other than 0 without a message of its own.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, e env) error
}

func commands() []command {
	return []command{
		{"import", "import provider exports into a case", cmdImport},
		{"events", "list, filter and export a case's events", cmdEvents},
		{"info", "show a case's sources, counts, time span, files and rejects", cmdInfo},
		{"chain", "reconstruct the causal chain from (or back to) an entity", cmdChain},
		{"findings", "run the detection rules and coverage checks", cmdFindings},
		{"assert", "record an analyst's or an advisory's edge in the case", cmdAssert},
		{"report", "write the one-page board report (HTML, PDF, PNG, SVG)", cmdReport},
		{"bench", "measure import, query, graph, render and API speed on generated data", cmdBench},
		{"samples", "list and generate sample incidents as provider-native logs", cmdSamples},
		{"exercise", "write, check and run tabletop exercises on a case", cmdExercise},
		{"users", "add and list the people who may use a case's web app", cmdUsers},
		{"serve", "serve a case's web app (timeline, graph, findings)", cmdServe},
		{"demo", "import the embedded Storm-0558 sample and serve it", cmdDemo},
	}
}

func run(ctx context.Context, args []string, e env) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(e.stderr)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], e)
		var ue *usageError
		var ee *exitError
		switch {
		case err == nil:
			return exitOK
		case errors.Is(err, flag.ErrHelp):
			return exitOK
		case errors.As(err, &ue):
			fmt.Fprintf(e.stderr, "causeway %s: %s\n(run 'causeway %s -h' for help)\n", c.name, ue.msg, c.name)
			return exitUsage
		case errors.As(err, &ee):
			return ee.code
		default:
			fmt.Fprintf(e.stderr, "causeway %s: %v\n", c.name, err)
			return exitFail
		}
	}
	fmt.Fprintf(e.stderr, "causeway: unknown command %q\n\n", args[0])
	printUsage(e.stderr)
	return exitUsage
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "Causeway rebuilds cloud identity attacks from provider logs.")
	fmt.Fprintln(w, "\nUsage: causeway COMMAND [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'causeway COMMAND -h' for a command's flags.")
}

// newFlags makes a flag set that reports errors as usage errors.
func newFlags(name, usage string, e env) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: causeway %s %s\n\nFlags:\n", name, usage)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags, allowing them to come after positional arguments
// (causeway import a.json --case x).
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usagef("%v", err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// multiFlag collects a repeated string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// parseTimeFlag reads an RFC 3339 time or a date (midnight UTC).
func parseTimeFlag(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", time.DateOnly} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, usagef("--%s %q: want an RFC 3339 time such as 2023-06-16T00:00:00Z", name, v)
}
