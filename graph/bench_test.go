package graph_test

import (
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/causeway-ir/causeway/graph"
	"github.com/causeway-ir/causeway/timeline"
)

// synthCase generates n events shaped like the scenarios, without holding
// them: tenants of users who sign in daily (a session, a token), whose
// tokens are seen in telemetry and read mailboxes; CI keys and role
// sessions reading S3 objects; and a forged-token campaign from one key.
type synthCase struct {
	users, days int
	upn, ip     []string
	tenant      []string
	tok         [][]string // [user][day]
	sess        []string
	keys, res   []string
	asia        []string
	n           int
}

func newSynthCase(n int) *synthCase {
	const tenants = 10
	perUserDay := 10
	users := 3000
	days := max(1, n*9/10/(users*perUserDay))
	s := &synthCase{users: users, days: days, n: n}
	for t := range tenants {
		s.tenant = append(s.tenant, fmt.Sprintf("%08x-0000-4000-8000-%012x", t, t))
	}
	for u := range users {
		s.upn = append(s.upn, fmt.Sprintf("user%04d@tenant%d.example", u, u%tenants))
		s.ip = append(s.ip, fmt.Sprintf("10.%d.%d.%d", u>>16&255, u>>8&255, u&255))
		s.sess = append(s.sess, fmt.Sprintf("sess-%06d", u))
		row := make([]string, days)
		for d := range days {
			row[d] = fmt.Sprintf("uti%06d%05dAAAAAAAAA", u, d)
		}
		s.tok = append(s.tok, row)
	}
	for k := range 50 {
		s.keys = append(s.keys, fmt.Sprintf("AKIA%016d", k))
	}
	for r := range 1000 {
		s.res = append(s.res, fmt.Sprintf("arn:aws:s3:::bucket-%d/object-%d", r%20, r))
	}
	for a := range 5000 {
		s.asia = append(s.asia, fmt.Sprintf("ASIA%016d", a))
	}
	return s
}

