package importers

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/google/go-cmp/cmp"

	"github.com/causeway-ir/causeway/timeline"
)

// fixtureWant is what importing one testdata fixture must give.
type fixtureWant struct {
	events, rejects int
	shapes          []string // the distinct shapes, in order of first appearance
}

// runFixtures imports every fixture named in want from testdata/<dir>,
// checks counts and shapes, and compares the events with their golden file
// testdata/<dir>/<file>.golden.
func runFixtures(t *testing.T, imp timeline.Importer, dir string, want map[string]fixtureWant) {
	t.Helper()
	for file, w := range want {
		t.Run(file, func(t *testing.T) {
			t.Parallel()
			rec := runImporter(t, imp, filepath.Join("testdata", dir, file))
			var shapes []string
			for _, e := range rec.events {
				if len(shapes) == 0 || !contains(shapes, e.Shape) {
					shapes = append(shapes, e.Shape)
				}
				if e.Source != imp.Name() {
					t.Errorf("source %q", e.Source)
				}
				if e.Message == "" {
					t.Errorf("event %s has no message", e.ID)
				}
			}
			got := fixtureWant{events: len(rec.events), rejects: len(rec.rejects), shapes: shapes}
			if diff := cmp.Diff(w, got, cmp.AllowUnexported(fixtureWant{})); diff != "" {
				for _, r := range rec.rejects {
					t.Log(r)
				}
				t.Errorf("%s (-want +got):\n%s", file, diff)
			}
			for _, r := range rec.rejects {
				if r.File == "" || r.Importer != imp.Name() || r.Err == nil || len(r.Raw) == 0 {
					t.Errorf("reject without provenance: %+v", r)
				}
			}
			checkGolden(t, dir+"/"+file, rec.events)
		})
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// fieldWant names some columns of one event (by its index in a file).
type fieldWant struct {
	file  string
	index int
	want  map[string]string
}

// checkFields imports each file once and compares the named columns.
func checkFields(t *testing.T, imp timeline.Importer, dir string, cases []fieldWant) {
	t.Helper()
	cache := map[string]*recorder{}
	for _, c := range cases {
		rec, ok := cache[c.file]
		if !ok {
			rec = runImporter(t, imp, filepath.Join("testdata", dir, c.file))
			cache[c.file] = rec
		}
		if c.index >= len(rec.events) {
			t.Errorf("%s: no event %d (have %d)", c.file, c.index, len(rec.events))
			continue
		}
		e := rec.events[c.index]
		got := map[string]string{}
		for col := range c.want {
			got[col] = e.Field(col)
		}
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("%s event %d (-want +got):\n%s", c.file, c.index, diff)
		}
	}
}

func TestEntraSigninShapes(t *testing.T) {
	t.Parallel()
	runFixtures(t, entraSignin{}, "entra-signin", map[string]fixtureWant{
		"graph-page.json":         {events: 3, shapes: []string{"graph"}},
		"powershell.json":         {events: 2, shapes: []string{"powershell"}},
		"diagnostic-records.json": {events: 3, shapes: []string{"diagnostic"}},
		"pt1h.json":               {events: 1, rejects: 3, shapes: []string{"diagnostic"}},
		"sentinel.json":           {events: 2, rejects: 1, shapes: []string{"sentinel"}},
		"sentinel.csv":            {events: 2, shapes: []string{"sentinel"}},
		"portal.csv":              {events: 2, rejects: 1, shapes: []string{"portal-csv"}},
		"numbers.json":            {events: 2, shapes: []string{"json"}},
	})
}

func TestEntraSigninFields(t *testing.T) {
	t.Parallel()
	checkFields(t, entraSignin{}, "entra-signin", []fieldWant{
		{"graph-page.json", 0, map[string]string{
			"id": "da1ddc45-4554-42e1-818a-7ee252f37c00", "time": "2025-05-02T10:38:07Z", "category": "signin",
			"action": "interactiveUser", "outcome": "success", "reason": "", "actor": "alice@contoso.com", "actor_kind": "user",
			"tenant": "f0000000-0000-4000-8000-00000000000a", "actor_tenant": "", "app_id": "00000002-0000-0ff1-ce00-000000000000",
			"resource_app": "00000003-0000-0000-c000-000000000000", "session_id": "5e550000-0000-4000-8000-000000000001",
			"issued_kind": "token", "issued_id": "Rdwd2lRF4UKBin7iUvN8AA", "src_ip": "45.1.2.3", "country": "FR",
		}},
		{"graph-page.json", 1, map[string]string{
			"time": "2025-05-02T08:40:00.1234567Z", "action": "nonInteractiveUser", "actor_tenant": "e0000000-0000-4000-8000-00000000000b",
			"src_ip": "2a01:db8::7", "outcome": "success", "country": "NL",
		}},
		// A failed sign-in issued no token, whatever identifier it carries.
		{"graph-page.json", 2, map[string]string{
			"outcome": "failure", "issued_kind": "", "issued_id": "", "reason": "50126: Error validating credentials due to invalid username or password.",
		}},
		{"powershell.json", 0, map[string]string{
			"actor": "45d0cf74-062d-46a3-b00e-7841f50f10eb", "actor_kind": "service_principal", "key_id": "7d51de1a-33be-4790-b121-755476ee0078",
			"action": "servicePrincipal", "issued_kind": "token",
		}},
		{"powershell.json", 1, map[string]string{"actor_kind": "managed_identity", "action": "managedIdentity", "key_id": "", "src_ip": ""}},
		// The older diagnostic uniqueTokenIdentifier (base64 of the GUID
		// text) becomes the 22-character uti form.
		{"diagnostic-records.json", 0, map[string]string{
			"time": "2022-03-17T09:44:46.3097429Z", "issued_id": "CUSLCGOeXUK3dyyMbDgLAA", "tenant": "226f45e7-e2e2-4228-9e9d-612687e8c133",
			"outcome": "success", "action": "nonInteractiveUser", "country": "GB",
		}},
		{"diagnostic-records.json", 1, map[string]string{
			"key_id": "abcdef0123456789abcdef0123456789abcdef01", "outcome": "failure", "issued_kind": "", "actor_kind": "service_principal",
			"reason": "7000222: The provided client secret keys are expired.", "src_ip": "11.22.33.44",
		}},
		{"diagnostic-records.json", 2, map[string]string{"time": "2007-01-09T09:41:00Z", "actor": "", "actor_kind": "", "outcome": "unknown"}},
		// Sentinel: event time is CreatedDateTime, never TimeGenerated; the
		// tenant is AADTenantId, not the workspace TenantId.
		{"sentinel.json", 0, map[string]string{
			"time": "2025-03-01T12:00:00.25Z", "tenant": "f0000000-0000-4000-8000-00000000000a", "country": "FR",
			"resource_app": "797f4846-ba00-4fd7-ba43-dac1f8f63013", "actor": "alice@contoso.com", "outcome": "success",
		}},
		{"sentinel.json", 1, map[string]string{"actor_kind": "service_principal", "key_id": "7d51de1a-33be-4790-b121-755476ee0078", "country": "US"}},
		{"sentinel.csv", 0, map[string]string{
			"time": "2025-03-01T12:00:00.25Z", "outcome": "failure", "country": "NO", "reason": "50074: Strong Authentication is required.",
		}},
		{"portal.csv", 0, map[string]string{
			"id": "55555555-6666-4777-8888-999999999901", "time": "2025-04-10T07:15:42Z", "actor": "dave@contoso.com", "country": "NL",
			"app_id": "1fec8e78-bce4-4aaf-ab1b-5451cc387264", "resource_app": "cc15fd57-2c6c-4117-a88c-83b1d56b4bbe",
			"outcome": "success", "issued_id": "VVVVVWZmd0eIiJmZmZmZAQ", "session_id": "5e550000-0000-4000-8000-000000000044",
		}},
		// Numbers and booleans where strings belong are read leniently.
		{"numbers.json", 0, map[string]string{"actor": "alice@contoso.com", "outcome": "success", "action": "interactiveUser", "country": "FR"}},
		{"numbers.json", 1, map[string]string{"actor": "true", "outcome": "failure", "reason": "50126: bad password", "country": "DE"}},
		{"portal.csv", 1, map[string]string{"outcome": "failure", "reason": "50126: Error validating credentials due to invalid username or password."}},
	})
}

func TestNormalizeUTI(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"uti form kept", "Rdwd2lRF4UKBin7iUvN8AA", "Rdwd2lRF4UKBin7iUvN8AA"},
		{"guid", "da1ddc45-4554-42e1-818a-7ee252f37c00", "Rdwd2lRF4UKBin7iUvN8AA"},
		{"guid upper with braces", "{DA1DDC45-4554-42E1-818A-7EE252F37C00}", "Rdwd2lRF4UKBin7iUvN8AA"},
		{"base64 of guid text", "MDg4YjQ0MDktOWU2My00MjVkLWI3NzctMmM4YzZjMzgwYjAw", "CUSLCGOeXUK3dyyMbDgLAA"},
		{"padded standard base64", "Rdwd2lRF4UKBin7iUvN8AA==", "Rdwd2lRF4UKBin7iUvN8AA"},
		{"standard alphabet", "+AAAAAAAAAAAAAAA/AAAAA==", "-AAAAAAAAAAAAAAA_AAAAA"},
		{"other text kept", "not a token id", "not a token id"},
		{"empty", "  ", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := normalizeUTI(tt.in); got != tt.want {
				t.Errorf("normalizeUTI(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestEntraSigninTimeCorners checks that the 11 time spellings of the
// Elastic corner-case file are one instant. Those records hold only a time
// and a category: they import as sign-in events with every other field
// empty (the log says a sign-in was recorded then, and nothing more).
func TestEntraSigninTimeCorners(t *testing.T) {
	t.Parallel()
	dir := corpusDir(t, "entra-signin")
	rec := runImporter(t, entraSignin{}, filepath.Join(dir, "elastic__test-time-formats-corner-cases.log"))
	if len(rec.events) != 11 || len(rec.rejects) != 0 {
		t.Fatalf("got %d events, %d rejects; want 11, 0", len(rec.events), len(rec.rejects))
	}
	want := time.Date(2007, 1, 9, 9, 41, 0, 0, time.UTC)
	for i, e := range rec.events {
		if !e.Time.Truncate(time.Second).Equal(want) {
			t.Errorf("record %d: time %s, want %s", i, e.Time, want)
		}
		if e.Category != timeline.CategorySignin || e.Actor != "" || e.IssuedKind != "" {
			t.Errorf("record %d: %+v", i, e)
		}
	}
}

// TestEntraSigninUTIMatchesID checks formats.md §1a on every Invictus
// record: uniqueTokenIdentifier is the sign-in id's bytes, so normalizing
// the id gives the same issued_id.
func TestEntraSigninUTIMatchesID(t *testing.T) {
	t.Parallel()
	dir := corpusDir(t, "entra-signin")
	files, _ := filepath.Glob(filepath.Join(dir, "invictus__*"))
	n := 0
	for _, f := range files {
		for _, e := range runImporter(t, entraSignin{}, f).events {
			n++
			if e.IssuedID != normalizeUTI(e.ID) || len(e.IssuedID) != 22 {
				t.Errorf("%s: id %s issued_id %s", f, e.ID, e.IssuedID)
			}
		}
	}
	if n != 522 {
		t.Errorf("checked %d records, want 522", n)
	}
}

// microsoftCorpus is every Microsoft corpus file with its importer and
// exact event count.
var microsoftCorpus = []struct {
	dir, file, importer string
	events              int
}{
	{"entra-signin", "elastic__test-non-interactive-user-signin.log", "entra.signin", 1},
	{"entra-signin", "elastic__test-service-principal.log", "entra.signin", 1},
	{"entra-signin", "elastic__test-signinlogs-raw.log", "entra.signin", 5},
	{"entra-signin", "elastic__test-time-formats-corner-cases.log", "entra.signin", 11},
	{"entra-signin", "invictus__20250502132320-servicePrincipal-SignInLogs_graph_pwsh.json", "entra.signin", 494},
	{"entra-signin", "invictus__20250502132321-managedIdentity-SignInLogs_graph_pwsh.json", "entra.signin", 28},
	{"entra-audit", "elastic__test-audit-logs-edgecases.log", "entra.audit", 2},
	{"entra-audit", "elastic__test-auditlogs-raw.log", "entra.audit", 3},
	{"entra-audit", "invictus__20250502131826-AuditLogs_graph_pwsh.json", "entra.audit", 123},
	{"entra-audit", "otrf__GoldenSAML_AADAuditEvents_sentinel.json", "entra.audit", 4},
	{"m365-ual", "elastic__test-exchange-item-edge-cases.json", "m365.ual", 2},
	{"m365-ual", "otrf__GoldenSAML_OfficeActivityEvents_sentinel.json", "m365.ual", 1},
	{"m365-ual", "plaso__microsoft_audit_log.jsonl", "m365.ual", 4},
	{"azure-activity", "elastic__test-activitylogs-raw.log", "azure.activity", 3},
	{"azure-activity", "otel__administrative_valid_1_records_envelope.json", "azure.activity", 1},
	{"azure-activity", "plaso__azure_activity_log_sdk.jsonl", "azure.activity", 4},
}

// TestMicrosoftCorpus imports every Microsoft corpus file: the registry
// picks the right importer first, the exact number of events comes out and
// nothing is rejected.
func TestMicrosoftCorpus(t *testing.T) {
	t.Parallel()
	root := corpusDir(t, "")
	seen := map[string]bool{}
	for _, c := range microsoftCorpus {
		seen[c.dir+"/"+c.file] = true
		t.Run(c.file, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(root, c.dir, c.file)
			imp := firstMatch(t, path)
			if imp == nil || imp.Name() != c.importer {
				t.Fatalf("registry picks %v, want %s", imp, c.importer)
			}
			rec := runImporter(t, imp, path)
			if len(rec.events) != c.events || len(rec.rejects) != 0 {
				for _, r := range rec.rejects {
					t.Log(r)
				}
				t.Errorf("%d events, %d rejects; want %d, 0", len(rec.events), len(rec.rejects), c.events)
			}
		})
	}
	// Every file in the Microsoft corpus directories is listed above.
	for _, d := range []string{"entra-signin", "entra-audit", "m365-ual", "azure-activity"} {
		entries, err := os.ReadDir(filepath.Join(root, d))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if !seen[d+"/"+e.Name()] {
				t.Errorf("corpus file %s/%s has no expected count", d, e.Name())
			}
		}
	}
}

// TestMicrosoftMatchOthers checks that no Microsoft importer claims another
// source's corpus file, and that each claims only its own.
func TestMicrosoftMatchOthers(t *testing.T) {
	t.Parallel()
	root := corpusDir(t, "")
	mine := []timeline.Importer{entraSignin{}, entraAudit{}, m365UAL{}, azureActivity{}}
	dirs, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	owner := map[string]string{"entra-signin": "entra.signin", "entra-audit": "entra.audit", "m365-ual": "m365.ual", "azure-activity": "azure.activity"}
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		files, _ := os.ReadDir(filepath.Join(root, d.Name()))
		for _, f := range files {
			head := readHead(t, filepath.Join(root, d.Name(), f.Name()))
			for _, imp := range mine {
				if imp.Match(f.Name(), head) && owner[d.Name()] != imp.Name() {
					t.Errorf("%s claims %s/%s", imp.Name(), d.Name(), f.Name())
				}
			}
		}
	}
}

// readHead returns the first headSize bytes of a file, decompressed.
func readHead(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
		return nil // the Microsoft corpus has no gzip files; others' .gz are CloudTrail
	}
	return data[:min(len(data), headSize)]
}

