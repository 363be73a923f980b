package importers

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	json "github.com/goccy/go-json"
)

// The redaction scanners were rewritten for speed (IndexByte jumps, bit
// sets, a predicate that builds nothing). These are the previous, byte by
// byte versions, kept as the reference the new ones must equal.

func refB64URL(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

func refTokenByte(c byte) bool {
	return refB64URL(c) || c == '.' || c == '~' || c == '+' || c == '/' || c == '=' || c == '%'
}

func refRedactTails(b []byte) []byte {
	var out []byte
	prev := 0
	for i := 1; i < len(b); i++ {
		if b[i] != '.' || !refB64URL(b[i-1]) {
			continue
		}
		e := i + 1
		for e < len(b) && refB64URL(b[e]) {
			e++
		}
		need := minSigTail
		if s := i - 1; s >= minSigTail {
			for s > i-1-minSigTail && refB64URL(b[s]) {
				s--
			}
			if s == i-1-minSigTail {
				need = 16
			}
		}
		if e-(i+1) < need || e < len(b) && b[e] == '.' {
			continue
		}
		out = append(out, b[prev:i+1]...)
		out = append(out, jwtMarker(b[i+1:e])...)
		prev = e
		i = e - 1
	}
	if out == nil {
		return b
	}
	return append(out, b[prev:]...)
}

func refRedactBearer(b []byte) []byte {
	var out []byte
	prev := 0
	for i := 0; i+7 < len(b); i++ {
		if b[i]|0x20 != 'b' || !bytes.EqualFold(b[i:i+6], []byte("bearer")) {
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
			continue
		}
		e := k
		for e < len(b) && refTokenByte(b[e]) {
			e++
		}
		if e-k < 16 || bytes.HasPrefix(b[k:e], []byte("eyJ")) {
			continue
		}
		out = append(out, b[prev:k]...)
		sum := sha256.Sum256(b[k:e])
		out = append(out, "<token removed sha256:"+hex.EncodeToString(sum[:])+">"...)
		prev = e
		i = e - 1
	}
	if out == nil {
		return b
	}
	return append(out, b[prev:]...)
}

func TestTokenByteSets(t *testing.T) {
	for c := range 256 {
		if got, want := isB64URL(byte(c)), refB64URL(byte(c)); got != want {
			t.Errorf("isB64URL(%#x) = %v, want %v", c, got, want)
		}
		if got, want := isTokenByte(byte(c)), refTokenByte(byte(c)); got != want {
			t.Errorf("isTokenByte(%#x) = %v, want %v", c, got, want)
		}
	}
}

// checkRedactors compares the scanners with the references on b.
func checkRedactors(t *testing.T, b []byte) {
	t.Helper()
	if got, want := redactTails(b), refRedactTails(b); !bytes.Equal(got, want) {
		t.Fatalf("redactTails(%q)\n= %q\nwant %q", b, got, want)
	}
	if got, want := redactBearer(b), refRedactBearer(b); !bytes.Equal(got, want) {
		t.Fatalf("redactBearer(%q)\n= %q\nwant %q", b, got, want)
	}
	if got, want := redactionChanges(b), !bytes.Equal(redactText(b), b); got != want {
		t.Fatalf("redactionChanges(%q) = %v, redactText says %v", b, got, want)
	}
}

// redactSeeds are texts at the scanners' edges, and every line of the
// token testdata.
func redactSeeds(t testing.TB) [][]byte {
	sig := strings.Repeat("Ab9_-", 9)
	seeds := []string{
		"", ".", "a.", "Bearer", "bearer ", "BEARER " + strings.Repeat("x", 15), "BEARER " + strings.Repeat("x", 16),
		"Bearer+" + strings.Repeat("tok~/=%", 4), "bearer%20" + strings.Repeat("q", 20), "xbearer " + strings.Repeat("Q", 17) + "bearer",
		"Bearer eyJ" + strings.Repeat("a", 30), "bBbBbearer  " + strings.Repeat("z", 40), "Bbearer " + strings.Repeat("z", 20),
		"x." + sig, "x." + sig + ".", strings.Repeat("c", 40) + "." + strings.Repeat("d", 16), strings.Repeat("c", 39) + "." + strings.Repeat("d", 16),
		"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0." + sig, "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.", "\\neyJa.eyJb." + sig + " and Bearer " + sig,
		"tail at end x." + sig[:41],
	}
	out := make([][]byte, 0, len(seeds))
	for _, s := range seeds {
		out = append(out, []byte(s))
	}
	for _, name := range []string{"jwt_proxy.ndjson", "jwt_lines.txt"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, data)
		out = append(out, bytes.Split(data, []byte("\n"))...)
	}
	return out
}

