package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"github.com/causeway-ir/causeway/samples"
)

// TestBenchImportPeakRSS: the peak RSS benchImport reports is the child's,
// not this process's. Linux carries the high-water mark of the memory a
// child execs from (ours) into its ru_maxrss: after this process has used
// 400 MB (as sample generation does before the bench's imports), an import
// of one small file must still report well under that.
func TestBenchImportPeakRSS(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("peak RSS inheritance and its reset are Linux's")
	}
	if testing.Short() {
		// .ci/run's -race pass is -short: under the race detector the
		// shadow of the freed 400 MB stays resident, so nothing here can
		// tell a leaked mark from this process's own memory.
		t.Skip("-short: needs a child process and memory figures without the race detector")
	}
	// The child's figure can never be below this process's RSS when it
	// starts (other tests may hold memory), so measure from there.
	debug.FreeOSMemory()
	base := vmRSS(t)
	touch400MB()
	path, err := filepath.Abs(filepath.Join("..", "..", "importers", "testdata", "cloudtrail_cloudwatch.json"))
	if err != nil {
		t.Fatal(err)
	}
	n, _, _, rss, err := benchImport(t.Context(), filepath.Join(t.TempDir(), "case"), path)
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("imported nothing")
	}
	if rss <= 0 || rss > base+250<<20 {
		t.Fatalf("child peak RSS %d MB, this process's RSS %d MB before it used 400 MB more: its mark leaked in", rss>>20, base>>20)
	}
}

// touch400MB makes this process's peak RSS at least 400 MB more than its
// RSS, then lets the memory go.
func touch400MB() {
	b := make([]byte, 400<<20)
	for i := 0; i < len(b); i += os.Getpagesize() {
		b[i] = 1
	}
	runtime.KeepAlive(b)
}

// vmRSS returns this process's resident set size.
func vmRSS(t *testing.T) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip(err)
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Skip("no VmRSS in /proc/self/status")
	return 0
}

// TestGzipTree: gzipTree compresses the stored-gzip CloudTrail objects of
// a generated tree in place, each still inflating to the same bytes, and
// leaves other files alone.
func TestGzipTree(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if _, err := samples.Generate(t.Context(), samples.Options{Scenario: "aws-leaked-key", Out: dir, Scale: 1, Gzip: samples.GzipStore}); err != nil {
		t.Fatal(err)
	}
	before := map[string][]byte{}
	var sizes, inflated int64
	objects := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.HasSuffix(p, ".json.gz") {
			sizes += int64(len(b))
			if b, err = gunzip(b); err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
			inflated += int64(len(b))
			objects++
		}
		before[p] = b
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	n, in, out, err := gzipTree(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if n != objects || in != inflated {
		t.Fatalf("gzipTree: %d objects, %d bytes of JSON; want %d and %d", n, in, objects, inflated)
	}
	if out >= sizes/2 {
		t.Fatalf("gzipTree: %d bytes of JSON -> %d (stored: %d): not compressed", in, out, sizes)
	}
	var onDisk int64
	for p, want := range before {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(p, ".json.gz") {
			onDisk += int64(len(b))
			if b, err = gunzip(b); err != nil {
				t.Fatalf("%s: %v", p, err)
			}
		}
		if !bytes.Equal(b, want) {
			t.Errorf("%s changed", p)
		}
	}
	if onDisk != out {
		t.Errorf("gzipTree says %d bytes written, the objects hold %d", out, onDisk)
	}
}

func gunzip(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

// needOf is the room the memory step of the named result wants at scale 0.
func needOf(result string) int64 {
	for _, sc := range memoryScenarios {
		if result == "generate into memory: "+sc.name {
			return sc.need(0)
		}
	}
	panic("no memory scenario named in " + result)
}

// TestBenchSmall runs the whole bench on the demo-size samples and checks
// that it measures every step docs/performance.md reports, each with a
// figure (a step skipped for want of a tmpfs says so instead).
// cpuNote is how timeIt states a step's CPU time.
var cpuNote = regexp.MustCompile(`; [0-9.]+(µs|ms|s) of CPU a run$`)

func TestBenchSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the bench runs child processes and an API load")
	}
	t.Parallel()
	code, out, errOut := runCLI(t, "", "bench", "--dir", t.TempDir(), "--scale", "0", "--clients", "4", "--duration", "500ms", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc struct {
		Machine string        `json:"machine"`
		Results []benchResult `json:"results"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v in %s", err, out)
	}
	if doc.Machine == "" {
		t.Error("no machine in the report")
	}
	byName := map[string]benchResult{}
	for _, r := range doc.Results {
		byName[r.Name] = r
	}
	for _, name := range []string{
		"generate into memory: aws-leaked-key", "generate into memory: storm-0558", "generate samples onto disk",
		"import CloudTrail S3 .json.gz tree", "import CloudTrail NDJSON", "  its floor: read, sha256, Snappy (1 core)",
		"import Storm-0558 (Entra, UAL, telemetry)", "window query (1 hour, first page + total)", "facets (source, category, tenant, action)", "histogram (whole case, daily)",
		"graph build", "chain query (Storm-0558 root)", "board diagram render (≤ 60 nodes, SVG)",
		"API /api/events filtered page p95", "API /api/events filtered page p99",
	} {
		r, ok := byName[name]
		switch {
		case !ok:
			t.Errorf("no %q in the results", name)
		case strings.HasPrefix(name, "generate into memory") && r.Value == 0:
			if !strings.Contains(r.Note, "skipped") || memoryDir(needOf(name)) != "" {
				t.Errorf("%q: %+v, want a rate (a tmpfs has room) or a note that it was skipped", name, r)
			}
		case r.Value <= 0:
			t.Errorf("%q: %+v, want a figure", name, r)
		}
	}
	if r := byName["generate samples onto disk"]; r.Target != "" {
		t.Errorf("generation onto disk has a target (%q): the disk bounds it; the target is the generator's, into memory", r.Target)
	}
	// Timed steps say their CPU time too: wall time on a shared machine
	// moves with the host.
	for _, name := range []string{"window query (1 hour, first page + total)", "graph build", "chain query (Storm-0558 root)"} {
		if r := byName[name]; !cpuNote.MatchString(r.Note) {
			t.Errorf("%q: note %q names no CPU time", name, r.Note)
		}
	}
	if r := byName["case size"]; r.Value != 4550 {
		t.Errorf("case size %v events, want the two demo samples' 1,586 + 2,964", r.Value)
	}
}

// TestRawFloor checks that the bench's import floor reads every byte of
// files of any size (empty, under a page, pages and a part).
func TestRawFloor(t *testing.T) {
	t.Parallel()
	for _, size := range []int{0, 1, 64<<10 - 1, 64 << 10, 3*64<<10 + 17} {
		p := filepath.Join(t.TempDir(), "f.ndjson")
		if err := os.WriteFile(p, bytes.Repeat([]byte("{}\n"), size/3+1)[:size], 0o600); err != nil {
			t.Fatal(err)
		}
		got, cpu, err := rawFloor(p)
		if err != nil || got != int64(size) || cpu < 0 {
			t.Errorf("rawFloor(%d bytes) = %d, %v, %v", size, got, cpu, err)
		}
	}
	if _, _, err := rawFloor(filepath.Join(t.TempDir(), "absent")); err == nil {
		t.Error("rawFloor of a missing file: no error")
	}
}
