package importers

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unsafe"

	json "github.com/goccy/go-json"

	"github.com/causeway-ir/causeway/timeline"
)

// jwtCapture imports evidence of bearer tokens seen on the wire (design.md
// §5): reverse-proxy, WAF or provider telemetry logs that carry JWTs.
//
// Shapes:
//   - "lines": one token a line ("Bearer " and "Authorization:" prefixes
//     and a leading timestamp allowed);
//   - "json": JSON or NDJSON records with a JWT in any string field, at
//     any depth ("Bearer " prefix allowed, also inside URLs), bare or in a
//     {"records":[…]} or {"value":[…]} envelope;
//   - "jwks": a JSON Web Key Set {"keys":[…]}, one event per key (category
//     credential): kid, x5t, and from the x5c certificate its validity and
//     issuer.
//
// Tokens are decoded without verifying the signature. One event per token
// (category token, action "token.captured"): key_id is the header's kid,
// else x5t; token_id is uti, else jti; tenant is tid; session_id is sid;
// resource_app is aud; app_id is appid, else azp; actor is upn, else
// unique_name, else email, else oid. The issuer (iss) is always written in
// the message as "iss=<value>"; when iss names a tenant GUID (Entra:
// login.microsoftonline.com/<guid>/…, sts.windows.net/<guid>/) that
// differs from tid, that GUID is actor_tenant: a consumer-MSA issuer
// (9188040d-6c67-4c5b-b112-36a304b66dad) on an enterprise tid shows as
// actor_tenant 9188040d-… next to tenant <tid>.
//
// A case must never hold a replayable token. Raw keeps the record with the
// signature of each JWT replaced by "<signature removed sha256:HEX>", HEX
// being the SHA-256 of the signature segment as it appeared (the header
// and claims stay readable). Other bearer secrets are replaced whole: the
// opaque token after "Bearer " ("<token removed sha256:HEX>") and the
// value of a secret-named field such as refresh_token, client_secret or
// cookie ("<value removed sha256:HEX>"). The same redaction applies to
// rejected records. A secret written with JSON escapes (which a byte
// search cannot see) is caught by re-reading the redacted record; Raw then
// holds the record re-encoded, with the secrets replaced.
type jwtCapture struct{}

var _ timeline.Importer = jwtCapture{}

// Name implements timeline.Importer.
func (jwtCapture) Name() string { return "jwt.capture" }

// Match implements timeline.Importer. This importer stands last in the
// table and claims a file only when its head is token lines, a JWKS, or
// JSON records whose main content is tokens, so that other sources'
// files that merely carry a JWT somewhere stay theirs.
func (jwtCapture) Match(_ string, head []byte) bool {
	switch firstNonSpace(head) {
	case 0:
		return false
	case '{', '[':
		if jwksHead(head) {
			return true
		}
		return jwtJSONHead(head)
	}
	return jwtLinesHead(head)
}

// jwksHead recognizes a JSON Web Key Set.
func jwksHead(head []byte) bool {
	return ctFirstKeyIs(head, "keys") && headHasKey(head, "kty")
}

// jwtLinesHead: the complete lines of head (up to 20) are each one token,
// with little else on the line.
func jwtLinesHead(head []byte) bool {
	lines := bytes.Split(head, []byte("\n"))
	if len(head) == headSize && len(lines) > 1 {
		lines = lines[:len(lines)-1] // cut by the head's end
	}
	n := 0
	for _, l := range lines {
		l = bytes.TrimSpace(stripBOM(l))
		if len(l) == 0 {
			continue
		}
		toks := findJWTs(l, true)
		if len(toks) != 1 {
			return false
		}
		if rest := len(l) - (toks[0].end - toks[0].start); rest > 80 {
			return false
		}
		if n++; n == 20 {
			break
		}
	}
	return n > 0
}

// jwtJSONHead: the first complete records of head (up to 3) each carry a
// decodable JWT that is their main content: a quarter of the record's
// bytes or more, or in a field named for a token.
func jwtJSONHead(head []byte) bool {
	s := newJSONScanner(bytes.NewReader(head), []string{"records", "value"})
	n := 0
	for n < 3 {
		rec, err := s.next()
		if err != nil || rec.Err != nil {
			break
		}
		toks := findJWTs(rec.Data, true)
		if len(toks) == 0 {
			return false
		}
		size := 0
		for _, t := range toks {
			size += t.end - t.start
		}
		if size*4 < len(rec.Data) && !jwtNamedField(rec.Data) {
			return false
		}
		n++
	}
	return n > 0
}

// jwtNamedField reports whether a record has a member whose name says it
// holds a token.
func jwtNamedField(rec []byte) bool {
	for _, k := range [...]string{"authorization", "Authorization", "token", "access_token", "id_token", "bearer",
		"jwt", "assertion", "accessToken", "idToken", "bearer_token", "http_authorization"} {
		if headHasKey(rec, k) {
			return true
		}
	}
	return false
}

// jwtToken is one JWT found in a text, with its decoded parts.
type jwtToken struct {
	start, end int // byte range in the text searched
	sigStart   int // start of the signature segment
	header     jwtPart
	claims     jwtPart
}

