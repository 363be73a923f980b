package timeline

import (
	"bytes"
	"fmt"
	"hash/maphash"
	"runtime"
	"testing"
)

// TestCodingDictOutlivesCoding checks that a Dict kept after its scan is
// over still holds its values: its array, which the collector does not
// scan (newVals), keeps the chunks that its strings point into alive. With
// that link gone, the collector frees the chunks and the allocations that
// follow overwrite them.
func TestCodingDictOutlivesCoding(t *testing.T) {
	const n = 200_000 // values of 20-odd bytes: a few 1 MiB chunks
	value := func(i int) string { return fmt.Sprintf("token-%08d-%08x", i, i*2654435761) }
	dict := func() []string {
		cd := newCodings([]string{"token_id"})["token_id"]
		var ss []string
		var hs []uint64
		for i := range n {
			ss = append(ss, value(i))
			hs = append(hs, maphash.String(cd.seed, ss[i]))
		}
		codes := make([]int32, n)
		cd.codeAll(ss, hs, codes)
		for i, c := range codes {
			if c != int32(i+1) {
				t.Fatalf("value %d: code %d, want %d", i, c, i+1)
			}
		}
		vals, _ := cd.snapshot()
		return vals
	}()
	var junk [][]byte
	for range 4 {
		runtime.GC()
		for range 16 {
			junk = append(junk, bytes.Repeat([]byte{'#'}, 1<<20))
		}
	}
	if len(dict) != n+1 || dict[0] != "" {
		t.Fatalf("dictionary of %d values, first %q", len(dict), dict[0])
	}
	for i := range n {
		if dict[i+1] != value(i) {
			t.Fatalf("code %d is %q, want %q", i+1, dict[i+1], value(i))
		}
	}
	runtime.KeepAlive(junk)
}
