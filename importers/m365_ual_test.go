package importers

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"unsafe"

	json "github.com/goccy/go-json"
	"github.com/google/go-cmp/cmp"

	"github.com/causeway-ir/causeway/timeline"
)

func TestM365UALShapes(t *testing.T) {
	t.Parallel()
	runFixtures(t, m365UAL{}, "m365-ual", map[string]fixtureWant{
		"management-api.json": {events: 10, rejects: 1, shapes: []string{"management-api"}},
		"export-csv.csv":      {events: 2, rejects: 1, shapes: []string{"export-csv"}},
		"purview.csv":         {events: 3, rejects: 1, shapes: []string{"purview-csv"}},
		"sentinel.json":       {events: 3, shapes: []string{"sentinel"}},
		"elastic.json":        {events: 2, rejects: 1, shapes: []string{"elastic"}},
		"numbers.json":        {events: 1, shapes: []string{"management-api"}},
		"powershell.json":     {events: 2, shapes: []string{"powershell"}},
		"graph-auditlog.json": {events: 1, shapes: []string{"graph"}},
	})
}

func TestM365UALFields(t *testing.T) {
	t.Parallel()
	const tok = "ZmZmZnd3iEiJmaqqqqqqAQ"
	checkFields(t, m365UAL{}, "m365-ual", []fieldWant{
		// The Storm-0558 record: mailbox, resource app vs client app, token,
		// Entra session, IP, Bind with the item count.
		{"management-api.json", 0, map[string]string{
			"id": "a1000000-0000-4000-8000-000000000001", "time": "2023-06-15T09:02:11Z", "category": "mail",
			"action": "MailItemsAccessed", "outcome": "success", "actor": "alice@contoso.com", "actor_kind": "user",
			"tenant": "f0000000-0000-4000-8000-00000000000a", "actor_tenant": "9188040d-6c67-4c5b-b112-36a304b66dad",
			"target": "alice@contoso.com", "target_kind": "mailbox",
			"resource_app": "00000003-0000-0000-c000-000000000000", "app_id": "5a95e683-08ad-424e-a441-1d1aec52c02c",
			"token_id": tok, "session_id": "5e550000-0000-4000-8000-000000000001", "src_ip": "45.1.2.3",
			"correlation_id": "c6000000-0000-4000-8000-000000000001",
			"message":        `alice@contoso.com read 12 items in \Inbox, \Sent Items via REST from 45.1.2.3 (Bind)`,
		}},
		{"management-api.json", 1, map[string]string{
			"target": "carol@contoso.com", "src_ip": "2001:db8::5", "session_id": "",
			"message": `bob@contoso.com synced carol@contoso.com's mailbox \Inbox via MSExchangeRPC from 2001:db8::5 (Sync) (throttled: further access is not logged for 24 h)`,
		}},
		{"management-api.json", 2, map[string]string{
			"category": "mail", "target": "alice@contoso.com", "target_kind": "mailbox", "src_ip": "185.73.124.135",
			"token_id": tok, "session_id": "9dfdecb6-0000-4000-8000-000000000003", "actor_kind": "user",
			"message": `alice@contoso.com New-InboxRule "." on alice@contoso.com: forward to x@evil.example; move to RSS Feeds; from ceo@contoso.com; markAsRead; stopProcessingRules from 185.73.124.135`,
		}},
		{"management-api.json", 3, map[string]string{"category": "mail", "target_kind": "mailbox", "message": `alice@contoso.com sent "Urgent wire transfer" via OWA from 45.1.2.3`}},
		{"management-api.json", 4, map[string]string{
			"category": "mail", "target": "carol@contoso.com",
			"message": "admin@contoso.com set forwarding of carol@contoso.com to smtp:drop@evil.example (keeping a copy) from 198.51.100.20",
		}},
		{"management-api.json", 5, map[string]string{
			"category": "admin", "target": "carol@contoso.com", "target_kind": "mailbox",
			"message": "admin@contoso.com granted FullAccess on carol@contoso.com to mallory@contoso.com (Add-MailboxPermission) from 198.51.100.20",
		}},
		{"management-api.json", 6, map[string]string{
			"category": "signin", "outcome": "success", "resource_app": "00000002-0000-0ff1-ce00-000000000000",
			"app_id": "89bee1f7-5e6e-4d8a-9f3d-ecd601259da7", "session_id": "5e550000-0000-4000-8000-000000000001",
			"user_agent": "Mozilla/5.0 (X11; Linux x86_64)", "correlation_id": "c7000000-0000-4000-8000-000000000007", "reason": "",
		}},
		{"management-api.json", 7, map[string]string{"category": "signin", "outcome": "failure", "reason": "50126: InvalidUserNameOrPassword"}},
		{"management-api.json", 8, map[string]string{
			"category": "credential", "issued_kind": "key", "issued_id": "59eaeebc-8a6b-44a6-9f24-7d55e64420c9",
			"target": "simulandapp", "target_kind": "app", "correlation_id": "c8000000-0000-4000-8000-000000000009",
		}},
		{"management-api.json", 9, map[string]string{
			"category": "file", "target_kind": "resource", "app_id": "d3590ed6-52b3-4102-aeff-aad2292ab01c", "app_name": "Microsoft Office",
			"user_agent": "python-requests/2.31", "token_id": tok,
		}},
		// Export-Csv: CreationDate "3/12/2025" is d/M culture; the time is
		// AuditData.CreationTime.
		{"export-csv.csv", 0, map[string]string{"time": "2023-06-15T09:02:11Z", "token_id": tok}},
		{"export-csv.csv", 1, map[string]string{"time": "2025-12-03T07:35:00Z", "action": "New-InboxRule"}},
		{"purview.csv", 0, map[string]string{
			"id": "b1000000-0000-4000-8000-000000000001", "time": "2023-09-20T04:05:03Z", "actor": "debrab@m365b132131.onmicrosoft.com",
		}},
		// A repr-like AppAccessContext still gives its token and session.
		{"purview.csv", 1, map[string]string{"token_id": tok, "session_id": "5e550000-0000-4000-8000-0000000000aa", "category": "file"}},
		// No CreationTime: the Purview CreationDate (US format, UTC).
		{"purview.csv", 2, map[string]string{"time": "2023-09-20T16:12:00Z", "category": "signin"}},
		// OfficeActivity: Client_IPAddress, JSON-string columns, OfficeId.
		{"sentinel.json", 0, map[string]string{
			"id": "699e0b10-1c53-403e-976f-ce0847a92b44", "time": "2021-08-02T13:32:07Z", "src_ip": "1.2.3.4",
			"tenant": "f0000000-0000-4000-8000-00000000000a", "token_id": tok, "actor_kind": "user",
			"message": `pgustavo@simulandlabs.com read 2 items in \Inbox via REST from 1.2.3.4 (Bind)`,
		}},
		{"sentinel.json", 1, map[string]string{
			"target": "pgustavo@simulandlabs.com", "src_ip": "1.2.3.4",
			"message": `pgustavo@simulandlabs.com Set-InboxRule "pgustavo@simulandlabs.com\Clean up" on pgustavo@simulandlabs.com: subject contains security;phish; deleteMessage from 1.2.3.4`,
		}},
		{"numbers.json", 0, map[string]string{
			"outcome": "success", "session_id": "12345", "message": "alice@contoso.com read 5 items from 45.1.2.3 (Bind)",
		}},
		// Search-UnifiedAuditLog objects through ConvertTo-Json: AuditData is
		// a string; CreationDate (/Date(…)/) is not used.
		{"powershell.json", 0, map[string]string{"time": "2023-06-15T09:02:11Z", "category": "mail", "target": "alice@contoso.com"}},
		{"powershell.json", 1, map[string]string{"category": "mail", "message": "admin@contoso.com removed forwarding of bob"}},
		{"graph-auditlog.json", 0, map[string]string{"time": "2023-06-15T09:05:00Z", "actor": "bob@contoso.com", "src_ip": "45.1.2.4"}},
		{"sentinel.json", 2, map[string]string{
			"category": "file", "target": "https://simulandlabs.sharepoint.com/sites/hr/Shared Documents/salaries.xlsx",
			"user_agent": "python-requests/2.31", "actor_kind": "user",
		}},
		{"elastic.json", 0, map[string]string{"token_id": tok, "target": "alice@contoso.com"}},
		{"elastic.json", 1, map[string]string{"category": "mail", "message": "bob@contoso.com SoftDelete (2 items) from 192.0.2.11"}},
	})
}

