package importers

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	json "github.com/goccy/go-json"
	"github.com/google/go-cmp/cmp"

	"github.com/causeway-ir/causeway/timeline"
)

type jwtFields struct {
	ID, Shape, Time, Actor, Tenant, ActorTenant, KeyID, TokenID, SessionID, AppID, ResourceApp, SrcIP, Reason string
	ActorKind                                                                                                 timeline.ActorKind
	Category                                                                                                  timeline.Category
	Outcome                                                                                                   timeline.Outcome
}

func jwtPick(e timeline.Event) jwtFields {
	return jwtFields{ID: e.ID, Shape: e.Shape, Time: e.Field("time"), Actor: e.Actor, Tenant: e.Tenant, ActorTenant: e.ActorTenant,
		KeyID: e.KeyID, TokenID: e.TokenID, SessionID: e.SessionID, AppID: e.AppID, ResourceApp: e.ResourceApp, SrcIP: e.SrcIP,
		Reason: e.Reason, ActorKind: e.ActorKind, Category: e.Category, Outcome: e.Outcome}
}

// The three synthetic tokens of testdata/jwt_*: an enterprise Entra token,
// a consumer-MSA-issued token for an enterprise tenant (the Storm-0558
// pattern), and an Okta access token.
var (
	jwtEnt = jwtFields{Actor: "alice@contoso.com", Tenant: "72f988bf-86f1-41af-91ab-2d7cd011db47", KeyID: "nOo3ZDrODXEK1jKWhXslHR_KXEg",
		TokenID: "Rdwd2lRF4UKBin7iUvN8AA", SessionID: "6f1b0d1e-2c3d-4e5f-8a9b-0c1d2e3f4a5b", AppID: "d3590ed6-52b3-4102-aeff-aad2292ab01c",
		ResourceApp: "https://outlook.office365.com", ActorKind: timeline.ActorUser, Category: timeline.CategoryToken}
	jwtMSA = jwtFields{Actor: "victim@govagency.example", Tenant: "c2b0f4a4-1111-4222-8333-444455556666",
		ActorTenant: "9188040d-6c67-4c5b-b112-36a304b66dad", KeyID: "1LTMzakihiRla_8z2BEJVXeWMqo", TokenID: "Zm9yZ2VkLXRva2VuLTAwMDE",
		AppID: "00000002-0000-0ff1-ce00-000000000000", ResourceApp: "https://outlook.office.com", ActorKind: timeline.ActorUser,
		Category: timeline.CategoryToken}
	jwtOkta = jwtFields{KeyID: "okta-key-2024-01", TokenID: "AT.q1w2e3r4t5y6u7i8o9p0", ResourceApp: "api://default",
		Category: timeline.CategoryToken}
)

func jwtWith(f jwtFields, id, shape, tm, ip string, o timeline.Outcome, reason string) jwtFields {
	f.ID, f.Shape, f.Time, f.SrcIP, f.Outcome, f.Reason = id, shape, tm, ip, o, reason
	return f
}

func TestJWTCapture(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file    string
		want    []jwtFields
		rejects int
	}{
		{"jwt_proxy.ndjson", []jwtFields{
			jwtWith(jwtMSA, "", "json", "2023-06-15T10:00:05.25Z", "203.0.113.10", timeline.OutcomeSuccess, ""),
			jwtWith(jwtEnt, "req-0002", "json", "2023-06-15T10:01:00Z", "198.51.100.20", timeline.OutcomeFailure, "401"),
			jwtWith(jwtEnt, "", "json", "2024-03-01T10:01:00.5Z", "192.0.2.5", timeline.OutcomeUnknown, ""),
			jwtWith(jwtOkta, "", "json", "2024-03-01T10:01:00.5Z", "192.0.2.5", timeline.OutcomeUnknown, ""),
		}, 0},
		{"jwt_lines.txt", []jwtFields{
			jwtWith(jwtEnt, "", "lines", "2023-06-15T10:00:00Z", "", timeline.OutcomeUnknown, ""),
			jwtWith(jwtOkta, "", "lines", "2024-03-01T10:00:00Z", "", timeline.OutcomeUnknown, ""),
			jwtWith(jwtMSA, "", "lines", "2023-06-15T10:05:00Z", "", timeline.OutcomeUnknown, ""),
		}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			rec := runImporter(t, jwtCapture{}, filepath.Join("testdata", tc.file))
			if len(rec.rejects) != tc.rejects {
				t.Errorf("got %d rejects, want %d: %v", len(rec.rejects), tc.rejects, rec.rejects)
			}
			var got []jwtFields
			ids := map[string]bool{}
			for _, e := range rec.events {
				f := jwtPick(e)
				if strings.HasPrefix(f.ID, "h:") {
					f.ID = "" // a fallback id: checked for uniqueness below
				}
				got = append(got, f)
				if ids[e.ID] {
					t.Errorf("duplicate id %s", e.ID)
				}
				ids[e.ID] = true
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			checkGolden(t, "jwt/"+tc.file, rec.events)
			jwtCheckNoSignature(t, tc.file, rec)
		})
	}
}

