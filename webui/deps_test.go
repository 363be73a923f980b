package webui

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImports keeps the import direction of design.md §1: webui imports
// timeline and graph (with graph/render and graph/board) and its exercise, never importers or cmd.
func TestImports(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		rest, ours := strings.CutPrefix(dep, "github.com/causeway-ir/causeway/")
		if !ours {
			continue
		}
		switch {
		case rest == "webui", rest == "timeline", rest == "graph", rest == "graph/render", rest == "graph/board", rest == "webui/exercise":
		default:
			t.Errorf("webui depends on %s: it may import timeline and graph only", dep)
		}
	}
}