// byteClass classes every byte for the scanners below, indexed by the
// byte (a string constant: a load, no bounds check): bit 0 for the
// base64url alphabet ('-', '0'-'9', 'A'-'Z', '_', 'a'-'z'), bit 1 for a
// byte of an opaque bearer token (those, and '.', '~', '+', '/', '=',
// '%'). TestTokenByteSets checks it.
const byteClass = "" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x02\x00\x03\x02\x02\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x00\x00\x00\x02\x00\x00" +
	"\x00\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x00\x00\x00\x00\x03" +
	"\x00\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x00\x00\x00\x02\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"

const (
	classB64URL = 1 << iota
	classToken
)

// isB64URL reports whether c is in the base64url alphabet.
func isB64URL(c byte) bool { return byteClass[c]&classB64URL != 0 }

// findJWTs returns the JWS compact tokens in b: three base64url segments
// whose first starts "eyJ" (the encoding of `{"`). With decode set, only
// tokens whose header and claims are JSON objects count, and they come
// back decoded; without it every token-shaped run counts (for redaction,
// where a false positive costs nothing).
func findJWTs(b []byte, decode bool) []jwtToken {
	var out []jwtToken
	for i := 0; ; {
		t, next, ok := nextJWT(b, i, decode)
		if !ok {
			return out
		}
		out = append(out, t)
		i = next
	}
}

// nextJWT returns the first token findJWTs would find at or after i, and
// where the search goes on after it.
func nextJWT(b []byte, i int, decode bool) (t jwtToken, next int, ok bool) {
	for i+3 < len(b) {
		j := bytes.Index(b[i:], []byte("eyJ"))
		if j < 0 {
			break
		}
		start := i + j
		if decode && start > 0 && isB64URL(b[start-1]) {
			// Inside a longer base64 run: not a token start. (Redaction
			// does not ask: a JSON escape such as "\neyJ…" puts a letter
			// before a real token.)
			i = start + 3
			continue
		}
		var dots [2]int
		k, seg := start, 0
		for {
			for k < len(b) && isB64URL(b[k]) {
				k++
			}
			if k == len(b) || b[k] != '.' {
				break
			}
			if seg < 2 {
				dots[seg] = k
			}
			seg++
			k++
		}
		ok := seg >= 2 && dots[0] > start
		if decode {
			// A JWS: exactly three segments, header and claims not empty.
			ok = seg == 2 && dots[0] > start && dots[1] > dots[0]+1
		}
		// Redaction takes everything after the second dot: the signature
		// of a JWS, and also the rest of a JWE (a bearer credential too,
		// whose claims cannot be read) or of a token with a stray suffix.
		if !ok {
			i = start + 3
			continue
		}
		t := jwtToken{start: start, end: k, sigStart: dots[1] + 1}
		if decode {
			if !jwtDecodePart(b[start:dots[0]], &t.header) || !jwtDecodePart(b[dots[0]+1:dots[1]], &t.claims) {
				i = start + 3
				continue
			}
		}
		return t, k, true
	}
	return jwtToken{}, len(b), false
}

// jwtPart holds the values of a token's header or claims that jwtEvent
// reads, each as jwtClaim renders it: strings as they are, numbers in
// decimal, the first element of an array.
type jwtPart [claimCount]string

// jwtClaimName is a header or claim name jwtPart keeps.
type jwtClaimName int

const (
	claimKid jwtClaimName = iota
	claimX5t
	claimAlg
	claimUti
	claimJti
	claimTid
	claimIss
	claimSid
	claimAud
	claimAppid
	claimAzp
	claimAppDisplayname
	claimUpn
	claimUniqueName
	claimEmail
	claimOid
	claimIdtyp
	claimScp
	claimRoles
	claimIat
	claimExp
	claimIpaddr
	claimCount
)

// jwtClaimNames are the member names of the jwtClaimName constants, in their order.
var jwtClaimNames = [claimCount]string{
	"kid", "x5t", "alg", "uti", "jti", "tid", "iss", "sid", "aud", "appid", "azp", "app_displayname", "upn",
	"unique_name", "email", "oid", "idtyp", "scp", "roles", "iat", "exp", "ipaddr",
}

// jwtClaimIndex returns the jwtClaimName of a member name, or -1.
func jwtClaimIndex(name string) jwtClaimName {
	for c, n := range jwtClaimNames {
		if n == name {
			return jwtClaimName(c)
		}
	}
	return -1
}

// jwtDecodePart decodes one base64url JSON segment, which must be an
// object, into p.
func jwtDecodePart(seg []byte, p *jwtPart) bool {
	buf := make([]byte, base64.RawURLEncoding.DecodedLen(len(seg)))
	n, err := base64.RawURLEncoding.Decode(buf, seg)
	if err != nil {
		return false
	}
	// buf is not written again: p's values may be views of it.
	if jwtReadPart(unsafe.String(unsafe.SliceData(buf), n), p) {
		return true
	}
	var m map[string]any
	if json.Unmarshal(buf[:n], &m) != nil || m == nil {
		return false
	}
	*p = jwtPart{}
	for name := range claimCount {
		p[name] = jwtClaim(m, jwtClaimNames[name])
	}
	return true
}

