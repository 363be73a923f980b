package importers

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/causeway-ir/causeway/timeline"
)

// extCorpusCase is one file of a corpus table test: how many events it must
// give, with no rejects.
type extCorpusCase struct {
	file   string
	events int
}

// extCheckCorpus imports every listed file of corpus/<sub>, checks the
// exact event count, no rejects, and that every file of the directory is
// listed. Corpus-derived golden files are not kept in the repository (the
// corpus is not ours to copy); spot checks of join keys stand in for them.
func extCheckCorpus(t *testing.T, imp timeline.Importer, sub string, cases []extCorpusCase, skip ...string) map[string]*recorder {
	t.Helper()
	dir := corpusDir(t, sub)
	listed := map[string]bool{}
	for _, s := range skip {
		listed[s] = true
	}
	out := map[string]*recorder{}
	for _, tc := range cases {
		listed[tc.file] = true
		rec := runImporter(t, imp, filepath.Join(dir, tc.file))
		for _, r := range rec.rejects {
			t.Errorf("%s: reject: %v", tc.file, r)
		}
		if len(rec.events) != tc.events {
			t.Errorf("%s: got %d events, want %d", tc.file, len(rec.events), tc.events)
		}
		out[tc.file] = rec
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, de := range entries {
		if !listed[de.Name()] {
			t.Errorf("corpus file %s/%s is not covered by this test", sub, de.Name())
		}
	}
	return out
}

// extSpot compares chosen fields of event i of a corpus file with want.
func extSpot(t *testing.T, recs map[string]*recorder, file string, i int, want map[string]string) {
	t.Helper()
	rec := recs[file]
	if rec == nil || i >= len(rec.events) {
		t.Errorf("%s: no event %d", file, i)
		return
	}
	got := map[string]string{}
	for k := range want {
		got[k] = rec.events[i].Field(k)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s event %d (-want +got):\n%s", file, i, diff)
	}
}

func TestGCPAuditCorpus(t *testing.T) {
	t.Parallel()
	recs := extCheckCorpus(t, gcpAudit{}, "gcp-audit", []extCorpusCase{
		{"plaso__gcp_logging.jsonl", 11},
		{"elastic__test-iamcredentials-googleapis-com.log", 1},
		{"elastic__test-audit.excerpt-lines1-7.log", 7},
	})
	extSpot(t, recs, "elastic__test-iamcredentials-googleapis-com.log", 0, map[string]string{
		"category": "token", "action": "GenerateAccessToken", "actor_kind": "service_principal", "issued_id": "",
		"target": "made-up-ci-account@project-id.iam.gserviceaccount.com", "target_kind": "identity",
		"tenant": "project-id", "src_ip": "175.16.199.45", "time": "2024-11-19T00:49:55.293368631Z",
	})
	extSpot(t, recs, "elastic__test-audit.excerpt-lines1-7.log", 3, map[string]string{
		"outcome": "failure", "reason": "PERMISSION_DENIED",
	})
	extSpot(t, recs, "plaso__gcp_logging.jsonl", 8, map[string]string{
		"category": "other", "outcome": "unknown", "message": "This is a text payload", "action": "testlog",
	})
	extSpot(t, recs, "plaso__gcp_logging.jsonl", 10, map[string]string{
		"actor": "dvwa-service-account@ketchup.iam.gserviceaccount.com", "outcome": "failure", "reason": "PERMISSION_DENIED",
		"category": "admin", "tenant": "ketchup",
	})
}

func TestGCPAuditFixtures(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"gcp_audit_array.json", "gcp_audit_entries.json"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rec := runImporter(t, gcpAudit{}, filepath.Join("testdata", name))
			for _, r := range rec.rejects {
				t.Errorf("reject: %v", r)
			}
			checkGolden(t, "gcp/"+name, rec.events)
		})
	}
}

type gcpFields struct {
	ID, Shape, Actor, Tenant, KeyID, IssuedKind, IssuedID, Target, TargetKind, Reason, SrcIP string
	ActorKind                                                                                timeline.ActorKind
	Category                                                                                 timeline.Category
	Outcome                                                                                  timeline.Outcome
}