func FuzzImportM365UAL(f *testing.F) { fuzzImporter(f, m365UAL{}, "m365-ual") }

// BenchmarkUALManagementAPI imports 200,000 Management Activity API
// records (a JSON array): MailItemsAccessed with folders and
// AppAccessContext, inbox rules and sign-ins in turn.
func BenchmarkUALManagementAPI(b *testing.B) {
	const n = 200_000
	var buf bytes.Buffer
	buf.WriteByte('[')
	for i := range n {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString(ualBenchRecord(i))
	}
	buf.WriteByte(']')
	// fast and slow alternate: on a shared machine only CPU time per event
	// compares them (the single-pass reader and the decoder alone).
	for range 2 {
		b.Run("fast", func(b *testing.B) { benchImport(b, m365UAL{}, buf.Bytes(), n) })
		b.Run("slow", func(b *testing.B) { benchImport(b, m365UAL{slow: true}, buf.Bytes(), n) })
	}
}

// ualBenchRecord is the benchmark's record i.
func ualBenchRecord(i int) string {
	switch i % 4 {
	case 0, 1:
		return fmt.Sprintf(`{"CreationTime":"2023-06-15T09:%02d:%02d","Id":"a1000000-0000-4000-8000-%012d","Operation":"MailItemsAccessed",`+
			`"OrganizationId":"f0000000-0000-4000-8000-00000000000a","RecordType":50,"ResultStatus":"Succeeded","UserKey":"10032001EEC259BA","UserType":0,`+
			`"Version":1,"Workload":"Exchange","UserId":"user%d@contoso.com","AppId":"00000003-0000-0000-c000-000000000000",`+
			`"ClientAppId":"5a95e683-08ad-424e-a441-1d1aec52c02c","ClientIPAddress":"45.1.%d.%d","ClientInfoString":"Client=REST;;","ExternalAccess":false,`+
			`"MailboxGuid":"d0c5f8ae-9ed7-4e46-bfdf-ea1460f5a31b","MailboxOwnerUPN":"user%d@contoso.com","OperationCount":3,"SessionId":"8c1e0000-0000-4000-8000-%012d",`+
			`"AppAccessContext":{"AADSessionId":"5e550000-0000-4000-8000-%012d","UniqueTokenId":"Rdwd2lRF4UKBin7iUvN8AA","IssuedAtTime":"2023-06-15T09:00:00"},`+
			`"OperationProperties":[{"Name":"MailAccessType","Value":"Bind"},{"Name":"IsThrottled","Value":"False"}],`+
			`"Folders":[{"Id":"LgAAAA1","Path":"\\Inbox","FolderItems":[{"InternetMessageId":"<a%d@contoso.com>","SizeInBytes":1024},`+
			`{"InternetMessageId":"<b%d@contoso.com>","SizeInBytes":2048},{"InternetMessageId":"<c%d@contoso.com>","SizeInBytes":4096}]}]}`,
			(i/60)%60, i%60, i, i%5000, (i>>8)&255, i&255, i%5000, i, i, i, i, i)
	case 2:
		return fmt.Sprintf(`{"CreationTime":"2023-06-15T10:%02d:%02d","Id":"a2000000-0000-4000-8000-%012d","Operation":"New-InboxRule",`+
			`"OrganizationId":"f0000000-0000-4000-8000-00000000000a","RecordType":1,"ResultStatus":"True","UserType":2,"Workload":"Exchange",`+
			`"ObjectId":"contoso.onmicrosoft.com\\rule","UserId":"user%d@contoso.com","ClientIP":"185.73.124.135:19823","SessionId":"9dfdecb6-0000-4000-8000-%012d",`+
			`"Parameters":[{"Name":"Name","Value":"."},{"Name":"MoveToFolder","Value":"RSS Feeds"},{"Name":"MarkAsRead","Value":"True"}]}`,
			(i/60)%60, i%60, i, i%5000, i)
	default:
		return fmt.Sprintf(`{"CreationTime":"2023-06-15T08:%02d:%02d","Id":"a3000000-0000-4000-8000-%012d","Operation":"UserLoggedIn",`+
			`"OrganizationId":"f0000000-0000-4000-8000-00000000000a","RecordType":15,"ResultStatus":"Success","UserType":0,"Workload":"AzureActiveDirectory",`+
			`"ClientIP":"45.1.2.3","ObjectId":"00000002-0000-0ff1-ce00-000000000000","UserId":"user%d@contoso.com","ApplicationId":"89bee1f7-5e6e-4d8a-9f3d-ecd601259da7",`+
			`"ExtendedProperties":[{"Name":"UserAgent","Value":"Mozilla/5.0"},{"Name":"RequestType","Value":"OAuth2:Authorize"}],`+
			`"DeviceProperties":[{"Name":"OS","Value":"Windows 10"},{"Name":"SessionId","Value":"5e550000-0000-4000-8000-%012d"}],"ErrorNumber":"0"}`,
			(i/60)%60, i%60, i, i%5000, i)
	}
}

