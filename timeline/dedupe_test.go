package timeline

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
)

// refSet is what the deduplication index must answer, kept in a map.
type refSet map[uint64]map[uint32]bool

func (r refSet) add(id uint64, detail uint32) AddResult {
	ds := r[id]
	switch {
	case ds[detail]:
		return Duplicate
	case ds == nil:
		r[id] = map[uint32]bool{detail: true}
		return Added
	default:
		ds[detail] = true
		return Collision
	}
}

// TestDedupe drives the index through runs against a map: pairs in
// memory, in segments (spilled and merged), in the case's file from an
// earlier run and in an old unsorted file, with ids whose pairs fill
// several blocks, duplicates and collisions everywhere.
func TestDedupe(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ref := refSet{}
	rng := rand.New(rand.NewPCG(1, 2))
	// Ids from a small space, so that ids repeat with other details; id 7
	// gets hundreds of details, more than a block holds.
	pick := func() (uint64, uint32) {
		if rng.IntN(20) == 0 {
			return idHash("s", "7"), uint32(rng.IntN(900))
		}
		return idHash("s", strconv.Itoa(rng.IntN(30_000))), uint32(rng.IntN(3))
	}
	run := func(name, base string, n, memMax, maxSegs int) (wantSegs bool) {
		t.Helper()
		d, err := openDedupe(base, filepath.Join(dir, name+"-staging"))
		if err != nil {
			t.Fatal(err)
		}
		defer d.close()
		d.memMax, d.maxSegs = memMax, maxSegs
		counts := map[AddResult]int{}
		for i := range n {
			id, detail := pick()
			want := ref.add(id, detail)
			got, err := d.add(id, detail)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Fatalf("%s: add %d (%x, %d) = %v, want %v", name, i, id, detail, got, want)
			}
			counts[got]++
			if len(d.segments()) > maxSegs {
				t.Fatalf("%s: %d segments, at most %d wanted", name, len(d.segments()), maxSegs)
			}
		}
		for _, r := range []AddResult{Added, Duplicate, Collision} {
			if counts[r] == 0 {
				t.Errorf("%s: no %v among %d adds: the test does not exercise it", name, r, n)
			}
		}
		if err := d.commit(filepath.Join(dir, name+".idx")); err != nil {
			t.Fatal(err)
		}
		return len(d.segments()) > 0
	}
	if !run("first", "", 40_000, 1_000, 3) {
		t.Fatal("the first run wrote no segment")
	}
	run("second", filepath.Join(dir, "first.idx"), 40_000, 1_000_000, 8)

	// The file holds exactly the reference's pairs, sorted.
	x, v1, err := openIndexFile(filepath.Join(dir, "second.idx"))
	if err != nil || v1 {
		t.Fatalf("open: %v (v1 %v)", err, v1)
	}
	b := newBloom(1)
	if err := x.scan(&b); err != nil {
		t.Fatal(err)
	}
	x.f.Close()
	n := 0
	for _, ds := range ref {
		n += len(ds)
	}
	if x.n != int64(n) {
		t.Fatalf("index holds %d pairs, want %d", x.n, n)
	}

	// An index of the old format (unsorted) is read, and the next commit
	// writes the sorted one.
	old := filepath.Join(dir, "old.idx")
	var buf bytes.Buffer
	buf.WriteString(indexMagicV1)
	binary.Write(&buf, binary.LittleEndian, uint64(n))
	for id, ds := range ref { // map order: unsorted
		for d := range ds {
			binary.Write(&buf, binary.LittleEndian, id)
			binary.Write(&buf, binary.LittleEndian, d)
		}
	}
	if err := os.WriteFile(old, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	run("after-v1", old, 20_000, 500, 2)
	if _, v1, err := openIndexFile(filepath.Join(dir, "after-v1.idx")); err != nil || v1 {
		t.Fatalf("index after an old one: %v (v1 %v)", err, v1)
	}
}

