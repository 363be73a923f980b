package importers

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/causeway-ir/causeway/timeline"
)

func TestGWorkspaceCorpus(t *testing.T) {
	t.Parallel()
	recs := extCheckCorpus(t, gworkspace{}, "gworkspace", []extCorpusCase{
		{"elastic__test-login.log", 17},
		{"elastic__test-admin-security.log", 26},
	})
	extSpot(t, recs, "elastic__test-login.log", 16, map[string]string{
		"id": "login/2025-02-27T05:59:58.481Z/123/0", "action": "login_verification", "outcome": "success",
		"actor": "tl.zeous.daclitan@company.com", "tenant": "123",
	})
	extSpot(t, recs, "elastic__test-admin-security.log", 4, map[string]string{
		"action": "ADD_TO_TRUSTED_OAUTH2_APPS", "category": "admin", "target_kind": "app",
	})
}

type gwFields struct {
	ID, Shape, Action, Actor, Tenant, AppID, AppName, Target, TargetKind, Reason, SrcIP string
	Category                                                                            timeline.Category
	Outcome                                                                             timeline.Outcome
}

func TestGWorkspaceFixture(t *testing.T) {
	t.Parallel()
	rec := runImporter(t, gworkspace{}, filepath.Join("testdata", "gworkspace_api.json"))
	for _, r := range rec.rejects {
		t.Errorf("reject: %v", r)
	}
	checkGolden(t, "gworkspace/gworkspace_api.json", rec.events)
	var got []gwFields
	for _, e := range rec.events {
		got = append(got, gwFields{ID: e.ID, Shape: e.Shape, Action: e.Action, Actor: e.Actor, Tenant: e.Tenant, AppID: e.AppID,
			AppName: e.AppName, Target: e.Target, TargetKind: e.TargetKind, Reason: e.Reason, SrcIP: e.SrcIP,
			Category: e.Category, Outcome: e.Outcome})
	}
	const app = "1234567890-abc.apps.googleusercontent.com"
	want := []gwFields{
		{ID: "token/2024-03-01T12:00:00.123Z/-4432187345/0", Shape: "api", Action: "authorize", Actor: "bob@example.com", Tenant: "C01abcde",
			AppID: app, AppName: "Mail Sync Helper", Target: app, TargetKind: "app", SrcIP: "203.0.113.200",
			Category: timeline.CategoryToken, Outcome: timeline.OutcomeSuccess},
		{ID: "token/2024-03-01T12:00:00.123Z/-4432187345/1", Shape: "api", Action: "request", Actor: "bob@example.com", Tenant: "C01abcde",
			AppID: app, AppName: "Mail Sync Helper", Target: app, TargetKind: "app", SrcIP: "203.0.113.200",
			Category: timeline.CategoryToken, Outcome: timeline.OutcomeSuccess},
		{ID: "login/2024-03-01T11:59:00Z/77/0", Shape: "api", Action: "login_failure", Actor: "bob@example.com", Tenant: "C01abcde",
			Reason: "login_failure_invalid_password", SrcIP: "198.51.100.201",
			Category: timeline.CategorySignin, Outcome: timeline.OutcomeFailure},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mapping (-want +got):\n%s", diff)
	}
	if len(rec.events) == 3 && rec.events[0].Raw != rec.events[1].Raw {
		t.Error("events of one activity should share its raw record")
	}
}

func TestGWorkspaceMatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, head string
		want       bool
	}{
		{"activity", `{"kind":"admin#reports#activity","id":{"time":"2024"}}`, true},
		{"page", `{"kind":"admin#reports#activities","items":[]}`, true},
		{"gcp", `{"insertId":"x","logName":"projects/p/logs/x","timestamp":"2024"}`, false},
		{"okta", `{"uuid":"x","published":"2024","eventType":"user.session.start","actor":{}}`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := (gworkspace{}).Match("x", []byte(tc.head)); got != tc.want {
				t.Errorf("Match = %v, want %v", got, tc.want)
			}
		})
	}
}

func FuzzImportGWorkspace(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("testdata", "gworkspace_api.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"kind":"admin#reports#activity","id":{"time":"2024-01-01T00:00:00Z"},"events":{"name":"x","parameters":[{"name":"login_timestamp","intValue":"99999999999999999999"}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) { extFuzz(t, gworkspace{}, data) })
}

// TestNonMicrosoftDetection: through the registry's order, each file of
// the non-Microsoft corpus goes to its importer, and none of these
// importers claims a file of the Microsoft corpus.
func TestNonMicrosoftDetection(t *testing.T) {
	t.Parallel()
	root := corpusDir(t, "")
	mine := map[string]string{"aws-cloudtrail": "aws.cloudtrail", "gcp-audit": "gcp.audit", "okta": "okta.system", "gworkspace": "gworkspace.reports"}
	ours := []timeline.Importer{cloudTrail{}, gcpAudit{}, okta{}, gworkspace{}, jwtCapture{}}
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
			if head == nil {
				continue
			}
			if want, ok := mine[d.Name()]; ok {
				got := ""
				for _, imp := range All() {
					if imp.Match(f.Name(), head) {
						got = imp.Name()
						break
					}
				}
				if got != want {
					t.Errorf("%s/%s detected as %q, want %q", d.Name(), f.Name(), got, want)
				}
				continue
			}
			for _, imp := range ours {
				if imp.Match(f.Name(), head) {
					t.Errorf("%s claims %s/%s", imp.Name(), d.Name(), f.Name())
				}
			}
		}
	}
}