// firstMatch returns the first importer of the registry that matches path.
func firstMatch(t testing.TB, path string) timeline.Importer {
	head := readHead(t, path)
	for _, imp := range All() {
		if imp.Match(filepath.Base(path), head) {
			return imp
		}
	}
	return nil
}

// fuzzImporter seeds f with the fixtures of testdata/<dir> and, when the
// corpus is present, ../shared/corpus/<dir>, and checks that importing any
// input neither panics nor fails nor emits an invalid event.
func fuzzImporter(f *testing.F, imp timeline.Importer, dir string) {
	for _, pattern := range []string{
		filepath.Join("testdata", dir, "*"),
		filepath.Join("..", "..", "shared", "corpus", dir, "*"),
	} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			if strings.HasSuffix(file, ".golden") {
				continue
			}
			// Seeds are cut to their first 16 KiB: the fuzzer minimizes every
			// input that finds new code, and minimizing a 256 KiB file took
			// minutes (39 executions in six minutes for the UAL).
			if data, err := os.ReadFile(file); err == nil {
				f.Add(data[:min(len(data), 16<<10)])
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rec := &recorder{}
		src := timeline.Source{File: "fuzz", SHA256: "00"}
		_ = imp.Match("fuzz", data[:min(len(data), headSize)])
		if err := imp.Import(context.Background(), bytes.NewReader(data), src, rec); err != nil {
			t.Fatalf("import: %v", err)
		}
		for i := range rec.events {
			if err := rec.events[i].Validate(); err != nil {
				t.Fatalf("event %d: %v", i, err)
			}
		}
	})
}