var benchBase = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func (s *synthCase) events() iter.Seq2[timeline.Event, error] {
	return func(yield func(timeline.Event, error) bool) {
		count := 0
		emit := func(e *timeline.Event) bool {
			count++
			return count <= s.n && yield(*e, nil)
		}
		var e timeline.Event
		id := 0
		next := func() string { id++; return fmt.Sprint(id) }
		for d := range s.days {
			day := benchBase.Add(time.Duration(d) * 24 * time.Hour)
			for u := range s.users {
				ten := s.tenant[u%len(s.tenant)]
				tok := s.tok[u][d]
				t := day.Add(time.Duration(u%600) * time.Minute)
				e = timeline.Event{ID: next(), Time: t, Source: "entra.signin", Category: timeline.CategorySignin,
					Action: "Sign-in activity", Outcome: timeline.OutcomeSuccess, Actor: s.upn[u], Tenant: ten,
					SessionID: s.sess[u], SrcIP: s.ip[u], AppID: owaClient, ResourceApp: outlookID,
					IssuedKind: timeline.IssuedToken, IssuedID: tok}
				if !emit(&e) {
					return
				}
				e = timeline.Event{ID: next(), Time: t, Source: "jwt.capture", Category: timeline.CategoryToken,
					Action: "token", Outcome: timeline.OutcomeSuccess, Actor: s.upn[u], Tenant: ten,
					KeyID: "enterprise-key-1", TokenID: tok, AppID: owaClient, ResourceApp: outlookID}
				if !emit(&e) {
					return
				}
				for j := range 8 {
					e = timeline.Event{ID: next(), Time: t.Add(time.Duration(j+1) * time.Minute), Source: "m365.ual",
						Category: timeline.CategoryMail, Action: "MailItemsAccessed", Outcome: timeline.OutcomeSuccess,
						Actor: s.upn[u], Tenant: ten, TokenID: tok, SessionID: s.sess[u], SrcIP: s.ip[u],
						AppID: owaClient, ResourceApp: outlookID, TargetKind: "mailbox", Target: s.upn[u]}
					if !emit(&e) {
						return
					}
				}
			}
			// AWS: CI keys read objects; role sessions too.
			for j := range s.users / 9 {
				k := s.keys[j%len(s.keys)]
				e = timeline.Event{ID: next(), Time: day.Add(time.Duration(j) * time.Second), Source: "aws.cloudtrail",
					Category: timeline.CategoryFile, Action: "GetObject", Outcome: timeline.OutcomeSuccess,
					Actor: "arn:aws:iam::111122223333:user/ci", Tenant: account, KeyID: k, SrcIP: "192.0.2.10",
					TargetKind: "resource", Target: s.res[(j*7+d)%len(s.res)]}
				if !emit(&e) {
					return
				}
				if j%30 == 0 {
					asia := s.asia[(d*37+j)%len(s.asia)]
					e = timeline.Event{ID: next(), Time: day.Add(time.Duration(j) * time.Second), Source: "aws.cloudtrail",
						Category: timeline.CategoryToken, Action: "AssumeRole", Outcome: timeline.OutcomeSuccess,
						Actor: "arn:aws:iam::111122223333:user/ci", Tenant: account, KeyID: k, SrcIP: "192.0.2.10",
						IssuedKind: timeline.IssuedToken, IssuedID: asia, TargetKind: "identity", Target: roleDeploy}
					if !emit(&e) {
						return
					}
				}
			}
			// The campaign: from day 5, a forged token a day reads 10 mailboxes.
			if d >= 5 {
				forged := fmt.Sprintf("forged-%05d", d)
				t := day.Add(3 * time.Hour)
				e = timeline.Event{ID: next(), Time: t, Source: "jwt.capture", Category: timeline.CategoryToken,
					Action: "token", Outcome: timeline.OutcomeSuccess, Tenant: s.tenant[d%len(s.tenant)],
					ActorTenant: graph.ConsumerTenant, KeyID: msaKey, TokenID: forged, SrcIP: "203.0.113.9"}
				if !emit(&e) {
					return
				}
				for j := range 10 {
					u := (d*131 + j*17) % s.users
					e = timeline.Event{ID: next(), Time: t.Add(time.Duration(j+1) * time.Minute), Source: "m365.ual",
						Category: timeline.CategoryMail, Action: "MailItemsAccessed", Outcome: timeline.OutcomeSuccess,
						Actor: s.upn[u], Tenant: s.tenant[u%len(s.tenant)], TokenID: forged, SrcIP: "203.0.113.9",
						AppID: evilApp, ResourceApp: outlookID, TargetKind: "mailbox", Target: s.upn[u]}
					if !emit(&e) {
						return
					}
				}
			}
		}
	}
}

func countSeq(seq iter.Seq2[timeline.Event, error]) int {
	n := 0
	for range seq {
		n++
	}
	return n
}

// BenchmarkBuild builds the graph of 1M synthetic events (events/s is the
// figure to extrapolate: 10M events in under 10 s needs 1M events/s).
func BenchmarkBuild(b *testing.B) {
	const n = 1_000_000
	s := newSynthCase(n)
	events := countSeq(s.events())
	// What generating the events alone costs (CPU), to subtract.
	c0 := cpuTime()
	countSeq(s.events())
	gen := cpuTime() - c0
	b.ResetTimer()
	var g *graph.Graph
	cpu0 := cpuTime()
	for b.Loop() {
		var err error
		g, err = graph.Build(b.Context(), s.events(), graph.Options{})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	cpu := (cpuTime() - cpu0) / time.Duration(b.N)
	// The machine is shared: CPU time is the steadier figure.
	b.ReportMetric(float64(events)/cpu.Seconds(), "events/cpu-s")
	b.ReportMetric(float64(events)/(cpu-gen).Seconds(), "events/cpu-s-excl-gen")
	per := b.Elapsed() / time.Duration(b.N)
	b.ReportMetric(float64(events)/per.Seconds(), "events/s")
	b.ReportMetric(float64(g.Len()), "nodes")
	b.ReportMetric(float64(g.EdgeCount()), "edges")
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "heap-MB")
	runtime.KeepAlive(g)
}

