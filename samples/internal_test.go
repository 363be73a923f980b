package samples

import (
	"bufio"
	"bytes"
	"cmp"
	"compress/gzip"
	"encoding/base64"
	"encoding/binary"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestUTI checks uniqueTokenIdentifier against the example of formats.md
// §1a: sign-in id da1ddc45-4554-42e1-818a-7ee252f37c00 has
// uniqueTokenIdentifier Rdwd2lRF4UKBin7iUvN8AA.
func TestUTI(t *testing.T) {
	t.Parallel()
	// The bytes of Guid.ToByteArray for that id.
	g := guid{0x45, 0xdc, 0x1d, 0xda, 0x54, 0x45, 0xe1, 0x42, 0x81, 0x8a, 0x7e, 0xe2, 0x52, 0xf3, 0x7c, 0x00}
	if got, want := g.String(), "da1ddc45-4554-42e1-818a-7ee252f37c00"; got != want {
		t.Errorf("String() = %s, want %s", got, want)
	}
	if got, want := g.UTI(), "Rdwd2lRF4UKBin7iUvN8AA"; got != want {
		t.Errorf("UTI() = %s, want %s", got, want)
	}
	// appendUTI's written-out encoding against the standard encoder,
	// behind a prefix, over random ids and the extremes.
	r := rand.New(rand.NewPCG(3, 4))
	ids := []guid{{}, {0: 0xff, 15: 0xff}, g}
	for range 1000 {
		ids = append(ids, newGUID(r))
	}
	ids[1] = guid{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	for _, id := range ids {
		if got, want := string(appendUTI([]byte("x"), id)), "x"+base64.RawURLEncoding.EncodeToString(id[:]); got != want {
			t.Fatalf("appendUTI(%x) = %s, want %s", id[:], got, want)
		}
	}
}

// TestPSIndent checks the PowerShell 5.1 layout against the corpus shape.
func TestPSIndent(t *testing.T) {
	t.Parallel()
	got := string(psIndent([]byte("    "), []byte(`{"a":"x,:{","b":[],"status":{"errorCode":0,"x":null},"t":["m"]}`), 4))
	want := "    {\n" +
		"        \"a\":  \"x,:{\",\n" +
		"        \"b\":  [\n\n              ],\n" +
		"        \"status\":  {\n" +
		"                       \"errorCode\":  0,\n" +
		"                       \"x\":  null\n" +
		"                   },\n" +
		"        \"t\":  [\n" +
		"                  \"m\"\n" +
		"              ]\n" +
		"    }"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// TestTimeSpellings checks the culture dates of the CSV exports.
func TestTimeSpellings(t *testing.T) {
	t.Parallel()
	tm := time.Date(2023, 6, 5, 16, 4, 3, 120000000, time.UTC)
	for _, c := range []struct{ name, got, want string }{
		{"US", string(appendUS(nil, tm)), "6/5/2023 4:04:03 PM"},
		{"GB", string(appendGB(nil, tm)), "05/06/2023 16:04:03"},
		{"ISO7", string(appendISO(nil, tm, 7, "Z")), "2023-06-05T16:04:03.1200000Z"},
		{"UAL", string(appendISO(nil, tm, 0, "")), "2023-06-05T16:04:03"},
		{"local", string(appendLocal(nil, tm, -4)), "2023-06-05T12:04:03.1200000-04:00"},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, c.got, c.want)
		}
	}
}

// discardScale is BenchmarkGenerateDiscard's scale: go test ./samples -run
// '^$' -bench GenerateDiscard -discard-scale 20.
var discardScale = flag.Int("discard-scale", 100, "scale for BenchmarkGenerateDiscard")

// BenchmarkGenerateDiscard measures the generator alone (at scale 100 by
// default):
// records are built and compressed but not written to disk, whose speed
// is the machine's, not ours.
func BenchmarkGenerateDiscard(b *testing.B) {
	for _, sc := range scenarios() {
		b.Run(sc.Name, func(b *testing.B) {
			var events, bytes int64
			var elapsed time.Duration
			cpu0 := cpuTime()
			for b.Loop() {
				start := time.Now()
				st, err := generate(b.Context(), &sc, Options{Scenario: sc.Name, Seed: DefaultSeed, Scale: *discardScale}, &output{discard: true})
				if err != nil {
					b.Fatal(err)
				}
				elapsed += time.Since(start)
				events += st.Events
				bytes += st.Bytes
			}
			b.ReportMetric(float64(events)/elapsed.Seconds(), "events/s")
			b.ReportMetric(float64(bytes)/elapsed.Seconds()/1e6, "MB/s")
			// On a shared machine wall time says little; CPU time per
			// event does: events/cpu-s × cores is the unloaded rate.
			if cpu := cpuTime() - cpu0; cpu > 0 {
				b.ReportMetric(float64(events)/cpu.Seconds(), "events/cpu-s")
			}
		})
	}
}

// TestStoreWriter checks that stored-block gzip inflates to what was
// written with the standard reader: empty, small, and across the 65,535-
// byte block limit, from byte slices and strings.
func TestStoreWriter(t *testing.T) {
	t.Parallel()
	big := make([]byte, 200_000)
	for i := range big {
		big[i] = byte(i * 7)
	}
	for _, c := range []struct {
		name  string
		parts []string
	}{
		{"empty", nil},
		{"small", []string{`{"Records":[`, `{"a":1}`, "]}"}},
		{"exact block", []string{string(big[:maxStored])}},
		{"large", []string{"x", string(big), string(big[:maxStored-1]), "y"}},
		{"many blocks", []string{string(big), string(big), "z", string(big), string(big), string(big)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			bw := bufio.NewWriter(&out)
			s := newStoreWriter(bw)
			var want []byte
			for i, p := range c.parts {
				if i%2 == 0 {
					s.write([]byte(p))
				} else {
					s.writeString(p)
				}
				want = append(want, p...)
			}
			s.close()
			if err := bw.Flush(); err != nil {
				t.Fatal(err)
			}
			zr, err := gzip.NewReader(&out)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(zr)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("inflated %d bytes, wrote %d (equal: false)", len(got), len(want))
			}
		})
	}
}

