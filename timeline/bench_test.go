package timeline

import (
	"fmt"
	"os"
	"path/filepath"

	"testing"
	"time"
)

// benchCase returns a case of n synthetic events spread over 30 days (a
// Storm-0558-sized window), built once and kept under $TMPDIR across
// benchmark runs since building 5M events takes a while.
func benchCase(b *testing.B, n int) *Case {
	b.Helper()
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("causeway-bench-%d", n))
	if c, err := Open(dir); err == nil {
		return c
	}
	os.RemoveAll(dir)
	c, err := Create(dir, "bench", t0)
	if err != nil {
		b.Fatal(err)
	}
	r, err := c.BeginRun(RunOptions{Now: fixedNow})
	if err != nil {
		b.Fatal(err)
	}
	span := 30 * 24 * time.Hour
	sources := []string{"m365.ual", "entra.signin", "aws.cloudtrail", "azure.activity"}
	start := time.Now()
	for i := range n {
		e := Event{
			ID: fmt.Sprintf("%016x-%d", uint64(i)*2654435761, i), Time: t0.Add(time.Duration(int64(span) / int64(n) * int64(i))),
			Source: sources[i%len(sources)], Shape: "bench", Category: CategoryMail, Action: "MailItemsAccessed", Outcome: OutcomeSuccess,
			Actor: fmt.Sprintf("user%d@tenant%d.com", i%500, i%10), ActorKind: ActorUser, Tenant: fmt.Sprintf("tenant-%d", i%10),
			AppID: "00000002-0000-0ff1-ce00-000000000000", SessionID: fmt.Sprintf("s-%d", i%20000), TokenID: fmt.Sprintf("tok%019d", i/5),
			SrcIP: fmt.Sprintf("10.%d.%d.%d", i%200, i%150, i%250), UserAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Outlook",
			Target: fmt.Sprintf("user%d@tenant%d.com", i%400, i%10), TargetKind: "mailbox",
			Message: fmt.Sprintf("user%d read 3 items in \\Inbox via REST", i%500),
			Raw:     fmt.Sprintf(`{"Id":"%d","Operation":"MailItemsAccessed","Folders":[{"Path":"\\Inbox","FolderItems":[{"InternetMessageId":"<%d@x>"}]}],"padding":"%0900d"}`, i, i, i),
			File:    "bench.json", FileSHA256: "0000", Offset: int64(i) * 1000,
		}
		if _, err := r.Add(&e); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := r.Commit(); err != nil {
		b.Fatal(err)
	}
	b.Logf("built a %d-event case in %v", n, time.Since(start))
	c, err = Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// BenchmarkWindowQuery5M: one-hour window, first page of 100 events with
// the total, on a 5M-event case.
func BenchmarkWindowQuery5M(b *testing.B) {
	c := benchCase(b, 5_000_000)
	q := Query{Since: t0.Add(15 * 24 * time.Hour), Until: t0.Add(15*24*time.Hour + time.Hour), Limit: 100}
	var total int64
	for b.Loop() {
		p, err := c.Events(b.Context(), q)
		if err != nil {
			b.Fatal(err)
		}
		total = p.Total
	}
	b.ReportMetric(float64(total), "matches")
}

// BenchmarkWindowFilteredQuery5M: one-hour window with a column filter
// and text search.
func BenchmarkWindowFilteredQuery5M(b *testing.B) {
	c := benchCase(b, 5_000_000)
	q := Query{Since: t0.Add(15 * 24 * time.Hour), Until: t0.Add(15*24*time.Hour + time.Hour), Limit: 100,
		Where: []Cond{{"tenant", "tenant-3"}}, Text: "inbox"}
	for b.Loop() {
		if _, err := c.Events(b.Context(), q); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFacets5M: facet counts for source, category and tenant over the
// whole case.
func BenchmarkFacets5M(b *testing.B) {
	c := benchCase(b, 5_000_000)
	for b.Loop() {
		if _, err := c.Facets(b.Context(), Query{}, []string{"source", "category", "tenant"}, 10); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHistogram5M: daily histogram over the whole case.
func BenchmarkHistogram5M(b *testing.B) {
	c := benchCase(b, 5_000_000)
	for b.Loop() {
		if _, err := c.Histogram(b.Context(), Query{}, 24*time.Hour); err != nil {
			b.Fatal(err)
		}
	}
}