func TestRedactorsMatchReference(t *testing.T) {
	for _, b := range redactSeeds(t) {
		checkRedactors(t, b)
	}
}

func FuzzRedactors(f *testing.F) {
	for _, b := range redactSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(checkRedactors)
}

// checkReadPart: what jwtReadPart reads without the decoder is what the
// decoder's map gives, and it never accepts what the decoder rejects.
func checkReadPart(t *testing.T, s string) {
	t.Helper()
	var fast jwtPart
	if !jwtReadPart(s, &fast) {
		return
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil || m == nil {
		t.Fatalf("jwtReadPart accepted %q, which the decoder rejects (%v)", s, err)
	}
	for c := range claimCount {
		if got, want := fast[c], jwtClaim(m, jwtClaimText(c)); got != want {
			t.Fatalf("jwtReadPart(%q): %s = %q, decoder's map gives %q", s, jwtClaimText(c), got, want)
		}
	}
}

func readPartSeeds(t testing.TB) []string {
	seeds := []string{
		`{}`, ` {"kid":"k1","alg":"RS256"} `, `{"upn":"a@b.c","upn":"second@b.c"}`, `{"aud":["first","second"]}`,
		`{"aud":[]}`, `{"aud":[{"x":1},"s"]}`, `{"roles":[["n"]]}`, `{"iat":1683544458,"exp":1.6835e9,"nbf":-0}`,
		`{"iat":12345678901234567890}`, `{"iat":1e400}`, `{"iat":0.1}`, `{"scp":true,"idtyp":false,"oid":null}`,
		`{"tid":{"nested":"x"}}`, `{"iss":"https:\/\/sts.windows.net\/x\/"}`, `{"upn":"caf\u00e9@x"}`, `{"up\u006e":"escaped key"}`,
		`{"upn":"a"}x`, `{"upn":"a",}`, `null`, `[]`, `{"upn":"\ud83d\ude00"}`, "{\"upn\":\"caf\xc3\xa9\"}", "{\"upn\":\"bad\xff\"}",
		`{"other":[1,2,{"a":[true,null]}],"appid":"x"}`, `{"iat":"1683544458"}`, `{"iat":01}`, `{"kid" : "spaced" , "x5t":"t"}`,
	}
	for _, name := range []string{"jwt_proxy.ndjson", "jwt_lines.txt"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		for _, tok := range findJWTs(data, false) {
			for _, seg := range bytes.Split(data[tok.start:tok.sigStart], []byte(".")) {
				if d, err := base64.RawURLEncoding.DecodeString(string(seg)); err == nil {
					seeds = append(seeds, string(d))
				}
			}
		}
	}
	return seeds
}

func TestReadPartMatchesDecoder(t *testing.T) {
	read := 0
	for _, s := range readPartSeeds(t) {
		checkReadPart(t, s)
		var p jwtPart
		if jwtReadPart(s, &p) {
			read++
		}
	}
	if read < 20 {
		t.Errorf("jwtReadPart read only %d seeds itself", read)
	}
}

func FuzzReadPart(f *testing.F) {
	for _, s := range readPartSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(checkReadPart)
}
