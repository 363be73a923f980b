package importers

import "testing"

func TestAzureActivityShapes(t *testing.T) {
	t.Parallel()
	runFixtures(t, azureActivity{}, "azure-activity", map[string]fixtureWant{
		"records.json":  {events: 2, rejects: 1, shapes: []string{"diagnostic"}},
		"rest.json":     {events: 1, shapes: []string{"rest"}},
		"sdk.jsonl":     {events: 1, shapes: []string{"sdk"}},
		"sentinel.json": {events: 1, shapes: []string{"sentinel"}},
	})
}

func TestAzureActivityFields(t *testing.T) {
	t.Parallel()
	const uti = "d3d3d4iImUmKqru7u7u7AQ"
	checkFields(t, azureActivity{}, "azure-activity", []fieldWant{
		{"records.json", 0, map[string]string{
			"time": "2025-04-15T10:16:32.9873441Z", "category": "resource", "action": "MICROSOFT.KEYVAULT/VAULTS/WRITE",
			"outcome": "success", "actor": "alice@contoso.com", "actor_kind": "user", "tenant": "f0000000-0000-4000-8000-00000000000a",
			"app_id": "04b07795-8ddb-461a-bbee-02f9e1bf7b46", "resource_app": "https://management.core.windows.net/",
			"token_id": uti, "session_id": "5e550000-0000-4000-8000-000000000001", "src_ip": "45.1.2.3",
			"target":      "/subscriptions/11111111-1111-1111-1111-111111111111/resourcegroups/rg1/providers/microsoft.keyvault/vaults/kv1",
			"target_kind": "resource", "correlation_id": "aaaaaaaa-bbbb-cccc-dddd-111111111111",
		}},
		// A caller from another tenant; an old-style uti; a port on the IP.
		{"records.json", 1, map[string]string{
			"category": "credential", "outcome": "failure", "reason": "Forbidden", "actor": "9e2c0000-0000-4000-8000-0000000000ff",
			"actor_kind": "service_principal", "actor_tenant": "e0000000-0000-4000-8000-00000000000b",
			"token_id": "CUSLCGOeXUK3dyyMbDgLAA", "src_ip": "45.1.2.3",
		}},
		{"rest.json", 0, map[string]string{
			"id": "e0000000-0000-4000-8000-000000000001", "time": "2025-04-15T11:00:00.123456Z", "category": "admin",
			"action": "Microsoft.Authorization/roleAssignments/write", "outcome": "success", "actor": "alice@contoso.com",
			"src_ip": "45.1.2.3", "token_id": uti,
			"target": "/subscriptions/11111111-1111-1111-1111-111111111111/providers/microsoft.authorization/roleassignments/ra1",
		}},
		{"sdk.jsonl", 0, map[string]string{
			"id": "648230f9-fba4-4def-8a83-118b158b748a", "time": "2022-02-09T03:04:26.49265Z", "outcome": "failure", "reason": "Conflict",
			"actor": "fake@contoso.com", "token_id": "-AAAAAAAAAAAAAAAA_AAAA", "src_ip": "45.1.2.3",
			"target": "/subscriptions/s/resourcegroups/rg/providers/microsoft.compute/virtualmachines/vm1",
		}},
		// AzureActivity: TenantId is the workspace; the tenant comes from
		// the token.
		{"sentinel.json", 0, map[string]string{
			"time": "2025-04-15T12:00:00Z", "tenant": "f0000000-0000-4000-8000-00000000000a", "category": "credential",
			"token_id": uti, "target": "/subscriptions/s/resourcegroups/rg/providers/microsoft.keyvault/vaults/kv1",
		}},
	})
}

func FuzzImportAzureActivity(f *testing.F) { fuzzImporter(f, azureActivity{}, "azure-activity") }