// jwtCheckNoSignature: no signature of the input may survive in what the
// importer hands on (Raw, Message, rejects), and each marker names the
// signature's hash.
func jwtCheckNoSignature(t *testing.T, file string, rec *recorder) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range findJWTs(data, false) {
		sig := data[tok.sigStart:tok.end]
		for _, e := range rec.events {
			b, _ := json.Marshal(e)
			if bytes.Contains(b, sig) {
				t.Errorf("event %s keeps a signature", e.ID)
			}
		}
		for _, r := range rec.rejects {
			if bytes.Contains(r.Raw, sig) {
				t.Errorf("reject keeps a signature")
			}
		}
		marker := jwtMarker(sig)
		found := false
		for _, e := range rec.events {
			found = found || strings.Contains(e.Raw, marker)
		}
		if !found {
			t.Errorf("no event carries the marker %s", marker)
		}
	}
}

// TestJWTRedactEscaped: a token written with JSON escapes hides from a
// byte search; the importer must still not keep it.
func TestJWTRedactEscaped(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join("testdata", "jwt_lines.txt"))
	if err != nil {
		t.Fatal(err)
	}
	tok := string(bytes.TrimSpace(bytes.SplitN(data, []byte("\n"), 2)[0]))
	sig := tok[strings.LastIndexByte(tok, '.')+1:]
	escaped := strings.Replace(tok, "eyJ", `\u0065yJ`, 1) // the header's first byte escaped
	in := `{"time":"2024-01-01T00:00:00Z","authorization":"Bearer ` + tok + `","copy":"` + escaped + `"}` + "\n" +
		`{"broken": "x\n` + tok + "\n"
	rec := &recorder{}
	if err := (jwtCapture{}).Import(t.Context(), strings.NewReader(in), timeline.Source{File: "x"}, rec); err != nil {
		t.Fatal(err)
	}
	if len(rec.events) != 2 || len(rec.rejects) != 1 {
		t.Fatalf("got %d events, %d rejects; want 2, 1", len(rec.events), len(rec.rejects))
	}
	for _, e := range rec.events {
		var v any
		if err := json.Unmarshal([]byte(e.Raw), &v); err != nil {
			t.Fatalf("raw is not JSON: %v", err)
		}
		if jwtHasSignature(v) || strings.Contains(e.Raw, sig) {
			t.Errorf("raw keeps the token: %s", e.Raw)
		}
	}
	if bytes.Contains(rec.rejects[0].Raw, []byte(sig)) {
		t.Error("reject keeps the token")
	}
}

func TestJWTJWKS(t *testing.T) {
	t.Parallel()
	rec := runImporter(t, jwtCapture{}, filepath.Join("testdata", "jwt_jwks.json"))
	if len(rec.events) != 2 || len(rec.rejects) != 1 {
		t.Fatalf("got %d events, %d rejects; want 2 and 1 (the key without a certificate)", len(rec.events), len(rec.rejects))
	}
	checkGolden(t, "jwt/jwt_jwks.json", rec.events)
	e := rec.events[0]
	want := map[string]string{"category": "credential", "time": "2016-04-05T00:00:00Z", "tenant": "9188040d-6c67-4c5b-b112-36a304b66dad",
		"shape": "jwks", "action": "jwks.key"}
	got := map[string]string{}
	for k := range want {
		got[k] = e.Field(k)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("first key (-want +got):\n%s", diff)
	}
	if e.KeyID == "" || !strings.Contains(e.Message, "2021-04-04T00:00:00Z") || !strings.Contains(e.Message, "x5t="+e.KeyID) {
		t.Errorf("key %q message %q", e.KeyID, e.Message)
	}
	if rec.events[1].Tenant != "" {
		t.Errorf("placeholder issuer {tenantid} gave tenant %q", rec.events[1].Tenant)
	}
}

