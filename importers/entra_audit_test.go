package importers

import "testing"

func TestEntraAuditShapes(t *testing.T) {
	t.Parallel()
	runFixtures(t, entraAudit{}, "entra-audit", map[string]fixtureWant{
		"graph-page.json": {events: 7, shapes: []string{"graph"}},
		"diagnostic.json": {events: 2, shapes: []string{"diagnostic"}},
		"sentinel.json":   {events: 2, rejects: 1, shapes: []string{"sentinel"}},
	})
}

func TestEntraAuditFields(t *testing.T) {
	t.Parallel()
	checkFields(t, entraAudit{}, "entra-audit", []fieldWant{
		// A secret added to an application issues a key: the id that the
		// new KeyDescription has and the old one lacked.
		{"graph-page.json", 0, map[string]string{
			"id": "Directory_1", "time": "2025-06-01T10:00:00.1234Z", "category": "credential",
			"action": "Update application – Certificates and secrets management", "outcome": "success",
			"actor": "admin@contoso.com", "actor_kind": "user", "src_ip": "198.51.100.20",
			"target": "11b49e19-2326-4be6-93cb-7f37439bbd81", "target_kind": "app",
			"issued_kind": "key", "issued_id": "59eaeebc-8a6b-44a6-9f24-7d55e64420c9",
			"correlation_id": "c3000000-0000-4000-8000-000000000001", "user_agent": "python-requests/2.31",
		}},
		{"graph-page.json", 1, map[string]string{
			"actor": "9e2c0000-0000-4000-8000-000000000001", "actor_kind": "service_principal",
			"app_id": "1b730954-1685-4b74-9bfd-dac224a7b894", "app_name": "Azure AD PowerShell",
			"issued_kind": "key", "issued_id": "22222222-8a6b-44a6-9f24-7d55e64420c9", "target_kind": "app",
		}},
		// Removing a secret issues nothing.
		{"graph-page.json", 2, map[string]string{"category": "credential", "issued_kind": "", "issued_id": ""}},
		{"graph-page.json", 3, map[string]string{"category": "admin", "action": "Consent to application", "target": "0d2f5969-011b-460d-ac74-3291d227d49f"}},
		{"graph-page.json", 4, map[string]string{"category": "admin", "target": "mallory@contoso.com", "target_kind": "identity"}},
		{"graph-page.json", 5, map[string]string{"category": "admin", "action": "Set domain authentication", "target_kind": "resource"}},
		{"graph-page.json", 6, map[string]string{"outcome": "failure", "reason": "Insufficient privileges", "issued_kind": ""}},
		{"diagnostic.json", 0, map[string]string{
			"time": "2025-06-02T08:00:00.5Z", "tenant": "f0000000-0000-4000-8000-00000000000a", "src_ip": "2a02:cf40:add:4002::1",
			"issued_id": "11111111-8a6b-44a6-9f24-7d55e64420c9", "actor": "b9814691-9ca1-4e55-a1ac-8ef5dd010ec0",
		}},
		// Without activityDateTime the envelope's time is the event's.
		{"diagnostic.json", 1, map[string]string{"time": "2025-06-02T08:01:00Z", "action": "Update user", "category": "admin"}},
		// Sentinel: ActivityDateTime, not TimeGenerated; AADTenantId, not
		// the workspace; InitiatedBy and TargetResources are JSON strings
		// (the second record's InitiatedBy twice over).
		{"sentinel.json", 0, map[string]string{
			"time": "2025-06-03T09:00:00.983Z", "tenant": "f0000000-0000-4000-8000-00000000000a",
			"actor": "pgustavo@simulandlabs.com", "actor_tenant": "e0000000-0000-4000-8000-00000000000b",
			"src_ip": "203.0.113.50", "target": "401dd906-ea4f-4d41-b762-7e936d222368", "category": "admin",
			"user_agent": "WindowsPowerShell/5.1",
		}},
		{"sentinel.json", 1, map[string]string{
			"actor": "pgustavo@simulandlabs.com", "issued_kind": "key", "issued_id": "59eaeebc-8a6b-44a6-9f24-7d55e64420c9",
		}},
	})
}

func TestAddedKeyIDs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, old, new string
		want           []string
	}{
		{"first key", `[]`, `["[KeyIdentifier=59EAEEBC-8A6B-44A6-9F24-7D55E64420C9,KeyType=Password]"]`, []string{"59eaeebc-8a6b-44a6-9f24-7d55e64420c9"}},
		{"one more", `["[KeyIdentifier=11111111-8a6b-44a6-9f24-7d55e64420c9]"]`,
			`["[KeyIdentifier=11111111-8a6b-44a6-9f24-7d55e64420c9]","[KeyIdentifier=22222222-8a6b-44a6-9f24-7d55e64420c9]"]`,
			[]string{"22222222-8a6b-44a6-9f24-7d55e64420c9"}},
		{"removed", `["[KeyIdentifier=11111111-8a6b-44a6-9f24-7d55e64420c9]"]`, `[]`, nil},
		{"no key ids", `[true]`, `[false]`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := addedKeyIDs(tt.old, tt.new)
			if len(got) != len(tt.want) || (len(got) > 0 && got[0] != tt.want[0]) {
				t.Errorf("addedKeyIDs = %q, want %q", got, tt.want)
			}
		})
	}
}

func FuzzImportEntraAudit(f *testing.F) { fuzzImporter(f, entraAudit{}, "entra-audit") }
