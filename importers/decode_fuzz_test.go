package importers

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

// FuzzJSONScanner checks that the record splitter never panics, always
// ends, and cuts every record and every rejected piece out of the input
// exactly where its offset says, in order.
func FuzzJSONScanner(f *testing.F) {
	for _, s := range []string{
		`{"Records":[{"a":1},{"b":"x]"}]}`,
		"\xef\xbb\xbf[{\"a\":1},\n{\"b\":2}]",
		"{\"a\":1}\n{\"b\":\n",
		`{"data":{"events":[{"a":[1,{"b":2}]}]},"eventType":"x"}`,
		"]]}}{{[[\"\\",
		`{"a":"\u00e9\"}"}garbage{"b":1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		s := newJSONScanner(bytes.NewReader(in), []string{"Records", "records", "value", "data.events"})
		last := int64(-1)
		for steps := 0; ; steps++ {
			if steps > len(in)+10 {
				t.Fatalf("scanner does not end on %q", in)
			}
			rec, err := s.next()
			if err == io.EOF {
				return
			}
			if err != nil {
				t.Fatalf("read error from a bytes.Reader: %v", err)
			}
			if rec.Offset < last || rec.Offset < 0 || rec.Offset > int64(len(in)) {
				t.Fatalf("offset %d after %d (input %d bytes)", rec.Offset, last, len(in))
			}
			last = rec.Offset
			if end := rec.Offset + int64(len(rec.Data)); end > int64(len(in)) || !bytes.Equal(in[rec.Offset:end], rec.Data) {
				t.Fatalf("record at %d is not the input's bytes there: %q", rec.Offset, rec.Data)
			}
			if rec.Err == nil && (len(rec.Data) == 0 || rec.Data[0] != '{' || rec.Data[len(rec.Data)-1] != '}') {
				t.Fatalf("record is not an object: %q", rec.Data)
			}
		}
	})
}

// FuzzParseTime checks that no timestamp text panics the parser, that
// every result is UTC, and that RFC 3339 output parses back to itself.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{
		"2007-01-09T09:41:00.6816663Z", "1/9/2007 10:41:00 AM +01:00", "Oct 2, 2019 11:12:29 PM", "20131102T010628Z",
		"2022-02-08 09:23:37+11:00", "1593695305123456", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z", "2023-02-31T00:00:00",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseTime(s)
		// Skipping layouts by the first byte changes no answer: every
		// layout, in order, as before.
		want, werr := parseTimeEveryLayout(s)
		if (err == nil) != (werr == nil) || !got.Equal(want) {
			t.Fatalf("parseTime(%q) = %v, %v; trying every layout gives %v, %v", s, got, err, want, werr)
		}
		if err != nil {
			return
		}
		if got.Location() != time.UTC {
			t.Fatalf("parseTime(%q) not UTC: %v", s, got)
		}
		if got.Year() < 0 || got.Year() > 9999 {
			return // outside RFC 3339's range: nothing to round-trip
		}
		again, err := parseTime(got.Format(time.RFC3339Nano))
		if err != nil || !again.Equal(got) {
			t.Fatalf("round trip of %q: %v -> %v (%v)", s, got, again, err)
		}
	})
}

func TestParseTimeSpellings(t *testing.T) {
	t.Parallel()
	want := time.Date(2007, 1, 9, 9, 41, 0, 0, time.UTC)
	for _, s := range []string{
		"01/09/2007 09:41:00", "1/9/2007 09:41:00", "01/09/2007 09:41:00 AM", "1/9/2007 9:41:00 AM", "1/9/2007 10:41:00 AM +01:00",
		"2007-01-09T09:41:00", "2007-01-09T09:41:00Z", "2007-01-09T11:41:00+02:00", "2007-01-09 04:41:00-05:00", "20070109T094100Z",
		"1168335660", "1168335660000", "1168335660000000", "Jan 9, 2007 9:41:00 AM", "2007-01-09T09:41:00+0000",
	} {
		got, err := parseTime(s)
		if err != nil || !got.Equal(want) {
			t.Errorf("parseTime(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"", "yesterday", "2023-13-01T00:00:00Z", "2023-02-30T00:00:00Z", "99999999999999999999999"} {
		if got, err := parseTime(s); err == nil {
			t.Errorf("parseTime(%q) = %v, want an error", s, got)
		}
	}
}

// headHasKeyTwoPass is headHasKey as first written: two searches, one per
// spelling. The one-pass version must agree with it.
func headHasKeyTwoPass(head []byte, key string) bool {
	for _, q := range [...]string{`"` + key + `"`, `\"` + key + `\"`} {
		rest := head
		for {
			i := bytes.Index(rest, []byte(q))
			if i < 0 {
				break
			}
			rest = rest[i+len(q):]
			t := bytes.TrimLeft(rest, " \t\r\n")
			if len(t) > 0 && t[0] == ':' {
				return true
			}
		}
	}
	return false
}