func TestJWTMatch(t *testing.T) {
	t.Parallel()
	lines, err := os.ReadFile(filepath.Join("testdata", "jwt_lines.txt"))
	if err != nil {
		t.Fatal(err)
	}
	tok := string(bytes.SplitN(lines, []byte("\n"), 2)[0])
	filler := strings.Repeat("x", 4*len(tok))
	tests := []struct {
		name, head string
		want       bool
	}{
		{"lines", string(lines), true},
		{"jwks", `{"keys":[{"kty":"RSA","kid":"a","n":"x","e":"AQAB"}]}`, true},
		{"proxy json", `{"time":"2024-01-01T00:00:00Z","ip":"1.2.3.4","authorization":"Bearer ` + tok + `"}`, true},
		{"token in a big record, named field", `{"time":"t","token":"` + tok + `","note":"` + filler + `"}`, true},
		{"token buried in another record", `{"eventVersion":"1.08","note":"` + filler + `","x":"` + tok + `"}`, false},
		{"record without token", `{"time":"2024-01-01T00:00:00Z","ip":"1.2.3.4"}`, false},
		{"text log with a token", "127.0.0.1 - - [01/Jan/2024] \"GET /x?" + filler + " HTTP/1.1\" 200 " + tok + "\n", false},
		{"plain text", "hello\nworld\n", false},
		{"not base64 json", "eyJhbGciOi.eyJzdWIiOi.c2ln\n", false},
		{"empty", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := (jwtCapture{}).Match("x", []byte(tc.head)); got != tc.want {
				t.Errorf("Match = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestJWTNotClaimingOthers: no other source's corpus file is claimed by
// jwt.capture, and no jwt fixture by another importer.
func TestJWTNotClaimingOthers(t *testing.T) {
	t.Parallel()
	root := corpusDir(t, "")
	dirs, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		files, _ := os.ReadDir(filepath.Join(root, d.Name()))
		for _, f := range files {
			head := readHeadForTest(t, filepath.Join(root, d.Name(), f.Name()))
			if (jwtCapture{}).Match(f.Name(), head) {
				t.Errorf("jwt.capture claims %s/%s", d.Name(), f.Name())
			}
		}
	}
	for _, name := range []string{"jwt_proxy.ndjson", "jwt_lines.txt", "jwt_jwks.json"} {
		head := readHeadForTest(t, filepath.Join("testdata", name))
		for _, imp := range All() {
			if imp.Name() != "jwt.capture" && imp.Match(name, head) {
				t.Errorf("%s claims %s", imp.Name(), name)
			}
		}
	}
}

// readHeadForTest returns the first headSize bytes of a file, gunzipped.
func readHeadForTest(t *testing.T, path string) []byte {
	t.Helper()
	rec := &recorder{}
	_ = rec
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
		return nil // the gzip member of the corpus is the same object as its plain twin
	}
	return data[:min(len(data), headSize)]
}

func TestFindJWTs(t *testing.T) {
	t.Parallel()
	h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`))
	c := base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"x"}`))
	tests := []struct {
		name, in string
		decode   bool
		want     int
	}{
		{"jws", h + "." + c + ".c2ln", true, 1},
		{"unsigned", h + "." + c + ".", true, 1},
		{"inside base64 run", "AAA" + h + "." + c + ".c2ln", true, 0},
		{"inside base64 run, redaction", "AAA" + h + "." + c + ".c2ln", false, 1},
		{"after a JSON escape, redaction", `\n` + h + "." + c + ".c2ln", false, 1},
		{"jwe redacts", h + ".a.b.c.d", false, 1},
		{"jwe not decoded", h + ".a.b.c.d", true, 0},
		{"two", h + "." + c + ".s1 and " + h + "." + c + ".s2", true, 2},
		{"six segments, redaction", h + ".a.b.c.d.e", false, 1},
		{"four segments not decoded", h + "." + c + ".s.x", true, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := len(findJWTs([]byte(tc.in), tc.decode)); got != tc.want {
				t.Errorf("found %d, want %d", got, tc.want)
			}
		})
	}
}

func FuzzImportJWTCapture(f *testing.F) {
	for _, name := range []string{"jwt_proxy.ndjson", "jwt_lines.txt", "jwt_jwks.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		extFuzz(t, jwtCapture{}, data)
		// Whatever the input, no signature of a decodable token survives.
		rec := &recorder{}
		_ = (jwtCapture{}).Import(t.Context(), bytes.NewReader(data), timeline.Source{File: "fuzz"}, rec)
		for _, tok := range findJWTs(data, true) {
			sig := data[tok.sigStart:tok.end]
			if len(sig) < 8 {
				continue // too short to tell from other text
			}
			for _, e := range rec.events {
				if strings.Contains(e.Raw, string(sig)) {
					t.Fatalf("raw keeps signature %q", sig)
				}
			}
		}
	})
}

