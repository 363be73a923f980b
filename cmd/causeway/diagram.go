package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/causeway-ir/causeway/graph"
	"github.com/causeway-ir/causeway/graph/render"
)

// writeDiagram writes a diagram as DOT, SVG or PNG.
func writeDiagram(ctx context.Context, w io.Writer, d *graph.Diagram, format string) error {
	if format == "dot" {
		return d.WriteDOT(w)
	}
	r, err := render.New(ctx, render.Options{})
	if err != nil {
		return fmt.Errorf("start the diagram renderer: %w", err)
	}
	defer r.Close()
	return r.Render(ctx, w, d, render.Format(format))
}

// withOutput runs write against the named file (atomically: written to a
// temporary file and renamed) or stdout when name is "" or "-".
func withOutput(name string, stdout io.Writer, write func(io.Writer) error) error {
	if name == "" || name == "-" {
		return write(stdout)
	}
	f, err := os.CreateTemp(filepath.Dir(name), ".causeway-out-*")
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(f.Name(), name)
}
