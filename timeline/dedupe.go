package timeline

import (
	"bufio"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"os"
	"path/filepath"
	"slices"
)

// Deduplication keeps the (id hash, detail hash) pair of every event of a
// case (see idHash and detailHash), so that an import knows which of its
// events the case holds already.
//
// The pairs live in one file sorted by id, then detail (index/<run>.idx).
// A run reads that file through a fence (the first id of every block of
// 256 pairs) and a Bloom filter of its ids, both built in one sequential
// pass when the run begins, and looks a pair up with one 3 KiB read where
// the filter says the id may be there. The run's own new pairs wait in a
// hash table in memory (memTable); past memPairs of them, the table is
// sorted and written to a segment file, which the filter covers too.
// Commit merges the file, the segments and the table into the next file.
//
// So the memory an import needs for deduplication does not grow with the
// case: at most 24 MiB of table, the filter (12 bits a pair, at most
// bloomMaxBytes) and the fences (1/32 byte a pair). The index held every
// pair in memory before, 16–32 bytes each: 200 MB at 10M events, and a
// case of 20M would have taken an import past 500 MB. Past about 40M pairs
// the filter has fewer than 12 bits a pair and lets more lookups go to
// disk: imports of very large cases slow down a little, and stay correct.

const (
	indexMagicV1  = "CWIDX1\n\x00" // unsorted pairs: the format of cases before sorted files
	indexMagic    = "CWIDX2\n\x00" // pairs sorted by id, then detail
	indexHeader   = 16             // magic, then the pair count
	pairSize      = 12             // id (8 bytes), detail (4), little-endian
	blockPairs    = 256            // pairs between fence posts
	memPairs      = 1_500_000      // a run's pairs held in memory before a segment is written
	maxSegments   = 8              // segments before they are merged into one
	bloomMaxBytes = 64 << 20
	bloomMinBytes = 1 << 20
)

type pair struct {
	id     uint64
	detail uint32
}

func comparePairs(a, b pair) int {
	if a.id != b.id {
		return cmp.Compare(a.id, b.id)
	}
	return cmp.Compare(a.detail, b.detail)
}

// dedupe is a run's deduplication state.
type dedupe struct {
	dir   string       // where segments are written (the run's staging)
	files []*indexFile // the case's index (first, when nbase is 1), then the run's spilled pairs
	nbase int          // 1 when files[0] is the case's index (kept, never removed), else 0
	mem   *memTable    // the run's newest pairs
	bloom bloom        // ids of files
	seq   int

	memMax, maxSegs int // memPairs and maxSegments (tests make them small)
}

// openDedupe opens the case's index at path ("" when the case has none)
// for a run whose temporary files go to dir.
func openDedupe(path, dir string) (*dedupe, error) {
	d := &dedupe{dir: dir, mem: newMemTable(1 << 16), memMax: memPairs, maxSegs: maxSegments}
	if path == "" {
		d.bloom = newBloom(12 * 2 * int64(d.memMax))
		return d, nil
	}
	f, v1, err := openIndexFile(path)
	if err != nil {
		return nil, fmt.Errorf("dedupe index %s: %w", path, err)
	}
	d.bloom = newBloom(12 * (f.n + 2*int64(d.memMax)))
	if !v1 {
		d.files, d.nbase = []*indexFile{f}, 1
		if err := f.scan(&d.bloom); err != nil {
			d.close()
			return nil, fmt.Errorf("dedupe index %s: %w", path, err)
		}
		return d, nil
	}
	// A case from before sorted index files: sort it once into a segment
	// of this run; Commit writes the new format.
	var ps []pair
	err = f.each(func(p pair) { ps = append(ps, p) })
	f.f.Close()
	if err != nil {
		return nil, fmt.Errorf("dedupe index %s: %w", path, err)
	}
	slices.SortFunc(ps, comparePairs)
	if err := d.addSegment(pairSource(ps)); err != nil {
		return nil, fmt.Errorf("dedupe index %s: %w", path, err)
	}
	for _, p := range ps {
		d.bloom.add(p.id)
	}
	return d, nil
}

