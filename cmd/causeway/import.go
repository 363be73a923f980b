package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/causeway-ir/causeway/importers"
	"github.com/causeway-ir/causeway/timeline"
)

// importSummary is the --format json contract of causeway import.
type importSummary struct {
	Files      []importers.FileResult `json:"files"`
	Imported   int64                  `json:"imported"`
	Duplicates int64                  `json:"duplicates"`
	Rejected   int64                  `json:"rejected"`
}

func cmdImport(ctx context.Context, args []string, e env) error {
	fs := newFlags("import", "--case DIR [--strict] [--format text|json] PATH...", e)
	caseDir := fs.String("case", "", "case directory (created when absent)")
	strict := fs.Bool("strict", false, "exit 1 on any rejected record too")
	format := fs.String("format", "text", "summary format: text or json")
	bufferMB := fs.Int("buffer-mb", 64, "MiB of events held in memory before they are written, sorted, to Parquet or to a spill file")
	workers := fs.Int("workers", 0, "goroutines parsing files (and chunks of large NDJSON files); 0 means one per core")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if *caseDir == "" {
		return usagef("--case is required")
	}
	if len(pos) == 0 {
		return usagef("name at least one file or directory to import ('-' for standard input)")
	}
	if *format != "text" && *format != "json" {
		return usagef("--format must be text or json")
	}
	if *bufferMB < 1 {
		return usagef("--buffer-mb must be at least 1")
	}
	if *workers < 0 || *workers > 256 {
		return usagef("--workers must be 0..256")
	}
	opts := timeline.RunOptions{Now: e.clock, MaxBuffered: int64(*bufferMB) << 20}
	sum, err := importInto(ctx, *caseDir, pos, opts, *workers, e, isTerminal(e.stderr))
	if err != nil {
		return err
	}
	if *format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(sum); err != nil {
			return err
		}
	} else {
		printImportText(e.stdout, sum)
	}
	for _, f := range sum.Files {
		if f.Failed() {
			return &exitError{exitFail}
		}
	}
	if *strict && sum.Rejected > 0 {
		return &exitError{exitFail}
	}
	return nil
}

// importInto imports paths into the case at dir (creating it) in one run.
func importInto(ctx context.Context, dir string, paths []string, opts timeline.RunOptions, workers int, e env, progress bool) (importSummary, error) {
	// Keep the heap near what the run needs (two buffers of events, one
	// Parquet writer, the dedupe index): a soft limit makes the collector
	// work harder instead of letting the process grow (peak RSS stays under
	// 500 MB whatever the input). GOMEMLIMIT, when set, wins.
	if e.getenv("GOMEMLIMIT") == "" {
		old := debug.SetMemoryLimit(320 << 20)
		defer debug.SetMemoryLimit(old)
	}
	c, err := timeline.OpenOrCreate(dir, e.clock())
	if err != nil {
		return importSummary{}, err
	}
	run, err := c.BeginRun(opts)
	if err != nil {
		return importSummary{}, err
	}
	prog := &importers.Progress{}
	stopBar := func() {}
	if progress {
		stopBar = startProgressBar(e.stderr, prog)
	}
	results, err := importers.Import(ctx, run, paths, importers.Options{Stdin: e.stdin, Progress: prog, Workers: workers})
	stopBar()
	if err != nil {
		run.Abort()
		return importSummary{}, err
	}
	if _, err := run.Commit(); err != nil {
		return importSummary{}, err
	}
	sum := importSummary{Files: results}
	for _, f := range results {
		sum.Imported += f.Imported
		sum.Duplicates += f.Duplicates
		sum.Rejected += f.Rejected
	}
	if sum.Files == nil {
		sum.Files = []importers.FileResult{}
	}
	return sum, nil
}

func printImportText(w io.Writer, s importSummary) {
	for _, f := range s.Files {
		if f.Failed() {
			fmt.Fprintf(w, "FAILED  %s: %s\n", termSafe(f.Path), termSafe(f.Error))
			continue
		}
		fmt.Fprintf(w, "%-7s %s  %s/%s  read %d, imported %d, duplicates %d, rejected %d\n",
			"ok", termSafe(f.Path), f.Importer, f.Shape, f.Read, f.Imported, f.Duplicates, f.Rejected)
		for _, n := range f.Notes {
			fmt.Fprintf(w, "        note: %s\n", termSafe(n))
		}
	}
	fmt.Fprintf(w, "%d files: imported %d events, %d duplicates, %d rejected\n", len(s.Files), s.Imported, s.Duplicates, s.Rejected)
}

// startProgressBar redraws a progress line on w until the returned func
// is called.
func startProgressBar(w io.Writer, p *importers.Progress) func() {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	start := time.Now()
	go func() {
		defer wg.Done()
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				fmt.Fprint(w, "\r\033[K")
				return
			case <-t.C:
				fmt.Fprint(w, "\r\033[K"+progressLine(p, time.Since(start)))
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

func progressLine(p *importers.Progress, elapsed time.Duration) string {
	total, doneB, ev := p.Total.Load(), p.Done.Load(), p.Events.Load()
	frac := 0.0
	if total > 0 {
		frac = min(1, float64(doneB)/float64(total))
	}
	const width = 24
	bar := strings.Repeat("=", int(frac*width)) + strings.Repeat(" ", width-int(frac*width))
	rate := float64(ev) / max(elapsed.Seconds(), 0.001)
	eta := "--"
	if frac > 0.01 {
		eta = (time.Duration(float64(elapsed)/frac) - elapsed).Round(time.Second).String()
	}
	return fmt.Sprintf("[%s] %3.0f%%  %s / %s  %.0f events/s  ETA %s", bar, frac*100, humanBytes(doneB), humanBytes(total), rate, eta)
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