func TestGCPAuditMapping(t *testing.T) {
	t.Parallel()
	var got []gcpFields
	for _, name := range []string{"gcp_audit_array.json", "gcp_audit_entries.json"} {
		for _, e := range runImporter(t, gcpAudit{}, filepath.Join("testdata", name)).events {
			got = append(got, gcpFields{ID: e.ID, Shape: e.Shape, Actor: e.Actor, Tenant: e.Tenant, KeyID: e.KeyID,
				IssuedKind: e.IssuedKind, IssuedID: e.IssuedID, Target: e.Target, TargetKind: e.TargetKind,
				Reason: e.Reason, SrcIP: e.SrcIP, ActorKind: e.ActorKind, Category: e.Category, Outcome: e.Outcome})
		}
	}
	const sa, key = "deployer@victim-prod.iam.gserviceaccount.com", "4f1e2d3c4b5a69788796a5b4c3d2e1f001122334"
	want := []gcpFields{
		{ID: "1x2y3z4", Shape: "array", Actor: "dev.ops@example.com", Tenant: "victim-prod", IssuedKind: "key", IssuedID: key,
			Target: sa, TargetKind: "identity", SrcIP: "203.0.113.50",
			ActorKind: timeline.ActorUser, Category: timeline.CategoryCredential, Outcome: timeline.OutcomeSuccess},
		{ID: "5a6b7c8", Shape: "array", Actor: sa, Tenant: "victim-prod", KeyID: key,
			Target: "billing-admin@victim-prod.iam.gserviceaccount.com", TargetKind: "identity", SrcIP: "198.51.100.77",
			ActorKind: timeline.ActorServicePrincipal, Category: timeline.CategoryToken, Outcome: timeline.OutcomeSuccess},
		{ID: "9d0e1f2", Shape: "array", Actor: "billing-admin@victim-prod.iam.gserviceaccount.com", Tenant: "victim-prod",
			Target: "projects/_/buckets/invoices/objects/2024/q1.pdf", TargetKind: "resource", Reason: "PERMISSION_DENIED", SrcIP: "198.51.100.77",
			ActorKind: timeline.ActorServicePrincipal, Category: timeline.CategoryFile, Outcome: timeline.OutcomeFailure},
		{ID: "e1", Shape: "entries", Actor: "principal://iam.googleapis.com/locations/global/workforcePools/contractors/subject/ext-42",
			Tenant: "organizations/123456789", Target: "organizations/123456789", TargetKind: "resource", SrcIP: "2001:db8::10",
			ActorKind: timeline.ActorServicePrincipal, Category: timeline.CategoryAdmin, Outcome: timeline.OutcomeSuccess},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mapping (-want +got):\n%s", diff)
	}
}

func TestGCPAuditMatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, head string
		want       bool
	}{
		{"ndjson", `{"insertId":"x","logName":"projects/p/logs/a","timestamp":"2024-01-01T00:00:00Z"}`, true},
		{"cloudtrail", `{"eventVersion":"1.08","eventName":"x","eventSource":"s3.amazonaws.com","eventTime":"2024"}`, false},
		{"okta", `{"uuid":"x","published":"2024","eventType":"user.session.start"}`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := (gcpAudit{}).Match("x", []byte(tc.head)); got != tc.want {
				t.Errorf("Match = %v, want %v", got, tc.want)
			}
		})
	}
}

func FuzzImportGCPAudit(f *testing.F) {
	for _, name := range []string{"gcp_audit_array.json", "gcp_audit_entries.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"insertId":"a","timestamp":"2024-01-01T00:00:00Z","protoPayload":{"methodName":"x","status":{"code":"99"}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		extFuzz(t, gcpAudit{}, data)
	})
}

// extFuzz runs imp on data and checks every event it emits.
func extFuzz(t *testing.T, imp timeline.Importer, data []byte) {
	_ = imp.Match("fuzz", data[:min(len(data), headSize)])
	rec := &recorder{}
	_ = imp.Import(t.Context(), bytes.NewReader(data), timeline.Source{File: "fuzz", SHA256: "00"}, rec)
	for _, e := range rec.events {
		if err := e.Validate(); err != nil {
			t.Fatalf("invalid event: %v", err)
		}
	}
}
