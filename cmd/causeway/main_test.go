package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/causeway-ir/causeway/timeline"
)

// TestMain lets a test run the real command in a child process (for the
// kill test): the test binary re-executes itself with CAUSEWAY_MAIN=1.
func TestMain(m *testing.M) {
	if os.Getenv("CAUSEWAY_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

var fixedClock = func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }

// runCLI runs the command in-process and returns its exit code and output.
func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(t.Context(), args, env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }, now: fixedClock})
	return code, out.String(), errb.String()
}

// corpus returns ../shared/corpus/<sub>, skipping where it is absent
// (failing when CAUSEWAY_REQUIRE_CORPUS is set, as in CI).
func corpus(t *testing.T, sub string) string {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "shared", "corpus", sub)
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CAUSEWAY_REQUIRE_CORPUS") != "" {
			t.Fatalf("corpus required but missing: %v", err)
		}
		t.Skipf("corpus not found at %s: skipping (CI provides ../shared/corpus)", dir)
	}
	return dir
}

func TestImportDedupesTwinFiles(t *testing.T) {
	t.Parallel()
	dir := corpus(t, "aws-cloudtrail")
	plain, _ := filepath.Glob(filepath.Join(dir, "trailscraper__*.json"))
	gz, _ := filepath.Glob(filepath.Join(dir, "trailscraper__*.json.gz"))
	if len(plain) != 1 || len(gz) != 1 {
		t.Fatalf("want one trailscraper .json and one .json.gz, got %v %v", plain, gz)
	}
	caseDir := filepath.Join(t.TempDir(), "case")
	code, out, stderr := runCLI(t, "", "import", "--case", caseDir, "--format", "json", plain[0], gz[0])
	if code != 0 {
		t.Fatalf("import exit %d: %s", code, stderr)
	}
	var sum importSummary
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Imported != 2 || sum.Duplicates != 2 || sum.Rejected != 0 {
		t.Fatalf("twins: imported %d duplicates %d rejected %d, want 2, 2, 0", sum.Imported, sum.Duplicates, sum.Rejected)
	}
	for _, again := range [][]string{plain, gz} {
		code, out, _ = runCLI(t, "", "import", "--case", caseDir, "--format", "json", again[0])
		json.Unmarshal([]byte(out), &sum)
		if code != 0 || sum.Imported != 0 || sum.Duplicates != 2 {
			t.Fatalf("again %s: exit %d imported %d duplicates %d", filepath.Base(again[0]), code, sum.Imported, sum.Duplicates)
		}
	}
	code, out, _ = runCLI(t, "", "events", "--case", caseDir, "--format", "jsonl")
	if n := strings.Count(out, "\n"); code != 0 || n != 2 {
		t.Fatalf("events: exit %d, %d lines", code, n)
	}
}

func TestImportExitCodes(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	good := filepath.Join(tmp, "trail.json")
	os.WriteFile(good, []byte(cloudTrailRecords(3)), 0o644)
	bad := filepath.Join(tmp, "notes.txt")
	os.WriteFile(bad, []byte("hello, these are not logs\n"), 0o644)
	mixed := filepath.Join(tmp, "mixed.json")
	os.WriteFile(mixed, []byte(cloudTrailRecords(2)+"{not json\n"), 0o644)
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"good", []string{good}, 0},
		{"unrecognized still imports the rest", []string{good, bad}, 1},
		{"rejects are not failure", []string{mixed}, 0},
		{"strict fails on rejects", []string{"--strict", mixed}, 1},
		{"missing file", []string{filepath.Join(tmp, "nope.json")}, 1},
		{"no paths", []string{}, 2},
		{"bad flag", []string{"--bogus", good}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"import", "--case", filepath.Join(t.TempDir(), "c")}, tc.args...)
			if code, out, stderr := runCLI(t, "", args...); code != tc.want {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.want, out, stderr)
			}
		})
	}
}

func TestImportStdinAndRejectFile(t *testing.T) {
	t.Parallel()
	caseDir := filepath.Join(t.TempDir(), "c")
	in := cloudTrailRecords(2) + "{broken\n"
	code, out, stderr := runCLI(t, in, "import", "--case", caseDir, "--format", "json", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var sum importSummary
	json.Unmarshal([]byte(out), &sum)
	if sum.Imported != 2 || sum.Rejected != 1 || sum.Files[0].Path != "-" {
		t.Fatalf("summary = %+v", sum)
	}
	c, err := timeline.Open(caseDir)
	if err != nil {
		t.Fatal(err)
	}
	rej := c.Manifest().Runs[0].Rejects
	b, err := os.ReadFile(filepath.Join(caseDir, rej))
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		File   string `json:"file"`
		Offset int64  `json:"offset"`
		Reason string `json:"reason"`
		Raw    string `json:"raw"`
	}
	if err := json.Unmarshal(bytes.TrimSpace(b), &r); err != nil {
		t.Fatal(err)
	}
	if r.File != "-" || r.Offset != int64(len(cloudTrailRecords(2))) || r.Raw != "{broken\n" || r.Reason == "" {
		t.Fatalf("reject = %+v", r)
	}
}

