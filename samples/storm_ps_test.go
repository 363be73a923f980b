package samples

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// TestSignInPS checks signInPS, which writes a sign-in in PowerShell's
// layout from runs laid out once per tenant, against what it stands for:
// the Graph record indented by psIndent. Every sign-in of every tenant's
// first week at two seeds and scale 3 (all apps, interactive and not,
// failures, phone addresses), and the same records through its fallback
// (an app signInParts does not list, whose runs signInGraph makes per
// record), which must give the same bytes.
func TestSignInPS(t *testing.T) {
	t.Parallel()
	n := 0
	bare := map[*msApp]*signInAppParts{} // no app listed: both writers make the parts per record
	eachPlannedDay(func(seed int64, st *storm, tn *msTenant, d int, dp *dayPlan) {
		if d == 0 {
			tn.psSignInParts() // every tenant, whatever its export shape
		}
		apps := tn.signInApp
		defer func() { tn.signInApp = apps }()
		for _, list := range [][]signIn{dp.inter, dp.nonInter} {
			for i := range list {
				s := &list[i]
				tn.signInApp = apps // want is what a Graph tenant writes, for every record
				want := psIndent(nil, st.signInGraph(nil, tn, s, false), 4)
				if got := st.signInPS(nil, tn, s); !bytes.Equal(got, want) {
					t.Fatalf("seed %d, %s, sign-in %d of day %d:\n got %s\nwant %s", seed, tn.def.domain, i, d, got, want)
				}
				tn.signInApp = bare
				if got := st.signInPS(nil, tn, s); !bytes.Equal(got, want) {
					t.Fatalf("fallback, seed %d, %s, sign-in %d of day %d:\n got %s\nwant %s", seed, tn.def.domain, i, d, got, want)
				}
				n++
			}
		}
	})
	// The planner's draws are fixed by the seeds (TestCommitted holds its
	// output byte for byte): so is how many sign-ins this covers.
	if n != 1221 {
		t.Fatalf("checked %d sign-ins, want 1,221", n)
	}
}

// eachPlannedDay calls fn with each of every tenant's first seven days as
// planDay plans them, at seeds 7 and 558 and scale 3: records as the
// writers get them, for tests that check a writer against another.
func eachPlannedDay(fn func(seed int64, st *storm, tn *msTenant, d int, dp *dayPlan)) {
	for _, seed := range []int64{7, 558} {
		r := rand.New(rand.NewPCG(uint64(seed), 0x570_0558))
		st := newStorm(r, seed, 3)
		for _, tn := range st.tenants {
			var dp dayPlan
			for d := range 7 {
				dp.reset()
				st.planDay(r, tn, stormStart.AddDate(0, 0, d), &dp)
				fn(seed, st, tn, d, &dp)
			}
		}
	}
}
