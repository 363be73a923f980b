package causeway_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportDirection enforces the architecture of DEVELOPERS.md and
// design.md §1: timeline imports nothing of ours; importers and graph
// import timeline only; webui imports timeline and graph; samples imports
// at most timeline; only cmd wires everything.
func TestImportDirection(t *testing.T) {
	const mod = "github.com/causeway-ir/causeway/"
	allowed := map[string][]string{
		"timeline":  {},
		"importers": {"timeline"},
		"graph":     {"timeline"},
		"webui":     {"timeline", "graph"},
		"samples":   {"timeline"},
	}
	out, err := exec.Command("go", "list", "-e", "-f", `{{.ImportPath}} {{join .Deps " "}}`, "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(fields[0], mod)
		top, _, _ := strings.Cut(pkg, "/")
		ok, ruled := allowed[top]
		if !ruled {
			continue // cmd/ and the module root may import anything
		}
		for _, dep := range fields[1:] {
			if !strings.HasPrefix(dep, mod) {
				continue
			}
			d := strings.TrimPrefix(dep, mod)
			dtop, _, _ := strings.Cut(d, "/")
			if dtop == top {
				continue // within its own tree (e.g. graph/render → graph)
			}
			permitted := false
			for _, a := range ok {
				if dtop == a {
					permitted = true
				}
			}
			if !permitted {
				t.Errorf("%s imports %s: %s may import only %v", pkg, d, top, ok)
			}
		}
	}
}
