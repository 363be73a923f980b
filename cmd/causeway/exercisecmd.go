package main

import (
	"context"
	"fmt"
	"io"

	"github.com/causeway-ir/causeway/timeline"
	"github.com/causeway-ir/causeway/webui/exercise"
)

func cmdExercise(ctx context.Context, args []string, e env) error {
	if len(args) == 0 {
		return usagef("exercise needs a subcommand: new, check, builtin or run")
	}
	switch args[0] {
	case "new":
		fs := newFlags("exercise new", "--case DIR [-o FILE]", e)
		caseDir := fs.String("case", "", "case directory")
		out := fs.String("o", "", "write the template here (default: standard output)")
		if _, err := parse(fs, args[1:]); err != nil {
			return err
		}
		if *caseDir == "" {
			return usagef("--case is required")
		}
		c, err := timeline.Open(*caseDir)
		if err != nil {
			return err
		}
		return withOutput(*out, e.stdout, func(w io.Writer) error { return exercise.New(w, c) })
	case "builtin":
		fs := newFlags("exercise builtin", "NAME [-o FILE]", e)
		out := fs.String("o", "", "write the exercise here (default: standard output)")
		pos, err := parse(fs, args[1:])
		if err != nil {
			return err
		}
		if len(pos) != 1 {
			return usagef("name one built-in exercise: %v", exercise.Builtins())
		}
		b, err := exercise.Builtin(pos[0])
		if err != nil {
			return err
		}
		return withOutput(*out, e.stdout, func(w io.Writer) error { _, err := w.Write(b); return err })
	case "check":
		fs := newFlags("exercise check", "[--case DIR] FILE", e)
		caseDir := fs.String("case", "", "case directory to check the exercise against")
		pos, err := parse(fs, args[1:])
		if err != nil {
			return err
		}
		if len(pos) != 1 {
			return usagef("name one exercise file")
		}
		var c *timeline.Case
		if *caseDir != "" {
			if c, err = timeline.Open(*caseDir); err != nil {
				return err
			}
		}
		ok, err := exercise.Check(e.stdout, pos[0], c)
		if err != nil {
			return err
		}
		if !ok {
			return &exitError{exitFail}
		}
		return nil
	case "run":
		fs := newFlags("exercise run", "--case DIR FILE [--addr 127.0.0.1:8080]", e)
		caseDir := fs.String("case", "", "case directory")
		var sf serveFlags
		sf.register(fs)
		pos, err := parse(fs, args[1:])
		if err != nil {
			return err
		}
		if *caseDir == "" || len(pos) != 1 {
			return usagef("--case and one exercise file are required")
		}
		if err := sf.check(); err != nil {
			return err
		}
		c, err := timeline.Open(*caseDir)
		if err != nil {
			return err
		}
		if ok, err := exercise.Check(e.stderr, pos[0], c); err != nil {
			return err
		} else if !ok {
			return &exitError{exitFail}
		}
		sf.exercise = pos[0]
		fmt.Fprintln(e.stdout, "Facilitators and participants log in with URLs from 'causeway users add --role facilitator|participant'; they land on /exercise.")
		return serveCase(ctx, c, sf, e)
	}
	return usagef("unknown exercise subcommand %q: new, check, builtin or run", args[0])
}
