package timeline

import (
	"bytes"
	"fmt"
	"hash/maphash"
	"runtime"
	"sync"
	"testing"
)

// TestReview9CodingKeptPieces codes enough values that the coding's values
// fill dozens of chunks and the tables it grows out of (128Ki,
// 256Ki and 512Ki slots) go on as value chunks, while a reader takes
// snapshots concurrently (run with -race). Once the coding is gone it
// keeps only pieces: a snapshot from before the last doubling (an older
// array) and the last one, then single strings taken out of them; between
// checks it collects and overwrites freed memory many times. It fails if
// a chunk of values does not keep the chunks of bytes alive (valChunk
// without kept).
func TestReview9CodingKeptPieces(t *testing.T) {
	const n = 420_000
	value := func(i int) string { return fmt.Sprintf("tok-%07d-%08x", i, uint32(i)*2654435761) }
	type pieces struct {
		early, last Dict // snapshots
	}
	p := func() pieces {
		cd := newCodings([]string{"token_id", "issued_id"})["issued_id"]
		var p pieces
		var wg sync.WaitGroup
		stop := make(chan struct{})
		var readErr error
		wg.Add(1)
		go func() { // a consumer reading snapshots while the coding grows
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				vals, _ := cd.snapshot()
				if k := int32(vals.Len() - 1); k > 0 && vals.At(k) != value(int(k-1)) && readErr == nil {
					readErr = fmt.Errorf("snapshot of %d: code %d is %q, want %q", vals.Len(), k, vals.At(k), value(int(k-1)))
				}
				runtime.Gosched()
			}
		}()
		for lo := 0; lo < n; lo += 1000 {
			var ss []string
			var hs []uint64
			for i := lo; i < min(lo+1000, n); i++ {
				ss = append(ss, value(i))
				// Values seen before come back with the code they had.
				if i%10 == 0 && i > 0 {
					ss = append(ss, value(i/2))
				}
			}
			for _, s := range ss {
				hs = append(hs, maphash.String(cd.seed, s))
			}
			codes := make([]int32, len(ss))
			cd.codeAll(ss, hs, codes)
			for k, s := range ss {
				if got, _ := cd.snapshot(); got.At(codes[k]) != s {
					t.Fatalf("%q coded %d, which is %q", s, codes[k], got.At(codes[k]))
				}
			}
			if lo == 200_000 {
				p.early, _ = cd.snapshot()
			}
		}
		close(stop)
		wg.Wait()
		if readErr != nil {
			t.Fatal(readErr)
		}
		p.last, _ = cd.snapshot()
		return p
	}()
	early, last := p.early, p.last
	p = pieces{}
	var junk [][]byte
	for round := range 8 {
		runtime.GC()
		for range 24 {
			junk = append(junk, bytes.Repeat([]byte{byte('#' + round)}, 1<<20))
		}
		if len(junk) > 48 {
			junk = junk[24:]
		}
	}
	runtime.GC()
	if early.Len() < 200_000 || last.Len() != n+1 {
		t.Fatalf("snapshots of %d and %d values", early.Len(), last.Len())
	}
	for i := range early.Len() - 1 {
		if early.At(int32(i+1)) != value(i) {
			t.Fatalf("early snapshot: code %d is %q, want %q", i+1, early.At(int32(i+1)), value(i))
		}
	}
	for i := range n {
		if last.At(int32(i+1)) != value(i) {
			t.Fatalf("last snapshot: code %d is %q, want %q", i+1, last.At(int32(i+1)), value(i))
		}
	}
	// Single strings kept alone, the snapshots gone.
	singles := map[int]string{}
	for i := 0; i < n; i += 997 {
		singles[i] = last.At(int32(i + 1)) // its bytes are in one of the coding's chunks
	}
	early, last = Dict{}, Dict{}
	for range 4 {
		runtime.GC()
		junk = append(junk[:0], bytes.Repeat([]byte{'!'}, 32<<20))
	}
	for i, s := range singles {
		if s != value(i) {
			t.Fatalf("value %d kept alone is %q, want %q", i, s, value(i))
		}
	}
	runtime.KeepAlive(junk)
}