// ualCompareImports imports data with the single-pass reader and without
// and compares events, rejects (offset, error, bytes) and notes.
func ualCompareImports(t *testing.T, data []byte) {
	t.Helper()
	compareFastSlow(t, m365UAL{slow: true}, m365UAL{}, data)
}

// TestUALFastMatchesSlow imports every fixture and corpus file with the
// single-pass reader and without.
func TestUALFastMatchesSlow(t *testing.T) {
	t.Parallel()
	eachSample(t, "m365-ual", ualCompareImports)
}

// TestUALScanVouches holds the single-pass reader to the records it is
// for: if it stepped aside on these, the comparisons above would compare
// the old path with itself.
func TestUALScanVouches(t *testing.T) {
	t.Parallel()
	for _, rec := range []string{
		ualBenchRecord(0), ualBenchRecord(2), ualBenchRecord(3),
		// OfficeActivity: nested values as JSON in strings, null columns.
		`{"TenantId":"b6a1720f-3673-48b2-a412-7d2459ff16b1","RecordType":"50","TimeGenerated":"2023-05-08T14:12:27Z","Operation":"MailItemsAccessed",` +
			`"UserType":"Regular","OfficeWorkload":"Exchange","ResultStatus":"Succeeded","UserId":"Andrew.Sanchez@adatum.com","OriginatingServer":"MW4 (15.20)\r\n",` +
			`"Client_IPAddress":"172.58.85.97:11804","Folders":"[{\"Id\":\"LgAAB\",\"Path\":\"\\\\Inbox\"}]",` +
			`"OperationProperties":"[{\"Name\":\"MailAccessType\",\"Value\":\"Sync\"}]","SessionId":null,` +
			`"AppAccessContext":"{\"AADSessionId\":\"dae4ef98\",\"UniqueTokenId\":\"xRDhtIOISk6bUfk23hggHQ\"}","OfficeId":"706e3c9c","Type":"OfficeActivity"}`,
	} {
		var u ualRecordOf[string]
		if !u.scan(rec) {
			t.Errorf("scan stepped aside on %s", rec)
			continue
		}
		if _, ok := jsInner(u.Folders.text); u.Operation == "MailItemsAccessed" && !ok {
			t.Errorf("Folders %q not read in place", u.Folders.text)
		}
		if got, ok := jsFolders(first(jsInner(u.Folders.text)), nil); u.Operation == "MailItemsAccessed" && (!ok || len(got) != 1) {
			t.Errorf("Folders of %s: %v %v", rec, got, ok)
		}
	}
}

