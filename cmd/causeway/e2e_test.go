package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/causeway-ir/causeway/samples"
)

var update = flag.Bool("update", false, "rewrite golden files")

// golden compares got with testdata/<name>, rewriting it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./cmd/causeway -run %s -update creates it)", err, t.Name())
	}
	if !bytes.Equal(want, got) {
		wl, gl := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
		for i := range min(len(wl), len(gl)) {
			if wl[i] != gl[i] {
				t.Fatalf("%s differs at line %d:\nwant %s\ngot  %s", path, i+1, wl[i], gl[i])
			}
		}
		t.Fatalf("%s differs in length: want %d lines, got %d", path, len(wl), len(gl))
	}
}

// TestStormEndToEnd runs the committed Storm-0558 sample through the whole
// command: import → Parquet → graph → chain (JSON, DOT) → findings → board
// HTML, against golden output.
func TestStormEndToEnd(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	logs := filepath.Join(tmp, "logs")
	if err := copyEmbedded(samples.Embedded(), "storm-0558", logs); err != nil {
		t.Fatal(err)
	}
	var truth samples.Truth
	b, err := readEmbedded("storm-0558/truth.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &truth); err != nil {
		t.Fatal(err)
	}
	caseDir := filepath.Join(tmp, "case")
	code, out, stderr := runCLI(t, "", "import", "--case", caseDir, "--strict", "--format", "json", logs)
	if code != 0 {
		t.Fatalf("import exit %d: %s %s", code, stderr, out)
	}
	var sum importSummary
	json.Unmarshal([]byte(out), &sum)
	if sum.Rejected != 0 || sum.Imported == 0 {
		t.Fatalf("import: %+v", sum)
	}

	code, chainJSON, stderr := runCLI(t, "", "chain", "--case", caseDir, "--from", truth.Root, "--since", truth.CompromiseWindow.Start, "--format", "json")
	if code != 0 {
		t.Fatalf("chain: %s", stderr)
	}
	golden(t, "storm-chain.json", []byte(chainJSON))
	_, dot, _ := runCLI(t, "", "chain", "--case", caseDir, "--from", truth.Root, "--format", "dot", "--max-nodes", "60")
	golden(t, "storm-chain.dot", []byte(dot))

	code, findings, stderr := runCLI(t, "", "findings", "--case", caseDir, "--format", "json")
	if code != 0 {
		t.Fatalf("findings: %s", stderr)
	}
	var fs []struct {
		Rule string `json:"rule"`
	}
	if err := json.Unmarshal([]byte(findings), &fs); err != nil {
		t.Fatal(err)
	}
	byRule := map[string]int{}
	for _, f := range fs {
		byRule[f.Rule]++
	}
	for _, rule := range []string{"token-without-signin", "consumer-token-for-enterprise-tenant", "new-app-for-mailbox", "coverage-gap"} {
		if byRule[rule] == 0 {
			t.Errorf("no %s finding on the Storm-0558 sample", rule)
		}
	}
	golden(t, "storm-findings.json", []byte(findings))

	html := filepath.Join(tmp, "board.html")
	if code, _, stderr := runCLI(t, "", "report", "--case", caseDir, "-o", html); code != 0 {
		t.Fatalf("report: %s", stderr)
	}
	page, _ := os.ReadFile(html)
	if !bytes.Contains(page, []byte("mailboxes")) || bytes.Contains(page, []byte("<script")) {
		t.Errorf("board HTML lacks its numbers or carries script")
	}
}

func readEmbedded(name string) ([]byte, error) {
	f, err := samples.Embedded().Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var buf bytes.Buffer
	_, err = buf.ReadFrom(f)
	return buf.Bytes(), err
}
