package graph_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/causeway-ir/causeway/graph"
	"github.com/causeway-ir/causeway/timeline"
	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./graph/ -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}

func dotOf(t *testing.T, c *graph.Chain, opts graph.DiagramOptions) (*graph.Diagram, []byte) {
	t.Helper()
	d := graph.NewDiagram(c, opts)
	var b bytes.Buffer
	if err := d.WriteDOT(&b); err != nil {
		t.Fatal(err)
	}
	return d, b.Bytes()
}

func TestDOTGolden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		events []timeline.Event
		root   string
		opts   graph.ChainOptions
	}{
		{name: "storm.dot", events: stormEvents(), root: "key:" + msaKey,
			opts: graph.ChainOptions{Since: at("2023-06-01T00:00:00Z"), Context: true}},
		{name: "aws.dot", events: awsEvents(), root: "key:" + ciKey,
			opts: graph.ChainOptions{Since: at("2024-03-10T00:00:00Z")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := build(t, tc.events)
			c, err := g.Chain(tc.root, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			_, dot := dotOf(t, c, graph.DiagramOptions{Title: "chain from " + tc.root})
			golden(t, tc.name, dot)
			// Deterministic: the same graph built again gives the same bytes.
			c2, _ := build(t, tc.events).Chain(tc.root, tc.opts)
			if _, again := dotOf(t, c2, graph.DiagramOptions{Title: "chain from " + tc.root}); !bytes.Equal(dot, again) {
				t.Error("DOT differs between two builds")
			}
		})
	}
}

// hostile holds attacker-controlled text as importers pass it on.
var hostile = []string{
	`"]; x [href="javascript:alert(1)"]`,
	`<script>alert(1)</script>`,
	`a\"; evil [label=x] //`,
	"line1\nline2\r\x1b[31m",
	`\N \G \L back\slash`,
	`&lt;img src=x onerror=alert(1)&gt;`,
	"bad utf8 \xff\xfe",
}