func first[T any](v T, _ bool) T { return v }

// TestUALScanSteps lists records the reader must leave to the decoder.
func TestUALScanSteps(t *testing.T) {
	t.Parallel()
	for _, rec := range []string{
		`{"Operation":"a","Operation":"b"}`, // repeated key
		`{"operation":"a"}`,                 // folds to a field
		`{"OperaTion":"a"}`,                 // folds to a field
		`{"Operation":"\ud83d\ude00"}`,      // surrogates
		"{\"Operation\":\"\xff\"}",          // invalid UTF-8
		`{"Operation":{"x":1}}`,             // object in a string field
		`{"AuditData":"{}"}`,                // wrapper
		`{"event":{"original":"{}"}}`,       // Elastic
		`{"Operation":"a",}`,                // trailing comma
		`{"Operation":01}`,                  // leading zero
		`{"Operation":"a"} x`,               // trailing text
		"{\"Operation\":\"a\tb\"}",          // control byte
		`{"Folders":[` + strings.Repeat("[", 80) + strings.Repeat("]", 80) + `]}`, // depth
	} {
		var u ualRecordOf[string]
		if u.scan(rec) {
			t.Errorf("scan vouched for %q", rec)
		}
	}
}

// TestUALFastRandom compares the two paths on records built from the
// UAL's keys with values of every JSON type and spelling.
func TestUALFastRandom(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(10, 558))
	const n = 3000
	vouched := 0
	for range n {
		rec := ualRandomRecord(rng)
		var u ualRecordOf[string]
		if u.scan(rec) {
			vouched++
		}
		ualCompareImports(t, []byte(rec))
	}
	t.Logf("the reader vouched for %d of %d records", vouched, n)
	// Both paths must be exercised: the reader vouches for many of these
	// records and steps aside on many.
	if vouched < n/5 || vouched > n*4/5 {
		t.Errorf("the reader vouched for %d of %d records", vouched, n)
	}
}