// jwtReadPart fills p from the JSON object s in one pass, without the
// decoder, for what it can vouch for (jsMembers' grammar); false sends
// the part to the decoder, which then decides. Like the decoder's map, a
// repeated name keeps its last value.
func jwtReadPart(s string, p *jwtPart) bool {
	*p = jwtPart{}
	end, ok := jsMembers(s, jsWS(s, 0), func(k string, v int) (int, bool) {
		c := jwtClaimIndex(k)
		if c < 0 {
			return jwtSkip(s, v, 1)
		}
		if s[v] != '[' {
			text, end, ok := jwtReadScalar(s, v)
			p[c] = text
			return end, ok
		}
		first, text := true, ""
		end, ok := jsElements(s, v, func(e int) (int, bool) {
			if !first {
				return jwtSkip(s, e, 2)
			}
			first = false
			t, end, ok := jwtReadScalar(s, e)
			text = t
			return end, ok
		})
		p[c] = text
		return end, ok
	})
	return ok && jsOnly(s, end)
}

// jwtSkip validates the value at s[i] as the decoder would decode it
// (unlike jsSkip it parses numbers: the decoder rejects one out of
// float64's range) and returns the index after it.
func jwtSkip(s string, i, depth int) (int, bool) {
	if i >= len(s) || depth > jsMaxDepth {
		return 0, false
	}
	switch s[i] {
	case '{':
		return jsMembers(s, i, func(_ string, v int) (int, bool) { return jwtSkip(s, v, depth+1) })
	case '[':
		return jsElements(s, i, func(v int) (int, bool) { return jwtSkip(s, v, depth+1) })
	}
	_, end, ok := jwtReadScalar(s, i)
	return end, ok
}

// jwtReadScalar reads the value at s[i] as jwtScalar renders the
// decoder's: a string as it is, a number in decimal, a boolean's word,
// "" for null, an object or an array.
func jwtReadScalar(s string, i int) (string, int, bool) {
	if i < len(s) && (s[i] == '{' || s[i] == '[') {
		end, ok := jwtSkip(s, i, 2)
		return "", end, ok
	}
	v, end, ok := jsScalar(s, i)
	if !ok {
		return "", 0, false
	}
	if c := s[i]; c == '-' || c >= '0' && c <= '9' {
		// The decoder's float64, in decimal (out of its range, the decoder
		// rejects the part).
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return "", 0, false
		}
		return jwtScalar(f), end, true
	}
	return v, end, true
}

// jwtMarker is what replaces a signature.
func jwtMarker(sig []byte) string {
	sum := sha256.Sum256(sig)
	return "<signature removed sha256:" + hex.EncodeToString(sum[:]) + ">"
}

// redactJWTs returns b with the signature of every token-shaped run
// replaced by its marker. b itself is not changed.
func redactJWTs(b []byte) []byte {
	toks := findJWTs(b, false)
	if len(toks) == 0 {
		return b
	}
	var out bytes.Buffer
	out.Grow(len(b) + 80*len(toks))
	prev := 0
	for _, t := range toks {
		out.Write(b[prev:t.sigStart])
		if t.end > t.sigStart {
			out.WriteString(jwtMarker(b[t.sigStart:t.end]))
		}
		prev = t.end
	}
	out.Write(b[prev:])
	return out.Bytes()
}

// redactingEmitter keeps rejected records free of replayable tokens too.
type redactingEmitter struct{ timeline.Emitter }

func (r redactingEmitter) Reject(err *timeline.ParseError) error {
	err.Raw = redactText(err.Raw)
	return r.Emitter.Reject(err)
}

// Import implements timeline.Importer.
func (j jwtCapture) Import(ctx context.Context, r io.Reader, src timeline.Source, out timeline.Emitter) error {
	out = redactingEmitter{out}
	br, head, err := peekHead(r, src)
	if err != nil {
		return err
	}
	switch firstNonSpace(head) {
	case '{', '[':
		if jwksHead(head) {
			return j.importJWKS(ctx, br, src, out)
		}
		return j.importJSON(ctx, br, src, out)
	}
	return j.importLines(ctx, br, src, out)
}

// importJSON reads JSON or NDJSON records.
func (j jwtCapture) importJSON(ctx context.Context, r io.Reader, src timeline.Source, out timeline.Emitter) error {
	var e timeline.Event
	// Diagnostic-settings ({"records":[…]}: WAF and gateway logs) and
	// REST page ({"value":[…]}) envelopes hold one record per element.
	return streamJSON(ctx, r, []string{"records", "value"}, j.Name(), src, out, func(raw []byte, off int64) error {
		var rec map[string]any
		if err := json.Unmarshal(raw, &rec); err != nil {
			return rejectf("not a JSON object: %v", err)
		}
		var f jwtRecordFields
		var toks []jwtToken
		f.walk(rec, 0, &toks)
		if len(toks) == 0 {
			return rejectf("no decodable JWT in the record")
		}
		safeRaw, err := jwtSafeRaw(raw, rec, f.sigs)
		if err != nil {
			return rejectf("cannot redact the record: %v", err)
		}
		for i := range toks {
			e = newEvent(j.Name(), "json", src, off, nil)
			e.Raw = safeRaw
			if err := jwtEvent(&e, &toks[i], &f, i); err != nil {
				return err
			}
			if err := out.Emit(&e); err != nil {
				return err
			}
		}
		return nil
	})
}

