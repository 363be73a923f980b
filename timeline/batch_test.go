package timeline

import (
	"bytes"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// batchView is what a batch holds, whatever its chunks: each event with its
// hashes, source and time.
type batchView struct {
	Row                  row
	ID                   uint64
	Detail, Source       uint32
	Time                 int64
	SourceName, Overflow string
}

func viewBatch(t *testing.T, b *Batch) []batchView {
	t.Helper()
	var v []batchView
	for _, r := range b.recs {
		var x batchView
		rec := b.chunks[r.chunk][r.off : r.off+r.n]
		if n, err := decodeRow(rec, &x.Row); err != nil || n != len(rec) {
			t.Fatalf("record %+v: %d bytes of %d decoded, %v", r, n, len(rec), err)
		}
		x.ID, x.Detail, x.Source, x.Time, x.SourceName = r.id, r.detail, r.source, r.time, b.sources[r.source]
		v = append(v, x)
	}
	return v
}

// TestBatchBinary: a batch read back from AppendBinary's form holds the
// same events, for empty batches, batches of several sources and batches
// whose events fill several chunks.
func TestBatchBinary(t *testing.T) {
	for _, tc := range []struct {
		name string
		n    int
		raw  int // bytes of padding in each raw record
	}{
		{"empty", 0, 0},
		{"one", 1, 0},
		{"several sources", 300, 0},
		{"several chunks", 300, 3000},
		{"events bigger than a chunk", 3, chunkSize + 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b Batch
			for i := range tc.n {
				source := "m365.ual"
				if i%3 == 1 {
					source = "entra.signin"
				}
				e := testEvent(i, source)
				e.Raw += strings.Repeat(" ", tc.raw)
				if err := b.Add(&e); err != nil {
					t.Fatal(err)
				}
			}
			if tc.raw >= chunkSize/100 && len(b.chunks) < 2 {
				t.Fatalf("%d events of %d bytes in %d chunk(s), want several", tc.n, tc.raw, len(b.chunks))
			}
			enc, err := b.AppendBinary([]byte("prefix"))
			if err != nil {
				t.Fatal(err)
			}
			var back Batch
			back.sources = []string{"left over"}
			if err := back.UnmarshalBinary(enc[len("prefix"):]); err != nil {
				t.Fatalf("%d events: %v", tc.n, err)
			}
			if diff := cmp.Diff(viewBatch(t, &b), viewBatch(t, &back), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%d events: batch differs after a round trip (-want +got):\n%s", tc.n, diff)
			}
			if b.Size() != back.Size() || b.Len() != back.Len() {
				t.Errorf("size %d, len %d after a round trip; want %d, %d", back.Size(), back.Len(), b.Size(), b.Len())
			}
			again, _ := back.AppendBinary(nil)
			if !bytes.Equal(again, enc[len("prefix"):]) {
				t.Errorf("the batch read back encodes differently")
			}
			if tc.raw > chunkSize/2 {
				return // every cut below would copy a megabyte
			}
			// Every copy cut short is an error: the counts come first and the
			// last record ends where the data does.
			for cut := range len(enc) - len("prefix") {
				var x Batch
				if err := x.UnmarshalBinary(enc[len("prefix") : len("prefix")+cut]); !errors.Is(err, errBadBatch) {
					t.Fatalf("%d events: a copy cut at %d of %d bytes: err = %v", tc.n, cut, len(enc)-len("prefix"), err)
				}
			}
		})
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
			if int(r.chunk) >= len(x.chunks) || int(r.off)+int(r.n) > len(x.chunks[r.chunk]) || int(r.source) >= len(x.sources) {
				t.Fatalf("record %+v out of bounds", r)
			}
		}
	})
}

