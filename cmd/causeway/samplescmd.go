package main

import (
	"context"
	"fmt"
	"time"

	"github.com/causeway-ir/causeway/samples"
)

func cmdSamples(ctx context.Context, args []string, e env) error {
	if len(args) == 0 {
		return usagef("samples needs a subcommand: list or generate")
	}
	switch args[0] {
	case "list":
		fs := newFlags("samples list", "", e)
		if _, err := parse(fs, args[1:]); err != nil {
			return err
		}
		for _, s := range samples.Scenarios() {
			fmt.Fprintf(e.stdout, "%s\t%s\n", s.Name, s.Description)
		}
		return nil
	case "generate":
		fs := newFlags("samples generate", "--scenario NAME --out DIR [--seed N] [--scale N]", e)
		name := fs.String("scenario", "", "scenario name (see 'causeway samples list')")
		out := fs.String("out", "", "output directory")
		seed := fs.Int64("seed", samples.DefaultSeed, "random seed")
		scale := fs.Int("scale", samples.DefaultScale, "background volume: 0 is the demo size; N is about N × 100k events (100 ≈ 10M)")
		if _, err := parse(fs, args[1:]); err != nil {
			return err
		}
		if *name == "" || *out == "" {
			return usagef("--scenario and --out are required")
		}
		if *scale < 0 {
			return usagef("--scale must be 0 (demo size) or more")
		}
		start := time.Now()
		st, err := samples.Generate(ctx, samples.Options{Scenario: *name, Out: *out, Seed: *seed, Scale: *scale})
		if err != nil {
			return err
		}
		el := time.Since(start)
		fmt.Fprintf(e.stdout, "wrote %d files, %d events, %s to %s in %v (%.0f events/s)\n",
			st.Files, st.Events, humanBytes(st.Bytes), termSafe(*out), el.Round(time.Millisecond), float64(st.Events)/max(el.Seconds(), 1e-9))
		return nil
	}
	return usagef("unknown samples subcommand %q: list or generate", args[0])
}
