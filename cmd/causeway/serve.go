package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/causeway-ir/causeway/graph"
	"github.com/causeway-ir/causeway/samples"
	"github.com/causeway-ir/causeway/timeline"
	"github.com/causeway-ir/causeway/webui"
)

// serveFlags are the flags serve and demo share.
type serveFlags struct {
	addr, tlsCert, tlsKey, assets string
	insecure                      bool
	exercise                      string // an exercise file to run (causeway exercise run)
}

func (s *serveFlags) register(fs interface {
	StringVar(*string, string, string, string)
	BoolVar(*bool, string, bool, string)
}) {
	fs.StringVar(&s.addr, "addr", "127.0.0.1:8080", "address to listen on (loopback unless TLS is configured or --insecure)")
	fs.StringVar(&s.tlsCert, "tls-cert", "", "TLS certificate file (PEM)")
	fs.StringVar(&s.tlsKey, "tls-key", "", "TLS key file (PEM)")
	fs.BoolVar(&s.insecure, "insecure", false, "allow a non-loopback address without TLS (on purpose only)")
	fs.StringVar(&s.assets, "assets-dir", "", "serve the front end from this directory (front-end work)")
}

func (s *serveFlags) check() error {
	if (s.tlsCert == "") != (s.tlsKey == "") {
		return usagef("--tls-cert and --tls-key go together")
	}
	if err := webui.CheckAddr(s.addr, s.tlsCert != "", s.insecure); err != nil {
		return usagef("%v", err)
	}
	return nil
}

func cmdServe(ctx context.Context, args []string, e env) error {
	fs := newFlags("serve", "--case DIR [--addr 127.0.0.1:8080] [--tls-cert F --tls-key F] [--insecure]", e)
	caseDir := fs.String("case", "", "case directory")
	var sf serveFlags
	sf.register(fs)
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *caseDir == "" {
		return usagef("--case is required")
	}
	if err := sf.check(); err != nil {
		return err
	}
	c, err := timeline.Open(*caseDir)
	if err != nil {
		return err
	}
	return serveCase(ctx, c, sf, e)
}

func serveCase(ctx context.Context, c *timeline.Case, sf serveFlags, e env) error {
	logger := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv, err := webui.New(webui.Options{Case: c, Logger: logger, OwnerToken: timeline.NewSecret(), AssetsDir: sf.assets, ExerciseFile: sf.exercise})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Serving case %s\nOpen this URL (it logs you in as the case owner; keep it private):\n\n    %s\n\nPress Ctrl-C to stop.\n",
		termSafe(c.Manifest().Name), srv.LoginURL(sf.addr, sf.tlsCert != ""))
	return srv.ListenAndServe(ctx, sf.addr, sf.tlsCert, sf.tlsKey, sf.insecure)
}

func cmdDemo(ctx context.Context, args []string, e env) error {
	fs := newFlags("demo", "[--case DIR] [--addr 127.0.0.1:8080] [--no-serve]", e)
	caseDir := fs.String("case", "", "build the demo case here (default: a temporary directory, removed on exit)")
	scenario := fs.String("scenario", "storm-0558", "which committed sample to load")
	noServe := fs.Bool("no-serve", false, "build the case and print its findings, but do not serve it")
	var sf serveFlags
	sf.register(fs)
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if err := sf.check(); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "causeway-demo-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	logs := filepath.Join(tmp, "logs")
	if err := copyEmbedded(samples.Embedded(), *scenario, logs); err != nil {
		return err
	}
	dir := *caseDir
	if dir == "" {
		dir = filepath.Join(tmp, "case")
	}
	if _, err := timeline.Open(dir); errors.Is(err, timeline.ErrNoCase) {
		// The case is named after the scenario, as its exercise expects.
		if _, err := timeline.Create(dir, *scenario, e.clock()); err != nil {
			return err
		}
	}
	fmt.Fprintf(e.stdout, "Importing the %s sample into %s …\n", *scenario, termSafe(dir))
	start := time.Now()
	sum, err := importInto(ctx, dir, []string{logs}, timeline.RunOptions{Now: e.clock}, 0, e, isTerminal(e.stderr))
	if err != nil {
		return err
	}
	for _, f := range sum.Files {
		if f.Failed() {
			return fmt.Errorf("demo sample %s: %s", f.Path, f.Error)
		}
	}
	fmt.Fprintf(e.stdout, "Imported %d events from %d files in %v (%d rejected).\n", sum.Imported, len(sum.Files), time.Since(start).Round(time.Millisecond), sum.Rejected)
	c, err := timeline.Open(dir)
	if err != nil {
		return err
	}
	g, err := loadGraph(ctx, c)
	if err != nil {
		return err
	}
	counts := map[string]int{}
	var order []string
	for _, f := range g.Findings(graph.FindingOptions{}) {
		if counts[f.Rule] == 0 {
			order = append(order, f.Rule)
		}
		counts[f.Rule]++
	}
	fmt.Fprintf(e.stdout, "Findings:")
	if len(order) == 0 {
		fmt.Fprintf(e.stdout, " none")
	}
	for i, r := range order {
		sep := ", "
		if i == 0 {
			sep = " "
		}
		fmt.Fprintf(e.stdout, "%s%s %d", sep, r, counts[r])
	}
	fmt.Fprintln(e.stdout)
	if *noServe {
		return nil
	}
	return serveCase(ctx, c, sf, e)
}

// copyEmbedded writes the files under dir of fsys into out.
func copyEmbedded(fsys fs.FS, dir, out string) error {
	if _, err := fs.Stat(fsys, dir); err != nil {
		var names []string
		entries, _ := fs.ReadDir(fsys, ".")
		for _, en := range entries {
			names = append(names, en.Name())
		}
		return usagef("no committed sample %q (have: %s)", dir, strings.Join(names, ", "))
	}
	return fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p, dir), "/")
		target := filepath.Join(out, filepath.FromSlash(rel))
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if d.Name() == "truth.json" {
			return nil // the answer key is not evidence
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
}