// TestAddBatchChunks: events added in batches are stored as the same events
// added one by one, whether a batch's chunk is handed to its partition
// whole (all new, one partition) or copied (a day ends in it, duplicates,
// id collisions, another source, too little in it); and a chunk handed over
// is replaced in the batch, never written again by it.
func TestAddBatchChunks(t *testing.T) {
	t.Parallel()
	day0 := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	event := func(i int, source string, at time.Duration) Event {
		return Event{ID: "e" + strconv.Itoa(i), Source: source, Time: day0.Add(at), Action: "a" + strconv.Itoa(i%5),
			Raw: strconv.Itoa(i) + strings.Repeat("r", 1500), Category: CategoryOther, Outcome: OutcomeUnknown}
	}
	const n = 2000 // about twelve chunks
	for _, tc := range []struct {
		name  string
		event func(i int) Event
		// again re-adds events already added (duplicates and, with
		// another detail, collisions).
		again     func(i int) (Event, bool)
		wantWhole bool // some chunk is handed over whole
	}{
		{"one partition", func(i int) Event { return event(i, "s", time.Duration(i)*time.Second) }, nil, true},
		{"days end within chunks", func(i int) Event { return event(i, "s", time.Duration(i)*97*time.Second) }, nil, true},
		{"every day its own", func(i int) Event { return event(i, "s", time.Duration(i)*24*time.Hour) }, nil, false},
		{"two sources", func(i int) Event { return event(i, []string{"s", "t"}[i%2], time.Duration(i)*time.Second) }, nil, false},
		{"duplicates and collisions", func(i int) Event { return event(i, "s", time.Duration(i)*time.Second) },
			func(i int) (Event, bool) {
				e := event(i, "s", time.Duration(i)*time.Second)
				if i%7 == 0 {
					e.Action = "other" // same id, other detail: a collision
				}
				return e, i%3 == 0
			}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var evs []Event
			for i := range n {
				evs = append(evs, tc.event(i))
			}
			if tc.again != nil {
				for i := range n {
					if e, ok := tc.again(i); ok {
						evs = append(evs, e)
					}
				}
			}
			one, many := newCase(t), newCase(t)
			added, dups, colls := importEvents(t, one, evs, RunOptions{})
			r, err := many.BeginRun(RunOptions{Now: fixedNow})
			if err != nil {
				t.Fatal(err)
			}
			var b Batch
			var got [3]int
			whole := false
			flush := func() {
				before := slices.Clone(b.chunks)
				res, err := r.AddBatch(&b, nil)
				if err != nil {
					t.Fatal(err)
				}
				for i, c := range before {
					if cap(c) > 0 && (cap(b.chunks[i]) == 0 || &c[:1][0] != &b.chunks[i][:1][0]) {
						whole = true
						if len(b.chunks[i]) != 0 {
							t.Fatalf("chunk %d handed over, replaced by one holding %d bytes", i, len(b.chunks[i]))
						}
					}
				}
				for _, x := range res {
					got[x]++
				}
				b.Reset()
			}
			for i := range evs {
				if err := b.Add(&evs[i]); err != nil {
					t.Fatal(err)
				}
				if b.Len() == 256 {
					flush()
				}
			}
			flush()
			if _, err := r.Commit(); err != nil {
				t.Fatal(err)
			}
			if want := [3]int{Added: added, Duplicate: dups, Collision: colls}; got != want {
				t.Errorf("added, duplicates, collisions: %v, want %v", got, want)
			}
			if whole != tc.wantWhole {
				t.Errorf("a chunk handed over whole: %v, want %v", whole, tc.wantWhole)
			}
			read := func(c *Case) []Event {
				var out []Event
				if err := c.Scan(t.Context(), Query{Raw: true}, func(e *Event) error {
					out = append(out, *e)
					return nil
				}); err != nil {
					t.Fatal(err)
				}
				return out
			}
			if diff := cmp.Diff(read(one), read(many)); diff != "" {
				t.Errorf("events added in batches differ from those added one by one (-one +batches):\n%s", diff)
			}
		})
	}
}
