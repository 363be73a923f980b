package importers

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	json "github.com/goccy/go-json"

	"github.com/causeway-ir/causeway/timeline"
)

// Shared decoding for every importer: record errors, timestamps, lenient
// JSON scalars, join-key normalization and content sniffing. Provider files
// only map fields (style.md, anti-pattern 5).

// recordError marks an error about one record: the import rejects that
// record and goes on. Any other error from a record callback stops the file.
type recordError struct{ err error }

func (e *recordError) Error() string { return e.err.Error() }
func (e *recordError) Unwrap() error { return e.err }

// rejectf returns a recordError with a formatted message.
func rejectf(format string, a ...any) error {
	return &recordError{fmt.Errorf(format, a...)}
}

// rejectErr wraps err as a recordError.
func rejectErr(err error) error { return &recordError{err} }

// maxRejectRaw bounds the raw bytes kept with one rejected record.
const maxRejectRaw = 1 << 20

// parseError builds the ParseError for a rejected record, copying its bytes.
func parseError(name string, src timeline.Source, off int64, err error, raw []byte) *timeline.ParseError {
	if len(raw) > maxRejectRaw {
		raw = raw[:maxRejectRaw]
		err = fmt.Errorf("%w (raw bytes cut at %d)", err, maxRejectRaw)
	}
	return &timeline.ParseError{Importer: name, File: src.File, Offset: src.Base + off, Err: err, Raw: bytes.Clone(raw)}
}

// newEvent starts an event with the provenance every importer sets.
func newEvent(name, shape string, src timeline.Source, off int64, raw []byte) timeline.Event {
	return newEventString(name, shape, src, off, string(raw))
}

// newEventString is newEvent for a record whose bytes are already a string
// (an importer that keeps substrings of it as values).
func newEventString(name, shape string, src timeline.Source, off int64, raw string) timeline.Event {
	return timeline.Event{
		Source:     name,
		Shape:      shape,
		File:       src.File,
		FileSHA256: src.SHA256,
		Offset:     src.Base + off,
		Raw:        raw,
		Outcome:    timeline.OutcomeUnknown,
		Category:   timeline.CategoryOther,
	}
}

// finish fills the id fallback and checks the event before it is emitted.
func finish(e *timeline.Event) error {
	if e.ID == "" {
		e.ID = timeline.FallbackID(e.FileSHA256, e.Offset)
	}
	if err := e.Validate(); err != nil {
		return rejectErr(err)
	}
	return nil
}

// errNoTime is the reason for a record with no usable event time.
var errNoTime = errors.New("no event time")

