package importers

import (
	"reflect"
	"strings"
	"testing"
	"unsafe"
)

// TestRebaseMovesEveryString: the single-pass readers keep values as views
// of the splitter's buffer and move them onto the record's own copy with
// rebase, one line per field. Every string a record struct holds (its
// fields, and those of the structs it holds) is set here to a view of the
// buffer; after rebase none may point into it. A field added to a record
// type without its line in rebase fails this test.
func TestRebaseMovesEveryString(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		rec  any // a pointer to a record struct
	}{
		{"ualRecordOf", new(ualRecordOf[string])},
		{"signInOf", new(signInOf[string])},
	} {
		t.Run(tc.name, func(t *testing.T) {
			old := strings.Repeat("0123456789abcdef", 64)
			raw := strings.Clone(old)
			v := reflect.ValueOf(tc.rec).Elem()
			n := 0
			eachString(v, func(s reflect.Value, path string) {
				// Distinct, non-empty views of old.
				setString(s, old[n%len(old):n%len(old)+1+n%7])
				n++
			})
			if n < 10 {
				t.Fatalf("found %d string fields: the walk is broken", n)
			}
			switch r := tc.rec.(type) {
			case *ualRecordOf[string]:
				r.rebase(old, raw)
			case *signInOf[string]:
				r.rebase(old, raw)
			}
			lo := uintptr(unsafe.Pointer(unsafe.StringData(old)))
			eachString(v, func(s reflect.Value, path string) {
				str := s.String()
				p := uintptr(unsafe.Pointer(unsafe.StringData(str)))
				if str != "" && p >= lo && p < lo+uintptr(len(old)) {
					t.Errorf("%s.%s still points into the splitter's buffer after rebase", tc.name, path)
				}
			})
		})
	}
}

// eachString calls f with every string reachable from v through struct
// fields (not through slices, maps or pointers), and its path.
func eachString(v reflect.Value, f func(reflect.Value, string)) {
	var walk func(v reflect.Value, path string)
	walk = func(v reflect.Value, path string) {
		switch v.Kind() {
		case reflect.String:
			f(v, path)
		case reflect.Struct:
			for i := range v.NumField() {
				walk(v.Field(i), strings.TrimPrefix(path+"."+v.Type().Field(i).Name, "."))
			}
		}
	}
	walk(v, "")
}

// setString sets a string, exported or not (v must be addressable).
func setString(v reflect.Value, s string) {
	reflect.NewAt(v.Type(), unsafe.Pointer(v.UnsafeAddr())).Elem().SetString(s)
}
