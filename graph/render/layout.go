package render

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Graphviz's JSON output (-Tjson, Renderer.Layout): the layout with xdot
// drawing operations (https://graphviz.org/docs/outputs/canon/#xdot and
// https://graphviz.org/docs/outputs/json/). Coordinates are points with the
// origin at the bottom left. The PNG painter here and graph/board's vector
// writers (SVG, PDF) both draw from it.

// Op is one xdot drawing operation.
type Op struct {
	Op     string       `json:"op"`
	Color  string       `json:"color"`
	Grad   string       `json:"grad"`
	Points [][2]float64 `json:"points"`
	Rect   [4]float64   `json:"rect"`
	Pt     [2]float64   `json:"pt"`
	Align  string       `json:"align"`
	Width  float64      `json:"width"`
	Text   string       `json:"text"`
	Size   float64      `json:"size"`
	Face   string       `json:"face"`
	Style  string       `json:"style"`
	Stops  []struct {
		Color string `json:"color"`
	} `json:"stops"`
}

// Object is a node or an edge of a layout with its drawing operations.
type Object struct {
	Name   string `json:"name"`
	Pos    string `json:"pos"`
	Width  string `json:"width"`
	Height string `json:"height"`
	Draw   []Op   `json:"_draw_"`
	LDraw  []Op   `json:"_ldraw_"`
	HDraw  []Op   `json:"_hdraw_"`
	TDraw  []Op   `json:"_tdraw_"`
	HLDraw []Op   `json:"_hldraw_"`
	TLDraw []Op   `json:"_tldraw_"`
	// Node attributes the tests read back.
	ID        string `json:"id"`
	FillColor string `json:"fillcolor"`
}

// Layout is a parsed Graphviz JSON layout.
type Layout struct {
	BB      string     `json:"bb"`
	Draw    []Op       `json:"_draw_"`
	LDraw   []Op       `json:"_ldraw_"`
	Objects []Object   `json:"objects"`
	Edges   []Object   `json:"edges"`
	Box     [4]float64 `json:"-"` // BB parsed: x0, y0, x1, y1
}

// ParseLayout reads the output of Renderer.Layout.
func ParseLayout(js []byte) (*Layout, error) {
	var l Layout
	if err := json.Unmarshal(js, &l); err != nil {
		return nil, fmt.Errorf("render: reading graphviz layout: %w", err)
	}
	parts := strings.Split(l.BB, ",")
	if len(parts) != 4 {
		return nil, fmt.Errorf("render: bad bounding box %q", l.BB)
	}
	for i, p := range parts {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return nil, fmt.Errorf("render: bad bounding box %q: %w", l.BB, err)
		}
		l.Box[i] = v
	}
	return &l, nil
}

// Size is the layout's width and height in points.
func (l *Layout) Size() (w, h float64) { return l.Box[2] - l.Box[0], l.Box[3] - l.Box[1] }
