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
