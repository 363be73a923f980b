package timeline

import (
	"hash/maphash"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"
)

// coding is the dictionary of a coded column in a ScanColumns, shared by
// its workers: every value decoded so far and their codes, so that a
// consumer that caches what it derives from a value by code derives it
// once per scan. vals only grows: batches handed out read its first values
// meanwhile. token_id and issued_id share one.
type coding struct {
	mu sync.Mutex
	// vals are the values by code, in chunks of valChunkLen that the
	// collector does not scan (valChunk) and that are never moved: the
	// tokens' 4.3 million values of a real case took 415 MB of doubled
	// arrays, each copied into the next, for 217 MB kept.
	vals []*valChunk
	n    int // values in vals
	// arr and pub publish vals to snapshot without the lock (which the
	// other worker holds while it codes): arr the chunks, stored when one
	// is added, then pub the number of values, stored after the values
	// below it are written.
	arr atomic.Pointer[[]*valChunk]
	pub atomic.Int64
	id  uint64
	// touched keeps codeAll's first reads from being optimized away.
	touched int
	// tab indexes vals by hash: open addressing, at most 70 % full (the
	// tables are the largest first-touched memory of a scan; at half full
	// the tokens' took 128 MB, not 64).
	seed maphash.Seed
	tab  []codeSlot
	// bytes holds the values cloned, in chunks that are never rewritten
	// (a million values are a few objects for the collector, not a
	// million); kept lists every chunk, and every valChunk points to it,
	// so the chunks live as long as a Dict handed out does.
	bytes []byte
	kept  *codeChunks
	// spare are the tables grow has replaced, as bytes, for clone to fill
	// with values: memory already touched, where a new chunk is memory
	// the kernel (and the host) must zero first.
	spare [][]byte
}

// codeChunks are the chunks of a coding's values.
type codeChunks struct{ chunks [][]byte }

// valChunkBits sizes a chunk of a coding's values: 8,192 strings, 128 KiB.
const (
	valChunkBits = 13
	valChunkLen  = 1 << valChunkBits
)

// valChunk holds valChunkLen values of a coding, as the words of their
// strings: the collector traces only kept, which keeps the chunks of bytes
// the strings point into alive for as long as the valChunk is.
type valChunk struct {
	kept *codeChunks
	vals [valChunkLen][2]uintptr
}

// at returns value i of the chunk.
func (ch *valChunk) at(i int32) string { return *(*string)(unsafe.Pointer(&ch.vals[i])) }

// set makes value i of the chunk s, whose bytes kept holds (or which is
// a constant).
func (ch *valChunk) set(i int32, s string) { *(*string)(unsafe.Pointer(&ch.vals[i])) = s }

// Dict is the dictionary of a coded column of a ColumnBatch: the value of
// code c (below Len) is At(c), and At(0) is "". A Dict is a view of the
// scan's dictionary as far as it had grown: it is never modified, and it
// and its strings may be kept.
type Dict struct {
	chunks []*valChunk
	n      int
}

// Len returns the number of codes d holds.
func (d Dict) Len() int { return d.n }

// At returns the value of code c, which is below d.Len().
func (d Dict) At(c int32) string { return d.chunks[c>>valChunkBits].at(c & (valChunkLen - 1)) }

// DictOf returns a Dict of vals, the value of code c being vals[c]
// (vals[0] should be ""): for the tests of a consumer of ScanColumns.
func DictOf(vals ...string) Dict {
	kept := &codeChunks{}
	d := Dict{n: len(vals)}
	for i, v := range vals {
		if i&(valChunkLen-1) == 0 {
			d.chunks = append(d.chunks, &valChunk{kept: kept})
		}
		v = strings.Clone(v)
		kept.chunks = append(kept.chunks, unsafe.Slice(unsafe.StringData(v), len(v)))
		d.chunks[i>>valChunkBits].set(int32(i&(valChunkLen-1)), v)
	}
	return d
}

// clone returns a copy of s (not "") in cd.bytes.
func (cd *coding) clone(s string) string {
	if len(s) > cap(cd.bytes)-len(cd.bytes) {
		if k := len(cd.spare); k > 0 && len(cd.spare[k-1]) >= len(s) {
			cd.bytes = cd.spare[k-1][:0]
			cd.spare[k-1] = nil
			cd.spare = cd.spare[:k-1]
		} else {
			cd.bytes = make([]byte, 0, max(1<<20, len(s)))
		}
		cd.kept.chunks = append(cd.kept.chunks, cd.bytes)
	}
	n := len(cd.bytes)
	cd.bytes = append(cd.bytes, s...)
	return unsafe.String(&cd.bytes[n], len(s))
}

// codeSlot is a slot of coding.tab: a value's code (0 when free) and the
// low bits of its hash.
type codeSlot struct {
	h    uint32
	code int32
}