func hostileChain(t *testing.T) *graph.Chain {
	t.Helper()
	var es []timeline.Event
	for i, h := range hostile {
		es = append(es, ev(fmt.Sprintf("h-%d", i), fmt.Sprintf("2023-06-01T10:0%d:00Z", i), "m365.ual",
			timeline.CategoryMail, "MailItemsAccessed").tenant("t"+h).token("tok").target("mailbox", h).build())
	}
	c, err := build(t, es).Chain("token:tok", graph.ChainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// dotToken matches one DOT token: a quoted string with backslash escapes,
// an identifier, an edge operator or punctuation.
var dotToken = regexp.MustCompile(`^(?:"(?:[^"\\]|\\.)*"|[A-Za-z_][A-Za-z0-9_]*|[0-9.]+|->|[\[\]{}=,;])`)

// bareToken matches the unquoted tokens WriteDOT writes besides keywords.
var bareToken = regexp.MustCompile(`^(n[0-9]+|[0-9.]+|->|[\[\]{}=,;])$`)

var dotAttrs = map[string]bool{
	"digraph": true, "causeway": true, "graph": true, "node": true, "edge": true, "rankdir": true, "LR": true,
	"bgcolor": true, "fontname": true, "fontsize": true, "nodesep": true, "ranksep": true, "pad": true,
	"labelloc": true, "b": true, "label": true, "shape": true, "box": true, "style": true, "fontcolor": true,
	"penwidth": true, "arrowsize": true, "id": true, "fillcolor": true, "color": true, "tooltip": true, "URL": true,
	"solid": true, "dashed": true, "dotted": true,
}

func TestDOTEscaping(t *testing.T) {
	t.Parallel()
	_, dot := dotOf(t, hostileChain(t), graph.DiagramOptions{Title: hostile[0]})
	// Outside quoted strings, only our own keywords and node names appear.
	rest := string(dot)
	for {
		rest = strings.TrimLeft(rest, " \t\n")
		if rest == "" {
			break
		}
		tok := dotToken.FindString(rest)
		if tok == "" {
			t.Fatalf("unexpected DOT text at %q", rest[:min(40, len(rest))])
		}
		if tok[0] != '"' && !dotAttrs[tok] && !bareToken.MatchString(tok) {
			t.Errorf("unexpected bare DOT token %q", tok)
		}
		if tok[0] == '"' {
			// No raw control characters, no Graphviz escapes but \\, \" and \n.
			body := tok[1 : len(tok)-1]
			for _, m := range regexp.MustCompile(`\\.`).FindAllString(body, -1) {
				if m != `\\` && m != `\"` && m != `\n` {
					t.Errorf("escape %q in %s", m, tok)
				}
			}
			if strings.ContainsAny(body, "\r\x1b\n") {
				t.Errorf("control character in %q", tok)
			}
			if strings.Contains(body, "&lt;") && !strings.Contains(body, "&amp;lt;") {
				t.Errorf("entity left live in %s", tok)
			}
		}
		rest = rest[len(tok):]
	}
	if !strings.Contains(string(dot), `URL="#/entity/mailbox:%22%5D%3B%20x%20%5Bhref%3D%22javascript:alert%281%29%22%5D"`) {
		t.Errorf("hostile entity id not percent-encoded in URL:\n%s", dot)
	}
}

func TestDiagramCondenses(t *testing.T) {
	t.Parallel()
	// One key signs 400 tokens, each reading one of 400 mailboxes spread
	// over 8 tenants.
	var es []timeline.Event
	base := at("2023-06-01T00:00:00Z")
	for i := range 400 {
		ts := base.Add(time.Duration(i) * time.Minute)
		tok := fmt.Sprintf("tok-%03d", i)
		es = append(es,
			ev(fmt.Sprintf("cap-%d", i), ts.Format(time.RFC3339), "jwt.capture", timeline.CategoryToken, "token").key("k").token(tok).build(),
			ev(fmt.Sprintf("mia-%d", i), ts.Add(time.Minute).Format(time.RFC3339), "m365.ual", timeline.CategoryMail, "MailItemsAccessed").
				tenant(fmt.Sprintf("tenant-%d", i%8)).token(tok).target("mailbox", fmt.Sprintf("user%03d@t%d.example", i, i%8)).build())
	}
	c, err := build(t, es).Chain("key:k", graph.ChainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Nodes) != 1+400+400+8 {
		t.Fatalf("chain has %d nodes", len(c.Nodes))
	}
	for _, tc := range []struct {
		name string
		max  int
		want int
	}{
		{"board", graph.BoardNodes, 1 + 1 + 8 + 8},
		{"interactive", graph.InteractiveNodes, 1 + 1 + 8 + 8},
		{"roomy", 2000, 809},
	} {
		d, dot := dotOf(t, c, graph.DiagramOptions{MaxNodes: tc.max})
		if len(d.Nodes) != tc.want || d.Omitted != 0 {
			t.Errorf("%s: %d nodes, %d omitted; want %d, 0", tc.name, len(d.Nodes), d.Omitted, tc.want)
		}
		if tc.max < 2000 && !strings.Contains(string(dot), `label="token ×400\nfrom k"`) {
			t.Errorf("%s: tokens not grouped:\n%s", tc.name, dot)
		}
	}
	// A cap below what grouping reaches leaves entities out, and says so.
	d, dot := dotOf(t, c, graph.DiagramOptions{MaxNodes: 5})
	if len(d.Nodes) != 5 || d.Omitted == 0 || !strings.Contains(string(dot), "more entities not shown") {
		t.Errorf("cap 5: %d nodes, %d omitted", len(d.Nodes), d.Omitted)
	}
}

// FuzzDOTQuote: whatever text a log holds, it stays inside its DOT strings.
func FuzzDOTQuote(f *testing.F) {
	for _, h := range hostile {
		f.Add(h)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d := &graph.Diagram{Root: "mailbox:" + s, Title: s}
		d.Nodes = []graph.DiagramNode{{ID: "mailbox:" + s, Kind: "mailbox", Label: s, Count: 1, Root: true},
			{ID: "tenant:" + s, Kind: s, Label: s, Count: 2}}
		d.Edges = []graph.DiagramEdge{{From: "mailbox:" + s, To: "tenant:" + s, Relation: s, Evidence: s, Count: 3}}
		var b bytes.Buffer
		if err := d.WriteDOT(&b); err != nil {
			t.Fatal(err)
		}
		rest := b.String()
		for rest = strings.TrimLeft(rest, " \t\n"); rest != ""; rest = strings.TrimLeft(rest, " \t\n") {
			tok := dotToken.FindString(rest)
			if tok == "" {
				t.Fatalf("unexpected DOT text at %q", rest[:min(40, len(rest))])
			}
			if tok[0] != '"' && !dotAttrs[tok] && !bareToken.MatchString(tok) {
				t.Fatalf("input %q leaked bare DOT token %q", s, tok)
			}
			rest = rest[len(tok):]
		}
	})
}
