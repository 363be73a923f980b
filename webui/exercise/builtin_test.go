package exercise

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/causeway-ir/causeway/timeline"
)

// stormTruth reads the committed storm-0558 sample's truth.json, skipping
// when the sample is absent.
func stormTruth(t *testing.T) (tr truth) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "samples", "data", "storm-0558", "truth.json"))
	if err != nil {
		t.Skipf("no committed storm-0558 sample: %v", err)
	}
	if err := json.Unmarshal(b, &tr); err != nil {
		t.Fatal(err)
	}
	return tr
}

// truth is the part of truth.json (notes/truth-format.md) the exercise
// depends on.
type truth struct {
	Root              string                         `json:"root"`
	CompromiseWindow  struct{ Start, End time.Time } `json:"compromise_window"`
	DetectionTime     time.Time                      `json:"detection_time"`
	ImpactedTenants   []string                       `json:"impacted_tenants"`
	ImpactedMailboxes []string                       `json:"impacted_mailboxes"`
}

func TestBuiltinStormMatchesSample(t *testing.T) {
	t.Parallel()
	if got := Builtins(); !slices.Contains(got, "storm-0558") {
		t.Fatalf("Builtins() = %v", got)
	}
	if _, err := Builtin("../x"); err == nil {
		t.Error("Builtin accepted a path")
	}
	b, err := Builtin("storm-0558")
	if err != nil {
		t.Fatal(err)
	}
	f, err := Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Validate(nil).Err(); err != nil {
		t.Fatal(err)
	}
	tr := stormTruth(t)
	if !f.anchor.Equal(tr.CompromiseWindow.Start) {
		t.Errorf("anchor %s, want the compromise window start %s", f.anchor, tr.CompromiseWindow.Start)
	}
	if !f.start.Equal(tr.DetectionTime) || !f.Stages[0].at.Equal(tr.DetectionTime) {
		t.Errorf("start %s and first stage %s, want the detection time %s", f.start, f.Stages[0].at, tr.DetectionTime)
	}
	// The second stage's note says the campaign is over by then.
	if !f.Stages[1].at.After(tr.CompromiseWindow.End) {
		t.Errorf("stage %q at %s is not after the compromise window end %s", f.Stages[1].Name, f.Stages[1].at, tr.CompromiseWindow.End)
	}
	// The participants' tenant is one of the impacted tenants: the alert
	// fires there.
	if len(f.Visible.Tenants) != 1 || !slices.Contains(tr.ImpactedTenants, "tenant:"+f.Visible.Tenants[0]) {
		t.Errorf("visible tenants %v, want one of %v", f.Visible.Tenants, tr.ImpactedTenants)
	}
	if slices.Contains(f.Visible.Sources, "jwt.capture") {
		t.Error("provider telemetry is visible from the start")
	}
	// The telemetry inject releases the tokens signed by the stolen key.
	tel := f.inject("telemetry")
	if tel == nil || len(tel.Reveals.Events) != 1 || "key:"+tel.Reveals.Events[0]["key_id"] != tr.Root {
		t.Errorf("telemetry inject reveals %+v, want the tokens of %s", tel, tr.Root)
	}
	// Every mailbox an expected answer names was read, and the alerting
	// tenant's expected answer names all of its read mailboxes.
	named := map[string]bool{}
	for _, q := range f.inject("alert").Questions {
		for _, e := range q.Expect {
			for _, m := range mailRE.FindAllString(e, -1) {
				named["mailbox:"+strings.ToLower(m)] = true
			}
		}
	}
	for m := range named {
		if !slices.Contains(tr.ImpactedMailboxes, m) {
			t.Errorf("expected answer names %s, which truth.json does not list as read", m)
		}
	}
	for _, m := range tr.ImpactedMailboxes {
		if strings.HasSuffix(m, "@aldmere-mfa.gov") && !named[m] {
			t.Errorf("expected answers miss %s", m)
		}
	}
	if len(named) == 0 {
		t.Error("no mailbox named in the alert's expected answers")
	}
	// The other tenants whose mail was read are named as such.
	other := f.inject("other-tenants").Questions[0].Expect[0]
	for _, m := range tr.ImpactedMailboxes {
		if _, domain, _ := strings.Cut(m, "@"); domain != "aldmere-mfa.gov" && !strings.Contains(other, domain) {
			t.Errorf("expected answer %q misses %s", other, domain)
		}
	}
}