var (
	benchGraphOnce sync.Once
	benchGraph     *graph.Graph
)

func chainGraph(b *testing.B) *graph.Graph {
	benchGraphOnce.Do(func() {
		g, err := graph.Build(b.Context(), newSynthCase(1_000_000).events(), graph.Options{})
		if err != nil {
			b.Fatal(err)
		}
		benchGraph = g
	})
	return benchGraph
}

// BenchmarkChain runs chains over the 1M-event graph: from the forging key
// (the Storm-0558 question), backward from a mailbox, and from the busy
// enterprise key that signed every legitimate token.
func BenchmarkChain(b *testing.B) {
	g := chainGraph(b)
	for _, tc := range []struct {
		name string
		root string
		opts graph.ChainOptions
	}{
		{"forging-key", "key:" + msaKey, graph.ChainOptions{}},
		{"backward-mailbox", "mailbox:user0042@tenant2.example", graph.ChainOptions{Backward: true}},
		{"busy-key-one-day", "key:enterprise-key-1", graph.ChainOptions{Since: benchBase.Add(24 * time.Hour), Until: benchBase.Add(48 * time.Hour)}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var c *graph.Chain
			c0 := cpuTime()
			for b.Loop() {
				var err error
				if c, err = g.Chain(tc.root, tc.opts); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64((cpuTime()-c0)/time.Duration(b.N))/1e6, "cpu-ms/op")
			b.ReportMetric(float64(len(c.Nodes)), "nodes")
		})
	}
}

// BenchmarkFindings runs every rule over the 1M-event graph.
func BenchmarkFindings(b *testing.B) {
	g := chainGraph(b)
	var fs []graph.Finding
	c0 := cpuTime()
	for b.Loop() {
		fs = g.Findings(graph.FindingOptions{})
	}
	b.ReportMetric(float64((cpuTime()-c0)/time.Duration(b.N))/1e6, "cpu-ms/op")
	b.ReportMetric(float64(len(fs)), "findings")
}

// caseFixture returns a case on disk holding n events of newSynthCase, written through timeline's Run API once and kept under
// $TMPDIR across benchmark runs (writing 10M events takes minutes). Each
// event also carries what a real record has beside the graph's columns (a
// shape, a message, a user agent, the file and offset, a raw record), so
// that scanning it costs what scanning a real case does.
func caseFixture(b *testing.B, n int) *timeline.Case {
	b.Helper()
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("causeway-graph-bench-%d", n))
	if c, err := timeline.Open(dir); err == nil {
		return c
	}
	os.RemoveAll(dir)
	start := time.Now()
	c, err := timeline.Create(dir, "graph bench", benchBase)
	if err != nil {
		b.Fatal(err)
	}
	r, err := c.BeginRun(timeline.RunOptions{})
	if err != nil {
		b.Fatal(err)
	}
	i := 0
	// newSynthCase(n) makes whole days, a little fewer than n events.
	for e, err := range newSynthCase(n + n/8).events() {
		if err != nil {
			b.Fatal(err)
		}
		if i == n {
			break
		}
		e.Shape = "bench"
		e.Message = fmt.Sprintf("%s %s by %s", e.Action, e.Target, e.Actor)
		e.UserAgent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
		e.File = e.Source + ".json"
		e.FileSHA256 = "0000000000000000000000000000000000000000000000000000000000000000"
		e.Offset = int64(i) * 512
		e.CorrelationID = fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i)
		e.Raw = fmt.Sprintf(`{"id":%q,"time":%q,"operation":%q,"user":%q,"clientIP":%q,"appId":%q,"target":%q}`,
			e.ID, e.Time.Format(time.RFC3339Nano), e.Action, e.Actor, e.SrcIP, e.AppID, e.Target)
		if _, err := r.Add(&e); err != nil {
			r.Abort()
			b.Fatal(err)
		}
		i++
	}
	if _, err := r.Commit(); err != nil {
		b.Fatal(err)
	}
	b.Logf("wrote a %d-event case in %v", i, time.Since(start))
	if c, err = timeline.Open(dir); err != nil {
		b.Fatal(err)
	}
	return c
}