func FuzzUALFastImport(f *testing.F) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 8 {
		f.Add([]byte(ualBenchRecord(i)))
		f.Add([]byte(ualRandomRecord(rng)))
	}
	f.Add([]byte("\"CreationDate\",\"AuditData\"\n\"2023-05-08\",\"{\"\"CreationTime\"\":\"\"2023-05-08T11:06:37\"\",\"\"Operation\"\":\"\"Send\"\"}\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ualCompareImports(t, data)
	})
}

var ualRandomKeys = []string{
	"CreationTime", "Id", "Operation", "OrganizationId", "RecordType", "ResultStatus", "UserType", "Workload", "ClientIP",
	"ClientIPAddress", "ObjectId", "UserId", "AppId", "ClientAppId", "ApplicationId", "ClientInfoString", "SessionId",
	"MailboxOwnerUPN", "OperationCount", "TokenTenantId", "ErrorNumber", "LogonError", "SendAsUserSmtp", "AppAccessContext",
	"Folders", "OperationProperties", "Parameters", "ExtendedProperties", "DeviceProperties", "ModifiedProperties", "Item",
	"AffectedItems", "OfficeId", "OfficeWorkload", "Client_IPAddress", "TimeGenerated", "Type", "UserKey", "clientip",
	"operation", "Version",
}

var ualRandomOps = []string{
	`"MailItemsAccessed"`, `"New-InboxRule"`, `"Send"`, `"SendAs"`, `"Set-Mailbox"`, `"Add-MailboxPermission"`, `"UserLoggedIn"`,
	`"UserLoginFailed"`, `"Add service principal credentials."`, `"SoftDelete"`, `"FileAccessed"`, `null`, `7`,
}

// ualRandomRecord builds one UAL-like record.
func ualRandomRecord(rng *rand.Rand) string {
	scalars := []string{`"x"`, `""`, `"a\"b\\c\/\u00e9\n"`, `12`, `-1.5e3`, `true`, `null`, `"2023-06-15T09:02:11"`, `"45.1.2.3:80"`,
		`"Exchange"`, `"AzureActiveDirectory"`, `"Succeeded"`, `"Failed"`, `"alice@contoso.com"`, `"Client=REST;;"`, `"\ud83d\ude00"`, `"é"`}
	nv := func() string {
		var b strings.Builder
		b.WriteByte('[')
		for i := range rng.IntN(4) {
			if i > 0 {
				b.WriteByte(',')
			}
			switch rng.IntN(8) {
			case 0:
				b.WriteString(scalars[rng.IntN(len(scalars))])
			case 1:
				b.WriteString(`{"name":"MailAccessType","Value":"Bind"}`)
			default:
				names := []string{"MailAccessType", "IsThrottled", "Name", "ForwardTo", "UserAgent", "SessionId", "Identity", "ForwardingSmtpAddress", "KeyDescription"}
				fields := []string{"Name", "Value", "NewValue", "OldValue", "Other"}
				b.WriteString(`{"Name":"` + names[rng.IntN(len(names))] + `"`)
				for range rng.IntN(3) {
					b.WriteString(`,"` + fields[rng.IntN(len(fields))] + `":` + scalars[rng.IntN(len(scalars))])
				}
				b.WriteByte('}')
			}
		}
		b.WriteByte(']')
		return b.String()
	}
	nested := func(key string) string {
		var v string
		switch rng.IntN(10) {
		case 0:
			return scalars[rng.IntN(len(scalars))]
		case 1:
			v = `{}`
		default:
			switch key {
			case "AppAccessContext":
				v = `{"AADSessionId":` + scalars[rng.IntN(len(scalars))] + `,"UniqueTokenId":"Rdwd2lRF4UKBin7iUvN8AA","IssuedAtTime":"x"}`
				if rng.IntN(4) == 0 {
					v = `{"uniquetokenid":"abc"}`
				}
			case "Folders":
				v = `[{"Path":` + scalars[rng.IntN(len(scalars))] + `,"FolderItems":[{"a":1},{}]},{"Path":"\\Inbox"}` +
					[]string{"", `,null`, `,{"FolderItems":null}`, `,{"FolderItems":[1]}`, `,{"path":"x"}`}[rng.IntN(5)] + `]`
			case "Item":
				v = `{"Subject":` + scalars[rng.IntN(len(scalars))] + `,"ParentFolder":` + []string{`{"Path":"\\Sent"}`, `"x"`, `null`, `{"Path":{}}`}[rng.IntN(4)] + `}`
			case "AffectedItems":
				v = `[{"Id":"1"},{"Id":"2"}` + []string{"", ",null", ",3"}[rng.IntN(3)] + `]`
			default:
				v = nv()
			}
		}
		if rng.IntN(3) == 0 { // OfficeActivity: the value as a JSON string
			q, _ := jsonMarshalString(v)
			return q
		}
		return v
	}
	var b strings.Builder
	b.WriteByte('{')
	n := 3 + rng.IntN(12)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		key := ualRandomKeys[rng.IntN(len(ualRandomKeys))]
		if i == 0 {
			key = "CreationTime"
		}
		b.WriteString(`"` + key + `":`)
		switch key {
		case "AppAccessContext", "Folders", "OperationProperties", "Parameters", "ExtendedProperties", "DeviceProperties",
			"ModifiedProperties", "Item", "AffectedItems":
			b.WriteString(nested(key))
		case "Operation":
			b.WriteString(ualRandomOps[rng.IntN(len(ualRandomOps))])
		case "CreationTime":
			b.WriteString([]string{`"2023-06-15T09:02:11"`, `"2023-06-15T09:02:11Z"`, `"bad"`, `null`, `1686819731`}[rng.IntN(5)])
		default:
			b.WriteString(scalars[rng.IntN(len(scalars))])
		}
	}
	b.WriteByte('}')
	return b.String()
}