// add records the pair unless present. It returns Duplicate when the pair
// is present, Collision when the id is present with another detail, else
// Added.
func (d *dedupe) add(id uint64, detail uint32) (AddResult, error) {
	res := d.mem.probe(id, detail)
	if res == Duplicate {
		return Duplicate, nil
	}
	if d.bloom.has(id) {
		for _, f := range d.files {
			dup, same, err := f.find(id, detail)
			if err != nil {
				return 0, fmt.Errorf("dedupe index %s: %w", f.f.Name(), err)
			}
			if dup {
				return Duplicate, nil
			}
			if same {
				res = Collision
			}
		}
	}
	d.mem.insert(id, detail)
	if d.mem.len() >= d.memMax {
		if err := d.spill(); err != nil {
			return 0, err
		}
	}
	return res, nil
}

// segments returns the run's segments (the files but the case's index).
func (d *dedupe) segments() []*indexFile { return d.files[d.nbase:] }

// addSegment writes the pairs next returns, which must come sorted, as a
// new segment file.
func (d *dedupe) addSegment(next func() (pair, bool, error)) error {
	if err := os.MkdirAll(d.dir, 0o755); err != nil {
		return err
	}
	d.seq++
	seg, err := writeIndexFile(filepath.Join(d.dir, fmt.Sprintf("dedupe-%05d.idx", d.seq)), false, next)
	if err != nil {
		return fmt.Errorf("dedupe segment: %w", err)
	}
	d.files = append(d.files, seg)
	return nil
}

// spill writes the table, sorted, as a segment, and merges the segments
// into one when maxSegs pile up, so that a lookup reads a bounded number
// of files.
func (d *dedupe) spill() error {
	ps := d.mem.sorted()
	d.mem = newMemTable(1 << 16)
	if err := d.addSegment(pairSource(ps)); err != nil {
		return err
	}
	if err := d.fitBloom(ps); err != nil {
		return err
	}
	segs := d.segments()
	if len(segs) < d.maxSegs {
		return nil
	}
	srcs := make([]func() (pair, bool, error), len(segs))
	for i, s := range segs {
		srcs[i] = s.reader()
	}
	if err := d.addSegment(mergePairs(srcs)); err != nil {
		return err
	}
	for _, s := range segs {
		s.remove()
	}
	d.files = append(d.files[:d.nbase], d.files[len(d.files)-1])
	return nil
}

// fitBloom adds the ids of a new segment to the filter, or makes a bigger
// filter from all the files when the pairs on disk outgrow it (a run that
// imports far more than the case held).
func (d *dedupe) fitBloom(ps []pair) error {
	var n int64
	for _, f := range d.files {
		n += f.n
	}
	if 12*n <= d.bloom.bits() || d.bloom.bits() >= 8*bloomMaxBytes {
		for _, p := range ps {
			d.bloom.add(p.id)
		}
		return nil
	}
	d.bloom = newBloom(12 * (n + 2*int64(d.memMax)))
	for _, f := range d.files {
		if err := f.each(func(p pair) { d.bloom.add(p.id) }); err != nil {
			return fmt.Errorf("dedupe index %s: %w", f.f.Name(), err)
		}
	}
	return nil
}

// commit writes the case's next index file at path: the case's index, the
// segments and the table merged.
func (d *dedupe) commit(path string) error {
	srcs := []func() (pair, bool, error){pairSource(d.mem.sorted())}
	for _, f := range d.files {
		srcs = append(srcs, f.reader())
	}
	f, err := writeIndexFile(path, true, mergePairs(srcs))
	if err != nil {
		return err
	}
	f.f.Close()
	return nil
}