// TestJWTEnvelope: records in a diagnostic-settings envelope are records.
func TestJWTEnvelope(t *testing.T) {
	t.Parallel()
	lines, err := os.ReadFile(filepath.Join("testdata", "jwt_lines.txt"))
	if err != nil {
		t.Fatal(err)
	}
	tok := string(bytes.SplitN(lines, []byte("\n"), 2)[0])
	in := `{"records":[{"time":"2024-01-01T00:00:00Z","clientIp":"192.0.2.1","requestHeaders":{"Authorization":"Bearer ` + tok + `"}},` +
		`{"time":"2024-01-01T00:00:01Z","clientIp":"192.0.2.2","requestHeaders":{"Authorization":"Bearer ` + tok + `"}}]}`
	if !(jwtCapture{}).Match("x", []byte(in)) {
		t.Fatal("envelope not matched")
	}
	rec := &recorder{}
	if err := (jwtCapture{}).Import(t.Context(), strings.NewReader(in), timeline.Source{File: "x"}, rec); err != nil {
		t.Fatal(err)
	}
	if len(rec.events) != 2 || len(rec.rejects) != 0 {
		t.Fatalf("got %d events, %d rejects; want 2, 0", len(rec.events), len(rec.rejects))
	}
	if rec.events[1].SrcIP != "192.0.2.2" || !strings.HasPrefix(rec.events[1].Raw, `{"time":"2024-01-01T00:00:01Z"`) {
		t.Errorf("second record: ip %q raw %.40q", rec.events[1].SrcIP, rec.events[1].Raw)
	}
}

// TestJWTLineTime: a leading timestamp, in one field or two, is the line's
// time; without one the token's iat is.
func TestJWTLineTime(t *testing.T) {
	t.Parallel()
	lines, err := os.ReadFile(filepath.Join("testdata", "jwt_lines.txt"))
	if err != nil {
		t.Fatal(err)
	}
	tok := string(bytes.SplitN(lines, []byte("\n"), 2)[0])
	tests := []struct{ line, want string }{
		{"2024-03-01 10:00:00.123 Bearer " + tok, "2024-03-01T10:00:00.123Z"},
		{"2024-03-01T10:00:00Z " + tok, "2024-03-01T10:00:00Z"},
		{"1709287200 " + tok, "2024-03-01T10:00:00Z"},
		{"GET /x Bearer " + tok, "2023-06-15T10:00:00Z"},
	}
	for _, tc := range tests {
		rec := &recorder{}
		if err := (jwtCapture{}).Import(t.Context(), strings.NewReader(tc.line+"\n"), timeline.Source{File: "x"}, rec); err != nil {
			t.Fatal(err)
		}
		if len(rec.events) != 1 {
			t.Fatalf("%q: %d events", tc.line[:20], len(rec.events))
		}
		if got := rec.events[0].Field("time"); got != tc.want {
			t.Errorf("%q: time %s, want %s", tc.line[:20], got, tc.want)
		}
	}
}