// TestDedupeBadFiles: a cut, unsorted or foreign index file is refused
// when a run opens it, not half read.
func TestDedupeBadFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := func(ps ...pair) []byte {
		var buf bytes.Buffer
		buf.WriteString(indexMagic)
		binary.Write(&buf, binary.LittleEndian, uint64(len(ps)))
		for _, p := range ps {
			binary.Write(&buf, binary.LittleEndian, p.id)
			binary.Write(&buf, binary.LittleEndian, p.detail)
		}
		return buf.Bytes()
	}
	ok := good(pair{1, 1}, pair{1, 2}, pair{5, 0})
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"cut", ok[:len(ok)-5]},
		{"unsorted", good(pair{5, 0}, pair{1, 1})},
		{"repeated pair", good(pair{1, 1}, pair{1, 1})},
		{"foreign", append([]byte("PAR1\x00\x00\x00\x00"), ok[8:]...)},
		{"empty", nil},
		{"huge count", append([]byte(indexMagic), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, tc.name+".idx")
			if err := os.WriteFile(p, tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			if d, err := openDedupe(p, filepath.Join(dir, "staging")); err == nil {
				d.close()
				t.Fatal("opened")
			}
		})
	}
	p := filepath.Join(dir, "ok.idx")
	if err := os.WriteFile(p, ok, 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := openDedupe(p, filepath.Join(dir, "staging"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.close()
	for _, tc := range []struct {
		p    pair
		want AddResult
	}{{pair{1, 2}, Duplicate}, {pair{5, 0}, Duplicate}, {pair{1, 3}, Collision}, {pair{4, 0}, Added}, {pair{4, 0}, Duplicate}} {
		if got, err := d.add(tc.p.id, tc.p.detail); err != nil || got != tc.want {
			t.Errorf("add %v = %v %v, want %v", tc.p, got, err, tc.want)
		}
	}
}

// BenchmarkDedupe adds new pairs to a case whose index holds 10M pairs,
// then adds them again (all duplicates, the case of a re-import), and
// reports the heap the index holds.
func BenchmarkDedupe(b *testing.B) {
	dir := b.TempDir()
	const n = 10_000_000
	ps := make([]pair, n)
	for i := range ps {
		ps[i] = pair{idHash("bench", strconv.Itoa(i)), uint32(i)}
	}
	base := filepath.Join(dir, "base.idx")
	ps2 := append([]pair(nil), ps...)
	slices.SortFunc(ps2, comparePairs)
	f, err := writeIndexFile(base, false, pairSource(ps2))
	if err != nil {
		b.Fatal(err)
	}
	f.f.Close()
	ps2 = nil
	for _, tc := range []struct {
		name string
		off  int
	}{{"new", n}, {"duplicate", 0}} {
		b.Run(tc.name, func(b *testing.B) {
			d, err := openDedupe(base, filepath.Join(dir, "staging"))
			if err != nil {
				b.Fatal(err)
			}
			defer d.close()
			i := 0
			for b.Loop() {
				id := idHash("bench", strconv.Itoa(tc.off+i%n))
				if _, err := d.add(id, uint32(tc.off+i%n)); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(len(d.bloom.blocks)*64+len(d.files[0].fence)*8)/(1<<20), "filter+fence-MB")
		})
	}
}

// FuzzDedupeFile: whatever an index file holds (case directories travel
// between investigators), opening it never panics, and an index that opens
// answers lookups consistently: a pair added is a duplicate after.
func FuzzDedupeFile(f *testing.F) {
	var buf bytes.Buffer
	buf.WriteString(indexMagic)
	binary.Write(&buf, binary.LittleEndian, uint64(3))
	for _, p := range []pair{{1, 1}, {1, 2}, {9, 0}} {
		binary.Write(&buf, binary.LittleEndian, p.id)
		binary.Write(&buf, binary.LittleEndian, p.detail)
	}
	f.Add(buf.Bytes(), uint64(1), uint32(3))
	v1 := bytes.Clone(buf.Bytes())
	copy(v1, indexMagicV1)
	f.Add(v1, uint64(9), uint32(0))
	f.Add([]byte(indexMagic), uint64(0), uint32(0))
	f.Fuzz(func(t *testing.T, data []byte, id uint64, detail uint32) {
		dir := t.TempDir()
		p := filepath.Join(dir, "x.idx")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		d, err := openDedupe(p, filepath.Join(dir, "staging"))
		if err != nil {
			return
		}
		defer d.close()
		if id == 0 {
			id = 1 // idHash never returns 0
		}
		first, err := d.add(id, detail)
		if err != nil {
			t.Fatal(err)
		}
		if again, err := d.add(id, detail); err != nil || again != Duplicate {
			t.Fatalf("add after %v = %v %v, want a duplicate", first, again, err)
		}
		if err := d.commit(filepath.Join(dir, "next.idx")); err != nil {
			t.Fatal(err)
		}
	})
}