// grew reports whether the run has pairs the case's index lacks (its
// own, or the old format's pairs to be written anew).
func (d *dedupe) grew() bool { return d.mem.n > 0 || len(d.files) > d.nbase }

// close releases the files (and removes the segments).
func (d *dedupe) close() {
	for i, f := range d.files {
		if i < d.nbase {
			f.f.Close()
		} else {
			f.remove()
		}
	}
	d.files, d.nbase = nil, 0
}

// indexFile is an open index file: its pairs on disk, its fence in memory.
type indexFile struct {
	f     *os.File
	n     int64
	fence []uint64 // the first id of every block of blockPairs pairs
	buf   []byte   // one block
}

// openIndexFile opens an index file and checks its size; v1 says it is of
// the old, unsorted format.
func openIndexFile(path string) (f *indexFile, v1 bool, err error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, false, err
	}
	var hdr [indexHeader]byte
	if _, err := io.ReadFull(fh, hdr[:]); err != nil {
		fh.Close()
		return nil, false, fmt.Errorf("read header: %w", err)
	}
	switch string(hdr[:8]) {
	case indexMagic:
	case indexMagicV1:
		v1 = true
	default:
		fh.Close()
		return nil, false, errors.New("not a causeway index")
	}
	n := binary.LittleEndian.Uint64(hdr[8:])
	if st, err := fh.Stat(); err != nil || n > 1<<40 || uint64(st.Size()) != indexHeader+pairSize*n {
		fh.Close()
		return nil, false, errors.New("index size does not match its count")
	}
	return &indexFile{f: fh, n: int64(n)}, v1, nil
}

// scan reads the file once: it checks the order, builds the fence and
// adds the ids to b.
func (x *indexFile) scan(b *bloom) error {
	x.fence = make([]uint64, 0, (x.n+blockPairs-1)/blockPairs)
	next := x.reader()
	var last pair
	for i := int64(0); ; i++ {
		p, ok, err := next()
		if err != nil || !ok {
			return err
		}
		if i > 0 && comparePairs(last, p) >= 0 {
			return fmt.Errorf("pair %d out of order", i)
		}
		if i%blockPairs == 0 {
			x.fence = append(x.fence, p.id)
		}
		b.add(p.id)
		last = p
	}
}

// each calls fn with every pair of the file, in order.
func (x *indexFile) each(fn func(pair)) error {
	next := x.reader()
	for {
		p, ok, err := next()
		if err != nil || !ok {
			return err
		}
		fn(p)
	}
}

// reader returns the file's pairs in order, read sequentially.
func (x *indexFile) reader() func() (pair, bool, error) {
	r := bufio.NewReaderSize(io.NewSectionReader(x.f, indexHeader, pairSize*x.n), 1<<20)
	var b [pairSize]byte
	left := x.n
	return func() (pair, bool, error) {
		if left == 0 {
			return pair{}, false, nil
		}
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return pair{}, false, err
		}
		left--
		return pair{binary.LittleEndian.Uint64(b[:8]), binary.LittleEndian.Uint32(b[8:])}, true, nil
	}
}

// find looks the pair up: dup when it is in the file, same when its id is
// (with any detail).
func (x *indexFile) find(id uint64, detail uint32) (dup, same bool, err error) {
	// The id's pairs start in the last block whose first id is below it, or
	// in the first whose first id is it, and may run over several blocks.
	b, _ := slices.BinarySearch(x.fence, id)
	b = max(b-1, 0)
	for ; b < len(x.fence) && x.fence[b] <= id; b++ {
		lo := int64(b) * blockPairs
		k := min(x.n-lo, blockPairs)
		if cap(x.buf) < blockPairs*pairSize {
			x.buf = make([]byte, blockPairs*pairSize)
		}
		buf := x.buf[:k*pairSize]
		if _, err := x.f.ReadAt(buf, indexHeader+lo*pairSize); err != nil {
			return false, false, err
		}
		for i := 0; i < len(buf); i += pairSize {
			pid := binary.LittleEndian.Uint64(buf[i:])
			if pid > id {
				return false, same, nil
			}
			if pid == id {
				same = true
				if binary.LittleEndian.Uint32(buf[i+8:]) == detail {
					return true, true, nil
				}
			}
		}
	}
	return false, same, nil
}