// maxCodes bounds a coding's values, for int32 codes.
const maxCodes = 1 << 30

// newCodings returns the dictionaries of the coded columns of cols.
func newCodings(cols []string) map[string]*coding {
	m := map[string]*coding{}
	var id uint64
	for _, name := range cols {
		if name == "time" || name == "offset" || uniqueColumns[name] {
			continue
		}
		domain := name
		if name == "issued_id" {
			domain = "token_id" // the same values: tokens mostly
		}
		if cd := m[domain]; cd != nil {
			m[name] = cd
			continue
		}
		id++
		cd := &coding{id: id, seed: maphash.MakeSeed(), tab: make([]codeSlot, 1024), kept: &codeChunks{}}
		cd.add("") // code 0
		cd.publish()
		m[name], m[domain] = cd, cd
	}
	return m
}

// snapshot returns the values so far and the dictionary's id. It takes
// no lock: the number of values it reads was stored after the chunks it
// then reads (or later ones: the same chunks and more).
func (cd *coding) snapshot() (Dict, uint64) {
	n := int(cd.pub.Load())
	chunks := *cd.arr.Load()
	return Dict{chunks: chunks[:(n+valChunkLen-1)>>valChunkBits], n: n}, cd.id
}

// publish makes the values so far visible to snapshot; the caller holds
// cd.mu (or is making cd).
func (cd *coding) publish() { cd.pub.Store(int64(cd.n)) }

// at returns the value of code c; the caller holds cd.mu.
func (cd *coding) at(c int32) string { return cd.vals[c>>valChunkBits].at(c & (valChunkLen - 1)) }

// add appends s (a clone, or "") as the next value, making a chunk for it
// if need be (published at once: snapshot reads the chunks after the
// number of values); the caller holds cd.mu and publishes the value.
func (cd *coding) add(s string) int32 {
	c := int32(cd.n)
	if cd.n&(valChunkLen-1) == 0 {
		cd.vals = append(cd.vals, &valChunk{kept: cd.kept})
		chunks := cd.vals
		cd.arr.Store(&chunks)
	}
	cd.vals[c>>valChunkBits].set(c&(valChunkLen-1), s)
	cd.n++
	return c
}

// codeAll sets codes[i] to the code of ss[i], whose hash under cd.seed is
// hs[i] (the code of "" is 0), cloning the values new to cd: one lock for
// them all, since the workers share cd.
func (cd *coding) codeAll(ss []string, hs []uint64, codes []int32) {
	cd.mu.Lock()
	defer cd.mu.Unlock()
	// Read what probing will read before probing: each value's first
	// slot, then for a slot that holds the same hash bits its value and
	// that value's first byte. The loads of a loop do not wait for one
	// another, so their cache misses overlap, where probing value after
	// value waits for each miss in turn: three for a value seen before
	// (its slot, its string, its bytes).
	mask, touched := uint64(len(cd.tab)-1), 0
	for _, h := range hs {
		touched += int(cd.tab[h&mask].code)
	}
	for _, h := range hs {
		if sl := cd.tab[h&mask]; sl.code != 0 && sl.h == uint32(h) {
			touched += int(*unsafe.StringData(cd.at(sl.code)))
		}
	}
	cd.touched = touched
	for i, s := range ss {
		codes[i] = cd.codeLocked(s, hs[i])
	}
	cd.publish()
}

// codeLocked returns the code of s, whose hash under cd.seed is h; the
// caller holds cd.mu.
func (cd *coding) codeLocked(s string, h uint64) int32 {
	if s == "" {
		return 0
	}
	mask := uint64(len(cd.tab) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		sl := &cd.tab[i]
		if sl.code == 0 {
			c := cd.add(cd.clone(s))
			*sl = codeSlot{h: uint32(h), code: c}
			if 10*cd.n > 7*len(cd.tab) {
				cd.grow()
			}
			return c
		}
		if sl.h == uint32(h) && cd.at(sl.code) == s {
			return sl.code
		}
	}
}

// grow doubles the table. A slot's position is its hash's low bits, which
// it keeps (the table stays under 2^32 slots), so no value is hashed again.
func (cd *coding) grow() {
	tab := make([]codeSlot, 2*len(cd.tab))
	adviseHuge(tab)
	mask := uint32(len(tab) - 1)
	for _, sl := range cd.tab {
		if sl.code == 0 {
			continue
		}
		i := sl.h & mask
		for tab[i].code != 0 {
			i = (i + 1) & mask
		}
		tab[i] = sl
	}
	// The old table is the coding's alone (codeAll reads it under the
	// lock): its memory goes on as a chunk of values. Only the large ones
	// are worth it; the last ones grown are the largest.
	if old := cd.tab; len(old) >= 1<<17 {
		b := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(old))), len(old)*int(unsafe.Sizeof(old[0])))
		cd.spare = append(cd.spare, b)
	}
	cd.tab = tab
}