func FuzzImportEntraSignin(f *testing.F) { fuzzImporter(f, entraSignin{}, "entra-signin") }

// countingEmitter counts events and rejects and discards them.
type countingEmitter struct{ events, rejects int }

func (c *countingEmitter) Emit(*timeline.Event) error        { c.events++; return nil }
func (c *countingEmitter) Reject(*timeline.ParseError) error { c.rejects++; return nil }
func (c *countingEmitter) Note(string)                       {}

// benchImport imports data b.N times and reports events per second.
func benchImport(b *testing.B, imp timeline.Importer, data []byte, n int) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	out := &countingEmitter{}
	src := timeline.Source{File: "bench", SHA256: "00"}
	cpu0 := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		*out = countingEmitter{}
		if err := imp.Import(context.Background(), bytes.NewReader(data), src, out); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if out.events != n || out.rejects != 0 {
		b.Fatalf("%d events, %d rejects; want %d, 0", out.events, out.rejects, n)
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	if cpu := cpuTime() - cpu0; cpu > 0 {
		// Events per CPU-second of the whole process (GC included): stable
		// where other work competes for the cores.
		b.ReportMetric(float64(n)*float64(b.N)/cpu.Seconds(), "events/cpu-s")
	}
}

// BenchmarkEntraSigninGraph imports a 200,000-record Graph sign-in export
// ({"value":[…]}, the beta signIn shape with its nested objects).
func BenchmarkEntraSigninGraph(b *testing.B) {
	const n = 200_000
	var buf bytes.Buffer
	buf.WriteString(`{"@odata.context":"https://graph.microsoft.com/beta/$metadata#auditLogs/signIns","value":[`)
	for i := range n {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString(signinBenchRecord(i))
	}
	buf.WriteString(`],"@odata.nextLink":"https://graph.microsoft.com/beta/auditLogs/signIns?$skiptoken=x"}`)
	// fast and slow alternate: on a shared machine only CPU time per event
	// compares them (the single-pass reader and the decoder alone).
	for range 2 {
		b.Run("fast", func(b *testing.B) { benchImport(b, entraSignin{}, buf.Bytes(), n) })
		b.Run("slow", func(b *testing.B) { benchImport(b, entraSignin{slow: true}, buf.Bytes(), n) })
	}
}

