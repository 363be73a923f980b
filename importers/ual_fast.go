package importers

import (
	"math/bits"
	"strings"
	"unicode/utf8"

	json "github.com/goccy/go-json"
)

// The UAL's single-pass reader (issue 10). ualFastRecord reads an AuditData
// object (Management Activity API, OfficeActivity rows, the AuditData
// column of the CSV exports) once, keeping its values as substrings of the
// record's text, and the mapping reads the nested values (Folders,
// OperationProperties, AppAccessContext, …) from that text the same way.
// It vouches only for what it reads exactly as the goccy decoding of
// ualRecordOf does: strict JSON, keys spelled as the struct names them,
// each once, no key that case-folds to a field without being its name,
// string escapes other than surrogates, valid UTF-8. Anything else makes
// it step aside, and the record (or the nested value) takes the old path,
// so events, rejects and offsets stay those of the old path.

// jsMaxDepth bounds the nesting the reader follows; deeper values step
// aside to the old decoder.
const jsMaxDepth = 64

// jsWS returns the index of the first byte at or after i that is not JSON
// white space (CloudTrail's reader, on the splitter's bytes, uses it too).
func jsWS[T string | []byte](s T, i int) int {
	for i < len(s) {
		switch s[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// jsPlain returns the index of the first byte at or after j that is a
// quote, a backslash, a control byte or outside ASCII, or len(s): eight
// bytes at a time (the lowest SWAR flag is exact, as in ctString).
func jsPlain(s string, j int) int {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	for j+8 <= len(s) {
		x := uint64(s[j]) | uint64(s[j+1])<<8 | uint64(s[j+2])<<16 | uint64(s[j+3])<<24 |
			uint64(s[j+4])<<32 | uint64(s[j+5])<<40 | uint64(s[j+6])<<48 | uint64(s[j+7])<<56
		if m := hasByte(x, '"') | hasByte(x, '\\') | ((x-lo*0x20)|x)&hi; m != 0 {
			return j + bits.TrailingZeros64(m)>>3
		}
		j += 8
	}
	for j < len(s) {
		if c := s[j]; c == '"' || c == '\\' || c < 0x20 || c >= 0x80 {
			return j
		}
		j++
	}
	return j
}

// jsString reads the JSON string starting at s[i] (a quote): its value (a
// substring of s when it has no escapes) and the index after its closing
// quote. ok is false for anything the reader does not vouch for.
func jsString(s string, i int) (v string, end int, ok bool) {
	start := i + 1
	high := false
	for j := jsPlain(s, start); j < len(s); j = jsPlain(s, j+1) {
		c := s[j]
		switch {
		case c == '"':
			v = s[start:j]
			if high && !utf8.ValidString(v) {
				return "", 0, false
			}
			return v, j + 1, true
		case c == '\\':
			return jsStringEscaped(s, start, j)
		case c < 0x20:
			return "", 0, false
		case c >= 0x80:
			high = true
		}
	}
	return "", 0, false
}

// jsUnescape appends to b the character of the escape at s[i] (a '\\')
// and returns the index after the escape; false for a bad escape or a
// surrogate (left to the decoder, which pairs them).
func jsUnescape[T string | []byte](b []byte, s T, i int) ([]byte, int, bool) {
	if i+1 >= len(s) {
		return b, 0, false
	}
	switch c := s[i+1]; c {
	case '"', '\\', '/':
		return append(b, c), i + 2, true
	case 'b':
		return append(b, '\b'), i + 2, true
	case 'f':
		return append(b, '\f'), i + 2, true
	case 'n':
		return append(b, '\n'), i + 2, true
	case 'r':
		return append(b, '\r'), i + 2, true
	case 't':
		return append(b, '\t'), i + 2, true
	case 'u':
		if i+6 > len(s) {
			return b, 0, false
		}
		r := rune(0)
		for k := i + 2; k < i+6; k++ {
			switch h := s[k]; {
			case h >= '0' && h <= '9':
				r = r<<4 | rune(h-'0')
			case h >= 'a' && h <= 'f':
				r = r<<4 | rune(h-'a'+10)
			case h >= 'A' && h <= 'F':
				r = r<<4 | rune(h-'A'+10)
			default:
				return b, 0, false
			}
		}
		if r >= 0xd800 && r <= 0xdfff {
			return b, 0, false
		}
		return utf8.AppendRune(b, r), i + 6, true
	}
	return b, 0, false
}

// jsStringEscaped finishes jsString for a string with an escape at s[j].
func jsStringEscaped(s string, start, j int) (string, int, bool) {
	b := make([]byte, 0, j-start+16)
	b = append(b, s[start:j]...)
	plainFrom := -1
	for j < len(s) {
		c := s[j]
		switch {
		case c == '"':
			if plainFrom >= 0 {
				b = append(b, s[plainFrom:j]...)
			}
			if !utf8.Valid(b) {
				return "", 0, false
			}
			return string(b), j + 1, true
		case c == '\\':
			if plainFrom >= 0 {
				b = append(b, s[plainFrom:j]...)
				plainFrom = -1
			}
			var ok bool
			if b, j, ok = jsUnescape(b, s, j); !ok {
				return "", 0, false
			}
		case c < 0x20:
			return "", 0, false
		default:
			if plainFrom < 0 {
				plainFrom = j
			}
			j++
		}
	}
	return "", 0, false
}

// jsSkip validates the JSON value at s[i] and returns the index after it.
func jsSkip(s string, i, depth int) (int, bool) {
	if i >= len(s) || depth > jsMaxDepth {
		return 0, false
	}
	switch c := s[i]; {
	case c == '"':
		_, end, ok := jsStringRaw(s, i)
		return end, ok
	case c == '{':
		i = jsWS(s, i+1)
		if i < len(s) && s[i] == '}' {
			return i + 1, true
		}
		for {
			if i >= len(s) || s[i] != '"' {
				return 0, false
			}
			_, end, ok := jsStringRaw(s, i)
			if !ok {
				return 0, false
			}
			i = jsWS(s, end)
			if i >= len(s) || s[i] != ':' {
				return 0, false
			}
			if i, ok = jsSkip(s, jsWS(s, i+1), depth+1); !ok {
				return 0, false
			}
			i = jsWS(s, i)
			if i >= len(s) {
				return 0, false
			}
			if s[i] == '}' {
				return i + 1, true
			}
			if s[i] != ',' {
				return 0, false
			}
			i = jsWS(s, i+1)
		}
	case c == '[':
		i = jsWS(s, i+1)
		if i < len(s) && s[i] == ']' {
			return i + 1, true
		}
		for {
			var ok bool
			if i, ok = jsSkip(s, i, depth+1); !ok {
				return 0, false
			}
			i = jsWS(s, i)
			if i >= len(s) {
				return 0, false
			}
			if s[i] == ']' {
				return i + 1, true
			}
			if s[i] != ',' {
				return 0, false
			}
			i = jsWS(s, i+1)
		}
	case c == 't':
		return jsLiteral(s, i, "true")
	case c == 'f':
		return jsLiteral(s, i, "false")
	case c == 'n':
		return jsLiteral(s, i, "null")
	default:
		return jsNumber(s, i)
	}
}

// jsStringRaw validates the string at s[i] without unescaping it.
func jsStringRaw(s string, i int) (string, int, bool) {
	high := false
	for j := jsPlain(s, i+1); j < len(s); j = jsPlain(s, j+1) {
		c := s[j]
		switch {
		case c == '"':
			if high && !utf8.ValidString(s[i+1:j]) {
				return "", 0, false
			}
			return s[i:j], j + 1, true
		case c == '\\':
			if j+1 >= len(s) {
				return "", 0, false
			}
			switch s[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j++
			case 'u':
				if j+6 > len(s) {
					return "", 0, false
				}
				for k := j + 2; k < j+6; k++ {
					if !isHex(s[k]) {
						return "", 0, false
					}
				}
				if h := s[j+2] | 0x20; h == 'd' && s[j+3] >= '8' {
					return "", 0, false // surrogates: left to the decoder
				}
				j += 5
			default:
				return "", 0, false
			}
		case c < 0x20:
			return "", 0, false
		case c >= 0x80:
			high = true
		}
	}
	return "", 0, false
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func jsLiteral(s string, i int, lit string) (int, bool) {
	if strings.HasPrefix(s[i:], lit) {
		return i + len(lit), true
	}
	return 0, false
}

// jsNumber validates a number by the JSON grammar.
func jsNumber(s string, i int) (int, bool) {
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	default:
		return 0, false
	}
	if i < len(s) && s[i] == '.' {
		i++
		d := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == d {
			return 0, false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		d := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == d {
			return 0, false
		}
	}
	return i, true
}

// jsScalar reads a value that lands in a string or flexString field: a
// string's value, a number's or boolean's text, "" for null. Objects and
// arrays step aside.
func jsScalar(s string, i int) (v string, end int, ok bool) {
	if i >= len(s) {
		return "", 0, false
	}
	switch s[i] {
	case '"':
		return jsString(s, i)
	case '{', '[':
		return "", 0, false
	case 'n':
		end, ok = jsLiteral(s, i, "null")
		return "", end, ok
	}
	if end, ok = jsSkip(s, i, 0); !ok {
		return "", 0, false
	}
	return s[i:end], end, true
}

// jsKey reads a member's key at s[i] and the colon after it: a key with an
// escape or a byte outside ASCII steps aside (the decoder folds case by
// Unicode rules). end is the start of the value.
func jsKey(s string, i int) (k string, end int, ok bool) {
	if i >= len(s) || s[i] != '"' {
		return "", 0, false
	}
	j := jsPlain(s, i+1)
	if j >= len(s) || s[j] != '"' {
		return "", 0, false // an escape, a control byte or a byte outside ASCII
	}
	k = s[i+1 : j]
	end = jsWS(s, j+1)
	if end >= len(s) || s[end] != ':' {
		return "", 0, false
	}
	if end = jsWS(s, end+1); end >= len(s) {
		return "", 0, false // fn may look at the value's first byte
	}
	return k, end, true
}

// jsFoldKey writes k lower-cased (ASCII) into buf; false when k is longer
// than buf, and so longer than any field name.
func jsFoldKey(buf []byte, k string) ([]byte, bool) {
	if len(k) > cap(buf) {
		return nil, false
	}
	buf = buf[:len(k)]
	for i := 0; i < len(k); i++ {
		c := k[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return buf, true
}

// jsMembers calls fn for each member of the object at s[i] with its key and
// the index of its value; fn returns the index after the value. It returns
// the index after the object.
func jsMembers(s string, i int, fn func(k string, v int) (int, bool)) (int, bool) {
	if i >= len(s) || s[i] != '{' {
		return 0, false
	}
	i = jsWS(s, i+1)
	if i < len(s) && s[i] == '}' {
		return i + 1, true
	}
	for {
		k, v, ok := jsKey(s, i)
		if !ok {
			return 0, false
		}
		if i, ok = fn(k, v); !ok {
			return 0, false
		}
		i = jsWS(s, i)
		if i >= len(s) {
			return 0, false
		}
		if s[i] == '}' {
			return i + 1, true
		}
		if s[i] != ',' {
			return 0, false
		}
		i = jsWS(s, i+1)
	}
}

// jsElements calls fn for the start of each element of the array at s[i];
// fn returns the index after the element.
func jsElements(s string, i int, fn func(v int) (int, bool)) (int, bool) {
	if i >= len(s) || s[i] != '[' {
		return 0, false
	}
	i = jsWS(s, i+1)
	if i < len(s) && s[i] == ']' {
		return i + 1, true
	}
	for {
		var ok bool
		if i, ok = fn(i); !ok {
			return 0, false
		}
		i = jsWS(s, i)
		if i >= len(s) {
			return 0, false
		}
		if s[i] == ']' {
			return i + 1, true
		}
		if s[i] != ',' {
			return 0, false
		}
		i = jsWS(s, i+1)
	}
}

// jsOnly reports whether only white space follows s[i].
func jsOnly(s string, i int) bool { return jsWS(s, i) == len(s) }

// jsInner returns the JSON text a nested value holds the way flexJSON.Bytes
// reads it, for the one or two layers the reader vouches for: an object or
// array as it is, or a string holding one. ok is false otherwise (the
// caller takes the decoder's path).
func jsInner(text string) (string, bool) {
	if text == "" {
		return "", false
	}
	switch text[0] {
	case '{', '[':
		return text, true
	case '"':
		v, end, ok := jsString(text, 0)
		if !ok || end != len(text) {
			return "", false
		}
		v = v[jsWS(v, 0):]
		if v == "" || (v[0] != '{' && v[0] != '[') {
			return "", false
		}
		return v, true
	}
	return "", false
}

// ualJSON is one of a UAL record's nested values (Folders,
// AppAccessContext, …): the decoder's copy of its bytes (flex), or its text
// in the record as the single-pass reader found it (text).
type ualJSON struct {
	flex flexJSON
	text string
}

// UnmarshalJSON implements json.Unmarshaler.
func (j *ualJSON) UnmarshalJSON(b []byte) error { return j.flex.UnmarshalJSON(b) }

// bytes returns the value as flexJSON.
func (j ualJSON) bytes() flexJSON {
	if j.text != "" {
		return flexJSON(j.text)
	}
	return j.flex
}

// decode is flexJSON.Decode of the value.
func (j ualJSON) decode(v any) error { return j.bytes().Decode(v) }

// absent reports whether the record had no such member: decode would
// leave its target untouched.
func (j ualJSON) absent() bool { return j.text == "" && len(j.flex) == 0 }

// ualBufs holds the lists the single-pass reader fills for one record,
// reused from record to record: one per nested list that mapUAL may hold
// at once (ExtendedProperties, DeviceProperties, OperationProperties,
// Parameters, ModifiedProperties) and the folders.
type ualBufs struct {
	nv      [5][]nameValue
	folders []ualFolder
}

// buf returns the reused list i, or nil.
func (u *ualRecordOf[S]) buf(i int) *[]nameValue {
	if u.bufs == nil {
		return nil
	}
	return &u.bufs.nv[i]
}

// folderBuf returns the reused folder list, or nil.
func (u *ualRecordOf[S]) folderBuf() *[]ualFolder {
	if u.bufs == nil {
		return nil
	}
	return &u.bufs.folders
}

// nameValues returns a Parameters-like list: read from the text where the
// reader vouches for it (into buf, when not nil: the list is valid until
// buf's next use), decoded otherwise (errors ignored, as ever).
func (j ualJSON) nameValues(buf *[]nameValue) []nameValue {
	return ualList(j, buf, jsNameValues)
}

// ualList returns j's list: read from the text by read where the reader
// vouches for it (into buf, when not nil: the list is valid until buf's
// next use), decoded otherwise (errors ignored, as ever).
func ualList[T any](j ualJSON, buf *[]T, read func(string, []T) ([]T, bool)) []T {
	if j.absent() {
		return nil
	}
	if j.text != "" {
		if in, ok := jsInner(j.text); ok {
			var list []T
			if buf != nil {
				list = (*buf)[:0]
			}
			if list, ok := read(in, list); ok {
				if buf != nil {
					*buf = list
				}
				return list
			}
		}
	}
	var list []T
	_ = j.decode(&list)
	return list
}

// jsNameValues appends the entries of an array of {"Name":…,"Value":…}
// objects to list.
func jsNameValues(s string, list []nameValue) ([]nameValue, bool) {
	var buf [16]byte
	end, ok := jsElements(s, 0, func(v int) (int, bool) {
		var nv nameValue
		end, ok := jsMembers(s, v, func(k string, v int) (int, bool) {
			var dst *flexString
			switch k {
			case "Name":
				dst = &nv.Name
			case "Value":
				dst = &nv.Value
			case "NewValue":
				dst = &nv.NewValue
			case "OldValue":
				dst = &nv.OldValue
			default:
				if f, ok := jsFoldKey(buf[:0], k); ok {
					switch string(f) {
					case "name", "value", "newvalue", "oldvalue":
						return 0, false
					}
				}
				return jsSkip(s, v, 1)
			}
			val, end, ok := jsScalar(s, v)
			if !ok || s[v] == 'n' {
				return 0, false // null: left to the decoder
			}
			*dst = flexString(val)
			return end, true
		})
		list = append(list, nv)
		return end, ok
	})
	return list, ok && jsOnly(s, end)
}

// folders reads MailItemsAccessed's Folders: the paths and the number of
// items.
func (j ualJSON) folders(buf *[]ualFolder) []ualFolder {
	return ualList(j, buf, jsFolders)
}

// jsFolders reads an array of {"Path":…,"FolderItems":[…]} objects.
func jsFolders(s string, list []ualFolder) ([]ualFolder, bool) {
	var buf [16]byte
	end, ok := jsElements(s, 0, func(v int) (int, bool) {
		var f ualFolder
		end, ok := jsMembers(s, v, func(k string, v int) (int, bool) {
			switch k {
			case "Path":
				val, end, ok := jsScalar(s, v)
				if !ok || s[v] == 'n' {
					return 0, false
				}
				f.Path = flexString(val)
				return end, true
			case "FolderItems":
				if s[v] != '[' {
					return 0, false
				}
				n := 0
				end, ok := jsElements(s, v, func(v int) (int, bool) {
					if s[v] != '{' {
						return 0, false // struct{} from anything else: left to the decoder
					}
					n++
					return jsSkip(s, v, 2)
				})
				f.FolderItems = make([]struct{}, n)
				return end, ok
			}
			if f, ok := jsFoldKey(buf[:0], k); ok {
				switch string(f) {
				case "path", "folderitems":
					return 0, false
				}
			}
			return jsSkip(s, v, 1)
		})
		list = append(list, f)
		return end, ok
	})
	return list, ok && jsOnly(s, end)
}

// accessContext reads AppAccessContext as decodeLoose does.
func (j ualJSON) accessContext() ualAccessContext {
	if j.absent() {
		return ualAccessContext{}
	}
	if j.text != "" {
		if in, ok := jsInner(j.text); ok && in[0] == '{' {
			var v ualAccessContext
			if jsAccessContext(in, &v) {
				return v
			}
		}
	}
	return j.accessContextSlow()
}

// accessContextSlow is decodeLoose of the value (apart: its target escapes).
func (j ualJSON) accessContextSlow() ualAccessContext {
	var v ualAccessContext
	decodeLoose(j.bytes(), &v)
	return v
}

func jsAccessContext(s string, v *ualAccessContext) bool {
	var buf [16]byte
	end, ok := jsMembers(s, 0, func(k string, i int) (int, bool) {
		var dst *flexString
		switch k {
		case "AADSessionId":
			dst = &v.AADSessionID
		case "CorrelationId":
			dst = &v.CorrelationID
		case "UniqueTokenId":
			dst = &v.UniqueTokenID
		case "ClientAppId":
			dst = &v.ClientAppID
		case "ClientAppName":
			dst = &v.ClientAppName
		default:
			if f, ok := jsFoldKey(buf[:0], k); ok {
				switch string(f) {
				case "aadsessionid", "correlationid", "uniquetokenid", "clientappid", "clientappname":
					return 0, false
				}
			}
			return jsSkip(s, i, 1)
		}
		val, end, ok := jsScalar(s, i)
		if !ok || s[i] == 'n' {
			return 0, false
		}
		*dst = flexString(val)
		return end, true
	})
	return ok && jsOnly(s, end)
}

// itemSubject reads Item.Subject.
func (j ualJSON) itemSubject() string {
	if j.absent() {
		return ""
	}
	if j.text != "" {
		if in, ok := jsInner(j.text); ok && in[0] == '{' {
			if subj, ok := jsItemSubject(in); ok {
				return subj
			}
		}
	}
	var it ualItem
	_ = j.decode(&it)
	return string(it.Subject)
}

func jsItemSubject(s string) (string, bool) {
	var subj string
	var buf [16]byte
	end, ok := jsMembers(s, 0, func(k string, i int) (int, bool) {
		switch k {
		case "Subject":
			val, end, ok := jsScalar(s, i)
			if !ok || s[i] == 'n' {
				return 0, false
			}
			subj = val
			return end, true
		case "ParentFolder":
			if s[i] != '{' {
				return 0, false // the decoder stops at a type mismatch
			}
			return jsMembers(s, i, func(k string, i int) (int, bool) {
				if k != "Path" {
					if f, ok := jsFoldKey(buf[:0], k); ok && string(f) == "path" {
						return 0, false
					}
					return jsSkip(s, i, 2)
				}
				if s[i] == '{' || s[i] == '[' || s[i] == 'n' {
					return 0, false
				}
				_, end, ok := jsScalar(s, i)
				return end, ok
			})
		}
		if f, ok := jsFoldKey(buf[:0], k); ok {
			switch string(f) {
			case "subject", "parentfolder":
				return 0, false
			}
		}
		return jsSkip(s, i, 1)
	})
	return subj, ok && jsOnly(s, end)
}

// affectedCount is the number of AffectedItems, or 0 when they do not
// decode as a list.
func (j ualJSON) affectedCount() int {
	if j.absent() {
		return 0
	}
	if j.text != "" {
		if in, ok := jsInner(j.text); ok && in[0] == '[' {
			n := 0
			end, ok := jsElements(in, 0, func(v int) (int, bool) {
				n++
				return jsSkip(in, v, 1)
			})
			if ok && jsOnly(in, end) {
				return n
			}
		}
	}
	var affected []json.RawMessage
	if j.decode(&affected) != nil {
		return 0
	}
	return len(affected)
}

// scan reads the AuditData object s into u (zeroed first), its values
// substrings of s, and reports whether it vouches for the result: false
// for anything the decoder might read otherwise, and for the wrapper
// shapes (event.original, AuditData), which take the decoder's path.
func (u *ualRecordOf[S]) scan(s string) bool {
	end, ok := u.scanAt(s, nil)
	return ok && jsOnly(s, end)
}

// scanAt is scan of the object at the start of s, whatever follows it: it
// returns the index after the object. stop, when not nil, is asked about
// each key of the object's own members; true makes the reader step aside
// at once (an envelope's key, which the splitter must see).
func (u *ualRecordOf[S]) scanAt(s string, stop func(k string) bool) (int, bool) {
	*u = ualRecordOf[S]{bufs: u.bufs}
	var seen uint64
	var buf [32]byte
	return jsMembers(s, jsWS(s, 0), func(k string, v int) (int, bool) {
		if stop != nil && stop(k) {
			return 0, false
		}
		var dst *S
		var flex *flexString
		var nested *ualJSON
		var bit uint64
		switch k {
		case "CreationTime":
			dst, bit = &u.CreationTime, 1<<0
		case "Id":
			dst, bit = &u.ID, 1<<1
		case "Operation":
			dst, bit = &u.Operation, 1<<2
		case "OrganizationId":
			dst, bit = &u.OrganizationID, 1<<3
		case "RecordType":
			flex, bit = &u.RecordType, 1<<4
		case "ResultStatus":
			dst, bit = &u.ResultStatus, 1<<5
		case "UserType":
			flex, bit = &u.UserType, 1<<6
		case "Workload":
			dst, bit = &u.Workload, 1<<7
		case "ClientIP":
			dst, bit = &u.ClientIP, 1<<8
		case "ClientIPAddress":
			dst, bit = &u.ClientIPAddress, 1<<9
		case "ActorIpAddress":
			dst, bit = &u.ActorIPAddress, 1<<10
		case "ObjectId":
			dst, bit = &u.ObjectID, 1<<11
		case "UserId":
			dst, bit = &u.UserID, 1<<12
		case "AppId":
			dst, bit = &u.AppID, 1<<13
		case "ClientAppId":
			dst, bit = &u.ClientAppID, 1<<14
		case "ClientAppName":
			dst, bit = &u.ClientAppName, 1<<15
		case "ApplicationId":
			dst, bit = &u.ApplicationID, 1<<16
		case "ClientInfoString":
			dst, bit = &u.ClientInfoString, 1<<17
		case "UserAgent":
			dst, bit = &u.UserAgent, 1<<18
		case "SessionId":
			dst, bit = &u.SessionID, 1<<19
		case "MailboxOwnerUPN":
			dst, bit = &u.MailboxOwnerUPN, 1<<20
		case "OperationCount":
			flex, bit = &u.OperationCount, 1<<21
		case "TokenTenantId":
			dst, bit = &u.TokenTenantID, 1<<22
		case "InterSystemsId":
			dst, bit = &u.InterSystemsID, 1<<23
		case "ErrorNumber":
			flex, bit = &u.ErrorNumber, 1<<24
		case "LogonError":
			dst, bit = &u.LogonError, 1<<25
		case "SendAsUserSmtp":
			dst, bit = &u.SendAsUserSMTP, 1<<26
		case "SendOnBehalfOfUserSmtp":
			dst, bit = &u.SendOnBehalfOfSMTP, 1<<27
		case "AppAccessContext":
			nested, bit = &u.AppAccessContext, 1<<28
		case "Folders":
			nested, bit = &u.Folders, 1<<29
		case "OperationProperties":
			nested, bit = &u.OperationProperties, 1<<30
		case "Parameters":
			nested, bit = &u.Parameters, 1<<31
		case "ExtendedProperties":
			nested, bit = &u.ExtendedProperties, 1<<32
		case "DeviceProperties":
			nested, bit = &u.DeviceProperties, 1<<33
		case "ModifiedProperties":
			nested, bit = &u.ModifiedProperties, 1<<34
		case "Item":
			nested, bit = &u.Item, 1<<35
		case "AffectedItems":
			nested, bit = &u.AffectedItems, 1<<36
		case "OfficeId":
			dst, bit = &u.OfficeID, 1<<37
		case "OfficeTenantId":
			dst, bit = &u.OfficeTenantID, 1<<38
		case "OfficeWorkload":
			dst, bit = &u.OfficeWorkload, 1<<39
		case "OfficeObjectId":
			dst, bit = &u.OfficeObjectID, 1<<40
		case "Client_IPAddress":
			dst, bit = &u.ClientIPAddressCol, 1<<41
		case "TimeGenerated":
			dst, bit = &u.TimeGenerated, 1<<42
		case "Type":
			dst, bit = &u.Type, 1<<43
		case "event":
			return 0, false
		case "AuditData":
			return 0, false
		case "Operations":
			dst, bit = &u.Operations, 1<<46
		case "UserIds":
			dst, bit = &u.UserIDs, 1<<47
		case "createdDateTime":
			dst, bit = &u.CreatedDateTime, 1<<48
		default:
			if f, ok := jsFoldKey(buf[:0], k); ok && ualFoldsToField(string(f)) {
				return 0, false
			}
			return jsSkip(s, v, 1)
		}
		if seen&bit != 0 {
			return 0, false // a repeated key: left to the decoder
		}
		seen |= bit
		if nested != nil {
			end, ok := jsSkip(s, v, 1)
			if ok {
				nested.text = s[v:end]
			}
			return end, ok
		}
		val, end, ok := jsScalar(s, v)
		if !ok {
			return 0, false
		}
		if dst != nil {
			*dst = S(val)
		} else {
			*flex = flexString(val)
		}
		return end, true
	})
}

// ualFoldsToField reports whether a lower-cased key names a field of
// ualRecordOf, which the decoder matches whatever its case.
func ualFoldsToField(k string) bool {
	switch k {
	case "creationtime", "id", "operation", "organizationid", "recordtype", "resultstatus", "usertype", "workload", "clientip", "clientipaddress", "actoripaddress", "objectid", "userid", "appid", "clientappid", "clientappname", "applicationid", "clientinfostring", "useragent", "sessionid", "mailboxownerupn", "operationcount", "tokentenantid", "intersystemsid", "errornumber", "logonerror", "sendasusersmtp", "sendonbehalfofusersmtp", "appaccesscontext", "folders", "operationproperties", "parameters", "extendedproperties", "deviceproperties", "modifiedproperties", "item", "affecteditems", "officeid", "officetenantid", "officeworkload", "officeobjectid", "client_ipaddress", "timegenerated", "type", "event", "auditdata", "operations", "userids", "createddatetime":
		return true
	}
	return false
}
