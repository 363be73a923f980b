package timeline

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestBatchBinary: a batch read back from AppendBinary's form is the same
// batch, for empty batches and batches of several sources.
func TestBatchBinary(t *testing.T) {
	for _, n := range []int{0, 1, 300} {
		var b Batch
		for i := range n {
			source := "m365.ual"
			if i%3 == 1 {
				source = "entra.signin"
			}
			e := testEvent(i, source)
			if err := b.Add(&e); err != nil {
				t.Fatal(err)
			}
		}
		enc, err := b.AppendBinary([]byte("prefix"))
		if err != nil {
			t.Fatal(err)
		}
		var back Batch
		back.sources = []string{"left over"}
		if err := back.UnmarshalBinary(enc[len("prefix"):]); err != nil {
			t.Fatalf("%d events: %v", n, err)
		}
		if diff := cmp.Diff(b, back, cmp.AllowUnexported(Batch{}, batchRec{}), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%d events: batch differs after a round trip (-want +got):\n%s", n, diff)
		}
		// Every copy cut short is an error: the counts come first and the
		// last record ends where the data does.
		for cut := range len(enc) - len("prefix") {
			var x Batch
			if err := x.UnmarshalBinary(enc[len("prefix") : len("prefix")+cut]); !errors.Is(err, errBadBatch) {
				t.Fatalf("%d events: a copy cut at %d of %d bytes: err = %v", n, cut, len(enc)-len("prefix"), err)
			}
		}
	}
}

// FuzzBatchUnmarshal: any bytes are an error or a batch whose every record
// lies within its data and names a source; never a panic.
func FuzzBatchUnmarshal(f *testing.F) {
	var b Batch
	for i := range 3 {
		e := testEvent(i, "okta")
		b.Add(&e)
	}
	enc, _ := b.AppendBinary(nil)
	f.Add(enc)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		var x Batch
		if x.UnmarshalBinary(data) != nil {
			return
		}
		for _, r := range x.recs {
			if int(r.off)+int(r.n) > len(x.data) || int(r.source) >= len(x.sources) {
				t.Fatalf("record %+v out of bounds", r)
			}
		}
	})
}
