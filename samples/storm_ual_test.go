package samples

import (
	"bytes"
	"testing"
)

// TestAuditDataCSV checks auditDataCSV, which writes the CSV exports'
// AuditData column quoted as it goes, against what it stands for:
// appendCSVField of auditData. Every mail read and send of every tenant's
// first week at two seeds and scale 3, each also as a forged token's
// record is (no session, a uti given, no server) with an address and
// client string that need escaping.
func TestAuditDataCSV(t *testing.T) {
	t.Parallel()
	n := 0
	eachPlannedDay(func(seed int64, st *storm, tn *msTenant, d int, dp *dayPlan) {
		for i := range dp.ual {
			forged := dp.ual[i]
			forged.hasSession, forged.session, forged.uti, forged.serverNo = false, guid{}, "kE3Xg9DlS0q1v2Pq7YhAAA", 0
			forged.ip, forged.info = `192.0.2.1"`, "Client=\"REST\"\\\n"
			for _, u := range []*ualRec{&dp.ual[i], &forged} {
				want := appendCSVField(nil, st.auditData(nil, tn, u), true)
				if got := st.auditDataCSV(nil, tn, u); !bytes.Equal(got, want) {
					t.Fatalf("seed %d, %s, record %d of day %d:\n got %s\nwant %s", seed, tn.def.domain, i, d, got, want)
				}
				n++
			}
		}
	})
	// The planner's draws are fixed by the seeds: so is how many checks
	// this makes (775 records, each as planned and as a forged token's).
	if n != 1550 {
		t.Fatalf("made %d checks, want 1,550", n)
	}
}