func FuzzHeadHasKey(f *testing.F) {
	for _, s := range []string{`{"eventTime": 1}`, `{"a":"{\"eventTime\" : 2}"}`, `"eventTime"x"eventTime":`, `\"eventTime":`, `"eventTime\":`, `""eventTime"":`} {
		f.Add([]byte(s), "eventTime")
	}
	f.Fuzz(func(t *testing.T, head []byte, key string) {
		if key == "" {
			return
		}
		if got, want := headHasKey(head, key), headHasKeyTwoPass(head, key); got != want {
			t.Fatalf("headHasKey(%q, %q) = %v, the two-pass search says %v", head, key, got, want)
		}
	})
}

// parseTimeEveryLayout is parseTime as it was before it skipped layouts
// by their first byte.
func parseTimeEveryLayout(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, errNoTime
	}
	if isDigits(s) {
		return parseEpoch(s)
	}
	if t, ok := parseISO(s); ok {
		return t, nil
	}
	for _, layout := range otherLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errors.New("unrecognized time")
}

// FuzzHeadKeyValue: headKeyValue (which scans for the key's rarest byte)
// says what the search by the whole quoted key said before it.
func FuzzHeadKeyValue(f *testing.F) {
	for _, s := range []string{`{"category": "AuditLogs"}`, `{"a":"{\"category\":\"AuditLogs\"}","category" :"SignInLogs"}`,
		`"category"category": "AuditLogs"`, `""category"": "AuditLogs"`, `"category":"AuditLogsX"`, `\"category":"AuditLogs"`} {
		f.Add([]byte(s), "category", "AuditLogs")
	}
	f.Fuzz(func(t *testing.T, head []byte, key, value string) {
		if key == "" {
			return
		}
		if got, want := headKeyValue(head, key, value, "SignInLogs"), headKeyValueOld(head, key, value, "SignInLogs"); got != want {
			t.Fatalf("headKeyValue(%q, %q, %q) = %v, the search by the quoted key says %v", head, key, value, got, want)
		}
	})
}

// headKeyValueOld is headKeyValue as it was before it scanned for the
// key's rarest byte: FuzzHeadKeyValue's oracle.
func headKeyValueOld(head []byte, key string, values ...string) bool {
	q := []byte(`"` + key + `"`)
	rest := head
	for {
		i := bytes.Index(rest, q)
		if i < 0 {
			return false
		}
		if i > 0 && rest[i-1] == '\\' {
			rest = rest[i+len(q):]
			continue
		}
		rest = rest[i+len(q):]
		t := bytes.TrimLeft(rest, " \t\r\n")
		if len(t) == 0 || t[0] != ':' {
			continue
		}
		t = bytes.TrimLeft(t[1:], " \t\r\n")
		if len(t) == 0 || t[0] != '"' {
			continue
		}
		t = t[1:]
		for _, v := range values {
			if bytes.HasPrefix(t, []byte(v)) && len(t) > len(v) && t[len(v)] == '"' {
				return true
			}
		}
	}
}
