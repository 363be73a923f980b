package importers

import (
	"bytes"
	"fmt"
	"testing"
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
		switch i % 4 {
		case 0, 1:
			fmt.Fprintf(&buf, `{"CreationTime":"2023-06-15T09:%02d:%02d","Id":"a1000000-0000-4000-8000-%012d","Operation":"MailItemsAccessed",`+
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
			fmt.Fprintf(&buf, `{"CreationTime":"2023-06-15T10:%02d:%02d","Id":"a2000000-0000-4000-8000-%012d","Operation":"New-InboxRule",`+
				`"OrganizationId":"f0000000-0000-4000-8000-00000000000a","RecordType":1,"ResultStatus":"True","UserType":2,"Workload":"Exchange",`+
				`"ObjectId":"contoso.onmicrosoft.com\\rule","UserId":"user%d@contoso.com","ClientIP":"185.73.124.135:19823","SessionId":"9dfdecb6-0000-4000-8000-%012d",`+
				`"Parameters":[{"Name":"Name","Value":"."},{"Name":"MoveToFolder","Value":"RSS Feeds"},{"Name":"MarkAsRead","Value":"True"}]}`,
				(i/60)%60, i%60, i, i%5000, i)
		default:
			fmt.Fprintf(&buf, `{"CreationTime":"2023-06-15T08:%02d:%02d","Id":"a3000000-0000-4000-8000-%012d","Operation":"UserLoggedIn",`+
				`"OrganizationId":"f0000000-0000-4000-8000-00000000000a","RecordType":15,"ResultStatus":"Success","UserType":0,"Workload":"AzureActiveDirectory",`+
				`"ClientIP":"45.1.2.3","ObjectId":"00000002-0000-0ff1-ce00-000000000000","UserId":"user%d@contoso.com","ApplicationId":"89bee1f7-5e6e-4d8a-9f3d-ecd601259da7",`+
				`"ExtendedProperties":[{"Name":"UserAgent","Value":"Mozilla/5.0"},{"Name":"RequestType","Value":"OAuth2:Authorize"}],`+
				`"DeviceProperties":[{"Name":"OS","Value":"Windows 10"},{"Name":"SessionId","Value":"5e550000-0000-4000-8000-%012d"}],"ErrorNumber":"0"}`,
				(i/60)%60, i%60, i, i%5000, i)
		}
	}
	buf.WriteByte(']')
	benchImport(b, m365UAL{}, buf.Bytes(), n)
}
