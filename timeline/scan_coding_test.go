package timeline

import (
	"bytes"
	"fmt"
	"hash/maphash"
	"runtime"
	"testing"
	"unsafe"
)

// TestCodingDictOutlivesCoding checks that a Dict kept after its scan is
// over still holds its values: its chunks, which the collector does not
// scan (valChunk), keep the chunks that its strings point into alive. With
// that link gone, the collector frees the chunks and the allocations that
// follow overwrite them.
func TestCodingDictOutlivesCoding(t *testing.T) {
	const n = 200_000 // values of 20-odd bytes: a few 1 MiB chunks
	value := func(i int) string { return fmt.Sprintf("token-%08d-%08x", i, uint32(i)*2654435761) }
	dict := func() Dict {
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
	if dict.Len() != n+1 || dict.At(0) != "" {
		t.Fatalf("dictionary of %d values, first %q", dict.Len(), dict.At(0))
	}
	for i := range n {
		if dict.At(int32(i+1)) != value(i) {
			t.Fatalf("code %d is %q, want %q", i+1, dict.At(int32(i+1)), value(i))
		}
	}
	runtime.KeepAlive(junk)
}

// TestStrTableResize checks that a row-group table shrinks after a row
// group that filled few of its slots, grows again within its array, and
// gives every value the coding's code throughout.
func TestStrTableResize(t *testing.T) {
	cd := newCodings([]string{"target"})["target"]
	tab := &strTable{seed: cd.seed}
	rowGroup := func(distinct, repeat int) {
		t.Helper()
		tab.reset()
		var page []byte
		offs := []uint32{0}
		var want []string
		// Blocks of 256 values (a segment), each block repeat times: a
		// value's repeats come in later segments, which the table answers.
		for lo := 0; lo < distinct; lo += 256 {
			for range repeat {
				for i := lo; i < min(lo+256, distinct); i++ {
					v := fmt.Sprintf("arn:aws:iam::%d:role/r-%d", i%7, i)
					page = append(page, v...)
					offs = append(offs, uint32(len(page)))
					want = append(want, v)
				}
			}
		}
		var codes []int32
		for lo := 0; lo < len(want); lo += 256 { // page segments, as readVec hands them
			hi := min(lo+256, len(want))
			codes = tab.codeAll(codes, page, offs[lo:hi+1], cd)
		}
		vals, _ := cd.snapshot()
		for i, c := range codes {
			if vals.At(c) != want[i] {
				t.Fatalf("%d values: value %d is %q, coded %d (%q)", distinct, i, want[i], c, vals.At(c))
			}
		}
		if tab.direct {
			t.Fatalf("%d values, each %d times: the table went direct", distinct, repeat)
		}
	}
	// A segment's lookups find room reserved for 256 more values, at most
	// half the slots used: 20,000 values take 64Ki slots, 5,000 16Ki.
	rowGroup(20_000, 2)
	big := len(tab.slots)
	if big != 1<<16 {
		t.Fatalf("20,000 values in %d slots, want 65,536", big)
	}
	rowGroup(100, 20)
	rowGroup(100, 20)
	if len(tab.slots) != 1024 {
		t.Errorf("after a row group of 100 values the table has %d slots, want 1,024", len(tab.slots))
	}
	rowGroup(5_000, 3)
	if len(tab.slots) != 1<<14 || cap(tab.slots) != big {
		t.Errorf("5,000 values in %d slots of an array of %d, want 16,384 of the first array's %d",
			len(tab.slots), cap(tab.slots), big)
	}
}

// TestCodingReusesTables checks that a table the coding has grown out of
// goes on as a chunk of its values (memory already touched, not a fresh
// chunk), and that the values cloned there are the values coded: the
// table's old slots do not show through, and later growth does not
// overwrite them.
func TestCodingReusesTables(t *testing.T) {
	cd := newCodings([]string{"session_id"})["session_id"]
	value := func(i int) string { return fmt.Sprintf("session-%09d-%x", i, uint32(i)*2654435761) }
	code := func(lo, hi int) {
		t.Helper()
		for ; lo < hi; lo += 256 {
			var ss []string
			var hs []uint64
			for i := lo; i < min(lo+256, hi); i++ {
				ss = append(ss, value(i))
				hs = append(hs, maphash.String(cd.seed, ss[len(ss)-1]))
			}
			codes := make([]int32, len(ss))
			cd.codeAll(ss, hs, codes)
			for k, c := range codes {
				if c != int32(lo+k+1) {
					t.Fatalf("value %d: code %d, want %d", lo+k, c, lo+k+1)
				}
			}
		}
	}
	// At 150,000 values the table has 256Ki slots; past 183,500 (70 %) it
	// grows, and the old one (2 MiB) is spare: the values after it are
	// cloned there.
	code(0, 150_000)
	old := unsafe.Pointer(unsafe.SliceData(cd.tab))
	code(150_000, 400_000)
	reused := false
	for _, c := range cd.kept.chunks {
		reused = reused || unsafe.Pointer(unsafe.SliceData(c)) == old
	}
	if !reused {
		t.Fatalf("the table of %d slots replaced at %d values is not a chunk of values", 1<<18, cd.n-1)
	}
	vals, _ := cd.snapshot()
	for i := range 400_000 {
		if vals.At(int32(i+1)) != value(i) {
			t.Fatalf("code %d is %q, want %q", i+1, vals.At(int32(i+1)), value(i))
		}
	}
}