// TestStoreTook appends records in place (tail, took), in random sizes
// from a few bytes to past two blocks, and checks that the stream
// inflates to them, that every block but the last holds exactly
// maxStored bytes, and that the bytes equal those of one write of the
// whole input (the layout does not depend on how it was cut).
func TestStoreTook(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	for round := range 20 {
		var out bytes.Buffer
		s := newStoreWriter(&out)
		var want []byte
		for range r.IntN(400) {
			n := r.IntN(3000)
			if r.IntN(50) == 0 {
				n = r.IntN(3 * maxStored)
			}
			b := s.tail()
			for range n {
				b = append(b, byte('a'+r.IntN(26)))
			}
			want = append(want, b[len(s.tail()):]...)
			s.took(b)
		}
		if err := s.close(); err != nil {
			t.Fatal(err)
		}
		var one bytes.Buffer
		s1 := newStoreWriter(&one)
		s1.write(want)
		s1.close()
		if !bytes.Equal(out.Bytes(), one.Bytes()) {
			t.Errorf("round %d: %d input bytes: appended in place and written at once differ", round, len(want))
		}
		// Walk the blocks: header, then LEN bytes.
		z := out.Bytes()[len(gzipHeader):]
		var got []byte
		for {
			final, n := z[0]&1 == 1, int(binary.LittleEndian.Uint16(z[1:]))
			if !final && n != maxStored {
				t.Fatalf("round %d: a block of %d bytes before the last", round, n)
			}
			got = append(got, z[5:5+n]...)
			z = z[5+n:]
			if final {
				break
			}
		}
		if len(z) != 8 || !bytes.Equal(got, want) {
			t.Fatalf("round %d: blocks hold %d bytes (want %d), %d bytes after them (want 8)", round, len(got), len(want), len(z))
		}
		zr, err := gzip.NewReader(&out)
		if err != nil {
			t.Fatal(err)
		}
		if inflated, err := io.ReadAll(zr); err != nil || !bytes.Equal(inflated, want) {
			t.Fatalf("round %d: inflate: %v, %d bytes (want %d)", round, err, len(inflated), len(want))
		}
	}
}

