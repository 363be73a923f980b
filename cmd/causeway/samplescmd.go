package main

import (
	"context"
	"fmt"
	"runtime/debug"
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
		fs := newFlags("samples generate", "--scenario NAME --out DIR [--seed N] [--scale N] [--gzip auto|speed|store] [--workers N]", e)
		name := fs.String("scenario", "", "scenario name (see 'causeway samples list')")
		out := fs.String("out", "", "output directory")
		seed := fs.Int64("seed", samples.DefaultSeed, "random seed")
		scale := fs.Int("scale", samples.DefaultScale, "background volume: 0 is the demo size; N is about N × 100k events (100 ≈ 10M)")
		gz := fs.String("gzip", "auto", "how .gz files are compressed: speed (DEFLATE level 1), store (stored blocks: larger, much faster), auto (speed at scale 0, else store)")
		workers := fs.Int("workers", 0, "jobs (tenants, days) generated at once; 0 means one per core (the output is the same for any value)")
		if _, err := parse(fs, args[1:]); err != nil {
			return err
		}
		if *workers < 0 {
			return usagef("--workers must be 0 (one per core) or more")
		}
		gzipMode, err := samples.ParseGzip(*gz)
		if err != nil {
			return usagef("%v", err)
		}
		if *name == "" || *out == "" {
			return usagef("--scenario and --out are required")
		}
		if *scale < 0 {
			return usagef("--scale must be 0 (demo size) or more")
		}
		opts := samples.Options{Scenario: *name, Out: *out, Seed: *seed, Scale: *scale, Gzip: gzipMode, Workers: *workers}
		// Generation allocates quickly and keeps a job's records live: a
		// GC target of 400% saves about a tenth of the CPU time, and a
		// memory limit of twice what stays live (HeapHint, at least 200
		// MiB, so the limit is at least 400 MiB) then decides when the GC
		// runs at large scales, which bounds the RSS
		// (aws-leaked-key at scale 50: 0.94-1.39 GB with a 4 GiB limit,
		// 0.44 GB with 400 MiB) for no more CPU; below twice the live
		// heap the GC would run without pause (GOGC and GOMEMLIMIT in the
		// environment win).
		if e.getenv("GOGC") == "" && e.getenv("GOMEMLIMIT") == "" {
			defer debug.SetGCPercent(debug.SetGCPercent(400))
			defer debug.SetMemoryLimit(debug.SetMemoryLimit(2 * samples.HeapHint(opts)))
		}
		start, cpu0 := time.Now(), cpuTime()
		st, err := samples.Generate(ctx, opts)
		if err != nil {
			return err
		}
		el, cpu := time.Since(start), cpuTime()-cpu0
		// CPU time too: on a shared machine the wall rate says little.
		fmt.Fprintf(e.stdout, "wrote %d files, %d events, %s to %s in %v, %v CPU (%.0f events/s, %.0f events per CPU-second)\n",
			st.Files, st.Events, humanBytes(st.Bytes), termSafe(*out), el.Round(time.Millisecond), cpu.Round(time.Millisecond),
			float64(st.Events)/max(el.Seconds(), 1e-9), float64(st.Events)/max(cpu.Seconds(), 1e-9))
		return nil
	}
	return usagef("unknown samples subcommand %q: list or generate", args[0])
}