var mailRE = regexp.MustCompile(`[a-z0-9._-]+@[a-z0-9.-]+\.[a-z]+`)

// TestBuiltinStormOnCase runs the storm exercise on a case that holds the
// imported storm-0558 sample (CAUSEWAY_STORM_CASE=DIR; this package cannot
// import the importers to build one): before the provider's inject no
// jwt.capture event and no other tenant is visible, and after it only the
// forged tokens' telemetry is.
func TestBuiltinStormOnCase(t *testing.T) {
	dir := os.Getenv("CAUSEWAY_STORM_CASE")
	if dir == "" {
		t.Skip("set CAUSEWAY_STORM_CASE to a case holding samples/data/storm-0558")
	}
	c, err := timeline.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Builtin("storm-0558")
	f, err := Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range f.Validate(c) {
		if p.Field != "case" { // the case's name is its directory's
			t.Errorf("problem on the case: %s", p)
		}
	}
	count := func(clock time.Time, released ...string) map[string]int {
		v := f.Visibility(clock, released)
		es, _, err := v.Latest(context.Background(), c, time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC), 100000, Narrow{})
		if err != nil {
			t.Fatal(err)
		}
		n := map[string]int{}
		for _, e := range es {
			n[e.Source]++
			n["tenant:"+e.Tenant]++
			if e.Time.After(clock) {
				t.Errorf("event %s at %s after the clock %s", e.ID, e.Time, clock)
			}
		}
		return n
	}
	day0 := count(f.Stages[0].at, "alert")
	if day0["jwt.capture"] != 0 || len(day0) != 4 { // 3 sources + 1 tenant
		t.Errorf("day 0 sees %v", day0)
	}
	day1 := count(f.Stages[1].at, "alert", "other-tenants")
	if day1["jwt.capture"] != 0 || day1["tenant:"+f.Visible.Tenants[0]] == 0 || len(day1) < 12 {
		t.Errorf("day 1 sees %v", day1)
	}
	tel := count(f.Stages[2].at, "alert", "other-tenants", "telemetry")
	if tel["jwt.capture"] == 0 || tel["jwt.capture"] >= count(f.Stages[2].at, "alert", "other-tenants", "telemetry", "extra-provider-all")["jwt.capture"] {
		t.Errorf("telemetry inject reveals %d jwt.capture events", tel["jwt.capture"])
	}
	t.Logf("day 0: %v\nday 1: %v\ntelemetry: %v", day0, day1, tel)
}

// BenchmarkStormEvents measures the participants' events page on the
// storm case (CAUSEWAY_STORM_CASE=DIR), without the page cache.
func BenchmarkStormEvents(b *testing.B) {
	dir := os.Getenv("CAUSEWAY_STORM_CASE")
	if dir == "" {
		b.Skip("set CAUSEWAY_STORM_CASE to a case holding samples/data/storm-0558")
	}
	c, err := timeline.Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	y, _ := Builtin("storm-0558")
	f, err := Parse(bytes.NewReader(y))
	if err != nil {
		b.Fatal(err)
	}
	f.Validate(c)
	v := f.Visibility(f.Stages[2].at, []string{"alert", "other-tenants", "telemetry"})
	for b.Loop() {
		if _, _, err := v.Latest(context.Background(), c, time.Date(2023, 5, 1, 0, 0, 0, 0, time.UTC), 300, Narrow{}); err != nil {
			b.Fatal(err)
		}
	}
}
