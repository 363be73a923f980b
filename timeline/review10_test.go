package timeline

import (
	"bytes"
	"fmt"
	"hash/maphash"
	"runtime"
	"sync"
	"testing"
)

// review10Value is the i-th distinct value a test codes.
func review10Value(i int) string { return fmt.Sprintf("value-%07d", i) }

// review10Code codes values from..to-1 of review10Value (each twice, the
// repeat coded as the first) in one codeAll, and checks their codes: the
// next codes in order, from code from+1 (code 0 is "").
func review10Code(t *testing.T, cd *coding, from, to int) {
	t.Helper()
	var ss []string
	var hs []uint64
	for i := from; i < to; i++ {
		for range 2 {
			ss = append(ss, review10Value(i))
			hs = append(hs, maphash.String(cd.seed, ss[len(ss)-1]))
		}
	}
	codes := make([]int32, len(ss))
	cd.codeAll(ss, hs, codes)
	for k, c := range codes {
		if want := int32(from + k/2 + 1); c != want {
			t.Fatalf("value %d (%q): code %d, want %d", from+k/2, ss[k], c, want)
		}
	}
}

// review10Check checks that d holds "" and the first n values, in chunks
// as many as its values need.
func review10Check(t *testing.T, what string, d Dict, n int) {
	t.Helper()
	if d.Len() != n+1 {
		t.Fatalf("%s: %d codes, want %d", what, d.Len(), n+1)
	}
	if want := (n + 1 + valChunkLen - 1) / valChunkLen; len(d.chunks) != want {
		t.Fatalf("%s: %d chunks for %d codes, want %d", what, len(d.chunks), n+1, want)
	}
	if d.At(0) != "" {
		t.Fatalf("%s: code 0 is %q", what, d.At(0))
	}
	for i := range n {
		if got := d.At(int32(i + 1)); got != review10Value(i) {
			t.Fatalf("%s: code %d is %q, want %q", what, i+1, got, review10Value(i))
		}
	}
}

// TestReview10CodingChunkBoundaries codes batches whose dictionaries end
// one short of a chunk's end, at it, one past it, and across it (ad39ec1:
// values in fixed chunks of valChunkLen, code 0 the first chunk's first),
// and checks each snapshot, and that every snapshot taken before still
// holds what it held once the coding has grown past it.
func TestReview10CodingChunkBoundaries(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		batches []int // distinct values in each batch
	}{
		{"none", []int{0}},
		{"one value", []int{1}},
		{"up to a chunk's end one at a time", []int{valChunkLen - 2, 1, 1, 1}},
		{"to a chunk's end at once", []int{valChunkLen - 1, 1}},
		{"across a chunk's end", []int{valChunkLen - 100, 200}},
		{"two chunks to their end", []int{2*valChunkLen - 1, 1}},
		{"three chunks in one batch", []int{3*valChunkLen + 5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cd := newCodings([]string{"target"})["target"]
			type snap struct {
				d Dict
				n int
			}
			var snaps []snap
			n := 0
			for _, b := range tc.batches {
				review10Code(t, cd, n, n+b)
				n += b
				d, id := cd.snapshot()
				if id != cd.id {
					t.Fatalf("snapshot of dictionary %d, want %d", id, cd.id)
				}
				review10Check(t, fmt.Sprintf("after %d values", n), d, n)
				snaps = append(snaps, snap{d, n})
			}
			review10Code(t, cd, n, n+valChunkLen+1) // grow past every snapshot
			for _, s := range snaps {
				review10Check(t, fmt.Sprintf("snapshot of %d values, later", s.n), s.d, s.n)
			}
		})
	}
}

// TestReview10SnapshotWhileCoding reads snapshots while another goroutine
// codes values one at a time through three chunk ends: each snapshot's
// last value (which may be the first of a chunk just made) and its
// middle one are the values coded (run with -race).
func TestReview10SnapshotWhileCoding(t *testing.T) {
	t.Parallel()
	cd := newCodings([]string{"session_id"})["session_id"]
	const total = 3*valChunkLen + 3
	var wg sync.WaitGroup
	done := make(chan struct{})
	var readErr error
	reads := 0
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			d, _ := cd.snapshot()
			reads++
			n := d.Len()
			if want := (n + valChunkLen - 1) / valChunkLen; len(d.chunks) != want {
				readErr = fmt.Errorf("snapshot of %d codes in %d chunks, want %d", n, len(d.chunks), want)
				return
			}
			for _, c := range []int32{int32(n - 1), int32(n / 2)} {
				want := ""
				if c > 0 {
					want = review10Value(int(c - 1))
				}
				if got := d.At(c); got != want {
					readErr = fmt.Errorf("snapshot of %d codes: code %d is %q, want %q", n, c, got, want)
					return
				}
			}
		}
	})
	for i := range total {
		review10Code(t, cd, i, i+1)
	}
	close(done)
	wg.Wait()
	if readErr != nil {
		t.Fatal(readErr)
	}
	d, _ := cd.snapshot()
	review10Check(t, "at the end", d, total)
	t.Logf("%d snapshots read", reads)
}

// TestReview10DictOf checks DictOf's dictionaries of one value, a chunk's
// worth, one past it and two chunks and one, after collections that would
// reuse the values' memory if the chunks did not keep it.
func TestReview10DictOf(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, valChunkLen - 1, valChunkLen, 2*valChunkLen + 1} {
		t.Run(fmt.Sprint(n, " values"), func(t *testing.T) {
			d := func() Dict {
				vals := []string{""}
				for i := range n {
					vals = append(vals, review10Value(i))
				}
				return DictOf(vals...)
			}()
			var junk [][]byte
			for range 3 {
				runtime.GC()
				for range 64 {
					junk = append(junk, bytes.Repeat([]byte{'#'}, 4096))
				}
			}
			review10Check(t, "DictOf", d, n)
			runtime.KeepAlive(junk)
		})
	}
}

// TestReview10EmptyDict: the Dict of a column a part lacks has one code,
// "", in one chunk.
func TestReview10EmptyDict(t *testing.T) {
	t.Parallel()
	var v columnVec
	v.missing("target", 3)
	for i := range 3 {
		if got := v.str.At(i); got != "" {
			t.Errorf("event %d of a missing column: %q", i, got)
		}
	}
	if v.str.Dict.Len() != 1 || len(v.str.Dict.chunks) != 1 || v.str.Dict.At(0) != "" {
		t.Errorf("a missing column's dictionary: %d codes in %d chunks, code 0 %q",
			v.str.Dict.Len(), len(v.str.Dict.chunks), v.str.Dict.At(0))
	}
}
