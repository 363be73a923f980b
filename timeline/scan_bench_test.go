package timeline

import (
	"fmt"
	"hash/maphash"
	"io/fs"
	"path/filepath"
	"testing"
	"time"
)

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

// BenchmarkRunWrite writes 400k events through a run into a new case,
// the write half of an import: parsing aside, what the Parquet encodings
// cost. Entity ids repeat as in real logs ("repeated": a token in ten
// events, a few thousand sessions and mailboxes) or are new in every event
// ("unique", the worst case for dictionary encoding).
func BenchmarkRunWrite(b *testing.B) {
	const n = 400_000
	for _, unique := range []bool{false, true} {
		name := "repeated"
		if unique {
			name = "unique"
		}
		b.Run(name, func(b *testing.B) {
			evs := make([]Event, n)
			for i := range evs {
				tok, target := i/10, i%3000
				if unique {
					tok, target = i, i
				}
				evs[i] = Event{
					ID: fmt.Sprintf("%016x-%d", uint64(i)*2654435761, i), Time: t0.Add(time.Duration(i) * 50 * time.Millisecond),
					Source: "m365.ual", Shape: "bench", Category: CategoryMail, Action: "MailItemsAccessed", Outcome: OutcomeSuccess,
					Actor: fmt.Sprintf("user%d@tenant%d.com", i%3000, i%10), Tenant: fmt.Sprintf("tenant-%d", i%10),
					AppID: "00000002-0000-0ff1-ce00-000000000000", SessionID: fmt.Sprintf("sess-%06d", i%3000),
					TokenID: fmt.Sprintf("uti%019dAAAAAAAA", tok), IssuedID: fmt.Sprintf("iss%019d", tok/3),
					SrcIP: fmt.Sprintf("10.%d.%d.%d", i%200, i%150, i%250), UserAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Outlook",
					Target: fmt.Sprintf("user%d@tenant%d.com", target, i%10), TargetKind: "mailbox",
					Message: fmt.Sprintf("user%d read 3 items in \\Inbox via REST", i%500),
					Raw:     fmt.Sprintf(`{"Id":"%d","Operation":"MailItemsAccessed","ClientIP":"10.%d.%d.%d"}`, i, i%200, i%150, i%250),
					File:    "bench.json", FileSHA256: "0000", Offset: int64(i) * 1000,
				}
				if i%4 != 0 {
					evs[i].IssuedID = ""
				}
			}
			var cpu time.Duration
			var size int64
			for b.Loop() {
				dir := filepath.Join(b.TempDir(), "case")
				c, err := Create(dir, "bench", t0)
				if err != nil {
					b.Fatal(err)
				}
				c0 := cpuTime()
				r, err := c.BeginRun(RunOptions{Now: fixedNow})
				if err != nil {
					b.Fatal(err)
				}
				for i := range evs {
					if _, err := r.Add(&evs[i]); err != nil {
						b.Fatal(err)
					}
				}
				if _, err := r.Commit(); err != nil {
					b.Fatal(err)
				}
				cpu += cpuTime() - c0
				size = dirSize(b, dir)
			}
			b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
			b.ReportMetric(float64(n)/(cpu.Seconds()/float64(b.N)), "events/cpu-s")
			b.ReportMetric(float64(size)/(1<<20), "case-MB")
		})
	}
}

func dirSize(b *testing.B, dir string) int64 {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err == nil {
			n += fi.Size()
		}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return n
}

// BenchmarkCoding codes 8M values of 20 bytes, half of them seen before
// (as the real case's tokens: 9.4M lookups, 4.3M values), through a scan's
// coding in batches of 256 (a page segment's), as ScanColumns does; the
// coding starts at its scan's size (grown), so that lookups, not growth,
// are measured.
func BenchmarkCoding(b *testing.B) {
	const n, batch = 8 << 20, 256
	cd := newCodings([]string{"token_id"})["token_id"]
	vals := make([]string, n)
	hs := make([]uint64, n)
	for i := range vals {
		// Every other lookup repeats a value from ~1M lookups earlier.
		j := i
		if i%2 == 1 && i > 1<<20 {
			j = i - 1<<20 - 1
		}
		vals[i] = fmt.Sprintf("ASIA%016d", uint64(j)*2654435761%(1<<40))
		hs[i] = maphash.String(cd.seed, vals[i])
	}
	codes := make([]int32, n)
	cd.codeAll(vals, hs, codes) // size the table and values
	for b.Loop() {
		for lo := 0; lo < n; lo += batch {
			cd.codeAll(vals[lo:lo+batch], hs[lo:lo+batch], codes[lo:lo+batch])
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/lookup")
}
