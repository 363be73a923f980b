package samples

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"
	"unsafe"
)

// Appenders that build provider records without reflection: the hot path
// of generation (BenchmarkGenerate).

const hexDigits = "0123456789abcdef"

// appendStr appends s as a JSON string, escaped the way the .NET and Go
// serializers that wrote these logs escape it.
func appendStr(b []byte, s string) []byte {
	b = append(b, '"')
	b = appendEsc(b, s)
	return append(b, '"')
}

// appendStrIf is appendStr, or, when the caller knows s needs no
// escaping (clean), s quoted as it is.
func appendStrIf(b []byte, clean bool, s string) []byte {
	if !clean {
		return appendStr(b, s)
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// escTable marks the bytes appendEsc must escape: control characters,
// quote, backslash, and <, >, & (which .NET writes as \u00XX).
var escTable = func() (t [256]bool) {
	for c := range 0x20 {
		t[c] = true
	}
	for _, c := range `"\<>&` {
		t[c] = true
	}
	return t
}()

// isClean reports that s needs no JSON escaping.
func isClean(s string) bool {
	for i := 0; i < len(s); i++ {
		if escTable[s[i]] {
			return false
		}
	}
	return true
}

// appendEsc appends the JSON escaping of s, without quotes.
func appendEsc(b []byte, s string) []byte {
	// Most strings need no escaping: skip 8 bytes at a time while no byte
	// of the word can be one escTable marks, then go byte by byte from the
	// first word that may hold one. The test is the zero-byte test of "Bit
	// Twiddling Hacks" (byte < 0x20, or equal to one of "\<>&), which may
	// flag a clean word, never miss one that is not; written out, since a
	// call per word would cost more than the test.
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	i := 0
	for i+8 <= len(s) {
		x := word(s, i)
		q, bs, lt, gt, amp := x^(lo*'"'), x^(lo*'\\'), x^(lo*'<'), x^(lo*'>'), x^(lo*'&')
		if ((x-lo*0x20)&^x|(q-lo)&^q|(bs-lo)&^bs|(lt-lo)&^lt|(gt-lo)&^gt|(amp-lo)&^amp)&hi != 0 {
			break
		}
		i += 8
	}
	if i == len(s) {
		return append(b, s...)
	}
	start := 0
	for ; i < len(s); i++ {
		c := s[i]
		if !escTable[c] {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"':
			b = append(b, '\\', '"')
		case '\\':
			b = append(b, '\\', '\\')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default: // control characters and <, >, & as \u00XX, as .NET does
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	return append(b, s[start:]...)
}

// word returns the 8 bytes of s from i as a little-endian word (one load
// on amd64 and arm64; byte order fixed, so the zero-byte tests find the
// first byte on any machine).
func word(s string, i int) uint64 { return binary.LittleEndian.Uint64(strBytes(s[i : i+8])) }

// wordB is word for a byte slice.
func wordB(s []byte, i int) uint64 { return binary.LittleEndian.Uint64(s[i : i+8]) }

// appendJSONInString appends the JSON text j as a JSON string (the
// "JSON inside a string" of Sentinel columns and CSV exports).
func appendJSONInString(b []byte, j []byte) []byte {
	b = append(b, '"')
	for len(j) > 0 {
		i := indexQuote(j, true)
		if i < 0 {
			b = append(b, j...)
			break
		}
		b = append(b, j[:i]...)
		b = append(b, '\\', j[i])
		j = j[i+1:]
	}
	return append(b, '"')
}

// appendCSVField appends s as a CSV field, quoted when it must be (or when
// always is set: Export-Csv quotes every field).
func appendCSVField(b []byte, s []byte, always bool) []byte {
	if !always && !bytes.ContainsAny(s, ",\"\n\r") {
		return append(b, s...)
	}
	// Room for the worst case (every byte a quote) and a word's overrun,
	// then stores by index, 8 bytes at a time: each word is stored whole,
	// and for each quote in it (JSON has one every dozen bytes or so) the
	// store is cut after the quote, a second quote written, and the rest
	// of the word stored again behind it.
	b = slices.Grow(b, 2*len(s)+2+8)
	out := b[len(b) : len(b)+2*len(s)+2+8]
	out[0] = '"'
	n := 1
	const lo, hi, low7 = 0x0101010101010101, 0x8080808080808080, 0x7f7f7f7f7f7f7f7f
	j := 0
	for ; j+8 <= len(s); j += 8 {
		x := wordB(s, j)
		q := x ^ (lo * '"')
		// The high bit of each byte of q that is zero, exactly (no
		// borrow from a lower byte, unlike the test in indexQuote).
		m := ^((q&low7 + low7) | q | low7)
		rest := 8
		for m != 0 {
			k := bits.TrailingZeros64(m)/8 + 1 // bytes up to and with the quote
			binary.LittleEndian.PutUint64(out[n:], x)
			out[n+k] = '"'
			n += k + 1
			x >>= 8 * k
			m >>= 8 * k
			rest -= k
		}
		binary.LittleEndian.PutUint64(out[n:], x)
		n += rest
	}
	for _, c := range s[j:] {
		out[n], out[n+1] = c, '"'
		n += 1 + b2i(c == '"')
	}
	out[n] = '"'
	return b[:len(b)+n+1]
}

// appendDoubled appends s with every quote doubled (CSV quoting without
// the enclosing quotes), a byte at a time: for short text.
func appendDoubled(b []byte, s []byte) []byte {
	for _, c := range s {
		b = append(b, c)
		if c == '"' {
			b = append(b, '"')
		}
	}
	return b
}

// appendStrCSV appends what appendStr appends, with its quotes doubled:
// a JSON string inside a quoted CSV field (auditDataCSV).
func appendStrCSV(b []byte, s string) []byte {
	if isClean(s) {
		b = append(b, `""`...)
		b = append(b, s...)
		return append(b, `""`...)
	}
	var buf [256]byte
	return appendDoubled(b, appendStr(buf[:0], s))
}

// b2i is 1 for true, 0 for false (compiled without a branch).
func b2i(v bool) int {
	if v {
		return 1
	}
	return 0
}

// indexQuote returns the index of the first '"' in s (or of the first
// '"' or '\\' when backslash is set), -1 if none: 8 bytes at a time, as
// stringEnd does. The strings here are a record's JSON, with a quote
// every dozen bytes or so, where a call to bytes.IndexByte per quote
// costs more than the scan.
func indexQuote(s []byte, backslash bool) int {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	j := 0
	for ; j+8 <= len(s); j += 8 {
		x := wordB(s, j)
		q := x ^ (lo * '"')
		m := (q - lo) &^ q
		if backslash {
			bs := x ^ (lo * '\\')
			m |= (bs - lo) &^ bs
		}
		if m&hi != 0 {
			return j + bits.TrailingZeros64(m&hi)/8
		}
	}
	for ; j < len(s); j++ {
		if s[j] == '"' || backslash && s[j] == '\\' {
			return j
		}
	}
	return -1
}

// guid is a GUID as .NET's Guid.ToByteArray gives it: the first three
// groups little-endian.
type guid [16]byte

func newGUID(r *rand.Rand) guid {
	var g guid
	a, c := r.Uint64(), r.Uint64()
	for i := range 8 {
		g[i] = byte(a >> (8 * i))
		g[8+i] = byte(c >> (8 * i))
	}
	g[7] = g[7]&0x0f | 0x40 // version 4 (byte 7 is the high byte of group 3)
	g[8] = g[8]&0x3f | 0x80 // variant
	return g
}

// appendGUID appends the canonical lower-case text of g.
func appendGUID(b []byte, g guid) []byte {
	b = slices.Grow(b, 36)
	n := len(b)
	b = b[:n+36]
	t := (*[36]byte)(b[n:])
	hx := func(i int, c byte) {
		t[i], t[i+1] = hexDigits[c>>4], hexDigits[c&0xf]
	}
	hx(0, g[3])
	hx(2, g[2])
	hx(4, g[1])
	hx(6, g[0])
	t[8] = '-'
	hx(9, g[5])
	hx(11, g[4])
	t[13] = '-'
	hx(14, g[7])
	hx(16, g[6])
	t[18] = '-'
	hx(19, g[8])
	hx(21, g[9])
	t[23] = '-'
	for k := range 6 {
		hx(24+2*k, g[10+k])
	}
	return b
}

// String returns the canonical text of g.
func (g guid) String() string { return unsafe.String(&appendGUID(make([]byte, 0, 36), g)[0], 36) }

// UTI returns the Entra uniqueTokenIdentifier of a sign-in whose id is g:
// base64url of the 16 little-endian bytes (formats.md §1a).
func (g guid) UTI() string { return base64.RawURLEncoding.EncodeToString(g[:]) }

// appendUTI appends g.UTI() without allocating: five 3-byte groups
// and the last byte, written out (the general encoder's loop cost more
// than the 22 characters).
func appendUTI(b []byte, g guid) []byte {
	b = slices.Grow(b, 22)
	n := len(b)
	b = b[:n+22]
	t := (*[22]byte)(b[n:])
	for i := range 5 {
		v := uint(g[3*i])<<16 | uint(g[3*i+1])<<8 | uint(g[3*i+2])
		t[4*i], t[4*i+1], t[4*i+2], t[4*i+3] = b64url[v>>18], b64url[v>>12&63], b64url[v>>6&63], b64url[v&63]
	}
	t[20], t[21] = b64url[g[15]>>2], b64url[g[15]&3<<4]
	return b
}

// randHex returns n random lower-case hex digits.
func randHex(r *rand.Rand, n int) string { return string(appendRand(nil, r, hexDigits, n)) }

// randFrom returns n random characters of alphabet (at most 64 long).
func randFrom(r *rand.Rand, alphabet string, n int) string {
	return string(appendRand(make([]byte, 0, n), r, alphabet, n))
}

// appendRand appends n random characters of alphabet (at most 64 long),
// ten from each 64-bit draw: character k of a draw is alphabet[v%len]
// for v its k-th 6 bits. The small modulo bias does not matter here.
func appendRand(b []byte, r *rand.Rand, alphabet string, n int) []byte {
	b = slices.Grow(b, n)
	at := len(b)
	b = b[:at+n]
	out := b[at:]
	m := uint64(len(alphabet))
	for len(out) > 0 {
		x := r.Uint64()
		k := min(10, len(out))
		switch {
		case m == 64 && k == 10:
			// Written out (600-character session tokens): no loop and,
			// with the length known, no bounds checks.
			a, o := alphabet[:64], (*[10]byte)(out)
			o[0], o[1], o[2], o[3], o[4] = a[x&63], a[x>>6&63], a[x>>12&63], a[x>>18&63], a[x>>24&63]
			o[5], o[6], o[7], o[8], o[9] = a[x>>30&63], a[x>>36&63], a[x>>42&63], a[x>>48&63], a[x>>54&63]
		case m == 64:
			for j := range out[:k] {
				out[j] = alphabet[x>>(6*j)&63]
			}
		case m == 16 && k == 10: // written out as for 64 (message ids, hex)
			a, o := alphabet[:16], (*[10]byte)(out)
			o[0], o[1], o[2], o[3], o[4] = a[x&15], a[x>>6&15], a[x>>12&15], a[x>>18&15], a[x>>24&15]
			o[5], o[6], o[7], o[8], o[9] = a[x>>30&15], a[x>>36&15], a[x>>42&15], a[x>>48&15], a[x>>54&15]
		case m == 16:
			for j := range out[:k] {
				out[j] = alphabet[x>>(6*j)&15]
			}
		case m > 32: // v%m is v or v-m: no division
			for j := range out[:k] {
				v := x >> (6 * j) & 63
				if v >= m {
					v -= m
				}
				out[j] = alphabet[v]
			}
		default:
			for j := range out[:k] {
				out[j] = alphabet[(x>>(6*j)&63)%m]
			}
		}
		out = out[k:]
	}
	return b
}

// appendRandPCG appends what appendRand(b, rand.New(src), alphabet, n)
// appends, for a 64-character alphabet, advancing src as that would: a
// stretch of a job's stream replayed from a copy of its source taken
// where the stream drew it (skipRand), without rand.Rand's interface
// call per draw.
func appendRandPCG(b []byte, src *rand.PCG, alphabet string, n int) []byte {
	a := alphabet[:64]
	b = slices.Grow(b, n)
	at := len(b)
	b = b[:at+n]
	out := b[at:]
	for len(out) >= 10 {
		x := src.Uint64()
		o := (*[10]byte)(out)
		o[0], o[1], o[2], o[3], o[4] = a[x&63], a[x>>6&63], a[x>>12&63], a[x>>18&63], a[x>>24&63]
		o[5], o[6], o[7], o[8], o[9] = a[x>>30&63], a[x>>36&63], a[x>>42&63], a[x>>48&63], a[x>>54&63]
		out = out[10:]
	}
	if len(out) > 0 {
		x := src.Uint64()
		for j := range out {
			out[j] = a[x>>(6*j)&63]
		}
	}
	return b
}

// skipRand advances src past the draws appendRand makes for n
// characters (one per ten characters or fewer, for every alphabet).
func skipRand(src *rand.PCG, n int) {
	draws := (n + 9) / 10
	if draws != 60 {
		for range draws {
			src.Uint64()
		}
		return
	}
	// A session token's 60 draws in one step: PCG's state is a 128-bit
	// LCG (state·mul + inc per draw), so 60 draws are state·A + C with
	// A = mul⁶⁰ and C = inc·(mul⁵⁹ + … + 1), modulo 2¹²⁸
	// (TestAppendRandPCG checks the stream after it).
	const aHi, aLo, cHi, cLo = 5767976653650024, 7463169669159544977, 7563809159391832113, 1656599770775946588
	var buf [20]byte
	st, _ := src.AppendBinary(buf[:0]) // "pcg:", hi, lo; cannot fail
	hi, lo := binary.BigEndian.Uint64(st[4:]), binary.BigEndian.Uint64(st[12:])
	h, l := bits.Mul64(lo, aLo)
	h += hi*aLo + lo*aHi
	l, c := bits.Add64(l, cLo, 0)
	h, _ = bits.Add64(h, cHi, c)
	src.Seed(h, l)
}

const (
	upperDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	alnum       = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b64url      = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	b64std      = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
)

// Time spellings, appended.

// appendISO appends t in UTC as 2023-05-15T10:11:12 followed by frac
// fraction digits (0 for none) and suffix ("Z" or "").
func appendISO(b []byte, t time.Time, frac int, suffix string) []byte {
	t = t.UTC()
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	b = append4(b, y)
	b = append(b, '-')
	b = append2(b, int(mo))
	b = append(b, '-')
	b = append2(b, d)
	b = append(b, 'T')
	b = append2(b, h)
	b = append(b, ':')
	b = append2(b, mi)
	b = append(b, ':')
	b = append2(b, s)
	if frac > 0 {
		b = append(b, '.')
		ns := t.Nanosecond()
		div := 100000000
		for range frac {
			b = append(b, byte('0'+ns/div%10))
			div /= 10
			if div == 0 {
				div = 1 // beyond 9 digits: repeat the last (never used)
			}
		}
	}
	return append(b, suffix...)
}

// appendUS appends t in UTC the way US-culture .NET prints it:
// 5/15/2023 10:11:12 AM (Purview CSV CreationDate).
func appendUS(b []byte, t time.Time) []byte {
	t = t.UTC()
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	b = strconv.AppendInt(b, int64(mo), 10)
	b = append(b, '/')
	b = strconv.AppendInt(b, int64(d), 10)
	b = append(b, '/')
	b = append4(b, y)
	b = append(b, ' ')
	return appendClock12(b, h, mi, s)
}

// appendClock12 appends a 12-hour clock as US culture and AWS's STS print
// it: 3:04:05 PM.
func appendClock12(b []byte, h, mi, s int) []byte {
	h12, ampm := h%12, " AM"
	if h12 == 0 {
		h12 = 12
	}
	if h >= 12 {
		ampm = " PM"
	}
	b = strconv.AppendInt(b, int64(h12), 10)
	b = append(b, ':')
	b = append2(b, mi)
	b = append(b, ':')
	b = append2(b, s)
	return append(b, ampm...)
}

// appendGB appends t in UTC as en-GB culture prints it: 15/05/2023 10:11:12
// (Export-Csv on a machine set to a day-first culture, formats.md §0.4).
func appendGB(b []byte, t time.Time) []byte {
	t = t.UTC()
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	b = append2(b, d)
	b = append(b, '/')
	b = append2(b, int(mo))
	b = append(b, '/')
	b = append4(b, y)
	b = append(b, ' ')
	b = append2(b, h)
	b = append(b, ':')
	b = append2(b, mi)
	b = append(b, ':')
	return append2(b, s)
}

func append2(b []byte, n int) []byte { return append(b, byte('0'+n/10%10), byte('0'+n%10)) }

func append4(b []byte, n int) []byte {
	return append(b, byte('0'+n/1000%10), byte('0'+n/100%10), byte('0'+n/10%10), byte('0'+n%10))
}

// appendInt appends n in decimal.
func appendInt(b []byte, n int64) []byte { return strconv.AppendInt(b, n, 10) }

// psIndent rewrites compact JSON the way Windows PowerShell 5.1's
// ConvertTo-Json lays it out: members as `"key":  value`, and every nested
// level indented four columns past the column of its opening bracket,
// with empty arrays as "[", a blank line and "]" (corpus:
// entra-signin/invictus__…_graph_pwsh.json). col is the column of the first
// byte written.
func psIndent(dst, src []byte, col int) []byte {
	// One loop with no closure: a closure appending to dst kept dst in
	// memory, not in registers, for every byte.
	var stack [32]int // column of each open bracket
	depth := 0
	lineStart := len(dst) - col // where the current line starts in dst
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch c {
		case '"':
			dst, i = copyString(dst, src, i)
		case '{', '[':
			open := len(dst) - lineStart
			if i+1 < len(src) && (src[i+1] == '}' || src[i+1] == ']') {
				// Empty: the bracket, a blank line, the closer under it.
				dst = append(dst, c, '\n')
				lineStart = len(dst) + 1
				dst = append(appendNewline(dst, open), src[i+1])
				i++
				continue
			}
			dst = append(dst, c)
			if depth < len(stack) {
				stack[depth] = open
			}
			depth++
			lineStart = len(dst) + 1
			dst = appendNewline(dst, open+4)
		case '}', ']':
			depth--
			lineStart = len(dst) + 1
			dst = append(appendNewline(dst, stack[max(0, min(depth, len(stack)-1))]), c)
		case ',':
			dst = append(dst, ',')
			lineStart = len(dst) + 1
			dst = appendNewline(dst, stack[max(0, min(depth-1, len(stack)-1))]+4)
		case ':':
			dst = append(dst, ':', ' ', ' ')
		default:
			j := plainRun(src, i)
			dst = append(dst, src[i:j]...)
			i = j - 1
		}
	}
	return dst
}

// copyString appends the JSON string that opens at src[i], quotes
// included, and returns dst and the index of its closing quote
// (len(src) if it is cut off). It copies 8 bytes at a time while it looks
// for the first quote or backslash in them (stringEnd's test), so a string
// is read once and needs no call to copy it.
func copyString(dst, src []byte, i int) ([]byte, int) {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	dst = slices.Grow(dst, len(src)-i+8) // the rest of src and a word
	n := len(dst)
	d := dst[:cap(dst)]
	d[n] = '"'
	n++
	k := i + 1
	for {
		if k+8 <= len(src) {
			x := wordB(src, k)
			binary.LittleEndian.PutUint64(d[n:n+8], x)
			q, bs := x^(lo*'"'), x^(lo*'\\')
			m := ((q-lo)&^q | (bs-lo)&^bs) & hi
			if m == 0 {
				k, n = k+8, n+8
				continue
			}
			p := bits.TrailingZeros64(m) / 8
			k, n = k+p, n+p
		} else {
			for k < len(src) && src[k] != '"' && src[k] != '\\' {
				d[n] = src[k]
				k, n = k+1, n+1
			}
			if k >= len(src) {
				return d[:n], k
			}
		}
		// src[k] is a quote or a backslash.
		d[n] = src[k]
		n++
		if src[k] == '"' {
			return d[:n], k
		}
		k++ // the escaped byte, which may be a quote
		if k < len(src) {
			d[n] = src[k]
			k, n = k+1, n+1
		}
	}
}

// appendNewline appends a line end and n spaces. The spaces are stored a
// word at a time into room made for n+9 bytes (words past the end are
// cut off): a call to copy a slice of a constant cost more than the
// bytes (a fifth of psIndent, which indents after every comma).
func appendNewline(b []byte, n int) []byte {
	const spaces = 0x2020202020202020
	b = slices.Grow(b, n+9)
	l := len(b)
	d := b[l : l+n+9]
	d[0] = '\n'
	for k := 1; k <= n; k += 8 {
		binary.LittleEndian.PutUint64(d[k:k+8], spaces)
	}
	return b[:l+1+n]
}

// jsonPunct marks the bytes psIndent and prettyJSON act on.
var jsonPunct = func() (t [256]bool) {
	for _, c := range `"{}[],:` {
		t[c] = true
	}
	return t
}()

// plainRun returns the end of the run of bytes from src[i] on that are
// not jsonPunct (numbers, literals), copied in one append.
func plainRun(src []byte, i int) int {
	for i < len(src) && !jsonPunct[src[i]] {
		i++
	}
	return i
}

// stringEnd returns the index of the quote closing the JSON string that
// opens at src[i] (len(src)-1 if it is cut off). It skips 8 bytes at a
// time to the first quote or backslash (the zero-byte test of "Bit
// Twiddling Hacks" finds the lowest such byte exactly), then steps over
// escapes.
func stringEnd(src []byte, i int) int {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	j := i + 1
	for {
		for j+8 <= len(src) {
			x := wordB(src, j)
			q, bs := x^(lo*'"'), x^(lo*'\\')
			if m := ((q-lo) & ^q | (bs-lo)&^bs) & hi; m != 0 {
				j += bits.TrailingZeros64(m) / 8
				break
			}
			j += 8
		}
		for j < len(src) && src[j] != '"' && src[j] != '\\' {
			j++
		}
		if j >= len(src) {
			return len(src) - 1
		}
		if src[j] == '"' {
			return j
		}
		j += 2 // the escaped byte, which may be a quote
	}
}

// jwtSegment appends base64url (no padding) of the JSON text j.
func jwtSegment(b []byte, j []byte) []byte {
	n := base64.RawURLEncoding.EncodedLen(len(j))
	b = append(b, make([]byte, n)...)
	base64.RawURLEncoding.Encode(b[len(b)-n:], j)
	return b
}

// prettyJSON rewrites compact JSON the way Python's json.dumps(indent=2)
// prints it (gcloud --format=json): one member or element per line,
// "key": value, empty containers as {} and []. depth is the nesting level
// of the first byte.
func prettyJSON(dst, src []byte, depth int) []byte {
	newline := func(n int) { dst = appendNewline(dst, 2*n) }
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch c {
		case '"':
			j := stringEnd(src, i)
			dst = append(dst, src[i:j+1]...)
			i = j
		case '{', '[':
			dst = append(dst, c)
			if i+1 < len(src) && (src[i+1] == '}' || src[i+1] == ']') {
				dst = append(dst, src[i+1])
				i++
				continue
			}
			depth++
			newline(depth)
		case '}', ']':
			depth--
			newline(depth)
			dst = append(dst, c)
		case ',':
			dst = append(dst, ',')
			newline(depth)
		case ':':
			dst = append(dst, ':', ' ')
		default:
			j := plainRun(src, i)
			dst = append(dst, src[i:j]...)
			i = j - 1
		}
	}
	return dst
}

// strBytes returns the bytes of s without copying them, for functions
// that only read their input.
func strBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }
