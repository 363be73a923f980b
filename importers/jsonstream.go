package importers

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"unsafe"

	"context"
	"errors"
	"fmt"
	"github.com/causeway-ir/causeway/timeline"
	"io"
)

// maxRecord bounds one record's size. A larger record is rejected (with its
// first bytes) and skipped without being held in memory.
const maxRecord = 128 << 20

// errSyntax marks input that is not a JSON value where one was expected.
var errSyntax = errors.New("malformed JSON")

// errTruncated marks a JSON value cut off by the end of the input.
var errTruncated = errors.New("truncated JSON record")

// errTooLarge marks a record over maxRecord bytes.
var errTooLarge = fmt.Errorf("record larger than %d bytes", maxRecord)

// errNotObject marks input where a record object was expected.
var errNotObject = errors.New("not a JSON object")

// jsonScanner splits a stream into JSON records without decoding them. It
// understands a top-level array, NDJSON or concatenated values, a UTF-8 BOM
// (anywhere between values), and envelope objects: an object with an
// envelope key (e.g. "Records", or a dotted path such as "data.events")
// whose value is an array yields that array's elements as records. Any
// other object is itself a record. Memory is bounded by the largest record.
type jsonScanner struct {
	rd        io.Reader
	buf       []byte
	pos       int   // next unread byte in buf
	mark      int   // bytes from mark on must stay in buf (-1: none)
	base      int64 // stream offset of buf[0]
	rerr      error // read error or io.EOF, once seen
	envelopes [][]byte

	// frames are the open arrays whose elements are records (a top-level
	// array or an envelope's array). Each remembers how many objects
	// enclose it: after its ']' the rest of those objects is skipped.
	frames []int

	// fast, when set, is an importer's single-pass reader of a record: see
	// streamJSONFast.
	fast func(b []byte) int
}

// fastNeedMore is what a fast reader returns when b ends inside the record,
// fastAside what it returns to leave the object to the splitter.
const (
	fastNeedMore = -1
	fastAside    = -2
)

// inPlace is what a fast reader read of a record in the splitter's buffer,
// for the record function to take instead of reading the record again: the
// record's length and first byte, so that take knows it is the same record.
type inPlace struct {
	n  int
	at *byte
}

// read runs scan on a view of b, the splitter's buffer from an object's
// '{', and returns what a fast reader returns: the object's length, or
// fastAside when scan does not vouch for it. The view stays valid until
// the record function has taken it (take), the buffer unchanged till then.
func (p *inPlace) read(b []byte, scan func(view string) (int, bool)) int {
	p.n, p.at = 0, nil
	if len(b) == 0 || b[0] != '{' {
		return fastAside
	}
	n, ok := scan(unsafe.String(&b[0], len(b)))
	if !ok {
		return fastAside
	}
	p.n, p.at = n, &b[0]
	return n
}

// take returns the view read read of rec, when rec is that record, and
// forgets it.
func (p *inPlace) take(rec []byte) (string, bool) {
	if p.n == 0 || p.n != len(rec) || p.at != &rec[0] {
		return "", false
	}
	v := unsafe.String(p.at, p.n)
	p.n, p.at = 0, nil
	return v, true
}

// event starts the event of rec, the record at off: its Raw a view of the
// splitter's buffer when read has read rec there (the emitter copies what
// it keeps before the buffer moves on; inPlace then reports true and the
// reader's values are views of Raw too), else a copy of rec.
func (p *inPlace) event(name, shape string, src timeline.Source, off int64, rec []byte) (e timeline.Event, inPlace bool) {
	if view, ok := p.take(rec); ok {
		return newEventString(name, shape, src, off, view), true
	}
	return newEvent(name, shape, src, off, rec), false
}

// fastMaxBuffered bounds how far the buffer grows for a fast reader; a
// longer record is cut by the splitter's own walk.
const fastMaxBuffered = 4 << 20

func newJSONScanner(r io.Reader, envelopes []string) *jsonScanner {
	s := &jsonScanner{rd: r, buf: make([]byte, 0, 256<<10), mark: -1}
	for _, e := range envelopes {
		s.envelopes = append(s.envelopes, []byte(e))
	}
	return s
}