// hashEmitter keeps a hash of each event and reject, for comparing imports
// too large to keep.
type hashEmitter struct{ sums []uint64 }

func (h *hashEmitter) add(kind string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	f := fnv.New64a()
	f.Write([]byte(kind))
	f.Write(b)
	h.sums = append(h.sums, f.Sum64())
	return nil
}
func (h *hashEmitter) Emit(e *timeline.Event) error { return h.add("event", e) }
func (h *hashEmitter) Reject(pe *timeline.ParseError) error {
	return h.add("reject", []any{pe.File, pe.Offset, pe.Err.Error(), string(pe.Raw)})
}
func (h *hashEmitter) Note(string) {}

// TestUALFastMatchesSlowFiles compares the two paths on the files listed,
// one a line, in the file named by CAUSEWAY_UAL_FILES (real exports too
// large for the corpus); it is skipped without it.
func TestUALFastMatchesSlowFiles(t *testing.T) {
	list := os.Getenv("CAUSEWAY_UAL_FILES")
	if list == "" {
		t.Skip("CAUSEWAY_UAL_FILES not set")
	}
	text, err := os.ReadFile(list)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range strings.Split(strings.TrimSpace(string(text)), "\n") {
		run := func(imp m365UAL) *hashEmitter {
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			h := &hashEmitter{}
			if err := imp.Import(t.Context(), f, timeline.Source{File: path, SHA256: "00"}, h); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			return h
		}
		slow, fast := run(m365UAL{slow: true}), run(m365UAL{})
		for i := range max(len(slow.sums), len(fast.sums)) {
			if i >= len(slow.sums) || i >= len(fast.sums) || slow.sums[i] != fast.sums[i] {
				t.Errorf("%s: record %d differs (%d and %d records)", path, i, len(slow.sums), len(fast.sums))
				break
			}
		}
		t.Logf("%s: %d records alike", path, len(slow.sums))
	}
}

// BenchmarkUALRecords maps the benchmark's records one by one, without the
// file's splitter, discarding the events: the parse path alone. fast and
// slow alternate; compare their CPU-µs per event.
func BenchmarkUALRecords(b *testing.B) {
	benchFastSlowRecords(b, ualBenchRecord, func(slow bool, out timeline.Emitter) func([]byte, int64) error {
		d := &ualDecoder{imp: m365UAL{slow: slow}, src: timeline.Source{File: "bench", SHA256: "00"}, out: out}
		d.quick.bufs = new(ualBufs)
		return d.record
	})
}

