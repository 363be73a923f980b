// Package render lays out and draws graph diagrams with Graphviz (go-graphviz,
// WebAssembly, no cgo): SVG as Graphviz writes it, and PNG drawn here from
// Graphviz's layout, because go-graphviz's own PNG output is broken (edges
// come out as filled black shapes).
//
// It is a package of its own because importing go-graphviz compiles its
// WebAssembly module at start-up (0.1–1 s): only programs that draw pay for
// it. It imports graph and go-graphviz; graph never imports it.
package render

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/causeway-ir/causeway/graph"
	"github.com/goccy/go-graphviz"
)

// gvMu serializes every use of Graphviz in the process: all go-graphviz
// instances share one WebAssembly module, which breaks under concurrent
// parse, layout or render. It is the package's only state, and must be
// process-wide to do its job.
var gvMu sync.Mutex

// ErrTooLarge is returned for a diagram above the node cap: Graphviz layout
// time explodes with size (500 nodes took 1.2 s, 2000 took 60 s), so
// condense it first (graph.NewDiagram with a MaxNodes).
var ErrTooLarge = errors.New("render: diagram too large to lay out")

// Format is an output format.
type Format string

// Formats Render writes.
const (
	SVG Format = "svg"
	PNG Format = "png"
	DOT Format = "dot"
)

// Options tunes a Renderer.
type Options struct {
	// MaxNodes refuses diagrams with more nodes (0: graph.InteractiveNodes).
	MaxNodes int
	// Scale is the PNG pixel density: pixels per Graphviz point (0: 2).
	Scale float64
}

// Renderer draws diagrams. It is safe for concurrent use (calls are
// serialized). Close it when done.
type Renderer struct {
	gv   *graphviz.Graphviz
	opts Options
	pngs *painter
}

// New returns a Renderer.
func New(ctx context.Context, opts Options) (*Renderer, error) {
	if opts.MaxNodes <= 0 {
		opts.MaxNodes = graph.InteractiveNodes
	}
	if opts.Scale <= 0 {
		opts.Scale = 2
	}
	gvMu.Lock()
	defer gvMu.Unlock()
	gv, err := graphviz.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("render: starting graphviz: %w", err)
	}
	p, err := newPainter()
	if err != nil {
		gv.Close()
		return nil, err
	}
	return &Renderer{gv: gv, opts: opts, pngs: p}, nil
}

// Close releases Graphviz.
func (r *Renderer) Close() error {
	gvMu.Lock()
	defer gvMu.Unlock()
	return r.gv.Close()
}

// Render writes diagram d in format f to w.
func (r *Renderer) Render(ctx context.Context, w io.Writer, d *graph.Diagram, f Format) error {
	if len(d.Nodes) > r.opts.MaxNodes {
		return fmt.Errorf("%w: %d nodes, the cap is %d", ErrTooLarge, len(d.Nodes), r.opts.MaxNodes)
	}
	var dot bytes.Buffer
	if err := d.WriteDOT(&dot); err != nil {
		return err
	}
	return r.RenderDOT(ctx, w, dot.Bytes(), f)
}

// RenderDOT lays out DOT text and writes it in format f to w.
func (r *Renderer) RenderDOT(ctx context.Context, w io.Writer, dot []byte, f Format) error {
	switch f {
	case DOT:
		_, err := w.Write(dot)
		return err
	case SVG:
		// Render into a buffer first so a failure never leaves half an SVG.
		var buf bytes.Buffer
		if err := r.layout(ctx, dot, "svg", &buf); err != nil {
			return err
		}
		if buf.Len() == 0 {
			return errors.New("render: graphviz wrote an empty SVG")
		}
		_, err := w.Write(buf.Bytes())
		return err
	case PNG:
		var buf bytes.Buffer
		if err := r.layout(ctx, dot, "json", &buf); err != nil {
			return err
		}
		return r.pngs.paint(w, buf.Bytes(), r.opts.Scale)
	}
	return fmt.Errorf("render: unknown format %q", f)
}

// Layout returns Graphviz's layout of DOT text as its JSON output (with
// xdot drawing operations), which PNG drawing and tests read.
func (r *Renderer) Layout(ctx context.Context, dot []byte) ([]byte, error) {
	var buf bytes.Buffer
	err := r.layout(ctx, dot, "json", &buf)
	return buf.Bytes(), err
}

func (r *Renderer) layout(ctx context.Context, dot []byte, format string, w io.Writer) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	gvMu.Lock()
	defer gvMu.Unlock()
	g, err := graphviz.ParseBytes(dot)
	if err != nil {
		return fmt.Errorf("render: parsing dot: %w", err)
	}
	defer g.Close()
	n, err := g.NodeNum()
	if err != nil {
		return fmt.Errorf("render: counting nodes: %w", err)
	}
	if n > r.opts.MaxNodes {
		return fmt.Errorf("%w: %d nodes, the cap is %d", ErrTooLarge, n, r.opts.MaxNodes)
	}
	// Render, never RenderFilename: the latter silently writes an empty file.
	if err := r.gv.Render(ctx, g, graphviz.Format(format), w); err != nil {
		return fmt.Errorf("render: graphviz %s: %w", format, err)
	}
	return nil
}