// jwtSafeRaw returns the record's text with every secret replaced (JWT
// signatures, opaque bearer tokens, the values of secret-named fields such
// as refresh_token or cookie), and checks the result by decoding it: a
// secret hidden from the byte search by JSON escapes is then caught, and
// the record re-encoded with its secrets replaced.
func jwtSafeRaw(raw []byte, rec map[string]any, sigs [][]byte) (string, error) {
	red := redactKnown(redactText(raw), sigs)
	for _, v := range jwtSecretValues(rec, nil) {
		red = bytes.ReplaceAll(red, []byte(v), []byte(jwtValueMarker(v)))
	}
	var back any
	if err := json.Unmarshal(red, &back); err != nil {
		return "", err
	}
	if !jwtHasSecret(back, "") && !jwtHasKnown(back, sigs) {
		return string(red), nil
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(jwtRedactValue(rec, "")); err != nil {
		return "", err
	}
	return string(redactKnown(bytes.TrimRight(b.Bytes(), "\n"), sigs)), nil
}

// jwtHasKnown reports whether a decoded value still holds one of sigs.
func jwtHasKnown(v any, sigs [][]byte) bool {
	switch x := v.(type) {
	case string:
		for _, sig := range sigs {
			if len(sig) >= 8 && bytes.Contains(stringBytes(x), sig) {
				return true
			}
		}
	case map[string]any:
		for _, c := range x {
			if jwtHasKnown(c, sigs) {
				return true
			}
		}
	case []any:
		for _, c := range x {
			if jwtHasKnown(c, sigs) {
				return true
			}
		}
	}
	return false
}

// jwtSecretKey reports whether a member name says its value is a bearer
// credential (or holds one: cookies carry session tokens).
func jwtSecretKey(name string) bool {
	// Folded on the stack when plain ASCII (every listed name is), else by
	// Unicode's rules (the Kelvin sign folds to 'k').
	var buf [24]byte
	if k, ok := jsFoldKey(buf[:0], name); ok && jsPlain(name, 0) == len(name) {
		return jwtSecretName(string(k))
	}
	return jwtSecretName(strings.ToLower(name))
}

// jwtSecretName reports whether a lower-cased member name is one of a
// bearer credential.
func jwtSecretName(lowered string) bool {
	switch lowered {
	case "access_token", "accesstoken", "refresh_token", "refreshtoken", "id_token", "idtoken", "token", "bearer",
		"bearer_token", "client_secret", "clientsecret", "client_assertion", "assertion", "password", "authorization",
		"proxy-authorization", "http_authorization", "cookie", "set-cookie", "http_cookie", "x-ms-refresh-token", "session_token",
		"sessiontoken", "x-amz-security-token", "api_key", "apikey", "x-api-key":
		return true
	}
	return false
}

// jwtValueMarker replaces the whole value of a secret-named field.
func jwtValueMarker(v string) string {
	sum := sha256.Sum256([]byte(v))
	return "<value removed sha256:" + hex.EncodeToString(sum[:]) + ">"
}

// jwtSecretValues collects the values of secret-named fields that the
// text redaction leaves as they are (an opaque refresh token, a cookie).
func jwtSecretValues(v any, out []string) []string {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			if s, ok := c.(string); ok && jwtSecretKey(k) && len(s) >= 8 && !redactionChanges(stringBytes(s)) {
				out = append(out, s)
				continue
			}
			out = jwtSecretValues(c, out)
		}
	case []any:
		for _, c := range x {
			out = jwtSecretValues(c, out)
		}
	}
	return out
}

// jwtHasSecret reports whether a decoded value still holds a secret: a
// token with its signature, an opaque bearer token, or a secret-named
// field whose value carries no marker.
func jwtHasSecret(v any, key string) bool {
	switch x := v.(type) {
	case string:
		if jwtSecretKey(key) && len(x) >= 8 && !strings.Contains(x, " removed sha256:") {
			return true
		}
		return redactionChanges(stringBytes(x))
	case map[string]any:
		for k, c := range x {
			if jwtHasSecret(c, k) {
				return true
			}
		}
	case []any:
		for _, c := range x {
			if jwtHasSecret(c, key) {
				return true
			}
		}
	}
	return false
}

// jwtHasSignature reports whether a decoded value still holds a token
// with its signature.
func jwtHasSignature(v any) bool {
	switch x := v.(type) {
	case string:
		for _, t := range findJWTs([]byte(x), false) {
			if t.end > t.sigStart {
				return true
			}
		}
	case map[string]any:
		for _, c := range x {
			if jwtHasSignature(c) {
				return true
			}
		}
	case []any:
		return slices.ContainsFunc(x, jwtHasSignature)
	}
	return false
}