// TestExoBuildJSON checks the escaped constant against appendEsc.
func TestExoBuildJSON(t *testing.T) {
	t.Parallel()
	if got := string(appendEsc(nil, exoBuild)); got != exoBuildJSON {
		t.Errorf("appendEsc(exoBuild) = %q, exoBuildJSON = %q", got, exoBuildJSON)
	}
}

// TestStringEnd checks the closing quote past escaped quotes and
// backslashes, and a string cut off.
func TestStringEnd(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		src  string
		want int
	}{
		{`"abc",1`, 4},
		{`"a\"b",1`, 5},
		{`"a\\",1`, 4},
		{`"a\\\"b"`, 7},
		{`""`, 1},
		{`"abc`, 3},
		{`"ab\`, 3},
	} {
		if got := stringEnd([]byte(c.src), 0); got != c.want {
			t.Errorf("stringEnd(%s) = %d, want %d", c.src, got, c.want)
		}
	}
	// The word-at-a-time scan against a byte loop, with quotes and
	// backslashes at every position of strings up to three words long.
	ref := func(src []byte, i int) int {
		for j := i + 1; j < len(src); j++ {
			switch src[j] {
			case '"':
				return j
			case '\\':
				j++
			}
		}
		return len(src) - 1
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		src := make([]byte, 1+r.IntN(30))
		src[0] = '"'
		for k := 1; k < len(src); k++ {
			src[k] = "ab\"\\\x80\xff"[r.IntN(6)]
			if r.IntN(3) != 0 {
				src[k] = 'a'
			}
		}
		if got, want := stringEnd(src, 0), ref(src, 0); got != want {
			t.Fatalf("stringEnd(%q) = %d, want %d", src, got, want)
		}
	}
}

// TestAppendRand checks the table-driven appendRand against the
// per-character modulo it replaced, for every alphabet length in use.
func TestAppendRand(t *testing.T) {
	t.Parallel()
	ref := func(b []byte, r *rand.Rand, alphabet string, n int) []byte {
		m := uint64(len(alphabet))
		for n > 0 {
			x := r.Uint64()
			for k := 0; k < 10 && n > 0; k++ {
				b = append(b, alphabet[(x&63)%m])
				x >>= 6
				n--
			}
		}
		return b
	}
	for _, alphabet := range []string{hexDigits, "0123456789ABCDEF", upperDigits, alnum, b64url, "abcdefghijklmnopqrstuvwxyz0123456789"} {
		for n := range 45 {
			got := appendRand([]byte("x"), rand.New(rand.NewPCG(3, uint64(n))), alphabet, n)
			want := ref([]byte("x"), rand.New(rand.NewPCG(3, uint64(n))), alphabet, n)
			if !bytes.Equal(got, want) {
				t.Fatalf("appendRand(%q, %d) = %q, want %q", alphabet, n, got, want)
			}
		}
	}
}

// TestAppendRandPCG checks that a stretch of a stream skipped with
// skipRand and replayed with appendRandPCG from a copy of the source gives
// the bytes appendRand gives, and that both leave the stream where
// appendRand leaves it (aws-leaked-key's session tokens depend on it).
func TestAppendRandPCG(t *testing.T) {
	t.Parallel()
	for _, alphabet := range []string{b64std, b64url} {
		for n := range 45 {
			for _, n := range []int{n, 600 + n} {
				src := rand.NewPCG(7, uint64(n))
				r := rand.New(src)
				ref := rand.New(rand.NewPCG(7, uint64(n)))
				r.Uint64() // not at the stream's start
				ref.Uint64()
				want := appendRand([]byte("x"), ref, alphabet, n)
				snap := *src
				skipRand(src, n)
				got := appendRandPCG([]byte("x"), &snap, alphabet, n)
				if !bytes.Equal(got, want) {
					t.Fatalf("appendRandPCG(%q, %d) = %q, want %q", alphabet, n, got, want)
				}
				if a, b, c := r.Uint64(), snap.Uint64(), ref.Uint64(); a != c || b != c {
					t.Fatalf("%q, %d: after skipRand the stream draws %d, after appendRandPCG %d, want %d", alphabet, n, a, b, c)
				}
			}
		}
	}
}

// BenchmarkAppendRand draws a 600-character session token (CloudTrail's
// AssumeRole responses and instance credentials) and the 30 hex digits of
// a message id.
func BenchmarkAppendRand(b *testing.B) {
	for _, c := range []struct {
		name     string
		alphabet string
		n        int
	}{{"b64std-600", b64std, 600}, {"hex-30", "0123456789ABCDEF", 30}} {
		b.Run(c.name, func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 2))
			buf := make([]byte, 0, 1024)
			b.SetBytes(int64(c.n))
			for b.Loop() {
				buf = appendRand(buf[:0], r, c.alphabet, c.n)
			}
		})
	}
}

// BenchmarkAppendStr quotes the strings of a sign-in: names, an address,
// a UPN, a user agent, a location, one with an escape.
func BenchmarkAppendStr(b *testing.B) {
	strs := []string{"Robert Hill", "Robert.Hill@litware-house.us", "172.56.213.58", "Outlook Mobile",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/113.0.0.0 Safari/537.36",
		"Mobile Apps and Desktop clients", "Washington", "US", "<id@x>", "success"}
	var n int64
	for _, s := range strs {
		n += int64(len(s))
	}
	b.SetBytes(n)
	buf := make([]byte, 0, 4096)
	for b.Loop() {
		buf = buf[:0]
		for _, s := range strs {
			buf = appendStr(buf, s)
		}
	}
}

// TestAppendEsc checks escaping at every position of the word-at-a-time
// scan, against a byte-by-byte reference.
func TestAppendEsc(t *testing.T) {
	t.Parallel()
	ref := func(s string) string {
		var b []byte
		for i := 0; i < len(s); i++ {
			c := s[i]
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, `\n`...)
			case c == '\r':
				b = append(b, `\r`...)
			case c == '\t':
				b = append(b, `\t`...)
			case c < 0x20 || c == '<' || c == '>' || c == '&':
				b = append(b, fmt.Sprintf(`\u%04x`, c)...)
			default:
				b = append(b, c)
			}
		}
		return string(b)
	}
	specials := "\"\\<>&\n\r\t\x00\x1f"
	for n := range 20 {
		for pos := range n {
			for _, c := range []byte(specials + "a\x7f\xc3!=") {
				s := []byte(strings.Repeat("abcdefgh", 3)[:n])
				s[pos] = c
				if got, want := string(appendEsc(nil, string(s))), ref(string(s)); got != want {
					t.Errorf("appendEsc(%q) = %q, want %q", s, got, want)
				}
			}
		}
	}
	// Several escapes, in one word and in words apart (the scan goes back
	// to words after each), and near-misses the word test may flag.
	r := rand.New(rand.NewPCG(6, 7))
	for range 20000 {
		s := make([]byte, r.IntN(48))
		for k := range s {
			s[k] = 'a'
			if r.IntN(5) == 0 {
				s[k] = (specials + "!#'=?]\x20\xa2")[r.IntN(len(specials)+8)]
			}
		}
		if got, want := string(appendEsc([]byte("x"), string(s))), "x"+ref(string(s)); got != want {
			t.Fatalf("appendEsc(%q) = %q, want %q", s, got, want)
		}
		if got, want := isClean(string(s)), ref(string(s)) == string(s); got != want {
			t.Fatalf("isClean(%q) = %v, want %v", s, got, want)
		}
	}
}

// TestAppendCSVField checks CSV quoting against a byte loop, behind a
// prefix, quoted always or only when needed, with quotes dense enough
// that words hold several (each cuts the word's store in two).
func TestAppendCSVField(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(8, 3))
	for range 20000 {
		s := make([]byte, r.IntN(40))
		for k := range s {
			s[k] = "a\"\",\n\r#\xa2"[r.IntN(8)]
			if r.IntN(3) == 0 {
				s[k] = 'a'
			}
		}
		for _, always := range []bool{false, true} {
			want := "pre" + string(s)
			if always || strings.ContainsAny(string(s), ",\"\n\r") {
				want = "pre\"" + strings.ReplaceAll(string(s), `"`, `""`) + `"`
			}
			if got := string(appendCSVField([]byte("pre"), s, always)); got != want {
				t.Fatalf("appendCSVField(%q, %v) = %q, want %q", s, always, got, want)
			}
		}
	}
}

// TestAppendNewline checks the line ends of prettyJSON and psIndent at
// and around the one-append limit.
func TestAppendNewline(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 1, 63, 64, 65, 130} {
		if got, want := string(appendNewline([]byte("x"), n)), "x\n"+strings.Repeat(" ", n); got != want {
			t.Errorf("appendNewline(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestSortIdx checks sortIdx against a stable sort of the indexes, for
// short and long inputs, negative keys, many ties and wide spans.
func TestSortIdx(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(5, 6))
	var idx []int
	for _, n := range []int{0, 1, 2, 31, 32, 33, 100, 1000, 5000} {
		for _, span := range []int64{1, 3, 1000, 1 << 40, 1 << 62} {
			keys := make([]int64, n)
			for i := range keys {
				keys[i] = r.Int64N(span) - span/2
			}
			want := make([]int, n)
			for i := range want {
				want[i] = i
			}
			slices.SortStableFunc(want, func(a, b int) int { return cmp.Compare(keys[a], keys[b]) })
			idx = sortIdx(idx, n, func(i int) int64 { return keys[i] })
			if !slices.Equal(idx, want) {
				t.Fatalf("n %d span %d: sortIdx differs from a stable sort", n, span)
			}
		}
	}
}

// TestSTSDate checks the hand-written STS date against time.Format, and
// appendISO without fraction against time.RFC3339, over a year of hours
// and minutes.
func TestSTSDate(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(9, 9))
	for range 5000 {
		tm := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.Int64N(366 * 24 * int64(time.Hour))))
		if got, want := stsDate(tm), tm.Format("Jan 2, 2006 3:04:05 PM"); got != want {
			t.Fatalf("stsDate(%v) = %q, want %q", tm, got, want)
		}
		if got, want := string(appendISO(nil, tm, 0, "Z")), tm.Format(time.RFC3339); got != want {
			t.Fatalf("appendISO(%v) = %q, want %q", tm, got, want)
		}
	}
}

// TestIndexQuote checks the word-at-a-time quote search, and the CSV and
// JSON-in-string quoting built on it, against byte loops.
func TestIndexQuote(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(4, 4))
	for range 20000 {
		s := make([]byte, r.IntN(40))
		for k := range s {
			// '#' and '\xa2' differ from a quote in one bit: a word-at-
			// a-time test that borrows across bytes takes them for one.
			s[k] = "a\"\\\x80\xff,#\xa2"[r.IntN(8)]
			if r.IntN(4) != 0 {
				s[k] = 'a'
			}
		}
		for _, bs := range []bool{false, true} {
			want := -1
			for k, c := range s {
				if c == '"' || bs && c == '\\' {
					want = k
					break
				}
			}
			if got := indexQuote(s, bs); got != want {
				t.Fatalf("indexQuote(%q, %v) = %d, want %d", s, bs, got, want)
			}
		}
		wantCSV := `"` + strings.ReplaceAll(string(s), `"`, `""`) + `"`
		if got := string(appendCSVField(nil, s, true)); got != wantCSV {
			t.Fatalf("appendCSVField(%q) = %q, want %q", s, got, wantCSV)
		}
		wantJ := `"` + strings.NewReplacer(`"`, `\"`, `\`, `\\`).Replace(string(s)) + `"`
		if got := string(appendJSONInString(nil, s)); got != wantJ {
			t.Fatalf("appendJSONInString(%q) = %q, want %q", s, got, wantJ)
		}
	}
}

// TestClean checks what the generators assume when they mark background
// records clean (their strings quoted without the escape scan): at three
// seeds, every such string needs no escaping. Without the marks, the
// output would be the same bytes.
func TestClean(t *testing.T) {
	t.Parallel()
	for _, sc := range scenarios() {
		for _, seed := range []int64{DefaultSeed, 7, 12345} {
			o := &output{discard: true, checkClean: true}
			if _, err := generate(t.Context(), &sc, Options{Scenario: sc.Name, Seed: seed, Scale: 1}, o); err != nil {
				t.Errorf("%s seed %d: %v", sc.Name, seed, err)
			}
		}
	}
}

// TestHeapHint checks the hint the command's memory limit is twice of:
// 200 MiB for jobs that do not grow with the scale, 14 MiB a unit of
// scale for gcp-sa-key's day jobs once that is more.
func TestHeapHint(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		scenario string
		scale    int
		want     int64
	}{
		{"storm-0558", 0, 200 << 20},
		{"storm-0558", 100, 200 << 20},
		{"aws-leaked-key", 50, 200 << 20},
		{"gcp-sa-key", 0, 200 << 20},
		{"gcp-sa-key", 14, 200 << 20},
		{"gcp-sa-key", 15, 15 * 14 << 20},
		{"gcp-sa-key", 50, 50 * 14 << 20},
		{"no-such-scenario", 50, 200 << 20},
	} {
		if got := HeapHint(Options{Scenario: c.scenario, Scale: c.scale}); got != c.want {
			t.Errorf("HeapHint(%s, scale %d) = %d, want %d", c.scenario, c.scale, got, c.want)
		}
	}
}