// parseTime reads every timestamp spelling of formats.md §0.4 and returns
// the instant in UTC:
//   - RFC 3339 / ISO 8601 with 0–9 fraction digits, "Z", ±hh:mm, ±hhmm or no
//     zone (no zone means UTC: UAL CreationTime), "T" or a space between;
//   - basic ISO 20131102T010628Z;
//   - US culture M/d/yyyy h:mm:ss [AM|PM] [±hh:mm];
//   - "Oct 2, 2019 11:12:29 PM" (AWS STS expiration);
//   - epoch seconds, milliseconds, microseconds or nanoseconds as digits.
func parseTime(s string) (time.Time, error) {
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
	// A layout that starts with a digit cannot match a string that starts
	// with a letter, nor the other way round: skip those (a failed
	// time.Parse costs an error value; STS expirations came 8th).
	digit := isDigit(s[0])
	for _, layout := range otherLayouts {
		if isDigit(layout[0]) != digit {
			continue
		}
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("unrecognized time %q", truncate(s, 64))
}

var otherLayouts = []string{
	"1/2/2006 3:04:05 PM -07:00",
	"1/2/2006 3:04:05 PM",
	"1/2/2006, 3:04:05 PM", // Log Analytics "Export to CSV" (fraction accepted by Parse)
	"1/2/2006 15:04:05 -07:00",
	"1/2/2006 15:04:05",
	"1/2/2006 3:04 PM",
	"1/2/2006 15:04",
	"Jan 2, 2006 3:04:05 PM",
	"Jan 2, 2006, 3:04:05 PM",
	"20060102T150405Z",
	"20060102T150405-0700",
	time.RFC1123Z,
	time.RFC1123,
	"Mon Jan 2 15:04:05 MST 2006",
}

// parseISO is a fast path for yyyy-mm-dd[T ]hh:mm[:ss[.f]][zone].
func parseISO(s string) (time.Time, bool) {
	if len(s) < 16 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ' && s[10] != 't') || s[13] != ':' {
		return time.Time{}, false
	}
	num := func(a, b int) (int, bool) {
		n := 0
		for i := a; i < b; i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	year, ok1 := num(0, 4)
	month, ok2 := num(5, 7)
	day, ok3 := num(8, 10)
	hour, ok4 := num(11, 13)
	minute, ok5 := num(14, 16)
	if !(ok1 && ok2 && ok3 && ok4 && ok5) {
		return time.Time{}, false
	}
	i := 16
	sec, nsec := 0, 0
	if i < len(s) && s[i] == ':' {
		if len(s) < i+3 {
			return time.Time{}, false
		}
		var ok bool
		if sec, ok = num(i+1, i+3); !ok {
			return time.Time{}, false
		}
		i += 3
		if i < len(s) && (s[i] == '.' || s[i] == ',') {
			i++
			digits := 0
			for i < len(s) && s[i] >= '0' && s[i] <= '9' {
				if digits < 9 {
					nsec = nsec*10 + int(s[i]-'0')
					digits++
				}
				i++
			}
			if digits == 0 {
				return time.Time{}, false
			}
			for ; digits < 9; digits++ {
				nsec *= 10
			}
		}
	}
	if month < 1 || month > 12 || day < 1 || day > 31 || hour > 24 || minute > 59 || sec > 60 {
		return time.Time{}, false
	}
	offset := 0
	rest := strings.TrimSpace(s[i:])
	switch {
	case rest == "" || rest == "Z" || rest == "z" || rest == "UTC" || rest == "GMT":
	case rest[0] == '+' || rest[0] == '-':
		sign := 1
		if rest[0] == '-' {
			sign = -1
		}
		z := strings.ReplaceAll(rest[1:], ":", "")
		if len(z) != 4 && len(z) != 2 || !isDigits(z) {
			return time.Time{}, false
		}
		h, _ := strconv.Atoi(z[:2])
		m := 0
		if len(z) == 4 {
			m, _ = strconv.Atoi(z[2:])
		}
		if h > 23 || m > 59 {
			return time.Time{}, false
		}
		offset = sign * (h*3600 + m*60)
	default:
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	if t.Day() != day && hour < 24 && sec < 60 {
		return time.Time{}, false // 31 February and the like
	}
	return t.Add(-time.Duration(offset) * time.Second), true
}

// parseEpoch reads digits as epoch seconds, ms, µs or ns by their count.
func parseEpoch(s string) (time.Time, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("unrecognized time %q", truncate(s, 64))
	}
	switch {
	case len(s) <= 11:
		return time.Unix(n, 0).UTC(), nil
	case len(s) <= 14:
		return time.UnixMilli(n).UTC(), nil
	case len(s) <= 17:
		return time.UnixMicro(n).UTC(), nil
	default:
		return time.Unix(0, n).UTC(), nil
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// flexString decodes a JSON string, number, boolean or null as text: logs
// give `"Level":"4"` and `"Level":4` for the same field (formats.md §0.2).
type flexString string

// UnmarshalJSON implements json.Unmarshaler.
func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		*f = ""
	case b[0] == '"' && len(b) >= 2 && b[len(b)-1] == '"' && bytes.IndexByte(b, '\\') < 0:
		*f = flexString(b[1 : len(b)-1]) // no escapes: the text is the value
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
	case b[0] == '{' || b[0] == '[':
		*f = flexString(b) // keep structured values as their JSON text
	default:
		*f = flexString(b)
	}
	return nil
}

// flexJSON holds a value that some exports nest as an object and others as
// a JSON string holding that object (sometimes twice: formats.md §0.3).
// Bytes returns the innermost JSON text.
type flexJSON []byte

// UnmarshalJSON implements json.Unmarshaler.
func (f *flexJSON) UnmarshalJSON(b []byte) error {
	*f = append((*f)[:0], b...)
	return nil
}

// Bytes returns the JSON value, decoding string layers that hold JSON.
func (f flexJSON) Bytes() []byte {
	b := bytes.TrimSpace(f)
	for range 3 {
		if len(b) == 0 || b[0] != '"' {
			return b
		}
		var s string
		if json.Unmarshal(b, &s) != nil {
			return b
		}
		inner := bytes.TrimSpace([]byte(s))
		if len(inner) == 0 || (inner[0] != '{' && inner[0] != '[' && inner[0] != '"') {
			return b
		}
		b = inner
	}
	return b
}

// Decode unmarshals the innermost JSON value into v. An empty or null value
// leaves v untouched.
func (f flexJSON) Decode(v any) error {
	b := f.Bytes()
	if len(b) == 0 || string(b) == "null" || string(b) == `""` {
		return nil
	}
	return json.Unmarshal(b, v)
}

// lower lower-cases a join key (GUID, UPN, email) after trimming space.
func lower(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// cleanIP normalizes a client address: it strips ports ("1.2.3.4:5678",
// "[2a01::1]:443"), brackets and zones, and a stray leading "::" on an
// IPv6 address (formats.md §0.7). Text that is no address (a service DNS
// name such as "config.amazonaws.com", "AWS Internal") is kept as it is.
func cleanIP(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if a, err := netip.ParseAddr(s); err == nil && a.Is4() {
		return s // already canonical: netip accepts no other IPv4 spelling
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().String()
	}
	if a, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
		return a.WithZone("").Unmap().String()
	}
	if strings.HasPrefix(s, "::") {
		if a, err := netip.ParseAddr(s[2:]); err == nil {
			return a.String()
		}
	}
	// X-Forwarded-For lists: the first address is the client.
	if first, _, ok := strings.Cut(s, ","); ok {
		if ip := cleanIP(first); ip != strings.TrimSpace(first) || isIP(ip) {
			return ip
		}
	}
	return s
}

func isIP(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}

// stripBOM removes a leading UTF-8 BOM.
func stripBOM(b []byte) []byte { return bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")) }

// headHasAll reports whether head contains every one of the quoted JSON keys.
func headHasAll(head []byte, keys ...string) bool {
	for _, k := range keys {
		if !headHasKey(head, k) {
			return false
		}
	}
	return true
}

// headHasAny reports whether head contains any one of the quoted JSON keys.
func headHasAny(head []byte, keys ...string) bool {
	for _, k := range keys {
		if headHasKey(head, k) {
			return true
		}
	}
	return false
}

// headHasKey reports whether head holds "key" followed by a colon: the key
// of a JSON member, plain or escaped inside a JSON string.
func headHasKey(head []byte, key string) bool {
	// One pass for both spellings, "key": and \"key\": (JSON inside a
	// string): find the key, then look at its neighbours. Sniffing runs
	// for every importer on every file, and most keys are absent. Each
	// spelling's occurrences are taken left to right without overlapping,
	// as a search for the quoted key would.
	found := false
	plain, escaped := 0, 0 // where the next occurrence of each may start
	eachKeyAt(head, key, func(at int) bool {
		end := at + len(key)
		if at >= 1 && at-1 >= plain && head[at-1] == '"' && end < len(head) && head[end] == '"' {
			plain = end + 1
			if colonNext(head[end+1:]) {
				found = true
				return false
			}
		}
		if at >= 2 && at-2 >= escaped && head[at-2] == '\\' && head[at-1] == '"' &&
			end+1 < len(head) && head[end] == '\\' && head[end+1] == '"' {
			escaped = end + 2
			if colonNext(head[end+2:]) {
				found = true
				return false
			}
		}
		return true
	})
	return found
}

// eachKeyAt calls f with every position of key in head, in order, until f
// returns false. It scans for the key's rarest byte in JSON text (see
// byteRank), not its first: keys start with a letter that logs are full
// of, and bytes.Index went back to the key at every one of them.
func eachKeyAt(head []byte, key string, f func(at int) bool) {
	if key == "" {
		return
	}
	j := 0
	for i := 1; i < len(key); i++ {
		if byteRank(key[i]) < byteRank(key[j]) {
			j = i
		}
	}
	c := key[j]
	for from := j; from < len(head); {
		i := bytes.IndexByte(head[from:], c)
		if i < 0 {
			return
		}
		at := from + i - j
		from += i + 1
		if at+len(key) <= len(head) && string(head[at:at+len(key)]) == key && !f(at) {
			return
		}
	}
}

// byteRank orders bytes by how often they occur in JSON logs, rarest
// first: a guess that only makes eachKeyAt faster or slower, never wrong.
func byteRank(c byte) int {
	switch {
	case c >= 'A' && c <= 'Z', strings.IndexByte("qjxzkvwybgf_@$#", c) >= 0:
		return 0
	case c >= 'a' && c <= 'z':
		return 1
	case c == '"' || c == ':' || c == ',' || c == ' ' || c >= '0' && c <= '9':
		return 3
	}
	return 2
}

// colonNext reports whether b starts with a colon after white space.
func colonNext(b []byte) bool {
	t := bytes.TrimLeft(b, " \t\r\n")
	return len(t) > 0 && t[0] == ':'
}

// firstNonSpace returns the first byte of head that is not white space or a
// BOM, or 0.
func firstNonSpace(head []byte) byte {
	head = bytes.TrimLeft(stripBOM(head), " \t\r\n")
	if len(head) == 0 {
		return 0
	}
	return head[0]
}

// jsonMarshalString returns s as a JSON string literal.
func jsonMarshalString(s string) (string, error) {
	b, err := json.Marshal(s)
	return string(b), err
}

// headSize is how many leading bytes of a file (after decompression) Match
// sees.
const headSize = 64 << 10
