package importers

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/causeway-ir/causeway/timeline"
)

func TestStreamCSV(t *testing.T) {
	t.Parallel()
	in := "\xef\xbb\xbf#TYPE Foo\r\n\"A\",\"B\"\r\n\"1\",\"x,\"\"y\"\"\"\r\n\r\n2,\"multi\nline\"\r\n"
	type row struct {
		A, B, Raw string
		Off       int64
	}
	var got []row
	rec := &recorder{}
	err := streamCSV(t.Context(), strings.NewReader(in), "test", timeline.Source{File: "f"}, rec, func(r *csvRow) error {
		got = append(got, row{r.get("A"), r.get("B"), string(r.raw), r.offset})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []row{
		{"1", `x,"y"`, `"1","x,""y"""`, int64(strings.Index(in, `"1"`))},
		{"2", "multi\nline", "2,\"multi\nline\"", int64(strings.Index(in, "2,"))},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}
