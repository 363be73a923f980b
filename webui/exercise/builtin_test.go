package exercise

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/causeway-ir/causeway/timeline"
)

// stormTruth reads the committed storm-0558 sample's truth.json, skipping
// when the sample is absent.
func stormTruth(t *testing.T) (start, detection time.Time, tenants []string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "samples", "data", "storm-0558", "truth.json"))
	if err != nil {
		t.Skipf("no committed storm-0558 sample: %v", err)
	}
	var truth struct {
		CompromiseWindow struct{ Start, End string } `json:"compromise_window"`
		DetectionTime    string                      `json:"detection_time"`
		ImpactedTenants  []string                    `json:"impacted_tenants"`
	}
	if err := json.Unmarshal(b, &truth); err != nil {
		t.Fatal(err)
	}
	start, _ = time.Parse(time.RFC3339, truth.CompromiseWindow.Start)
	detection, _ = time.Parse(time.RFC3339, truth.DetectionTime)
	for _, tn := range truth.ImpactedTenants {
		tenants = append(tenants, strings.TrimPrefix(tn, "tenant:"))
	}
	return start, detection, tenants
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
	first, detection, impacted := stormTruth(t)
	if !f.anchor.Equal(first) {
		t.Errorf("anchor %s, want the compromise window start %s", f.anchor, first)
	}
	if !f.start.Equal(detection) || !f.Stages[0].at.Equal(detection) {
		t.Errorf("start %s and first stage %s, want the detection time %s", f.start, f.Stages[0].at, detection)
	}
	// The participants' tenant is one of the impacted tenants: the alert
	// fires there.
	if len(f.Visible.Tenants) != 1 || !slices.Contains(impacted, f.Visible.Tenants[0]) {
		t.Errorf("visible tenants %v, want one of %v", f.Visible.Tenants, impacted)
	}
	if slices.Contains(f.Visible.Sources, "jwt.capture") {
		t.Error("provider telemetry is visible from the start")
	}
}

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
		es, _, err := v.Latest(context.Background(), c, time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC), 100000)
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