// offset is the stream offset of buf[i].
func (s *jsonScanner) offset(i int) int64 { return s.base + int64(i) }

// more reads at least one more byte into buf; false at the end of input.
func (s *jsonScanner) more() bool {
	if s.rerr != nil {
		return false
	}
	keep := s.pos
	if s.mark >= 0 && s.mark < keep {
		keep = s.mark
	}
	if keep > 0 && keep >= len(s.buf)/2 {
		n := copy(s.buf, s.buf[keep:])
		s.buf = s.buf[:n]
		s.base += int64(keep)
		s.pos -= keep
		if s.mark >= 0 {
			s.mark -= keep
		}
	}
	if len(s.buf) == cap(s.buf) {
		nb := make([]byte, len(s.buf), 2*cap(s.buf))
		copy(nb, s.buf)
		s.buf = nb
	}
	for {
		n, err := s.rd.Read(s.buf[len(s.buf):cap(s.buf)])
		s.buf = s.buf[:len(s.buf)+n]
		if err != nil {
			s.rerr = err
		}
		if n > 0 {
			return true
		}
		if err != nil {
			return false
		}
	}
}

// peek returns the byte at pos, reading as needed.
func (s *jsonScanner) peek() (byte, bool) {
	for s.pos >= len(s.buf) {
		if !s.more() {
			return 0, false
		}
	}
	return s.buf[s.pos], true
}

// skipSpace skips white space, BOMs and, when commas is set, commas.
func (s *jsonScanner) skipSpace(commas bool) {
	for {
		c, ok := s.peek()
		if !ok {
			return
		}
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || (commas && c == ','):
			s.pos++
		case c == 0xEF:
			// A UTF-8 BOM (EF BB BF) between values.
			if !s.ensure(3) || s.buf[s.pos+1] != 0xBB || s.buf[s.pos+2] != 0xBF {
				return
			}
			s.pos += 3
		default:
			return
		}
	}
}

// ensure makes n bytes available from pos; false if the input ends first.
func (s *jsonScanner) ensure(n int) bool {
	for len(s.buf)-s.pos < n {
		if !s.more() {
			return false
		}
	}
	return true
}

// skipValue moves pos past one JSON value that starts at pos. It checks
// the structure only as far as it must to find the value's end: bracket
// balance and strings. Nesting depth costs no stack. When limit is set and
// the value grows past maxRecord bytes from mark, it stops with errTooLarge.
func (s *jsonScanner) skipValue(limit bool) error {
	depth := 0
	for {
		if s.pos >= len(s.buf) && !s.more() {
			return errTruncated
		}
		if depth > 0 {
			// Inside a container only strings and brackets matter: walk
			// the buffered bytes in a tight loop, strings included, and
			// leave to the general code below only a string or a value
			// cut by the end of the buffer.
			buf, i := s.buf, s.pos
			end := len(buf)
			if limit && s.mark >= 0 && s.mark+maxRecord+1 < end {
				end = s.mark + maxRecord + 1
			}
		scan:
			for i < end {
				for i+8 <= end {
					x := binary.LittleEndian.Uint64(buf[i:])
					y := x | 0x2020202020202020 // '[' → '{', ']' → '}'
					if m := hasByte(x, '"') | hasByte(y, '{') | hasByte(y, '}'); m != 0 {
						// The lowest flag is the first quote or bracket
						// (hasByte never flags a byte before a true one).
						i += bits.TrailingZeros64(m) >> 3
						break
					}
					i += 8
				}
				if i >= end {
					break
				}
				switch buf[i] {
				case '"':
					j := i + 1
					for {
						for j+8 <= end {
							x := binary.LittleEndian.Uint64(buf[j:])
							if m := hasByte(x, '"') | hasByte(x, '\\'); m != 0 {
								j += bits.TrailingZeros64(m) >> 3
								break
							}
							j += 8
						}
						if j >= end {
							break scan // the string goes on past the buffer
						}
						if buf[j] == '"' {
							break
						}
						if buf[j] == '\\' {
							j++
						}
						j++
					}
					i = j + 1
				case '{', '[':
					depth++
					i++
				case '}', ']':
					depth--
					i++
					if depth == 0 {
						s.pos = i
						return nil
					}
				default:
					i++
				}
			}
			s.pos = i
			if limit && s.mark >= 0 && s.pos-s.mark > maxRecord {
				return errTooLarge
			}
			if i >= len(buf) {
				continue
			}
		}
		c := s.buf[s.pos]
		switch {
		case c == '"':
			if err := s.skipString(); err != nil {
				return err
			}
			if depth == 0 {
				return nil
			}
			continue
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
			if depth < 0 {
				return errSyntax
			}
			if depth == 0 {
				s.pos++
				return nil
			}
		case c == ',' || c == ':' || c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if depth == 0 {
				return errSyntax
			}
		case c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'):
			// Numbers and literals (true, false, null, and NaN-like junk
			// that the decoder will judge). A scalar at depth 0 ends at
			// the first byte that cannot belong to it.
			if depth == 0 {
				for {
					s.pos++
					if s.pos >= len(s.buf) && !s.more() {
						return nil
					}
					c = s.buf[s.pos]
					if !(c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
						return nil
					}
				}
			}
		default:
			if depth == 0 {
				return errSyntax
			}
		}
		s.pos++
		if limit && s.mark >= 0 && s.pos-s.mark > maxRecord {
			return errTooLarge
		}
	}
}

