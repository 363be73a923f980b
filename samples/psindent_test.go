package samples

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"strings"
	"testing"
)

// psRecords returns the records of the committed PowerShell exports of
// storm-0558 (sign-ins and directory audit), compact, with the indented
// text of each as the files hold it (the array's first four spaces
// included).
func psRecords(tb testing.TB) (compact, indented [][]byte) {
	tb.Helper()
	fsys := Embedded()
	err := fs.WalkDir(fsys, "storm-0558", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.Contains(path, "/EntraID/") || !strings.HasSuffix(path, ".json") {
			return err
		}
		b, err := fs.ReadFile(fsys, path)
		if err != nil {
			return err
		}
		b = bytes.TrimPrefix(b, []byte("\ufeff[\n"))
		b = bytes.TrimSuffix(b, []byte("\n]\n"))
		var recs []json.RawMessage
		if err := json.Unmarshal(append(append([]byte("["), b...), ']'), &recs); err != nil {
			return err
		}
		// Records are separated by ",\n" and start with four spaces.
		parts := bytes.Split(b, []byte(",\n    {"))
		if len(parts) != len(recs) {
			tb.Fatalf("%s: %d records, %d parts", path, len(recs), len(parts))
		}
		for i, r := range recs {
			var c bytes.Buffer
			if err := json.Compact(&c, r); err != nil {
				return err
			}
			p := parts[i]
			if i > 0 {
				p = append([]byte("    {"), p...)
			}
			compact = append(compact, c.Bytes())
			indented = append(indented, p)
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	if len(compact) < 100 {
		tb.Fatalf("only %d PowerShell records in the committed copies", len(compact))
	}
	return compact, indented
}

// TestPSIndentCommitted indents every record of the committed PowerShell
// exports from its compact form and compares it with the file's text.
func TestPSIndentCommitted(t *testing.T) {
	t.Parallel()
	compact, indented := psRecords(t)
	for i, c := range compact {
		if got := psIndent([]byte("    "), c, 4); !bytes.Equal(got, indented[i]) {
			t.Fatalf("record %d:\ngot\n%s\nwant\n%s", i, got, indented[i])
		}
	}
}

func BenchmarkPSIndent(b *testing.B) {
	compact, _ := psRecords(b)
	var n int64
	for _, c := range compact {
		n += int64(len(c))
	}
	b.SetBytes(n)
	dst := make([]byte, 0, 64<<10)
	for b.Loop() {
		for _, c := range compact {
			dst = psIndent(append(dst[:0], "    "...), c, 4)
		}
	}
}
