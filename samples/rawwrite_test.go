package samples

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestRawFile writes through newRawFile (raw write(2) on Linux) and reads
// the bytes back; a write to a file opened read-only must fail with a
// *fs.PathError naming the file, not be lost.
func TestRawFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "out")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := newRawFile(f)
	var want []byte
	for i, n := range []int{0, 1, 4096, 300 << 10, 7} {
		p := bytes.Repeat([]byte{byte('a' + i)}, n)
		got, err := w.Write(p)
		if err != nil || got != n {
			t.Fatalf("Write(%d bytes) = %d, %v", n, got, err)
		}
		want = append(want, p...)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("read back %d bytes, want %d (or they differ)", len(got), len(want))
	}

	ro, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	n, err := newRawFile(ro).Write([]byte("x"))
	var pe *fs.PathError
	if n != 0 || !errors.As(err, &pe) || pe.Path != path {
		t.Errorf("write to a read-only file = %d, %v; want 0 and a *fs.PathError for %s", n, err, path)
	}
}