func TestEventsOutputEscapes(t *testing.T) {
	t.Parallel()
	caseDir := filepath.Join(t.TempDir(), "c")
	rec := `{"eventVersion":"1.08","eventTime":"2023-06-01T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"1.2.3.4","userAgent":"=HYPERLINK(\"http://x\")\u001b[31m","eventID":"e1","recipientAccountId":"111111111111","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111111111111:user/a","accountId":"111111111111","accessKeyId":"AKIAEXAMPLE"}}` + "\n"
	if code, _, stderr := runCLI(t, rec, "import", "--case", caseDir, "-"); code != 0 {
		t.Fatalf("import: %s", stderr)
	}
	_, csvOut, _ := runCLI(t, "", "events", "--case", caseDir, "--format", "csv")
	if !strings.Contains(csvOut, `"'=HYPERLINK(""http://x"")`) {
		t.Errorf("csv formula not neutralized:\n%s", csvOut)
	}
	_, jsonOut, _ := runCLI(t, "", "events", "--case", caseDir, "--format", "json")
	var objs []map[string]any
	if err := json.Unmarshal([]byte(jsonOut), &objs); err != nil || len(objs) != 1 {
		t.Fatalf("json: %v %s", err, jsonOut)
	}
	for _, col := range timeline.Columns() {
		if _, ok := objs[0][col]; !ok && col != "raw" {
			t.Errorf("json object lacks column %q", col)
		}
	}
	if _, ok := objs[0]["raw"]; ok {
		t.Error("raw present without --raw")
	}
	_, rawOut, _ := runCLI(t, "", "events", "--case", caseDir, "--format", "jsonl", "--raw")
	if !strings.Contains(rawOut, `"raw":{"eventVersion"`) {
		t.Errorf("--raw does not carry the record: %s", rawOut)
	}
	_, table, _ := runCLI(t, "", "events", "--case", caseDir)
	if strings.ContainsRune(table, 0x1b) {
		t.Errorf("table output carries a terminal escape: %q", table)
	}
}

// cloudTrailRecords returns n NDJSON CloudTrail records.
func cloudTrailRecords(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111111111111:user/ci","accountId":"111111111111","accessKeyId":"AKIAEXAMPLEKEY%06d","userName":"ci"},"eventTime":"2023-06-01T%02d:%02d:%02dZ","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.%d","userAgent":"aws-cli/2.13.0 Python/3.11 %s","requestParameters":{"bucketName":"finance-data","key":"reports/%d.csv"},"responseElements":null,"requestID":"REQ%d","eventID":"%08d-0000-4000-8000-000000000000","readOnly":true,"eventType":"AwsApiCall","managementEvent":false,"recipientAccountId":"111111111111"}`+"\n",
			i%7, (i/3600)%24, (i/60)%60, i%60, i%250, strings.Repeat("x", 200), i, i, i)
	}
	return b.String()
}

// TestKillMidImport kills a child import with SIGKILL while it writes, and
// checks that the case is exactly as it was before the run (everything the
// manifest names, byte for byte), opens, and takes the next run.
func TestKillMidImport(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	tmp := t.TempDir()
	caseDir := filepath.Join(tmp, "case")
	first := filepath.Join(tmp, "first.json")
	os.WriteFile(first, []byte(cloudTrailRecords(500)), 0o644)
	if code, _, stderr := runCLI(t, "", "import", "--case", caseDir, first); code != 0 {
		t.Fatalf("first import: %s", stderr)
	}
	before := caseTree(t, caseDir)
	big := filepath.Join(tmp, "big.json")
	f, _ := os.Create(big)
	for i := range 40 {
		_ = i
		f.WriteString(strings.ReplaceAll(cloudTrailRecords(5000), `"eventID":"`, fmt.Sprintf(`"eventID":"b%d-`, i)))
	}
	f.Close()

	for attempt := range 3 {
		cmd := exec.Command(os.Args[0], "import", "--case", caseDir, "--buffer-mb", "1", big)
		cmd.Env = append(os.Environ(), "CAUSEWAY_MAIN=1")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Wait until the child has written files of its own (spilled
		// buffers or Parquet parts).
		deadline := time.Now().Add(60 * time.Second)
		for time.Now().Before(deadline) {
			parts, _ := filepath.Glob(filepath.Join(caseDir, ".staging", "*", "events", "*", "*", "*.parquet"))
			spills, _ := filepath.Glob(filepath.Join(caseDir, ".staging", "*", "spill", "*"))
			if len(parts)+len(spills) >= 2+attempt {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		if diff := cmp.Diff(before, caseTree(t, caseDir)); diff != "" {
			t.Fatalf("attempt %d: the case changed (-before +after):\n%s", attempt, diff)
		}
		c, err := timeline.Open(caseDir)
		if err != nil {
			t.Fatal(err)
		}
		p, err := c.Events(t.Context(), timeline.Query{Limit: 1})
		if err != nil || p.Total != 500 {
			t.Fatalf("attempt %d: case holds %d events (%v), want 500", attempt, p.Total, err)
		}
	}
	// A rerun completes and leaves no staging behind.
	second := filepath.Join(tmp, "second.json")
	os.WriteFile(second, []byte(strings.ReplaceAll(cloudTrailRecords(10), `"eventID":"`, `"eventID":"s-`)), 0o644)
	if code, _, stderr := runCLI(t, "", "import", "--case", caseDir, second); code != 0 {
		t.Fatalf("rerun: %s", stderr)
	}
	if _, err := os.Stat(filepath.Join(caseDir, ".staging")); !os.IsNotExist(err) {
		t.Fatalf("staging left after a completed run: %v", err)
	}
	c, _ := timeline.Open(caseDir)
	if p, _ := c.Events(t.Context(), timeline.Query{Limit: 1}); p.Total != 510 {
		t.Fatalf("after rerun: %d events, want 510", p.Total)
	}
}

// caseTree maps each file of the case (but the lock and staging) to its
// SHA-256.
func caseTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		if info.IsDir() {
			if rel == ".staging" {
				return filepath.SkipDir
			}
			return nil
		}
		if rel == "case.lock" {
			return nil
		}
		b, _ := os.ReadFile(p)
		s := sha256.Sum256(b)
		out[rel] = hex.EncodeToString(s[:])
		return nil
	})
	return out
}