// TestJWTRedactOpaque: opaque bearer tokens, refresh tokens and cookies
// are replayable too; they leave neither events nor rejects.
func TestJWTRedactOpaque(t *testing.T) {
	t.Parallel()
	lines, err := os.ReadFile(filepath.Join("testdata", "jwt_lines.txt"))
	if err != nil {
		t.Fatal(err)
	}
	tok := string(bytes.SplitN(lines, []byte("\n"), 2)[0])
	const opaque = "EwB4A8l6BAAUkj1ZnOpaqueMsaToken0123456789abcdef"
	const refresh = "0.AXEAopaque-refresh-token-value_0123456789"
	const cookie = "ESTSAUTH=1.AbCdEfGh0123456789; ESTSAUTHPERSISTENT=1.XyZ"
	in := `{"time":"2024-01-01T00:00:00Z","authorization":"Bearer ` + tok + `","refresh_token":"` + refresh +
		`","headers":{"Cookie":"` + cookie + `","X-Upstream":"bearer ` + opaque + `"}}` + "\n" +
		`{"broken":"Authorization: Bearer ` + opaque + "\n"
	rec := &recorder{}
	if err := (jwtCapture{}).Import(t.Context(), strings.NewReader(in), timeline.Source{File: "x"}, rec); err != nil {
		t.Fatal(err)
	}
	if len(rec.events) != 1 || len(rec.rejects) != 1 {
		t.Fatalf("got %d events, %d rejects; want 1, 1", len(rec.events), len(rec.rejects))
	}
	var all []byte
	for _, e := range rec.events {
		b, _ := json.Marshal(e)
		all = append(all, b...)
	}
	all = append(all, rec.rejects[0].Raw...)
	for _, secret := range []string{opaque, refresh, "1.AbCdEfGh0123456789", tok[strings.LastIndexByte(tok, '.')+1:]} {
		if bytes.Contains(all, []byte(secret)) {
			t.Errorf("secret %.12q… kept", secret)
		}
	}
	var v any
	if err := json.Unmarshal([]byte(rec.events[0].Raw), &v); err != nil {
		t.Fatalf("raw is not JSON: %v", err)
	}
	if !strings.Contains(rec.events[0].Raw, `"time":"2024-01-01T00:00:00Z"`) {
		t.Errorf("raw lost the record's other fields: %s", rec.events[0].Raw)
	}
}

// BenchmarkJWTCaptureSample imports the committed Storm-0558 sample's token
// telemetry (samples/data/storm-0558/microsoft-provided: 287 records),
// concatenated ten times into one file in memory as a generated scale-50
// file is one of 15,000 records, discarding the events: the per-record cost
// of decoding, redacting and checking captured tokens.
func BenchmarkJWTCaptureSample(b *testing.B) {
	files, err := filepath.Glob(filepath.Join("..", "samples", "data", "storm-0558", "microsoft-provided", "*", "*", "*.json"))
	if err != nil || len(files) == 0 {
		b.Fatalf("no committed token telemetry: %v", err)
	}
	var data []byte
	for range 10 {
		for _, f := range files {
			d, err := os.ReadFile(f)
			if err != nil {
				b.Fatal(err)
			}
			data = append(data, d...)
		}
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	events := 0
	for b.Loop() {
		out := &countingEmitter{}
		if err := (jwtCapture{}).Import(b.Context(), bytes.NewReader(data), timeline.Source{File: "telemetry.json", SHA256: "00"}, out); err != nil {
			b.Fatal(err)
		}
		if out.rejects != 0 || out.events == 0 {
			b.Fatalf("%d events, %d rejects", out.events, out.rejects)
		}
		events += out.events
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(events), "ns/event")
}

// The redaction scanners were rewritten for speed (IndexByte jumps, a byte
// table, a predicate that builds nothing); 1f6084a checked them against the
// previous byte-by-byte versions by fuzzing. These are the old byte tests,
// which the table must equal.

func refB64URL(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

func refTokenByte(c byte) bool {
	return refB64URL(c) || c == '.' || c == '~' || c == '+' || c == '/' || c == '=' || c == '%'
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

// checkRedactors: redactionChanges says whether redactText changes b, and
// redacting twice changes nothing more (every replacement leaves only a
// marker, which no scanner takes for a secret).
func checkRedactors(t *testing.T, b []byte) {
	t.Helper()
	red := redactText(b)
	if got, want := redactionChanges(b), !bytes.Equal(red, b); got != want {
		t.Fatalf("redactionChanges(%q) = %v, redactText says %v", b, got, want)
	}
	if redactionChanges(red) {
		t.Fatalf("redactText(%q) = %q still has something to redact", b, red)
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

// FuzzRedactors: checkRedactors on any text; `go test` runs it on every
// seed.
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
		if got, want := fast[c], jwtClaim(m, jwtClaimNames[c]); got != want {
			t.Fatalf("jwtReadPart(%q): %s = %q, decoder's map gives %q", s, jwtClaimNames[c], got, want)
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

func TestJWTSecretKey(t *testing.T) {
	for _, tc := range []struct {
		name string
		want bool
	}{
		{"Authorization", true}, {"AUTHORIZATION", true}, {"x-Amz-Security-Token", true}, {"refresh_token", true},
		{"to\u212Aen", true}, // the Kelvin sign folds to k by Unicode's rules
		{"TokenType", false}, {"", false}, {`to"ken`, false}, {"authorization-header-of-the-upstream-proxy", false},
		{"t\u00f6ken", false},
	} {
		if got := jwtSecretKey(tc.name); got != tc.want {
			t.Errorf("jwtSecretKey(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
}
