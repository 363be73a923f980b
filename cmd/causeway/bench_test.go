package main

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
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
	if rss <= 0 || rss > 300<<20 {
		t.Fatalf("child peak RSS %d MB after the parent used 400 MB: the parent's mark leaked in", rss>>20)
	}
}

// touch400MB makes this process's peak RSS at least 400 MB, then lets
// the memory go.
func touch400MB() {
	b := make([]byte, 400<<20)
	for i := 0; i < len(b); i += os.Getpagesize() {
		b[i] = 1
	}
	runtime.KeepAlive(b)
}