// TestKillAtRandomPoints kills twenty imports with SIGKILL at random
// moments (before, while and after they write and commit). After each, the
// case must open, hold exactly the events of the runs that completed, and
// take the next run.
func TestKillAtRandomPoints(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	tmp := t.TempDir()
	caseDir := filepath.Join(tmp, "case")
	var want int64
	completed := 0
	rng := rand.New(rand.NewPCG(11, 0))
	for i := range 20 {
		input := filepath.Join(tmp, fmt.Sprintf("in%d.json", i))
		n := 2000 + rng.IntN(4000)
		os.WriteFile(input, []byte(strings.ReplaceAll(cloudTrailRecords(n), `"eventID":"`, fmt.Sprintf(`"eventID":"r%d-`, i))), 0o644)
		before := 0
		if c, err := timeline.Open(caseDir); err == nil {
			before = len(c.Manifest().Runs)
		}
		cmd := exec.Command(os.Args[0], "import", "--case", caseDir, "--buffer-mb", "1", input)
		cmd.Env = append(os.Environ(), "CAUSEWAY_MAIN=1")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rng.IntN(1500)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		c, err := timeline.Open(caseDir)
		if err != nil {
			if i == 0 && errors.Is(err, timeline.ErrNoCase) {
				continue // killed before the case existed
			}
			t.Fatalf("kill %d: case does not open: %v", i, err)
		}
		if len(c.Manifest().Runs) > before {
			want += int64(n) // that run completed before the kill
			completed++
		}
		p, err := c.Events(t.Context(), timeline.Query{Limit: 1})
		if err != nil || p.Total != want {
			t.Fatalf("kill %d: case holds %d events (%v), want %d", i, p.Total, err, want)
		}
	}
	t.Logf("%d of 20 runs completed before their kill", completed)
	last := filepath.Join(tmp, "last.json")
	os.WriteFile(last, []byte(strings.ReplaceAll(cloudTrailRecords(10), `"eventID":"`, `"eventID":"last-`)), 0o644)
	if code, _, stderr := runCLI(t, "", "import", "--case", caseDir, last); code != 0 {
		t.Fatalf("rerun: %s", stderr)
	}
	c, _ := timeline.Open(caseDir)
	if p, _ := c.Events(t.Context(), timeline.Query{Limit: 1}); p.Total != want+10 {
		t.Fatalf("after rerun: %d, want %d", p.Total, want+10)
	}
}

// TestImportWorkers: --workers 1 and --workers 2 build the same case.
func TestImportWorkers(t *testing.T) {
	tmp := t.TempDir()
	in := filepath.Join(tmp, "in")
	os.MkdirAll(in, 0o755)
	for f := range 4 {
		recs := strings.ReplaceAll(cloudTrailRecords(300), `"eventID":"`, fmt.Sprintf(`"eventID":"w%d-`, f))
		os.WriteFile(filepath.Join(in, fmt.Sprintf("%d.json", f)), []byte(recs), 0o644)
	}
	var outs []string
	for _, w := range []string{"1", "2"} {
		dir := filepath.Join(tmp, "case"+w)
		if code, _, stderr := runCLI(t, "", "import", "--case", dir, "--workers", w, in); code != 0 {
			t.Fatalf("--workers %s: %s", w, stderr)
		}
		_, out, _ := runCLI(t, "", "events", "--case", dir, "--format", "jsonl", "--raw", "--limit", "5000")
		outs = append(outs, out)
	}
	if n := strings.Count(outs[0], "\n"); n != 1200 {
		t.Fatalf("%d events, want 1200", n)
	}
	if diff := cmp.Diff(outs[0], outs[1]); diff != "" {
		t.Fatalf("cases differ (-workers 1 +workers 2):\n%s", diff)
	}
	if code, _, _ := runCLI(t, "", "import", "--case", filepath.Join(tmp, "x"), "--workers", "-1", in); code != 2 {
		t.Fatalf("--workers -1 exits %d, want 2", code)
	}
}
