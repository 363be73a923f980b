package timeline

import (
	"hash/maphash"
	"reflect"
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
	// vals are the values by code, in an array the collector does not
	// scan (newVals): millions of strings, each a pointer it would
	// otherwise trace in every cycle while the scan and its consumer run.
	vals []string
	// arr and n publish vals to snapshot without the lock (which the
	// other worker holds while it codes): arr the whole array, stored
	// when vals moves to a new one, then n its length, stored after the
	// values below it are written.
	arr atomic.Pointer[[]string]
	n   atomic.Int64
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
	// million); kept lists every chunk, and every array of vals points to
	// it, so the chunks live as long as a Dict handed out does.
	bytes []byte
	kept  *codeChunks
	// spare are the tables grow has replaced, as bytes, for clone to fill
	// with values: memory already touched, where a new chunk is memory
	// the kernel (and the host) must zero first.
	spare [][]byte
}

// codeChunks are the chunks of a coding's values.
type codeChunks struct{ chunks [][]byte }

// newVals returns an empty array for n values whose strings the collector
// does not trace: its type holds a pointer to kept (which keeps the chunks
// the strings point into alive) and then n strings' words as integers.
// Writing strings into it is safe: their bytes are reachable through kept
// for as long as the array is.
func newVals(n int, kept *codeChunks) []string {
	t := reflect.StructOf([]reflect.StructField{
		{Name: "Kept", Type: reflect.TypeFor[*codeChunks]()},
		{Name: "Vals", Type: reflect.ArrayOf(n, reflect.TypeFor[[2]uintptr]())},
	})
	v := reflect.New(t).Elem()
	v.Field(0).Set(reflect.ValueOf(kept))
	return unsafe.Slice((*string)(v.Field(1).Addr().UnsafePointer()), n)[:0]
}

// moveVals copies vals into the empty array to (from newVals) and returns
// it. The new array is advised onto huge pages first, so that the copy
// touches it in 2 MiB pages, not 4 KiB ones (a fault each), and the copy
// is of plain words: neither array holds pointers the collector traces, so
// the write barriers of a copy of strings (which read every destination
// word first, faulting each fresh page in twice) are not needed.
func moveVals(to, vals []string) []string {
	adviseHuge(to)
	to = to[:len(vals)]
	type words = [2]uintptr
	copy(unsafe.Slice((*words)(unsafe.Pointer(unsafe.SliceData(to))), len(to)),
		unsafe.Slice((*words)(unsafe.Pointer(unsafe.SliceData(vals))), len(vals)))
	return to
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
		kept := &codeChunks{}
		cd := &coding{vals: append(newVals(1024, kept), ""), id: id, seed: maphash.MakeSeed(),
			tab: make([]codeSlot, 1024), kept: kept}
		cd.publish(true)
		m[name], m[domain] = cd, cd
	}
	return m
}

// snapshot returns the values so far and the dictionary's id. It takes
// no lock: the length it reads was stored after the array it then reads
// (or a later one, which holds copies of the same values).
func (cd *coding) snapshot() ([]string, uint64) {
	n := cd.n.Load()
	return (*cd.arr.Load())[:n:n], cd.id
}

// publish makes vals visible to snapshot, its array too when moved; the
// caller holds cd.mu (or is making cd).
func (cd *coding) publish(moved bool) {
	if moved {
		arr := cd.vals[:cap(cd.vals)]
		cd.arr.Store(&arr)
	}
	cd.n.Store(int64(len(cd.vals)))
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
	vals := cd.vals
	for _, h := range hs {
		if sl := cd.tab[h&mask]; sl.code != 0 && sl.h == uint32(h) {
			touched += int(*unsafe.StringData(vals[sl.code]))
		}
	}
	cd.touched = touched
	for i, s := range ss {
		codes[i] = cd.codeLocked(s, hs[i])
	}
	cd.publish(false)
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
			s = cd.clone(s)
			c := int32(len(cd.vals))
			if len(cd.vals) == cap(cd.vals) {
				// Double: append grows large slices by a quarter, copying
				// millions of values again and again.
				cd.vals = moveVals(newVals(2*len(cd.vals), cd.kept), cd.vals)
				cd.publish(true)
			}
			cd.vals = append(cd.vals, s)
			*sl = codeSlot{h: uint32(h), code: c}
			if 10*len(cd.vals) > 7*len(cd.tab) {
				cd.grow()
			}
			return c
		}
		if sl.h == uint32(h) && cd.vals[sl.code] == s {
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