func (x *indexFile) remove() {
	x.f.Close()
	os.Remove(x.f.Name())
}

// writeIndexFile writes the pairs next returns, which must come sorted, to
// a new index file at path, and opens it with its fence (durable: synced).
func writeIndexFile(path string, durable bool, next func() (pair, bool, error)) (*indexFile, error) {
	fh, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	x := &indexFile{f: fh}
	fail := func(err error) (*indexFile, error) {
		fh.Close()
		os.Remove(path)
		return nil, err
	}
	w := bufio.NewWriterSize(fh, 1<<20)
	var b [indexHeader]byte
	copy(b[:], indexMagic)
	w.Write(b[:]) // the count is written last
	var last pair
	for {
		p, ok, err := next()
		if err != nil {
			return fail(err)
		}
		if !ok {
			break
		}
		if x.n > 0 {
			if c := comparePairs(last, p); c == 0 {
				continue
			} else if c > 0 {
				return fail(errors.New("pairs out of order"))
			}
		}
		if x.n%blockPairs == 0 {
			x.fence = append(x.fence, p.id)
		}
		binary.LittleEndian.PutUint64(b[:8], p.id)
		binary.LittleEndian.PutUint32(b[8:12], p.detail)
		w.Write(b[:pairSize])
		x.n++
		last = p
	}
	if err := w.Flush(); err != nil {
		return fail(err)
	}
	binary.LittleEndian.PutUint64(b[:8], uint64(x.n))
	if _, err := fh.WriteAt(b[:8], 8); err != nil {
		return fail(err)
	}
	if durable {
		if err := fh.Sync(); err != nil {
			return fail(err)
		}
	}
	return x, nil
}

// pairSource returns the pairs of ps in order.
func pairSource(ps []pair) func() (pair, bool, error) {
	i := 0
	return func() (pair, bool, error) {
		if i == len(ps) {
			return pair{}, false, nil
		}
		i++
		return ps[i-1], true, nil
	}
}

// mergePairs merges sorted sources into one sorted source (a linear
// choice: there are at most a handful of sources).
func mergePairs(srcs []func() (pair, bool, error)) func() (pair, bool, error) {
	heads := make([]pair, len(srcs))
	live := make([]bool, len(srcs))
	started := false
	return func() (pair, bool, error) {
		if !started {
			started = true
			for i, next := range srcs {
				p, ok, err := next()
				if err != nil {
					return pair{}, false, err
				}
				heads[i], live[i] = p, ok
			}
		}
		best := -1
		for i := range srcs {
			if live[i] && (best < 0 || comparePairs(heads[i], heads[best]) < 0) {
				best = i
			}
		}
		if best < 0 {
			return pair{}, false, nil
		}
		p := heads[best]
		q, ok, err := srcs[best]()
		if err != nil {
			return pair{}, false, err
		}
		heads[best], live[best] = q, ok
		return p, true, nil
	}
}

// memTable is a set of pairs in memory: 256 open-addressing tables chosen
// by the id's top byte, so that growing one costs a 256th of the set in
// passing, not a second copy of all of it. 12 bytes a slot.
type memTable struct {
	shards [256]memShard
	n      int
}

type memShard struct {
	ids     []uint64
	details []uint32
	n       int
}

// newMemTable makes a table of size slots in all (a power of two of at
// least 256).
func newMemTable(size int) *memTable {
	x := &memTable{}
	per := max(size/len(x.shards), 1)
	for i := range x.shards {
		x.shards[i] = memShard{ids: make([]uint64, per), details: make([]uint32, per)}
	}
	return x
}