// skipString moves pos past the string that starts at pos.
func (s *jsonScanner) skipString() error {
	s.pos++ // opening quote
	for {
		if s.pos >= len(s.buf) && !s.more() {
			return errTruncated
		}
		// The closing quote, unless a backslash comes first. Most strings
		// are short: a plain loop first, then IndexByte for long ones.
		// (IndexAny would build its byte set on every call.)
		rest := s.buf[s.pos:]
		i := 0
		for i+8 <= len(rest) {
			x := binary.LittleEndian.Uint64(rest[i:])
			if m := hasByte(x, '"') | hasByte(x, '\\'); m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				break
			}
			i += 8
		}
		for i < len(rest) && rest[i] != '"' && rest[i] != '\\' {
			i++
		}
		if i == len(rest) {
			s.pos = len(s.buf)
			continue
		}
		s.pos += i
		if s.buf[s.pos] == '"' {
			s.pos++
			return nil
		}
		// A backslash: skip it and the escaped byte.
		if !s.ensure(2) {
			return errTruncated
		}
		s.pos += 2
	}
}

// hasByte is non-zero when one of the 8 bytes of x is b (SWAR: the
// classic "has zero byte" test on x^b). It may also flag a byte after a
// match, never one before the first match, and never misses one: the
// lowest flag (little-endian: the first byte) is always a match.
func hasByte(x uint64, b byte) uint64 {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	v := x ^ (lo * uint64(b))
	return (v - lo) & ^v & hi
}

// readKey reads an object key at pos (after white space) and the colon after
// it, returning a copy of the key's bytes without quotes (escapes kept).
func (s *jsonScanner) readKey(scratch []byte) ([]byte, error) {
	s.skipSpace(false)
	c, ok := s.peek()
	if !ok {
		return nil, errTruncated
	}
	if c != '"' {
		return nil, errSyntax
	}
	marked := s.mark >= 0
	if !marked {
		s.mark = s.pos
	}
	start := s.pos - s.mark
	err := s.skipString()
	var key []byte
	if err == nil {
		key = append(scratch[:0], s.buf[s.mark+start+1:s.pos-1]...)
	}
	if !marked {
		s.mark = -1
	}
	if err != nil {
		return nil, err
	}
	s.skipSpace(false)
	c, ok = s.peek()
	if !ok {
		return nil, errTruncated
	}
	if c != ':' {
		return nil, errSyntax
	}
	s.pos++
	s.skipSpace(false)
	return key, nil
}

// envelopeMatch tells how key (under the dotted prefix) relates to the
// envelope paths: 2 when prefix.key is an envelope path, 1 when it is the
// start of one, 0 otherwise.
func (s *jsonScanner) envelopeMatch(prefix, key []byte) int {
	best := 0
	for _, e := range s.envelopes {
		if !bytes.HasPrefix(e, prefix) {
			continue
		}
		rest := e[len(prefix):]
		if !bytes.HasPrefix(rest, key) {
			continue
		}
		switch {
		case len(rest) == len(key):
			return 2
		case rest[len(key)] == '.':
			best = 1
		}
	}
	return best
}

