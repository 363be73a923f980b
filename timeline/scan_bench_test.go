package timeline

import "testing"

// BenchmarkScan5M reads every event of the 5M-event case without raw, as
// graph building does.
func BenchmarkScan5M(b *testing.B) {
	c := benchCase(b, 5_000_000)
	for b.Loop() {
		n := 0
		if err := c.Scan(b.Context(), Query{}, func(*Event) error { n++; return nil }); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(n), "events")
	}
}

// BenchmarkScanColumns5M reads the columns graph building needs from the
// 5M-event case, in batches (ScanBatches with Query.Columns).
func BenchmarkScanColumns5M(b *testing.B) {
	c := benchCase(b, 5_000_000)
	cols := []string{"id", "time", "source", "category", "action", "outcome", "actor", "tenant", "actor_tenant", "app_id",
		"resource_app", "session_id", "token_id", "key_id", "issued_kind", "issued_id", "src_ip", "target", "target_kind"}
	for b.Loop() {
		n := 0
		err := c.ScanBatches(b.Context(), Query{Columns: cols}, func(evs []Event) error { n += len(evs); return nil })
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(n), "events")
	}
}