// TestMicrosoftCorpusFields spot-checks the join keys of real records.
func TestMicrosoftCorpusFields(t *testing.T) {
	t.Parallel()
	root := corpusDir(t, "")
	tests := []struct {
		imp       timeline.Importer
		dir, file string
		index     int
		want      map[string]string
	}{
		{entraSignin{}, "entra-signin", "invictus__20250502132320-servicePrincipal-SignInLogs_graph_pwsh.json", 0, map[string]string{
			"id": "0c532507-b101-4090-b2f1-4d768e2f3500", "shape": "powershell", "actor_kind": "service_principal",
			"actor": "45d0cf74-062d-46a3-b00e-7841f50f10eb", "key_id": "7d51de1a-33be-4790-b121-755476ee0078",
			"issued_kind": "token", "issued_id": "ByVTDAGxkECy8U12ji81AA", "resource_app": "00000003-0000-0000-c000-000000000000",
			"src_ip": "3.140.144.215", "country": "US", "outcome": "success",
		}},
		{entraSignin{}, "entra-signin", "invictus__20250502132321-managedIdentity-SignInLogs_graph_pwsh.json", 0, map[string]string{
			"actor_kind": "managed_identity", "issued_id": "Rdwd2lRF4UKBin7iUvN8AA", "time": "2025-05-02T10:38:07Z",
		}},
		{entraSignin{}, "entra-signin", "elastic__test-non-interactive-user-signin.log", 0, map[string]string{
			"issued_id": "CUSLCGOeXUK3dyyMbDgLAA", "actor": "nikhita.sethi@cyberfortgroup.com", "action": "nonInteractiveUser",
			"tenant": "226f45e7-e2e2-4228-9e9d-612687e8c133", "time": "2022-03-17T09:44:46.3097429Z",
		}},
		{entraSignin{}, "entra-signin", "elastic__test-signinlogs-raw.log", 0, map[string]string{
			"time": "2019-10-18T09:45:48.0729893Z", "outcome": "failure", "country": "FR",
		}},
		{entraAudit{}, "entra-audit", "otrf__GoldenSAML_AADAuditEvents_sentinel.json", 0, map[string]string{
			"shape": "sentinel", "category": "credential", "issued_kind": "key", "issued_id": "59eaeebc-8a6b-44a6-9f24-7d55e64420c9",
			"actor": "pgustavo@simulandlabs.com", "target": "11b49e19-2326-4be6-93cb-7f37439bbd81", "target_kind": "app",
		}},
		{entraAudit{}, "entra-audit", "elastic__test-audit-logs-edgecases.log", 1, map[string]string{
			"src_ip": "2a02:cf40:add:4002:91f2:a9b2:e09a:6fc6", "tenant": "4bbb79f7-5724-4c9e-95f3-de075f6ec090",
		}},
		{m365UAL{}, "m365-ual", "otrf__GoldenSAML_OfficeActivityEvents_sentinel.json", 0, map[string]string{
			"shape": "sentinel", "category": "mail", "action": "MailItemsAccessed", "target": "pgustavo@simulandlabs.com",
			"target_kind": "mailbox", "app_id": "5a95e683-08ad-424e-a441-1d1aec52c02c",
			"resource_app": "00000003-0000-0000-c000-000000000000", "src_ip": "1.2.3.4",
			"message": `pgustavo@simulandlabs.com read 7 items in \Inbox via REST from 1.2.3.4 (Bind)`,
		}},
		{m365UAL{}, "m365-ual", "elastic__test-exchange-item-edge-cases.json", 1, map[string]string{
			"shape": "elastic", "target": "bob@fabrikam.example", "time": "2024-04-15T09:00:00Z", "actor_kind": "service",
		}},
		{azureActivity{}, "azure-activity", "otel__administrative_valid_1_records_envelope.json", 0, map[string]string{
			"token_id": "s4OAwbVGQ0CX8sNFq4tAAA", "app_id": "66666666-6666-6666-6666-666666666666", "actor": "user@example.com",
			"session_id": "cccccccc-cccc-cccc-cccc-cccccccccccc", "src_ip": "203.0.113.10",
			"target": "/subscriptions/11111111-1111-1111-1111-111111111111/providers/microsoft.insights/diagnosticsettings/example-collect-sample-logs",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			rec := runImporter(t, tt.imp, filepath.Join(root, tt.dir, tt.file))
			if tt.index >= len(rec.events) {
				t.Fatalf("no event %d", tt.index)
			}
			got := map[string]string{}
			for col := range tt.want {
				got[col] = rec.events[tt.index].Field(col)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// signinCompareImports imports data with the single-pass reader and
// without and compares events, rejects (offset, error, bytes) and notes.
func signinCompareImports(t *testing.T, data []byte) {
	t.Helper()
	compareFastSlow(t, entraSignin{slow: true}, entraSignin{}, data)
}

// TestSigninFastMatchesSlow imports every fixture and corpus file with the
// single-pass reader and without.
func TestSigninFastMatchesSlow(t *testing.T) {
	t.Parallel()
	eachSample(t, "entra-signin", signinCompareImports)
}

// TestSigninScanVouches holds the reader to the common shapes: if it
// stepped aside on these, the comparisons would compare the old path with
// itself.
func TestSigninScanVouches(t *testing.T) {
	t.Parallel()
	for _, rec := range []string{
		signinBenchRecord(7),
		`{"time":"2025-05-02T10:00:00Z","category":"SignInLogs","tenantId":"t","resultType":"0","callerIpAddress":"1.2.3.4",` +
			`"properties":{"id":"x","createdDateTime":"2025-05-02T10:00:00Z","status":{"errorCode":0},"location":{"countryOrRegion":"FR"}}}`,
		`{"TenantId":"w","TimeGenerated":"2025-05-02T10:00:00Z","CreatedDateTime":"2025-05-02T10:00:00Z","UserPrincipalName":"A@B.C",` +
			`"Status":"{\"errorCode\":50126,\"failureReason\":\"Invalid\"}","LocationDetails":"{\"countryOrRegion\":\"US\"}","Location":"US","Type":"SigninLogs"}`,
	} {
		var s signIn
		if !s.scan(rec) {
			t.Errorf("scan stepped aside on %s", rec)
		}
	}
}

// TestSigninFastRandom compares the two paths on records built from the
// sign-in keys in both cases, with values of every JSON type.
func TestSigninFastRandom(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(11, 558))
	const n = 3000
	vouched := 0
	for range n {
		rec := signinRandomRecord(rng)
		var s signIn
		if s.scan(rec) {
			vouched++
		}
		signinCompareImports(t, []byte(rec))
	}
	t.Logf("the reader vouched for %d of %d records", vouched, n)
	if vouched < n/5 || vouched > n*4/5 {
		t.Errorf("the reader vouched for %d of %d records", vouched, n)
	}
}

func FuzzSigninFastImport(f *testing.F) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 8 {
		f.Add([]byte(signinBenchRecord(i)))
		f.Add([]byte(signinRandomRecord(rng)))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		signinCompareImports(t, data)
	})
}

var signinRandomKeys = []string{
	"id", "createdDateTime", "userPrincipalName", "userId", "appId", "appDisplayName", "servicePrincipalId", "ipAddress",
	"userAgent", "correlationId", "sessionId", "uniqueTokenIdentifier", "resourceId", "resourceDisplayName", "resourceTenantId",
	"homeTenantId", "servicePrincipalCredentialKeyId", "isInteractive", "signInEventTypes", "status", "location",
	"category", "time", "tenantId", "callerIpAddress", "resultType", "resultDescription", "Type", "AADTenantId",
	"ResourceIdentity", "LocationDetails", "TimeGenerated", "other", "properties",
}

// signinRandomRecord builds one sign-in-like record.
func signinRandomRecord(rng *rand.Rand) string {
	scalars := []string{`"x"`, `""`, `"a\"b\\c\/\u00e9\n"`, `0`, `50126`, `-1.5e3`, `true`, `null`, `"2025-05-02T10:00:00Z"`,
		`"45.1.2.3:80"`, `"SignInLogs"`, `"Success"`, `"alice@contoso.com"`, `"\ud83d\ude00"`, `"US"`, `"É"`, `[]`, `{}`}
	var object func(depth int) string
	object = func(depth int) string {
		var b strings.Builder
		b.WriteByte('{')
		n := 2 + rng.IntN(10)
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			key := signinRandomKeys[rng.IntN(len(signinRandomKeys))]
			switch rng.IntN(6) {
			case 0:
				key = strings.ToUpper(key[:1]) + key[1:]
			case 1:
				key = strings.ToLower(key)
			}
			if i == 0 {
				key = "createdDateTime"
			}
			b.WriteString(`"` + key + `":`)
			var v string
			switch strings.ToLower(key) {
			case "status":
				v = []string{`{"errorCode":0,"failureReason":"Other."}`, `{"ErrorCode":50126,"failureReason":"Invalid","additionalDetails":null}`,
					`"Success"`, `"{\"errorCode\":1}"`, `"failure"`, `{"errorCode":{}}`, `null`, `" {\"errorCode\":2} x"`}[rng.IntN(8)]
			case "location", "locationdetails":
				v = []string{`{"city":"Paris","countryOrRegion":"FR","geoCoordinates":{"latitude":1}}`, `"US"`, `"FRANCE"`,
					`"{\"countryOrRegion\":\"DE\"}"`, `{"CountryOrRegion":5}`, `null`, `""`}[rng.IntN(7)]
			case "signineventtypes":
				v = []string{`["interactiveUser"]`, `["servicePrincipal","x"]`, `"[\"managedIdentity\"]"`, `[]`, `null`}[rng.IntN(5)]
			case "properties":
				if depth == 0 && rng.IntN(2) == 0 {
					v = object(1)
				} else {
					v = scalars[rng.IntN(len(scalars))]
				}
			case "createddatetime", "time", "timegenerated":
				v = []string{`"2025-05-02T10:00:00Z"`, `"2025-05-02T10:00:00.1234567Z"`, `"bad"`, `null`, `""`}[rng.IntN(5)]
			case "category", "type":
				v = []string{`"SignInLogs"`, `"NonInteractiveUserSignInLogs"`, `"SigninLogs"`, `"x"`}[rng.IntN(4)]
			default:
				v = scalars[rng.IntN(len(scalars))]
			}
			b.WriteString(v)
		}
		b.WriteByte('}')
		return b.String()
	}
	return object(0)
}

// signinBenchRecord is the benchmark's record i.
func signinBenchRecord(i int) string {
	id := fmt.Sprintf("%08x-4554-42e1-818a-7ee252f37c00", i)
	return fmt.Sprintf(`{"id":"%s","createdDateTime":"2025-05-02T10:%02d:%02dZ","userDisplayName":"User %d","userPrincipalName":"user%d@contoso.com",`+
		`"userId":"aaaaaaaa-0000-4000-8000-%012d","appId":"00000002-0000-0ff1-ce00-000000000000","appDisplayName":"Office 365 Exchange Online",`+
		`"ipAddress":"45.1.%d.%d","clientAppUsed":"Browser","userAgent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36",`+
		`"correlationId":"c0000000-0000-4000-8000-%012d","conditionalAccessStatus":"notApplied","isInteractive":true,`+
		`"resourceDisplayName":"Microsoft Graph","resourceId":"00000003-0000-0000-c000-000000000000","resourceTenantId":"f0000000-0000-4000-8000-00000000000a",`+
		`"homeTenantId":"f0000000-0000-4000-8000-00000000000a","sessionId":"5e550000-0000-4000-8000-%012d","uniqueTokenIdentifier":"%s",`+
		`"signInEventTypes":["interactiveUser"],"riskDetail":"none","riskLevelAggregated":"none","authenticationRequirement":"singleFactorAuthentication",`+
		`"status":{"errorCode":0,"failureReason":"Other.","additionalDetails":null},`+
		`"deviceDetail":{"deviceId":"","displayName":"","operatingSystem":"Windows10","browser":"Edge 135.0.0","isCompliant":false,"isManaged":false,"trustType":""},`+
		`"location":{"city":"Paris","state":"Ile-de-France","countryOrRegion":"FR","geoCoordinates":{"altitude":null,"latitude":48.85,"longitude":2.35}},`+
		`"appliedConditionalAccessPolicies":[],"authenticationDetails":[{"authenticationStepDateTime":"2025-05-02T10:00:00Z","authenticationMethod":"Password","succeeded":true}],`+
		`"authenticationProcessingDetails":[{"key":"Is CAE Token","value":"False"}]}`,
		id, (i/60)%60, i%60, i, i, i, (i>>8)&255, i&255, i, i, normalizeUTI(id))
}

// BenchmarkSigninRecords maps Graph sign-ins one by one, without the
// file's splitter, discarding the events: the parse path alone. fast and
// slow alternate; compare their CPU-µs per event.
func BenchmarkSigninRecords(b *testing.B) {
	benchFastSlowRecords(b, signinBenchRecord, func(slow bool, out timeline.Emitter) func([]byte, int64) error {
		d := &signinDecoder{imp: entraSignin{slow: slow}, src: timeline.Source{File: "bench", SHA256: "00"}, out: out, fileShape: "graph"}
		return d.record
	})
}

// TestSigninScanAt reads records in a buffer, followed by more, as the
// splitter's fast reader does, and compares with a reading of the record
// alone (the values then go to the emitter as views of the buffer).
func TestSigninScanAt(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(12, 558))
	recs := []string{
		signinBenchRecord(3),
		`{"TenantId":"w","TimeGenerated":"2025-05-02T10:00:00Z","CreatedDateTime":"2025-05-02T10:00:00Z","UserPrincipalName":"A@B.C",` +
			`"Status":"{\"errorCode\":50126,\"failureReason\":\"Invalid\"}","LocationDetails":{"countryOrRegion":"US"},"Location":"US","Type":"SigninLogs"}`,
		`{"time":"2025-05-02T10:00:00Z","category":"SignInLogs","resultType":"0","properties":{"id":"x","status":{"errorCode":0,"failureReason":"Other."}}}`,
	}
	for range 2000 {
		recs = append(recs, signinRandomRecord(rng))
	}
	vouched := 0
	for _, rec := range recs {
		buf := []byte(rec + `,{"next":1}`)
		var a signIn
		n, ok := a.scanAt(unsafe.String(&buf[0], len(buf)), nil)
		if !ok {
			continue
		}
		vouched++
		raw := string(buf[:n])
		var b signIn
		if !b.scan(raw) {
			t.Fatalf("scan of %s steps aside where scanAt did not", raw)
		}
		if diff := cmp.Diff(b, a, cmp.AllowUnexported(signIn{}, ualJSON{}, signinStatusField{})); diff != "" {
			t.Fatalf("%s: values read in the buffer differ (-want +got):\n%s", raw, diff)
		}
	}
	if vouched < 500 {
		t.Errorf("only %d records read", vouched)
	}
}

// TestSigninFastLargeInput compares the two paths on a Graph page and a
// diagnostic blob larger than the splitter's buffer, whose events are kept
// while the buffer is reused.
func TestSigninFastLargeInput(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(13, 558))
	var page, blob, nd bytes.Buffer
	page.WriteString(`{"@odata.context":"https://graph.microsoft.com/beta/$metadata#auditLogs/signIns","value":[`)
	blob.WriteString(`{"records":[`)
	for i := range 1500 {
		if i > 0 {
			page.WriteByte(',')
			blob.WriteByte(',')
		}
		rec := signinBenchRecord(i)
		if i%3 == 0 {
			rec = signinRandomRecord(rng)
		}
		page.WriteString(rec)
		blob.WriteString(`{"time":"2025-05-02T10:00:00Z","category":"SignInLogs","tenantId":"t","properties":` + rec + `}`)
		nd.WriteString(rec + "\n")
	}
	page.WriteString(`]}`)
	blob.WriteString(`]}`)
	for _, data := range [][]byte{page.Bytes(), blob.Bytes(), nd.Bytes()} {
		signinCompareImports(t, data)
	}
}