// BenchmarkStoreRecords appends CloudTrail-sized records (1,426 bytes,
// aws-leaked-key's mean) in place into a stored-block gzip member, as
// writeDay does: the CRC-32, the block cuts and the flushes.
func BenchmarkStoreRecords(b *testing.B) {
	rec := bytes.Repeat([]byte(`{"eventVersion":"1.09","x":"abcdefghij"},`), 1426/41)
	rec = append(rec, make([]byte, 1426-len(rec))...)
	s := newStoreWriter(io.Discard)
	b.SetBytes(int64(len(rec)))
	n := 0
	for b.Loop() {
		s.took(append(s.tail(), rec...))
		if n++; n == 5000 { // an object of about 7 MB
			s.close()
			s.reset(io.Discard)
			n = 0
		}
	}
}

// BenchmarkSkipRand skips a session token's draws (600 characters: one
// step of the 128-bit LCG) and 590 (59 draws, one at a time).
func BenchmarkSkipRand(b *testing.B) {
	for _, n := range []int{600, 590} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			src := rand.NewPCG(1, 2)
			for b.Loop() {
				skipRand(src, n)
			}
		})
	}
}

// auditDataFields returns the AuditData column of every committed
// storm-0558 CSV export (Purview and Export-Csv): the JSON appendCSVField
// quotes.
func auditDataFields(tb testing.TB) [][]byte {
	tb.Helper()
	var out [][]byte
	fsys := Embedded()
	err := fs.WalkDir(fsys, "storm-0558", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".csv") {
			return err
		}
		b, err := fs.ReadFile(fsys, path)
		if err != nil {
			return err
		}
		rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff")))).ReadAll()
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		col := slices.Index(rows[0], "AuditData")
		for _, row := range rows[1:] {
			out = append(out, []byte(row[col]))
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	if len(out) < 100 {
		tb.Fatalf("only %d AuditData fields in the committed copies", len(out))
	}
	return out
}

// BenchmarkAppendCSVField quotes every committed AuditData field (JSON
// of about 1.1 KB, a quote every dozen bytes).
func BenchmarkAppendCSVField(b *testing.B) {
	fields := auditDataFields(b)
	var n int64
	for _, f := range fields {
		n += int64(len(f))
	}
	b.SetBytes(n)
	dst := make([]byte, 0, 64<<10)
	for b.Loop() {
		for _, f := range fields {
			dst = appendCSVField(dst[:0], f, true)
		}
	}
}

// TestAppendStrCSV checks appendStrCSV against appendStr quoted by
// appendCSVField (less the enclosing quotes), for clean strings and
// strings with quotes, backslashes and other bytes that need escaping,
// some longer than its stack buffer.
func TestAppendStrCSV(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(5, 58))
	for range 20000 {
		s := make([]byte, r.IntN(300))
		for k := range s {
			s[k] = "ab \"\\<&\n\x01,é"[r.IntN(12)]
			if r.IntN(4) != 0 {
				s[k] = 'a' + byte(r.IntN(26))
			}
		}
		q := appendCSVField(nil, appendStr(nil, string(s)), true)
		want := "pre" + string(q[1:len(q)-1])
		if got := string(appendStrCSV([]byte("pre"), string(s))); got != want {
			t.Fatalf("appendStrCSV(%q) = %q, want %q", s, got, want)
		}
	}
}