// jsonRecord is one record cut out of the stream, or a piece of input that
// could not be one (Err set).
type jsonRecord struct {
	Data   []byte // valid until the next call to next
	Offset int64
	Err    error
}

// next returns the next record; io.EOF at the end of input. Errors in the
// input come back as records with Err set and the offending bytes in Data,
// after which scanning resumes at the next line.
func (s *jsonScanner) next() (jsonRecord, error) {
	for {
		s.mark = -1
		s.skipSpace(true)
		c, ok := s.peek()
		if !ok {
			if len(s.frames) > 0 {
				s.frames = s.frames[:0]
				return jsonRecord{Offset: s.offset(s.pos), Err: errTruncated}, nil
			}
			if s.rerr != nil && s.rerr != io.EOF {
				return jsonRecord{}, s.rerr
			}
			return jsonRecord{}, io.EOF
		}
		switch c {
		case '[':
			s.pos++
			s.frames = append(s.frames, 0)
		case ']':
			s.pos++
			if n := len(s.frames); n > 0 {
				objects := s.frames[n-1]
				s.frames = s.frames[:n-1]
				for range objects {
					if err := s.finishObject(); err != nil {
						s.mark = s.pos
						return s.resync(err)
					}
				}
			}
		case '{':
			if s.fast != nil {
				if n := s.tryFast(); n > 0 {
					rec := jsonRecord{Data: s.buf[s.pos : s.pos+n], Offset: s.offset(s.pos)}
					s.pos += n
					return rec, nil
				}
			}
			rec, isRecord, err := s.object()
			if err != nil {
				return rec, err
			}
			if isRecord {
				return rec, nil
			}
		default:
			// Not a record: a scalar, or text that is not JSON at all.
			// Report the rest of the line.
			s.mark = s.pos
			return s.resync(errNotObject)
		}
	}
}

// tryFast runs the fast reader on the object at pos, reading more input
// while the reader needs it, and returns the record's length, or 0 to leave
// the object to object().
func (s *jsonScanner) tryFast() int {
	for range 8 {
		n := s.fast(s.buf[s.pos:])
		if n != fastNeedMore {
			return max(n, 0)
		}
		if len(s.buf)-s.pos >= fastMaxBuffered {
			return 0
		}
		s.mark = s.pos
		ok := s.more()
		s.mark = -1
		if !ok {
			return 0
		}
	}
	return 0
}

// object reads the object at pos. It returns the object as a record, or,
// when the object is an envelope, isRecord false with a frame pushed for the
// envelope's array.
func (s *jsonScanner) object() (jsonRecord, bool, error) {
	s.mark = s.pos
	s.pos++
	var prefix []byte
	var scratch [64]byte
	level := 0 // objects open below the record's own object
	for {
		s.skipSpace(false)
		c, ok := s.peek()
		if !ok {
			return s.resyncRec(errTruncated)
		}
		if c == '}' {
			s.pos++
			if level == 0 {
				rec := jsonRecord{Data: s.buf[s.mark:s.pos], Offset: s.offset(s.mark)}
				return rec, true, nil
			}
			level--
			if i := bytes.LastIndexByte(prefix[:len(prefix)-1], '.'); i >= 0 {
				prefix = prefix[:i+1]
			} else {
				prefix = prefix[:0]
			}
			s.afterMember()
			continue
		}
		key, err := s.readKey(scratch[:])
		if err != nil {
			return s.resyncRec(err)
		}
		v, ok := s.peek()
		if !ok {
			return s.resyncRec(errTruncated)
		}
		switch m := s.envelopeMatch(prefix, key); {
		case m == 2 && v == '[':
			s.pos++
			s.mark = -1
			s.frames = append(s.frames, level+1)
			return jsonRecord{}, false, nil
		case m == 1 && v == '{':
			s.pos++
			level++
			prefix = append(append(prefix, key...), '.')
			continue
		}
		if err := s.skipValue(true); err != nil {
			return s.resyncRec(err)
		}
		s.afterMember()
	}
}