// jwtRedactValue returns a copy of v with every secret replaced.
func jwtRedactValue(v any, key string) any {
	switch x := v.(type) {
	case string:
		r := string(redactText([]byte(x)))
		if r == x && jwtSecretKey(key) && len(x) >= 8 {
			return jwtValueMarker(x)
		}
		return r
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, c := range x {
			m[k] = jwtRedactValue(c, k)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, c := range x {
			s[i] = jwtRedactValue(c, key)
		}
		return s
	}
	return v
}

// redactText replaces JWT signatures, opaque bearer tokens and
// signature-like tails in b.
func redactText(b []byte) []byte { return redactTails(redactBearer(redactJWTs(b))) }

// minSigTail is the shortest run redactTails takes for a signature: real
// JWS signatures are 43 (HS256), 86 (ES256) or 342 (RS256) characters.
const minSigTail = 40

// redactTails replaces a run of at least minSigTail base64url characters
// (16 after a segment of minSigTail or more) that follows a '.' after
// another base64url run: the signature of a token that is damaged (a
// stray quote, a cut header) and so not recognized as a JWT, yet still
// repairable into a replayable one.
func redactTails(b []byte) []byte {
	var out []byte
	prev := 0
	for i := 1; ; {
		dot, e, ok := nextTail(b, i)
		if !ok {
			break
		}
		out = append(out, b[prev:dot+1]...)
		out = append(out, jwtMarker(b[dot+1:e])...)
		prev, i = e, e
	}
	if out == nil {
		return b
	}
	return append(out, b[prev:]...)
}

// nextTail returns the first tail redactTails would replace whose dot is
// at or after i: the dot's position and the tail's end.
func nextTail(b []byte, i int) (dot, end int, ok bool) {
	for i < len(b) {
		d := bytes.IndexByte(b[i:], '.')
		if d < 0 {
			break
		}
		i += d
		if i == 0 || !isB64URL(b[i-1]) {
			i++
			continue
		}
		e := i + 1
		for e < len(b) && isB64URL(b[e]) {
			e++
		}
		// After a claims-sized segment (a damaged token's payload) a
		// shorter tail is a signature too.
		need := minSigTail
		if s := i - 1; s >= minSigTail {
			for s > i-1-minSigTail && isB64URL(b[s]) {
				s--
			}
			if s == i-1-minSigTail {
				need = 16
			}
		}
		if e-(i+1) < need || e < len(b) && b[e] == '.' {
			i++
			continue
		}
		return i, e, true
	}
	return 0, 0, false
}

// redactKnown replaces every copy of the given signatures in b (a damaged
// second copy of a token whose intact copy was decoded).
func redactKnown(b []byte, sigs [][]byte) []byte {
	for _, sig := range sigs {
		if len(sig) >= 8 && bytes.Contains(b, sig) {
			b = bytes.ReplaceAll(b, sig, []byte(jwtMarker(sig)))
		}
	}
	return b
}

// isTokenByte reports whether c may be part of an opaque bearer token
// (RFC 6750 b64token, plus the '.' of JWTs and '%' of URL encoding).
func isTokenByte(c byte) bool { return byteClass[c]&classToken != 0 }

// redactBearer replaces the opaque token after "Bearer " (any case) with
// a marker of its SHA-256. JWTs (starting "eyJ") are left to redactJWTs,
// which keeps their readable header and claims.
func redactBearer(b []byte) []byte {
	var out []byte
	prev := 0
	for i := 0; ; {
		k, e, ok := nextBearer(b, i)
		if !ok {
			break
		}
		out = append(out, b[prev:k]...)
		sum := sha256.Sum256(b[k:e])
		out = append(out, "<token removed sha256:"+hex.EncodeToString(sum[:])+">"...)
		prev, i = e, e
	}
	if out == nil {
		return b
	}
	return append(out, b[prev:]...)
}

// nextBearer returns the first token redactBearer would replace whose
// "bearer" starts at or after i: the token's start and end.
func nextBearer(b []byte, i int) (start, end int, ok bool) {
	// The next 'b' and the next 'B', each found with IndexByte and kept
	// until passed: most bytes are not either.
	nb, nB := -1, -1
	for i+7 < len(b) {
		if nb < i {
			nb = indexFrom(b, i, 'b')
		}
		if nB < i {
			nB = indexFrom(b, i, 'B')
		}
		i = min(nb, nB)
		if i+7 >= len(b) {
			break
		}
		if !bytes.EqualFold(b[i:i+6], []byte("bearer")) {
			i++
			continue
		}
		j := i + 6
		k := j
		for k < len(b) && (b[k] == ' ' || b[k] == '+' && k == j) {
			k++
		}
		if k < len(b)-2 && b[k] == '%' && b[k+1] == '2' && b[k+2] == '0' {
			k += 3
		}
		if k == j {
			i++
			continue
		}
		e := k
		for e < len(b) && isTokenByte(b[e]) {
			e++
		}
		if e-k < 16 || bytes.HasPrefix(b[k:e], []byte("eyJ")) {
			i++
			continue
		}
		return k, e, true
	}
	return 0, 0, false
}

// indexFrom is the index of the first c in b at or after i, or len(b).
func indexFrom(b []byte, i int, c byte) int {
	if j := bytes.IndexByte(b[i:], c); j >= 0 {
		return i + j
	}
	return len(b)
}

// redactionChanges reports whether redactText would change b, without
// building its result: whether b holds a token's signature, an opaque
// bearer token or a signature-like tail. (Each replacement puts a '<',
// which no token byte is, where a token byte was, so the result differs
// from b exactly when one of the three finds something in b itself.)
func redactionChanges(b []byte) bool {
	for i := 0; ; {
		t, next, ok := nextJWT(b, i, false)
		if !ok {
			break
		}
		if t.end > t.sigStart {
			return true
		}
		i = next
	}
	if _, _, ok := nextBearer(b, 0); ok {
		return true
	}
	_, _, ok := nextTail(b, 1)
	return ok
}

// stringBytes views s as bytes, for the scanners above, which only read.
func stringBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// jwtRecordFields holds the record's own context for its tokens: the
// first value (shallowest wins) of each common field name.
type jwtRecordFields struct {
	id, time, ip, ua, status string
	depth                    [5]int // depth+1 at which each was found; 0 = not yet
	sigHashes                []string
	sigs                     [][]byte // the signatures themselves, to redact every copy
}

// jwtFieldClass tells which context field a member name is, or -1.
func jwtFieldClass(name string, depth int) int {
	switch strings.ToLower(name) {
	case "id", "request_id", "requestid", "uuid", "event_id", "eventid", "x-request-id":
		if depth == 0 {
			return 0
		}
	case "@timestamp", "timestamp", "time", "ts", "date", "datetime", "eventtime", "event_time", "logtime", "log_time",
		"created", "createddatetime", "request_time", "start_time", "timegenerated":
		return 1
	case "ip", "client_ip", "clientip", "src_ip", "srcip", "source_ip", "sourceip", "remote_addr", "remoteaddr", "remote_ip",
		"x-forwarded-for", "x_forwarded_for", "xff", "client_address", "clientipaddress", "c-ip", "callerip", "ipaddress", "ip_address":
		return 2
	case "user_agent", "useragent", "http_user_agent", "user-agent", "ua", "cs(user-agent)":
		return 3
	case "status", "status_code", "statuscode", "http_status", "response_code", "sc-status", "httpstatus":
		return 4
	}
	return -1
}

// walk collects the record's tokens and context fields.
func (f *jwtRecordFields) walk(v any, depth int, toks *[]jwtToken) {
	switch x := v.(type) {
	case map[string]any:
		// Context fields first, in a stable order: map iteration is random
		// and the shallowest occurrence must win deterministically.
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			c := x[k]
			if cls := jwtFieldClass(k, depth); cls >= 0 && (f.depth[cls] == 0 || f.depth[cls] > depth+1) {
				if s := jwtScalar(c); s != "" {
					f.depth[cls] = depth + 1
					switch cls {
					case 0:
						f.id = s
					case 1:
						f.time = s
					case 2:
						f.ip = s
					case 3:
						f.ua = s
					case 4:
						f.status = s
					}
				}
			}
		}
		for _, k := range keys {
			f.walk(x[k], depth+1, toks)
		}
	case []any:
		for _, c := range x {
			f.walk(c, depth+1, toks)
		}
	case string:
		b := stringBytes(x) // read only; sigs may keep views of it
		for _, t := range findJWTs(b, true) {
			f.sigHashes = append(f.sigHashes, jwtMarker(b[t.sigStart:t.end]))
			f.sigs = append(f.sigs, b[t.sigStart:t.end])
			*toks = append(*toks, t)
		}
	}
}

