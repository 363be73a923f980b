package importers

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/causeway-ir/causeway/timeline"
)

func TestOktaCorpus(t *testing.T) {
	t.Parallel()
	recs := extCheckCorpus(t, okta{}, "okta", []extCorpusCase{
		{"elastic__test-okta-system-events.excerpt-lines1-3.log", 3},
	})
	extSpot(t, recs, "elastic__test-okta-system-events.excerpt-lines1-3.log", 1, map[string]string{
		"action": "user.session.start", "category": "signin", "outcome": "success", "session_id": "102bZDNFfWaQSyEZQuDgWt-uQ",
		"correlation_id": "XkcAsWb8WjwDP76xh@1v8wAABp0", "src_ip": "175.16.199.1", "country": "United States",
	})
	extSpot(t, recs, "elastic__test-okta-system-events.excerpt-lines1-3.log", 2, map[string]string{
		"target": "00p1abvweGGDW10Ur4x6", "target_kind": "resource", "reason": "Sign-on policy evaluation resulted in ALLOW",
	})
}

type oktaFields struct {
	ID, Shape, Actor, Tenant, SessionID, CorrelationID, SrcIP, AppID, IssuedKind, IssuedID, Target, TargetKind, Reason string
	ActorKind                                                                                                          timeline.ActorKind
	Category                                                                                                           timeline.Category
	Outcome                                                                                                            timeline.Outcome
}

func TestOktaFixtures(t *testing.T) {
	t.Parallel()
	var got []oktaFields
	for _, name := range []string{"okta_event_hook.json", "okta_api_array.json"} {
		rec := runImporter(t, okta{}, filepath.Join("testdata", name))
		for _, r := range rec.rejects {
			t.Errorf("reject: %v", r)
		}
		checkGolden(t, "okta/"+name, rec.events)
		for _, e := range rec.events {
			got = append(got, oktaFields{ID: e.ID, Shape: e.Shape, Actor: e.Actor, Tenant: e.Tenant, SessionID: e.SessionID,
				CorrelationID: e.CorrelationID, SrcIP: e.SrcIP, AppID: e.AppID, IssuedKind: e.IssuedKind, IssuedID: e.IssuedID,
				Target: e.Target, TargetKind: e.TargetKind, Reason: e.Reason, ActorKind: e.ActorKind, Category: e.Category, Outcome: e.Outcome})
		}
	}
	want := []oktaFields{
		{ID: "a1b2c3d4-0000-11ee-8000-000000000001", Shape: "event-hook", Actor: "0oa1clientapp00000001", Tenant: "acme.okta.com",
			CorrelationID: "ZeGxq1w2e3r4t5y6", SrcIP: "203.0.113.99", AppID: "0oa1clientapp00000001",
			IssuedKind: "token", IssuedID: "AT.q1w2e3r4t5y6u7i8o9p0", Target: "aus1authserver000001", TargetKind: "resource",
			ActorKind: timeline.ActorServicePrincipal, Category: timeline.CategoryToken, Outcome: timeline.OutcomeSuccess},
		{ID: "a1b2c3d4-0000-11ee-8000-000000000002", Shape: "event-hook", Actor: "alice@acme.com", Tenant: "acme.okta.com",
			SessionID: "102AbCdEfGhIjKlMnOp", CorrelationID: "ZeGxq1w2e3r4t5y7", SrcIP: "198.51.100.4", Reason: "INVALID_CREDENTIALS",
			ActorKind: timeline.ActorUser, Category: timeline.CategorySignin, Outcome: timeline.OutcomeFailure},
		{ID: "c0ffee00-0000-11ee-8000-000000000003", Shape: "api", Actor: "alice@acme.com", SessionID: "102AbCdEfGhIjKlMnOp",
			CorrelationID: "ZeGxq1w2e3r4t5y8", SrcIP: "198.51.100.4", IssuedKind: "key", IssuedID: "00T1apitoken00000001",
			Target: "00T1apitoken00000001", TargetKind: "resource",
			ActorKind: timeline.ActorUser, Category: timeline.CategoryCredential, Outcome: timeline.OutcomeSuccess},
		{ID: "c0ffee00-0000-11ee-8000-000000000004", Shape: "api", Actor: "alice@acme.com", SessionID: "102AbCdEfGhIjKlMnOp",
			CorrelationID: "ZeGxq1w2e3r4t5y9", SrcIP: "198.51.100.4", AppID: "0oa1salesforce000001",
			Target: "0oa1salesforce000001", TargetKind: "app",
			ActorKind: timeline.ActorUser, Category: timeline.CategorySignin, Outcome: timeline.OutcomeSuccess},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mapping (-want +got):\n%s", diff)
	}
}

func TestOktaMatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, head string
		want       bool
	}{
		{"logevent", `{"uuid":"x","published":"2024","eventType":"user.session.start","displayMessage":"d"}`, true},
		{"hook", `{"eventType":"com.okta.event_hook","data":{"events":[`, true},
		{"gworkspace", `{"kind":"admin#reports#activity","id":{"time":"2024"},"events":[{"name":"login_success"}]}`, false},
		{"cloudtrail", `{"eventVersion":"1.08","eventName":"x","eventType":"AwsApiCall","eventTime":"2024"}`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := (okta{}).Match("x", []byte(tc.head)); got != tc.want {
				t.Errorf("Match = %v, want %v", got, tc.want)
			}
		})
	}
}

func FuzzImportOkta(f *testing.F) {
	for _, name := range []string{"okta_event_hook.json", "okta_api_array.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) { extFuzz(t, okta{}, data) })
}