// afterMember skips white space and one comma after an object member.
func (s *jsonScanner) afterMember() {
	s.skipSpace(false)
	if c, ok := s.peek(); ok && c == ',' {
		s.pos++
	}
}

// finishObject skips the remaining members of an object and its '}'.
func (s *jsonScanner) finishObject() error {
	var scratch [64]byte
	for {
		s.skipSpace(true)
		c, ok := s.peek()
		if !ok {
			return errTruncated
		}
		if c == '}' {
			s.pos++
			return nil
		}
		if _, err := s.readKey(scratch[:]); err != nil {
			return err
		}
		if err := s.skipValue(false); err != nil {
			return err
		}
	}
}

func (s *jsonScanner) resyncRec(err error) (jsonRecord, bool, error) {
	rec, rerr := s.resync(err)
	return rec, true, rerr
}

// resync reports the bytes from mark to the end of the current line as a
// bad record and leaves scanning at the next line, outside any array.
func (s *jsonScanner) resync(err error) (jsonRecord, error) {
	if s.rerr != nil && s.rerr != io.EOF {
		return jsonRecord{}, s.rerr
	}
	s.frames = s.frames[:0]
	if s.mark < 0 {
		s.mark = min(s.pos, len(s.buf))
	}
	start := s.mark
	if errors.Is(err, errTooLarge) {
		// Do not hold the rest of a huge record: keep its first bytes only.
		s.mark = -1
		head := append([]byte(nil), s.buf[start:min(start+4096, len(s.buf))]...)
		off := s.offset(start)
		s.skipLine()
		return jsonRecord{Data: head, Offset: off, Err: err}, nil
	}
	if s.pos < start {
		s.pos = start
	}
	if s.pos == start {
		s.pos++ // always make progress
	}
	s.skipLine()
	start = s.mark
	end := min(s.pos, len(s.buf))
	return jsonRecord{Data: s.buf[start:end], Offset: s.offset(start), Err: err}, nil
}

// skipLine moves pos just past the next newline (or to the end of input).
func (s *jsonScanner) skipLine() {
	for {
		if s.pos >= len(s.buf) && !s.more() {
			return
		}
		if i := bytes.IndexByte(s.buf[s.pos:], '\n'); i >= 0 {
			s.pos += i + 1
			return
		}
		s.pos = len(s.buf)
	}
}

// streamJSON feeds every JSON record of r to fn and reports input that is
// not a record through out.Reject. fn returns errRecord-wrapped errors (see
// rejectf) for records it cannot normalize; any other error stops the import.
func streamJSON(ctx context.Context, r io.Reader, envelopes []string, name string, src timeline.Source, out timeline.Emitter, fn func(rec []byte, off int64) error) error {
	return streamJSONFast(ctx, r, envelopes, name, src, out, nil, fn)
}

// streamJSONFast is streamJSON with an importer's single-pass reader: where
// an object starts, fast is given the buffered bytes from its '{' and
// returns the object's length when it has read it whole, or fastNeedMore
// when b ends first (it is called again with more), or any other negative
// value to leave the object to the splitter. fast may vouch only for an
// object the splitter would itself cut as one record of that length: valid
// JSON, and no key that is an envelope path or the start of one. The
// record then goes to fn as usual (fn may find what fast read of it).
func streamJSONFast(ctx context.Context, r io.Reader, envelopes []string, name string, src timeline.Source, out timeline.Emitter, fast func(b []byte) int, fn func(rec []byte, off int64) error) error {
	s := newJSONScanner(r, envelopes)
	s.fast = fast
	for n := 0; ; n++ {
		if n&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		rec, err := s.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: read: %w", src.File, err)
		}
		if rec.Err != nil {
			if err := out.Reject(parseError(name, src, rec.Offset, rec.Err, rec.Data)); err != nil {
				return err
			}
			continue
		}
		if err := fn(rec.Data, rec.Offset); err != nil {
			if re, ok := errors.AsType[*recordError](err); ok {
				if err := out.Reject(parseError(name, src, rec.Offset, re.err, rec.Data)); err != nil {
					return err
				}
				continue
			}
			return err
		}
	}
}