func (x *memTable) shard(id uint64) *memShard { return &x.shards[id>>56] }

// len returns the pairs held.
func (x *memTable) len() int { return x.n }

// probe says what inserting the pair would be: Duplicate when it is
// present, Collision when the id is present with another detail, else
// Added. (Id 0 marks an empty slot: idHash never returns it.)
func (x *memTable) probe(id uint64, detail uint32) AddResult {
	s := x.shard(id)
	mask := uint64(len(s.ids) - 1)
	res := Added
	for i := id & mask; ; i = (i + 1) & mask {
		switch s.ids[i] {
		case 0:
			return res
		case id:
			if s.details[i] == detail {
				return Duplicate
			}
			res = Collision
		}
	}
}

// insert adds a pair that is not present.
func (x *memTable) insert(id uint64, detail uint32) {
	s := x.shard(id)
	if (s.n+1)*4 > len(s.ids)*3 {
		s.grow()
	}
	s.insert(id, detail)
	x.n++
}

func (s *memShard) insert(id uint64, detail uint32) {
	mask := uint64(len(s.ids) - 1)
	for i := id & mask; ; i = (i + 1) & mask {
		if s.ids[i] == 0 {
			s.ids[i], s.details[i] = id, detail
			s.n++
			return
		}
	}
}

func (s *memShard) grow() {
	old, oldD := s.ids, s.details
	s.ids, s.details, s.n = make([]uint64, 2*len(old)), make([]uint32, 2*len(old)), 0
	for i, id := range old {
		if id != 0 {
			s.insert(id, oldD[i])
		}
	}
}

// sorted returns the pairs, sorted: shard by shard, since shards hold
// ids by their top byte.
func (x *memTable) sorted() []pair {
	ps := make([]pair, 0, x.len())
	for si := range x.shards {
		s := &x.shards[si]
		from := len(ps)
		for i, id := range s.ids {
			if id != 0 {
				ps = append(ps, pair{id, s.details[i]})
			}
		}
		slices.SortFunc(ps[from:], comparePairs)
	}
	return ps
}

// bloom is a blocked Bloom filter of ids: each id sets 7 bits in one
// 64-byte block, so a lookup touches one cache line. The block is the id
// hash's top bits, so that filling the filter from a sorted file walks it
// in order (ids are FNV-1a hashes, whose top bits are as good as any).
type bloom struct {
	blocks [][8]uint64
	shift  uint // 64 - log2(len(blocks))
}

// newBloom makes a filter of about bitsWanted bits, a power of two between
// bloomMinBytes and bloomMaxBytes.
func newBloom(bitsWanted int64) bloom {
	bytes := int64(bloomMinBytes)
	for bytes*8 < bitsWanted && bytes < bloomMaxBytes {
		bytes *= 2
	}
	n := bytes / 64
	return bloom{blocks: make([][8]uint64, n), shift: uint(64 - bits.TrailingZeros64(uint64(n)))}
}

// bloomBits returns the block of id and the 7 bit positions in it.
func (b *bloom) bloomBits(id uint64) (blk uint64, h uint64) {
	blk = id >> b.shift
	h = (id ^ id>>29) * 0xbf58476d1ce4e5b9
	return blk, h ^ h>>32
}

func (b *bloom) bits() int64 { return int64(len(b.blocks)) * 512 }

func (b *bloom) add(id uint64) {
	blk, h := b.bloomBits(id)
	w := &b.blocks[blk]
	for range 7 {
		w[h>>6&7] |= 1 << (h & 63)
		h >>= 9
	}
}

func (b *bloom) has(id uint64) bool {
	blk, h := b.bloomBits(id)
	w := &b.blocks[blk]
	for range 7 {
		if w[h>>6&7]&(1<<(h&63)) == 0 {
			return false
		}
		h >>= 9
	}
	return true
}