// BenchmarkCaseScan10M reads every event of the 10M-event case: every
// column but raw, as Build over Case.All did, only Build's columns, as
// BuildCase did, and those columns coded, as BuildCase does.
func BenchmarkCaseScan10M(b *testing.B) {
	c := caseFixture(b, 10_000_000)
	for _, tc := range []struct {
		name string
		scan func() (int, error)
	}{
		{"all-columns", func() (int, error) {
			n := 0
			err := c.Scan(b.Context(), timeline.Query{}, func(*timeline.Event) error { n++; return nil })
			return n, err
		}},
		{"graph-columns", func() (int, error) {
			n := 0
			err := c.ScanBatches(b.Context(), timeline.Query{Columns: graph.Columns()}, func(evs []timeline.Event) error {
				n += len(evs)
				return nil
			})
			return n, err
		}},
		{"graph-columns-coded", func() (int, error) {
			n := 0
			err := c.ScanColumns(b.Context(), timeline.Query{Columns: graph.Columns()}, func(cb *timeline.ColumnBatch) error {
				n += cb.Len
				return nil
			})
			return n, err
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var n int
			c0 := cpuTime()
			for b.Loop() {
				var err error
				if n, err = tc.scan(); err != nil {
					b.Fatal(err)
				}
			}
			cpu := (cpuTime() - c0) / time.Duration(b.N)
			b.ReportMetric(float64(n)/(b.Elapsed()/time.Duration(b.N)).Seconds(), "events/s")
			b.ReportMetric(cpu.Seconds(), "cpu-s/op")
			b.ReportMetric(float64(peakRSS())/(1<<20), "peak-RSS-MB")
		})
	}
}

// BenchmarkCaseBuild10M builds the graph of the 10M-event case as `causeway
// chain` does, the whole path from reading the case to the built graph, and
// times chains over it. Run it alone for its peak RSS to mean anything.
func BenchmarkCaseBuild10M(b *testing.B) {
	c := caseFixture(b, 10_000_000)
	benchCaseBuild(b, func() (*graph.Graph, error) { return graph.BuildCase(b.Context(), c, graph.Options{}) })
}

// BenchmarkCaseBuildAll10M is the path before BuildCase: Build over
// Case.All, every column but raw.
func BenchmarkCaseBuildAll10M(b *testing.B) {
	c := caseFixture(b, 10_000_000)
	benchCaseBuild(b, func() (*graph.Graph, error) {
		return graph.Build(b.Context(), c.All(b.Context(), timeline.Query{}), graph.Options{})
	})
}

func benchCaseBuild(b *testing.B, build func() (*graph.Graph, error)) {
	var g *graph.Graph
	c0, a0 := cpuTime(), allocated()
	for b.Loop() {
		g = nil
		var err error
		if g, err = build(); err != nil {
			b.Fatal(err)
		}
	}
	reportBuild(b, g, c0, a0)
	for _, tc := range []struct {
		root string
		opts graph.ChainOptions
	}{
		{"key:" + msaKey, graph.ChainOptions{}},
		{"mailbox:user0042@tenant2.example", graph.ChainOptions{Backward: true}},
		{"key:enterprise-key-1", graph.ChainOptions{Since: benchBase.Add(24 * time.Hour), Until: benchBase.Add(48 * time.Hour)}},
		{"identity:user0042@tenant2.example", graph.ChainOptions{Context: true}},
	} {
		// The machine is shared: the median of several runs, wall and CPU.
		var walls, cpus []time.Duration
		var ch *graph.Chain
		for range 7 {
			t0, c0 := time.Now(), cpuTime()
			var err error
			if ch, err = g.Chain(tc.root, tc.opts); err != nil {
				b.Fatal(err)
			}
			walls, cpus = append(walls, time.Since(t0)), append(cpus, cpuTime()-c0)
		}
		slices.Sort(walls)
		slices.Sort(cpus)
		b.Logf("chain from %s (backward %v, since %v): %d nodes, %d edges; median %v wall, %v CPU", tc.root, tc.opts.Backward,
			tc.opts.Since.Format(time.DateOnly), len(ch.Nodes), len(ch.Edges), walls[len(walls)/2], cpus[len(cpus)/2])
	}
}

