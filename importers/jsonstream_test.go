package importers

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func scanAll(t *testing.T, in string, envelopes ...string) (recs []string, bad []string) {
	t.Helper()
	s := newJSONScanner(strings.NewReader(in), envelopes)
	for range 10000 {
		rec, err := s.next()
		if err == io.EOF {
			return recs, bad
		}
		if err != nil {
			t.Fatalf("next: %v", err)
		}
		if rec.Err != nil {
			bad = append(bad, string(rec.Data))
			continue
		}
		recs = append(recs, string(rec.Data))
	}
	t.Fatal("scanner does not end")
	return nil, nil
}

func TestJSONScanner(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		in        string
		envelopes []string
		want      []string
		wantBad   []string
	}{
		{name: "ndjson", in: "{\"a\":1}\n{\"b\":\"x}\"}\n", want: []string{`{"a":1}`, `{"b":"x}"}`}},
		{name: "array with bom", in: "\xef\xbb\xbf[\n {\"a\": [1,2]},\n {\"b\":{}}\n]", want: []string{`{"a": [1,2]}`, `{"b":{}}`}},
		{name: "envelope", in: `{"x":{"y":1},"Records":[{"a":1},{"b":2}],"z":[3]}`, envelopes: []string{"Records"}, want: []string{`{"a":1}`, `{"b":2}`}},
		{name: "envelope ndjson", in: "{\"records\":[{\"a\":1}]}\n{\"records\":[{\"b\":2}]}\n", envelopes: []string{"records"}, want: []string{`{"a":1}`, `{"b":2}`}},
		{name: "not an envelope", in: `{"Records":5,"a":1}`, envelopes: []string{"Records"}, want: []string{`{"Records":5,"a":1}`}},
		{name: "dotted envelope", in: `{"eventType":"x","data":{"events":[{"a":1}]}}`, envelopes: []string{"data.events"}, want: []string{`{"a":1}`}},
		{name: "dotted not envelope", in: `{"data":{"other":[1]},"k":"v"}`, envelopes: []string{"data.events"}, want: []string{`{"data":{"other":[1]},"k":"v"}`}},
		{name: "escaped quotes", in: `{"a":"\"}\\"}`, want: []string{`{"a":"\"}\\"}`}},
		{name: "garbage line", in: "{\"a\":1}\nnot json\n{\"b\":2}\n", want: []string{`{"a":1}`, `{"b":2}`}, wantBad: []string{"not json\n"}},
		{name: "truncated", in: "{\"a\":1}\n{\"b\":", want: []string{`{"a":1}`}, wantBad: []string{`{"b":`}},
		{name: "scalar", in: "{\"a\":1}\n42\n", want: []string{`{"a":1}`}, wantBad: []string{"42\n"}},
		{name: "empty", in: "", want: nil},
		{name: "empty array", in: " [ ] ", want: nil},
		{name: "deep", in: strings.Repeat("[", 1) + strings.Repeat(`{"a":`, 5000) + "1" + strings.Repeat("}", 5000) + "]", want: []string{strings.Repeat(`{"a":`, 5000) + "1" + strings.Repeat("}", 5000)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, bad := scanAll(t, tc.in, tc.envelopes...)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantBad, bad); diff != "" {
				t.Errorf("rejects (-want +got):\n%s", diff)
			}
		})
	}
}

// TestJSONScannerSmallReads checks that records spanning many buffer
// refills come out whole.
func TestJSONScannerSmallReads(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString(`{"Records":[`)
	for i := range 20000 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"eventID":"` + strings.Repeat("x", i%300) + `"}`)
	}
	b.WriteString(`]}`)
	s := newJSONScanner(io.MultiReader(oneByteReader{strings.NewReader(b.String()[:1000])}, strings.NewReader(b.String()[1000:])), []string{"Records"})
	n := 0
	for {
		rec, err := s.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil || rec.Err != nil {
			t.Fatalf("record %d: %v %v", n, err, rec.Err)
		}
		if want := `{"eventID":"` + strings.Repeat("x", n%300) + `"}`; string(rec.Data) != want {
			t.Fatalf("record %d = %q", n, rec.Data)
		}
		n++
	}
	if n != 20000 {
		t.Fatalf("got %d records, want 20000", n)
	}
}

type oneByteReader struct{ r io.Reader }

func (o oneByteReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	return o.r.Read(p[:1])
}