// jwtScalar renders a JSON scalar as text ("" for objects, arrays, null).
func jwtScalar(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e18 {
			return strconv.FormatInt(int64(x), 10)
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}

// jwtTime parses a record time: every parseTime spelling, plus epoch
// seconds with a fraction ("1700000000.123").
func jwtTime(s string) (time.Time, error) {
	if t, err := parseTime(s); err == nil {
		return t, nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f > 0 && f < 1e11 {
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("unrecognized time %q", truncate(s, 64))
}

// jwtClaim returns a claim as text: strings as they are, numbers in
// decimal, the first element of an array.
func jwtClaim(m map[string]any, name string) string {
	switch x := m[name].(type) {
	case []any:
		if len(x) > 0 {
			return jwtScalar(x[0])
		}
		return ""
	default:
		return jwtScalar(x)
	}
}

// jwtGUIDish lower-cases a value that looks like a GUID (a join key) and
// keeps any other value as it is (uti, kid and x5t are case-sensitive).
func jwtGUIDish(s string) string {
	if jwtIsGUID(s) {
		return lower(s)
	}
	return s
}

// jwtIsGUID reports whether s is a GUID in its 8-4-4-4-12 hex spelling.
func jwtIsGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// jwtIssuerTenant returns the tenant GUID an Entra or MSA issuer URL names
// ("https://login.microsoftonline.com/<guid>/v2.0", "https://sts.windows.net/<guid>/").
func jwtIssuerTenant(iss string) string {
	for seg := range strings.SplitSeq(iss, "/") {
		if jwtIsGUID(seg) {
			return lower(seg)
		}
	}
	return ""
}

// jwtEvent fills e for token i of a record.
func jwtEvent(e *timeline.Event, t *jwtToken, f *jwtRecordFields, i int) error {
	e.Category = timeline.CategoryToken
	e.Action = "token.captured"
	h, c := &t.header, &t.claims
	e.KeyID = h[claimKid]
	x5t := h[claimX5t]
	if e.KeyID == "" {
		e.KeyID = x5t
	}
	e.TokenID = c[claimUti]
	if e.TokenID == "" {
		e.TokenID = jwtGUIDish(c[claimJti])
	}
	e.Tenant = jwtGUIDish(c[claimTid])
	iss := c[claimIss]
	if it := jwtIssuerTenant(iss); it != "" && it != e.Tenant {
		e.ActorTenant = it
	}
	e.SessionID = jwtGUIDish(c[claimSid])
	e.ResourceApp = jwtGUIDish(c[claimAud])
	e.AppID = jwtGUIDish(c[claimAppid])
	if e.AppID == "" {
		e.AppID = jwtGUIDish(c[claimAzp])
	}
	e.AppName = c[claimAppDisplayname]
	for _, n := range [...]jwtClaimName{claimUpn, claimUniqueName, claimEmail, claimOid} {
		if v := c[n]; v != "" {
			e.Actor = lower(v)
			break
		}
	}
	switch {
	case e.Actor == "":
	case c[claimIdtyp] == "app" || (c[claimUpn] == "" && c[claimUniqueName] == "" &&
		c[claimEmail] == "" && c[claimScp] == "" && e.AppID != "" && c[claimRoles] != ""):
		e.ActorKind = timeline.ActorServicePrincipal
	case c[claimUpn] != "" || c[claimUniqueName] != "" || c[claimEmail] != "" || c[claimScp] != "":
		e.ActorKind = timeline.ActorUser
	default:
		e.ActorKind = timeline.ActorUnknown
	}
	e.SrcIP = cleanIP(f.ip)
	e.UserAgent = f.ua
	e.Outcome = timeline.OutcomeUnknown
	if code, err := strconv.Atoi(f.status); err == nil && code >= 100 && code < 600 {
		e.Outcome = timeline.OutcomeSuccess
		if code >= 400 {
			e.Outcome, e.Reason = timeline.OutcomeFailure, f.status
		}
	}

	// The record's own time, else the token's issue time.
	switch {
	case f.time != "":
		tm, err := jwtTime(f.time)
		if err != nil {
			return rejectErr(fmt.Errorf("record time: %w", err))
		}
		e.Time = tm
	default:
		iat := c[claimIat]
		if iat == "" {
			return rejectf("no record time and no iat claim")
		}
		tm, err := jwtTime(iat)
		if err != nil {
			return rejectErr(fmt.Errorf("iat: %w", err))
		}
		e.Time = tm
	}

	if f.id != "" {
		e.ID = f.id
	} else {
		e.ID = timeline.FallbackID(e.FileSHA256, e.Offset)
	}
	if i > 0 {
		e.ID += "/" + strconv.Itoa(i)
	}
	e.Message = jwtMessage(e, t, iss, x5t, f.sigHashes[min(i, len(f.sigHashes)-1)])
	return finish(e)
}

// jwtMessage writes the readable line. It carries iss verbatim.
func jwtMessage(e *timeline.Event, t *jwtToken, iss, x5t, marker string) string {
	var b strings.Builder
	b.Grow(320)
	b.WriteString("token")
	if e.TokenID != "" {
		b.WriteString(" ")
		b.WriteString(e.TokenID)
	}
	if e.Actor != "" {
		b.WriteString(" for ")
		b.WriteString(e.Actor)
	}
	if e.AppID != "" {
		b.WriteString(" via app ")
		b.WriteString(e.AppID)
	}
	if e.ResourceApp != "" {
		b.WriteString(" to ")
		b.WriteString(e.ResourceApp)
	}
	b.WriteString(" seen")
	if e.SrcIP != "" {
		b.WriteString(" from ")
		b.WriteString(e.SrcIP)
	}
	b.WriteString(": iss=")
	b.WriteString(iss)
	if e.Tenant != "" {
		b.WriteString(" tid=")
		b.WriteString(e.Tenant)
	}
	if kid := t.header[claimKid]; kid != "" {
		b.WriteString(" kid=")
		b.WriteString(kid)
	}
	if x5t != "" {
		b.WriteString(" x5t=")
		b.WriteString(x5t)
	}
	if alg := t.header[claimAlg]; alg != "" {
		b.WriteString(" alg=")
		b.WriteString(alg)
	}
	for _, n := range [...]jwtClaimName{claimIat, claimExp} {
		if v := t.claims[n]; v != "" {
			if tm, err := jwtTime(v); err == nil {
				b.WriteString(" ")
				b.WriteString(jwtClaimNames[n])
				b.WriteString("=")
				b.Write(tm.AppendFormat(make([]byte, 0, 32), time.RFC3339))
			}
		}
	}
	if ip := t.claims[claimIpaddr]; ip != "" {
		b.WriteString(" issued-to-ip=")
		b.WriteString(ip)
	}
	b.WriteString(" ")
	b.WriteString(marker)
	return b.String()
}

// maxLine bounds one text line of a token-lines file.
const maxLine = 16 << 20

// importLines reads a text file of token lines.
func (j jwtCapture) importLines(ctx context.Context, br *bufio.Reader, src timeline.Source, out timeline.Emitter) error {
	var off int64
	var e timeline.Event
	var line []byte
	for n := 0; ; n++ {
		if n&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		line = line[:0]
		start := off
		var rerr error
		tooLong := false
		for {
			chunk, err := br.ReadSlice('\n')
			off += int64(len(chunk))
			if !tooLong && len(line)+len(chunk) <= maxLine {
				line = append(line, chunk...)
			} else {
				tooLong = true
			}
			if err == bufio.ErrBufferFull {
				continue
			}
			rerr = err
			break
		}
		if rerr != nil && rerr != io.EOF {
			return fmt.Errorf("%s: read: %w", src.File, rerr)
		}
		text := bytes.TrimRight(line, "\r\n")
		if tooLong {
			if err := out.Reject(parseError(j.Name(), src, start, fmt.Errorf("line longer than %d bytes", maxLine), text[:min(len(text), 4096)])); err != nil {
				return err
			}
		} else if len(bytes.TrimSpace(stripBOM(text))) > 0 {
			if err := j.line(&e, text, start, src, out); err != nil {
				if re, ok := errors.AsType[*recordError](err); ok {
					if err := out.Reject(parseError(j.Name(), src, start, re.err, text)); err != nil {
						return err
					}
				} else {
					return err
				}
			}
		}
		if rerr == io.EOF {
			return nil
		}
	}
}

// line normalizes one token line.
func (j jwtCapture) line(e *timeline.Event, text []byte, off int64, src timeline.Source, out timeline.Emitter) error {
	toks := findJWTs(text, true)
	if len(toks) == 0 {
		return rejectf("no decodable JWT on the line")
	}
	// Raw is the line as a JSON string; without HTML escaping, so the
	// marker reads "<signature removed …>" rather than "\u003csignature…".
	var rb bytes.Buffer
	enc := json.NewEncoder(&rb)
	enc.SetEscapeHTML(false)
	var sigs [][]byte
	for _, t := range toks {
		sigs = append(sigs, text[t.sigStart:t.end])
	}
	if err := enc.Encode(string(redactKnown(redactText(text), sigs))); err != nil {
		return rejectErr(err)
	}
	raw := string(bytes.TrimRight(rb.Bytes(), "\n"))
	var f jwtRecordFields
	// A leading timestamp ("2024-03-01T10:00:00Z Bearer eyJ…") is the
	// record's time.
	// ("2024-03-01 10:00:00.123 …": a date and a time field count as one.)
	if fields := strings.Fields(string(stripBOM(text[:toks[0].start]))); len(fields) > 0 {
		cands := []string{fields[0]}
		if len(fields) > 1 {
			cands = []string{fields[0] + " " + fields[1], fields[0]}
		}
		for _, c := range cands {
			if _, err := jwtTime(c); err == nil {
				f.time = c
				break
			}
		}
	}
	for _, t := range toks {
		f.sigHashes = append(f.sigHashes, jwtMarker(text[t.sigStart:t.end]))
	}
	for i := range toks {
		*e = newEvent(j.Name(), "lines", src, off, nil)
		e.Raw = raw
		if err := jwtEvent(e, &toks[i], &f, i); err != nil {
			return err
		}
		if err := out.Emit(e); err != nil {
			return err
		}
	}
	return nil
}

// jwk is one key of a JWKS (RFC 7517), with Microsoft's "issuer".
type jwk struct {
	Kty    string   `json:"kty"`
	Use    string   `json:"use"`
	Kid    string   `json:"kid"`
	X5t    string   `json:"x5t"`
	X5c    []string `json:"x5c"`
	Issuer string   `json:"issuer"`
	Alg    string   `json:"alg"`
}

// importJWKS emits one credential event per key.
func (j jwtCapture) importJWKS(ctx context.Context, r io.Reader, src timeline.Source, out timeline.Emitter) error {
	var e timeline.Event
	return streamJSON(ctx, r, []string{"keys"}, j.Name(), src, out, func(raw []byte, off int64) error {
		var k jwk
		if err := json.Unmarshal(raw, &k); err != nil {
			return rejectf("not a JWK: %v", err)
		}
		if k.Kty == "" {
			return rejectf("not a JWK: no kty")
		}
		e = newEvent(j.Name(), "jwks", src, off, raw)
		e.Category = timeline.CategoryCredential
		e.Action = "jwks.key"
		e.Outcome = timeline.OutcomeUnknown
		e.KeyID = k.Kid
		if e.KeyID == "" {
			e.KeyID = k.X5t
		}
		e.Tenant = jwtIssuerTenant(k.Issuer)
		var b strings.Builder
		b.WriteString("signing key kid=" + k.Kid)
		x5t := k.X5t
		if len(k.X5c) == 0 {
			return rejectf("key %s has no x5c certificate: no validity time to place it on the timeline", k.Kid)
		}
		der, err := base64.StdEncoding.DecodeString(k.X5c[0])
		if err != nil {
			return rejectf("x5c: %v", err)
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			return rejectf("x5c: %v", err)
		}
		e.Time = cert.NotBefore.UTC()
		if x5t == "" {
			sum := sha1.Sum(der) // x5t is defined as the SHA-1 thumbprint (RFC 7515 §4.1.7)
			x5t = base64.RawURLEncoding.EncodeToString(sum[:])
		}
		thumb := sha1.Sum(der)
		fmt.Fprintf(&b, " x5t=%s thumbprint=%s kty=%s", x5t, hex.EncodeToString(thumb[:]), k.Kty)
		if k.Use != "" {
			b.WriteString(" use=" + k.Use)
		}
		fmt.Fprintf(&b, "; certificate subject %q issuer %q valid %s to %s",
			cert.Subject.String(), cert.Issuer.String(), cert.NotBefore.UTC().Format(time.RFC3339), cert.NotAfter.UTC().Format(time.RFC3339))
		if k.Issuer != "" {
			b.WriteString("; token issuer " + k.Issuer)
		}
		e.Message = b.String()
		if err := finish(&e); err != nil {
			return err
		}
		return out.Emit(&e)
	})
}
