package graph_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/causeway-ir/causeway/graph"
	"github.com/causeway-ir/causeway/timeline"
	"github.com/google/go-cmp/cmp"
)

const tenantC = "cccccccc-0000-4000-8000-00000000000c"

// findingEvents is the storm and AWS cases plus a replayed token and a
// tenant whose mailbox access is not logged at all.
func findingEvents() []timeline.Event {
	es := append(stormEvents(), awsEvents()...)
	es = append(es,
		// bob's token of 30 May, issued from 198.51.100.11, replayed later
		// that day from an address bob never used.
		ev("replay-1", "2023-05-30T15:00:00Z", "m365.ual", timeline.CategoryMail, "MailItemsAccessed").
			actor("bob@contoso.com").tenant(tenantA).token("legit-30-1").ip("203.0.113.77").app(owaClient, outlookID).
			target("mailbox", "bob@contoso.com").build(),
		// Tenant C: sign-ins on three days, never a MailItemsAccessed.
		ev("c-1", "2023-06-01T08:00:00Z", "entra.signin", timeline.CategorySignin, "Sign-in activity").
			actor("erin@tailspin.com").tenant(tenantC).issues(timeline.IssuedToken, "c-tok-1").build(),
		ev("c-2", "2023-06-02T08:00:00Z", "entra.signin", timeline.CategorySignin, "Sign-in activity").
			actor("erin@tailspin.com").tenant(tenantC).issues(timeline.IssuedToken, "c-tok-2").build(),
		ev("c-3", "2023-06-04T08:00:00Z", "entra.signin", timeline.CategorySignin, "Sign-in activity").
			actor("erin@tailspin.com").tenant(tenantC).issues(timeline.IssuedToken, "c-tok-3").build(),
	)
	return es
}