// realCase opens the case in $CAUSEWAY_GRAPH_CASE, and skips b when the
// variable is unset.
func realCase(b *testing.B) *timeline.Case {
	b.Helper()
	dir := os.Getenv("CAUSEWAY_GRAPH_CASE")
	if dir == "" {
		b.Skip("CAUSEWAY_GRAPH_CASE is not set")
	}
	c, err := timeline.Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// BenchmarkRealCaseBuild builds the graph of the case in directory
// $CAUSEWAY_GRAPH_CASE (a real case, e.g. the bench's scenarios imported at
// scale 50), as `causeway chain` does; it skips when the variable is unset.
// Run it alone, with -benchtime 1x, for its peak RSS to mean anything.
func BenchmarkRealCaseBuild(b *testing.B) {
	c := realCase(b)
	var (
		g   *graph.Graph
		err error
	)
	c0, a0 := cpuTime(), allocated()
	for b.Loop() {
		g = nil
		if g, err = graph.BuildCase(b.Context(), c, graph.Options{}); err != nil {
			b.Fatal(err)
		}
	}
	reportBuild(b, g, c0, a0)
	b.Logf("nodes by kind: %v", g.KindCounts())
	runtime.KeepAlive(g)
}

// BenchmarkRealCaseScan reads the case in $CAUSEWAY_GRAPH_CASE as
// BuildCase does (the graph's columns, coded), building nothing; it skips
// when the variable is unset.
func BenchmarkRealCaseScan(b *testing.B) {
	c := realCase(b)
	n, c0, a0 := 0, cpuTime(), allocated()
	for b.Loop() {
		n = 0
		err := c.ScanColumns(b.Context(), timeline.Query{Columns: graph.Columns()}, func(cb *timeline.ColumnBatch) error {
			n += cb.Len
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric((cpuTime()-c0).Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(n), "events")
	b.ReportMetric(float64(peakRSS())/(1<<20), "peak-RSS-MB")
	reportAlloc(b, a0)
}

// reportBuild reports a graph build's CPU time and allocation per op
// (since cpuTime c0 and allocated a0), the graph's size, the peak RSS and
// the live heap after a collection.
func reportBuild(b *testing.B, g *graph.Graph, c0 time.Duration, a0 uint64) {
	cpu := (cpuTime() - c0) / time.Duration(b.N)
	b.ReportMetric(cpu.Seconds(), "cpu-s/op")
	b.ReportMetric(float64(g.Len()), "nodes")
	b.ReportMetric(float64(g.EdgeCount()), "edges")
	b.ReportMetric(float64(peakRSS())/(1<<20), "peak-RSS-MB")
	// Every byte allocated is memory the kernel zeroed once and, in a VM,
	// often the host backed afresh: a build's transient tables cost as
	// much as its results.
	reportAlloc(b, a0)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "heap-MB")
}

// allocated is the bytes the process has allocated so far (TotalAlloc).
func allocated() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.TotalAlloc
}

// reportAlloc reports the bytes allocated per op since allocated gave a0:
// not TotalAlloc alone, which also counts a fixture's writing and the
// benchmarks run before in the same process.
func reportAlloc(b *testing.B, a0 uint64) {
	b.ReportMetric(float64(allocated()-a0)/float64(b.N)/(1<<20), "alloc-MB/op")
}