// BenchmarkMicrosoftFiles imports the files listed in CAUSEWAY_UAL_FILES
// (UAL) or CAUSEWAY_SIGNIN_FILES (sign-ins), read into memory first, with
// the single-pass readers and without, alternating, discarding the events
// (the whole import: splitting or CSV parsing included). Skipped without
// either variable.
func BenchmarkMicrosoftFiles(b *testing.B) {
	for _, c := range []struct {
		env        string
		fast, slow timeline.Importer
	}{
		{"CAUSEWAY_UAL_FILES", m365UAL{}, m365UAL{slow: true}},
		{"CAUSEWAY_SIGNIN_FILES", entraSignin{}, entraSignin{slow: true}},
	} {
		list := os.Getenv(c.env)
		if list == "" {
			continue
		}
		text, err := os.ReadFile(list)
		if err != nil {
			b.Fatal(err)
		}
		var files [][]byte
		for _, path := range strings.Split(strings.TrimSpace(string(text)), "\n") {
			data, err := os.ReadFile(path)
			if err != nil {
				b.Fatal(err)
			}
			files = append(files, data)
		}
		for range 2 {
			for _, imp := range []timeline.Importer{c.fast, c.slow} {
				name := c.env + "/fast"
				if imp == c.slow {
					name = c.env + "/slow"
				}
				b.Run(name, func(b *testing.B) {
					out := &countingEmitter{}
					cpu0 := cpuTime()
					for b.Loop() {
						*out = countingEmitter{}
						for _, data := range files {
							if err := imp.Import(b.Context(), bytes.NewReader(data), timeline.Source{File: "bench", SHA256: "00"}, out); err != nil {
								b.Fatal(err)
							}
						}
					}
					if cpu := cpuTime() - cpu0; cpu > 0 && out.events > 0 {
						b.ReportMetric(float64(out.events), "events")
						b.ReportMetric(float64(cpu.Microseconds())/float64(out.events*b.N), "cpu-µs/event")
					}
				})
			}
		}
	}
}

// TestUALScanAt reads records in a buffer, followed by more, as the
// splitter's fast reader does, and compares with a reading of the record
// alone (the values then go to the emitter as views of the buffer).
func TestUALScanAt(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(14, 558))
	recs := []string{ualBenchRecord(0), ualBenchRecord(2), ualBenchRecord(3)}
	for range 2000 {
		recs = append(recs, ualRandomRecord(rng))
	}
	vouched := 0
	for _, rec := range recs {
		buf := []byte(rec + `,{"next":1}`)
		var a ualRecordOf[string]
		n, ok := a.scanAt(unsafe.String(&buf[0], len(buf)), nil)
		if !ok {
			continue
		}
		vouched++
		raw := string(buf[:n])
		var b ualRecordOf[string]
		if !b.scan(raw) {
			t.Fatalf("scan of %s steps aside where scanAt did not", raw)
		}
		if diff := cmp.Diff(b, a, cmp.AllowUnexported(ualRecordOf[string]{}, ualJSON{})); diff != "" {
			t.Fatalf("%s: values read in the buffer differ (-want +got):\n%s", raw, diff)
		}
	}
	if vouched < 400 {
		t.Errorf("only %d records read", vouched)
	}
}

// TestUALFastLargeInput compares the two paths on a JSON array, an
// {"events":[…]} envelope and NDJSON larger than the splitter's buffer,
// whose events are kept while the buffer is reused.
func TestUALFastLargeInput(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(15, 558))
	var arr, env, nd bytes.Buffer
	arr.WriteByte('[')
	env.WriteString(`{"events":[`)
	for i := range 2000 {
		if i > 0 {
			arr.WriteByte(',')
			env.WriteByte(',')
		}
		rec := ualBenchRecord(i)
		if i%3 == 0 {
			rec = ualRandomRecord(rng)
		}
		arr.WriteString(rec)
		env.WriteString(rec)
		nd.WriteString(rec + "\n")
	}
	arr.WriteByte(']')
	env.WriteString(`]}`)
	for _, data := range [][]byte{arr.Bytes(), env.Bytes(), nd.Bytes()} {
		ualCompareImports(t, data)
	}
}