func TestFindings(t *testing.T) {
	t.Parallel()
	g := build(t, findingEvents())
	fs := g.Findings(graph.FindingOptions{})
	var got []string
	for _, f := range fs {
		got = append(got, f.Rule+" "+f.Severity+" "+f.Time.Format("2006-01-02T15:04")+" | "+f.Summary)
	}
	want := []string{
		"token-replay-new-ip high 2023-05-30T15:00 | token legit-30-1 of bob@contoso.com, first used from 198.51.100.11, was replayed from new address 203.0.113.77 at 2023-05-30T15:00:00Z",
		"coverage-gap medium 2023-06-01T00:00 | MailItemsAccessed was not logged for " + tenantC + " between 2023-06-01 and 2023-06-04",
		"token-without-signin high 2023-06-05T03:01 | token forged-1 was used in " + tenantA + " (contoso.com) as alice@contoso.com from 2023-06-05T03:01:00Z, but no sign-in in the case issued it although the tenant's sign-ins for 2023-06-05 are logged",
		"consumer-token-for-enterprise-tenant high 2023-06-05T03:00 | token forged-1 issued by the consumer (MSA) tenant was presented to enterprise tenant " + tenantA + " (contoso.com) (1 event from 2023-06-05T03:00:00Z)",
		"new-app-for-mailbox high 2023-06-05T03:01 | alice@contoso.com in " + tenantA + " (contoso.com) read by app " + evilApp + " calling " + outlookID + " from 2023-06-05T03:01:00Z; no mailbox of the tenant was read by it in the 15 days before",
		"token-without-signin high 2023-06-06T04:01 | token forged-2 was used in " + tenantB + " (fabrikam.com) as carol@fabrikam.com from 2023-06-06T04:01:00Z, but no sign-in in the case issued it although the tenant's sign-ins for 2023-06-06 are logged",
		"consumer-token-for-enterprise-tenant high 2023-06-06T04:00 | token forged-2 issued by the consumer (MSA) tenant was presented to enterprise tenant " + tenantB + " (fabrikam.com) (1 event from 2023-06-06T04:00:00Z)",
		"new-app-for-mailbox high 2023-06-06T04:01 | carol@fabrikam.com in " + tenantB + " (fabrikam.com) read by app " + evilApp + " calling " + outlookID + " from 2023-06-06T04:01:00Z; no mailbox of the tenant was read by it in the 16 days before",
		"access-key-from-new-ip high 2024-03-10T02:00 | key " + ciKey + ", in use since 2024-03-01T09:00:00Z, was used from new address 203.0.113.50 at 2024-03-10T02:00:00Z",
		"role-chain medium 2024-03-10T02:10 | temporary credential ASIAATTACKER00000001, itself from a role or token exchange, was used for AssumeRole into " + roleAdmin + ", issuing ASIAATTACKER00000002 (chain depth 2)",
	}
	slices.Sort(want)
	slices.Sort(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	// Each finding names its entities and cites its events (coverage gaps
	// are absences: no events).
	for _, f := range fs {
		if len(f.Entities) == 0 || (f.Rule != graph.RuleCoverageGap && len(f.Events) == 0) {
			t.Errorf("%s %q: entities %v events %v", f.Rule, f.Summary, f.Entities, f.Events)
		}
	}
	// Rules filter.
	only := g.Findings(graph.FindingOptions{Rules: []string{graph.RuleRoleChain}})
	if len(only) != 1 || only[0].Rule != graph.RuleRoleChain {
		t.Errorf("rule filter gave %v", only)
	}
	want1 := []string{"token:ASIAATTACKER00000001", "token:ASIAATTACKER00000002", "identity:" + roleAdmin,
		"identity:arn:aws:sts::111122223333:assumed-role/deploy/x", "ip:203.0.113.50"}
	if diff := cmp.Diff(want1, only[0].Entities); diff != "" {
		t.Errorf("role-chain entities (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"atk-4"}, only[0].Events); diff != "" {
		t.Errorf("role-chain events (-want +got):\n%s", diff)
	}
}

func TestFindingsJSON(t *testing.T) {
	t.Parallel()
	g := build(t, findingEvents())
	fs := g.Findings(graph.FindingOptions{Rules: []string{graph.RuleCoverageGap}})
	b, err := json.Marshal(fs)
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"rule":"coverage-gap","severity":"medium","time":"2023-06-01T00:00:00Z","summary":"MailItemsAccessed was not logged for ` +
		tenantC + ` between 2023-06-01 and 2023-06-04","entities":["tenant:` + tenantC + `"],"events":[]}]`
	if diff := cmp.Diff(want, string(b)); diff != "" {
		t.Errorf("json (-want +got):\n%s", diff)
	}
}

// TestTokenWithoutSigninNeedsCoverage: a token used where the case holds
// no sign-in log is a coverage question, not a forged token.
func TestTokenWithoutSigninNeedsCoverage(t *testing.T) {
	t.Parallel()
	es := []timeline.Event{
		ev("u-1", "2023-06-05T03:00:00Z", "m365.ual", timeline.CategoryMail, "MailItemsAccessed").tenant(tenantC).
			token("lonely").target("mailbox", "x@tailspin.com").build(),
	}
	g := build(t, es)
	if fs := g.Findings(graph.FindingOptions{Rules: []string{graph.RuleTokenWithoutSignin}}); len(fs) != 0 {
		t.Errorf("findings without sign-in coverage: %v", fs)
	}
	var sum []string
	for _, f := range g.Findings(graph.FindingOptions{Rules: []string{graph.RuleCoverageGap}}) {
		sum = append(sum, f.Summary)
	}
	want := "Sign-in activity (Entra sign-in logs) was not logged for " + tenantC + " (tailspin.com) on 2023-06-05"
	if !slices.Contains(sum, want) {
		t.Errorf("coverage findings %q lack %q", strings.Join(sum, "; "), want)
	}
}

// TestConsumerTokenTenant checks that a token the consumer (MSA) tenant
// issued is a finding where an enterprise tenant accepts it, and not where
// the consumer tenant itself does, however its id is written.
func TestConsumerTokenTenant(t *testing.T) {
	t.Parallel()
	issuer := "https://login.microsoftonline.com/" + graph.ConsumerTenant + "/v2.0"
	var es []timeline.Event
	for i, tenant := range []string{graph.ConsumerTenant, strings.ToUpper(graph.ConsumerTenant), tenantA,
		graph.ConsumerTenant} {
		es = append(es, ev(fmt.Sprintf("msa-%d", i), fmt.Sprintf("2023-06-07T09:0%d:00Z", i), "m365.ual",
			timeline.CategoryMail, "MailItemsAccessed").actor("dave@outlook.com").tenant(tenant).actorTenant(issuer).
			token(fmt.Sprintf("msa-tok-%d", i)).target("mailbox", "dave@outlook.com").build())
	}
	g := build(t, es)
	var got []string
	for _, f := range g.Findings(graph.FindingOptions{}) {
		if f.Rule == graph.RuleConsumerTokenForTenant {
			got = append(got, strings.Join(f.Entities, " ")+" "+strings.Join(f.Events, " "))
		}
	}
	want := []string{"token:msa-tok-2 tenant:" + tenantA + " msa-2"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("consumer token findings (-want +got):\n%s", diff)
	}
}
