package timeline

import (
	"fmt"
	"testing"
)

// TestStrTableCode checks that a coded plain column's table gives every
// value the code the scan's coding has for it, from views of a buffer that
// is overwritten after each lookup (as a page is), whether the row group's
// values repeat (the table answers) or not (the coding does, directly).
func TestStrTableCode(t *testing.T) {
	cd := newCodings([]string{"token_id"})["token_id"]
	tab := &strTable{seed: cd.seed}
	lookup := func(v string) int32 {
		page := []byte(v)
		codes := tab.codeAll(nil, page, []uint32{0, uint32(len(page))}, cd)
		clear(page) // the page is reused
		return codes[0]
	}
	codes := map[string]int32{}
	check := func(v string, c int32) {
		t.Helper()
		if want, ok := codes[v]; ok && c != want {
			t.Fatalf("%q: code %d, earlier %d", v, c, want)
		}
		codes[v] = c
		if vals, _ := cd.snapshot(); vals.At(c) != v {
			t.Fatalf("%q: code %d is %q in the coding", v, c, vals.At(c))
		}
	}
	for _, tc := range []struct {
		name     string
		distinct int // values 0..distinct-1, each read repeat times
		repeat   int
		direct   bool
	}{
		{"unique", 3000, 1, true},
		{"repeated", 300, 10, false},
		{"unique again", 5000, 1, true},
	} {
		tab.reset()
		for range tc.repeat {
			for i := range tc.distinct {
				v := fmt.Sprintf("token-%05d-%s", i, tc.name[:1])
				check(v, lookup(v))
			}
		}
		if tab.direct != tc.direct {
			t.Errorf("%s: direct %v, want %v (%d hits in %d finds)", tc.name, tab.direct, tc.direct, tab.hits, tab.finds)
		}
	}
	// Values seen in a row group before are found again in another.
	tab.reset()
	for _, v := range []string{"token-00007-u", "token-00299-r", "token-04999-u"} {
		check(v, lookup(v))
	}
	// A page of several values, repeats and empty ones among them, in
	// either mode.
	for _, direct := range []bool{false, true} {
		tab.reset()
		tab.direct = direct
		vals := []string{"new-a", "", "token-00007-u", "new-a", "new-b", "", "new-b", "token-00299-r"}
		var page []byte
		offs := []uint32{0}
		for _, v := range vals {
			page = append(page, v...)
			offs = append(offs, uint32(len(page)))
		}
		codes := tab.codeAll([]int32{-7}, page, offs, cd)
		clear(page)
		if len(codes) != 1+len(vals) || codes[0] != -7 {
			t.Fatalf("direct %v: codeAll appended %d codes to [-7]: %v", direct, len(codes)-1, codes)
		}
		for i, v := range vals {
			if v == "" {
				if codes[1+i] != 0 {
					t.Errorf("direct %v: value %d is empty, code %d", direct, i, codes[1+i])
				}
				continue
			}
			check(v, codes[1+i])
		}
	}
}
