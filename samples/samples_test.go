package samples_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/causeway-ir/causeway/importers"
	"github.com/causeway-ir/causeway/samples"
	"github.com/causeway-ir/causeway/timeline"
)

// update rewrites the committed copies: go test ./samples -run TestCommitted -update
var update = flag.Bool("update", false, "regenerate the committed samples under data/")

// importScale is the scale TestImportGenerated generates at: go test
// ./samples -run TestImportGenerated -import-scale 30 checks larger outputs.
var importScale = flag.Int("import-scale", 0, "scale for TestImportGenerated (0: the demo size)")

// counter is a timeline.Emitter that keeps what the checks need.
type counter struct {
	events  int64
	invalid []error
	rejects []*timeline.ParseError
	notes   []string
	seen    []timeline.Event // only when keep is set
	keep    bool
}

func (c *counter) Emit(e *timeline.Event) error {
	c.events++
	if err := e.Validate(); err != nil {
		c.invalid = append(c.invalid, fmt.Errorf("%s offset %d: %w", e.File, e.Offset, err))
	}
	if c.keep {
		ev := e.Clone()
		ev.Raw = ""
		c.seen = append(c.seen, ev)
	}
	return nil
}

func (c *counter) Reject(err *timeline.ParseError) error {
	c.rejects = append(c.rejects, err)
	return nil
}

func (c *counter) Note(msg string) { c.notes = append(c.notes, msg) }

// expectedSource is the importer each generated file is meant for, by its
// place in the tree.
func expectedSource(rel string) string {
	switch {
	case strings.HasPrefix(rel, "microsoft-provided/"):
		return "jwt.capture"
	case strings.HasPrefix(rel, "AWSLogs/"):
		return "aws.cloudtrail"
	case strings.HasPrefix(rel, "gcloud-logging-read/"):
		return "gcp.audit"
	case strings.HasPrefix(rel, "workspace-reports/"):
		return "gworkspace.reports"
	case strings.Contains(rel, "/sentinel/OfficeActivity"), strings.Contains(rel, "/purview/"), strings.Contains(rel, "/ual/"), strings.Contains(rel, "/management-api/"):
		return "m365.ual"
	case strings.Contains(rel, "AuditLogs"), strings.Contains(rel, "directoryAudits"), strings.Contains(rel, "insights-logs-auditlogs"), strings.Contains(rel, "Auditlogs"):
		return "entra.audit"
	case strings.Contains(rel, "SignInLogs"), strings.Contains(rel, "SigninLogs"), strings.Contains(rel, "signIns"), strings.Contains(rel, "signinlogs"):
		return "entra.signin"
	}
	return "?"
}

// importFile sniffs path the way the pipeline does (first 64 KiB after
// gunzip) and imports it with the first importer that matches.
func importFile(t *testing.T, root, rel string, c *counter) (source string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		if data, err = io.ReadAll(zr); err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
	}
	head := data[:min(len(data), 64<<10)]
	for _, imp := range importers.All() {
		if !imp.Match(filepath.Base(rel), head) {
			continue
		}
		src := timeline.Source{File: rel, SHA256: hex.EncodeToString(sum[:])}
		if err := imp.Import(t.Context(), bufio.NewReader(bytes.NewReader(data)), src, c); err != nil {
			t.Errorf("%s: %s: %v", rel, imp.Name(), err)
		}
		return imp.Name()
	}
	return ""
}

func walk(t *testing.T, root string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		files = append(files, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	return files
}

// span is the time range each scenario's events lie in.
var span = map[string][2]time.Time{
	"storm-0558":     {time.Date(2023, 5, 7, 0, 0, 0, 0, time.UTC), time.Date(2023, 6, 20, 0, 0, 0, 0, time.UTC)},
	"aws-leaked-key": {time.Date(2024, 3, 4, 0, 0, 0, 0, time.UTC), time.Date(2024, 3, 19, 0, 0, 0, 0, time.UTC)},
	"gcp-sa-key":     {time.Date(2024, 4, 8, 0, 0, 0, 0, time.UTC), time.Date(2024, 4, 23, 0, 0, 0, 0, time.UTC)},
}

// TestImportGenerated generates every scenario and imports every file with
// the registered importers: each file must be recognized by the importer
// it was written for, with no rejects, and the events must add up to what
// Generate reported.
func TestImportGenerated(t *testing.T) {
	t.Parallel()
	for _, sc := range samples.Scenarios() {
		t.Run(sc.Name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			st, err := samples.Generate(t.Context(), samples.Options{Scenario: sc.Name, Out: dir, Scale: *importScale})
			if err != nil {
				t.Fatal(err)
			}
			files := walk(t, dir)
			if len(files) != st.Files {
				t.Errorf("Stats.Files = %d, tree holds %d", st.Files, len(files))
			}
			c := &counter{keep: true}
			perSource := map[string]int64{}
			for _, rel := range files {
				if rel == "truth.json" {
					continue
				}
				before, rejBefore := c.events, len(c.rejects)
				got := importFile(t, dir, rel, c)
				if want := expectedSource(rel); got != want {
					t.Errorf("%s: recognized by %q, want %q", rel, got, want)
				}
				perSource[got] += c.events - before
				if n := len(c.rejects) - rejBefore; n > 0 {
					t.Errorf("%s: %d rejects, first: %v", rel, n, c.rejects[rejBefore])
				}
			}
			// Every event falls inside the scenario's weeks: a culture date
			// read the wrong way round, or ingestion time taken for event
			// time, would land outside.
			lo, hi := span[sc.Name][0], span[sc.Name][1]
			bad := 0
			for _, e := range c.seen {
				if (e.Time.Before(lo) || e.Time.After(hi)) && bad < 5 {
					bad++
					t.Errorf("%s offset %d (%s): time %s outside %s–%s", e.File, e.Offset, e.Source, e.Time, lo, hi)
				}
			}
			for i, err := range c.invalid {
				if i == 5 {
					break
				}
				t.Errorf("invalid event: %v", err)
			}
			if c.events != st.Events {
				t.Errorf("imported %d events, Generate reported %d (by source: %v)", c.events, st.Events, perSource)
			}
			t.Logf("%s: %d files, %d events, %d bytes; by source %v", sc.Name, st.Files, st.Events, st.Bytes, perSource)
		})
	}
}

// TestStormTokens checks the property the storm-0558 scenario exists to
// show, through the importers: every token a mail read presents either has
// a sign-in that issued it, or is one of the forged tokens, which have none.
func TestStormTokens(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if _, err := samples.Generate(t.Context(), samples.Options{Scenario: "storm-0558", Out: dir}); err != nil {
		t.Fatal(err)
	}
	var truth samples.Truth
	readTruth(t, dir, &truth)
	forged := map[string]bool{}
	for _, tok := range truth.AttackerTokens {
		forged[strings.TrimPrefix(tok, "token:")] = true
	}
	c := &counter{keep: true}
	for _, rel := range walk(t, dir) {
		if rel != "truth.json" {
			importFile(t, dir, rel, c)
		}
	}
	issued := map[string]bool{}
	for _, e := range c.seen {
		if e.Source == "entra.signin" && e.Outcome == timeline.OutcomeSuccess {
			issued[e.TokenID], issued[e.IssuedID] = true, true
		}
	}
	var reads, forgedReads int
	mailboxes := map[string]bool{}
	for _, e := range c.seen {
		if e.Source != "m365.ual" || e.Action != "MailItemsAccessed" {
			continue
		}
		reads++
		switch {
		case e.TokenID == "":
			t.Errorf("%s offset %d: MailItemsAccessed without a token id", e.File, e.Offset)
		case forged[e.TokenID]:
			forgedReads++
			mailboxes["mailbox:"+e.Target] = true
			if issued[e.TokenID] {
				t.Errorf("forged token %s has a sign-in", e.TokenID)
			}
		case !issued[e.TokenID]:
			t.Errorf("%s offset %d: token %s has no sign-in and is not forged", e.File, e.Offset, e.TokenID)
		}
	}
	if forgedReads == 0 || reads == forgedReads {
		t.Errorf("%d mail reads, %d with forged tokens: want both kinds", reads, forgedReads)
	}
	var got []string
	for m := range mailboxes {
		got = append(got, m)
	}
	slices.Sort(got)
	if diff := cmp.Diff(truth.ImpactedMailboxes, got); diff != "" {
		t.Errorf("mailboxes read with forged tokens differ from truth (-truth +imported):\n%s", diff)
	}
}

func readTruth(t *testing.T, dir string, v *samples.Truth) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

// TestTruth checks every truth.json against notes/truth-format.md: entity
// ids of the right kinds, RFC 3339 times in order, the root among the keys.
func TestTruth(t *testing.T) {
	t.Parallel()
	for _, sc := range samples.Scenarios() {
		t.Run(sc.Name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if _, err := samples.Generate(t.Context(), samples.Options{Scenario: sc.Name, Out: dir}); err != nil {
				t.Fatal(err)
			}
			var tr samples.Truth
			readTruth(t, dir, &tr)
			if tr.Scenario != sc.Name || tr.Description == "" {
				t.Errorf("scenario %q, description %q", tr.Scenario, tr.Description)
			}
			kinds := []struct {
				ids  []string
				kind timeline.EntityKind
			}{
				{[]string{tr.Root}, timeline.KindKey}, {tr.AttackerKeys, timeline.KindKey}, {tr.AttackerTokens, timeline.KindToken},
				{tr.ImpactedMailboxes, timeline.KindMailbox}, {tr.ImpactedResources, timeline.KindResource},
				{tr.ImpactedTenants, timeline.KindTenant}, {tr.AttackerIPs, timeline.KindIP},
			}
			for _, k := range kinds {
				if k.ids == nil {
					t.Errorf("a %s list is null, want []", k.kind)
				}
				for _, id := range k.ids {
					e, err := timeline.ParseEntity(id)
					if err != nil || e.Kind != k.kind {
						t.Errorf("%q: want a %s entity (%v)", id, k.kind, err)
					}
					if e.Kind == timeline.KindMailbox && e.Value != strings.ToLower(e.Value) {
						t.Errorf("%q: join keys are lower-case", id)
					}
				}
			}
			if !slices.Contains(tr.AttackerKeys, tr.Root) {
				t.Errorf("root %s not among attacker_keys", tr.Root)
			}
			var times []time.Time
			for _, s := range []string{tr.CompromiseWindow.Start, tr.CompromiseWindow.End, tr.DetectionTime} {
				tm, err := time.Parse(time.RFC3339, s)
				if err != nil {
					t.Errorf("time %q: %v", s, err)
				}
				times = append(times, tm)
			}
			if times[0].After(times[1]) || times[2].Before(times[0]) {
				t.Errorf("window %s–%s, detection %s: out of order", times[0], times[1], times[2])
			}
			if len(tr.ImpactedTenants) == 0 || len(tr.AttackerIPs) == 0 {
				t.Error("no impacted tenants or attacker IPs")
			}
		})
	}
}

// TestCommitted regenerates each scenario with the default seed and scale
// and compares it byte for byte with the committed copy under data/ (so
// that nobody hand-edits them). With -update it rewrites data/.
func TestCommitted(t *testing.T) {
	for _, sc := range samples.Scenarios() {
		t.Run(sc.Name, func(t *testing.T) {
			if *update {
				out := filepath.Join("data", sc.Name)
				if err := os.RemoveAll(out); err != nil {
					t.Fatal(err)
				}
				if _, err := samples.Generate(t.Context(), samples.Options{Scenario: sc.Name, Out: out}); err != nil {
					t.Fatal(err)
				}
			}
			dir := t.TempDir()
			if _, err := samples.Generate(t.Context(), samples.Options{Scenario: sc.Name, Out: dir}); err != nil {
				t.Fatal(err)
			}
			// The embedded copy is the one compiled in; after -update the
			// files on disk are newer than it.
			var committedFS fs.FS = samples.Embedded()
			if *update {
				committedFS = os.DirFS("data")
			}
			emb, err := fs.Sub(committedFS, sc.Name)
			if err != nil {
				t.Fatal(err)
			}
			var committed []string
			if err := fs.WalkDir(emb, ".", func(path string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					committed = append(committed, path)
				}
				return err
			}); err != nil {
				t.Fatalf("no committed copy (run with -update): %v", err)
			}
			slices.Sort(committed)
			generated := walk(t, dir)
			if diff := cmp.Diff(committed, generated); diff != "" {
				t.Fatalf("file lists differ (-committed +generated); run with -update:\n%s", diff)
			}
			for _, rel := range generated {
				want, err := fs.ReadFile(emb, rel)
				if err != nil {
					t.Fatal(err)
				}
				got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(want, got) {
					t.Errorf("%s differs from the committed copy; run with -update", rel)
				}
			}
		})
	}
}

// TestSeeds checks that the seed decides the output: the same seed twice
// gives the same bytes, another seed other bytes, and a larger scale more
// background with the same attack.
func TestSeeds(t *testing.T) {
	t.Parallel()
	gen := func(seed int64, scale int) (samples.Stats, samples.Truth, string) {
		dir := t.TempDir()
		st, err := samples.Generate(t.Context(), samples.Options{Scenario: "aws-leaked-key", Out: dir, Seed: seed, Scale: scale})
		if err != nil {
			t.Fatal(err)
		}
		var tr samples.Truth
		readTruth(t, dir, &tr)
		h := sha256.New()
		for _, rel := range walk(t, dir) {
			b, _ := os.ReadFile(filepath.Join(dir, rel))
			h.Write([]byte(rel))
			h.Write(b)
		}
		return st, tr, hex.EncodeToString(h.Sum(nil))
	}
	st1, tr1, h1 := gen(7, 0)
	st2, tr2, h2 := gen(7, 0)
	_, tr3, h3 := gen(8, 0)
	st4, tr4, _ := gen(7, 1)
	if h1 != h2 || st1 != st2 {
		t.Errorf("same seed, different output: %v %v", st1, st2)
	}
	if h1 == h3 || cmp.Equal(tr1, tr3) {
		t.Error("different seeds, same output")
	}
	if diff := cmp.Diff(tr1, tr2); diff != "" {
		t.Error(diff)
	}
	if st4.Events < 2*st1.Events {
		t.Errorf("scale 3: %d events, scale 1: %d: background should grow with scale", st4.Events, st1.Events)
	}
	if diff := cmp.Diff(tr1.AttackerTokens, tr4.AttackerTokens); len(tr1.AttackerTokens) != len(tr4.AttackerTokens) {
		t.Errorf("the attack should not change with scale: %s", diff)
	}
}

// TestWorkers checks that scheduling does not change the output: one
// worker (jobs in plan order) and five (in whatever order they finish)
// write the same files, byte for byte, at scale 1.
func TestWorkers(t *testing.T) {
	if testing.Short() {
		t.Skip("generates every scenario twice at scale 1")
	}
	t.Parallel()
	for _, sc := range samples.Scenarios() {
		t.Run(sc.Name, func(t *testing.T) {
			sums := func(workers int) map[string]string {
				dir := t.TempDir()
				if _, err := samples.Generate(t.Context(), samples.Options{Scenario: sc.Name, Out: dir, Seed: 11, Scale: 1, Workers: workers}); err != nil {
					t.Fatal(err)
				}
				m := map[string]string{}
				for _, rel := range walk(t, dir) {
					b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
					if err != nil {
						t.Fatal(err)
					}
					h := sha256.Sum256(b)
					m[rel] = hex.EncodeToString(h[:])
				}
				return m
			}
			one, five := sums(1), sums(5)
			if len(one) < 10 {
				t.Fatalf("only %d files", len(one))
			}
			if diff := cmp.Diff(one, five); diff != "" {
				t.Errorf("1 worker vs 5 (-1 +5):\n%s", diff)
			}
		})
	}
}

func TestUnknownScenario(t *testing.T) {
	t.Parallel()
	_, err := samples.Generate(t.Context(), samples.Options{Scenario: "nope", Out: t.TempDir()})
	if !errors.Is(err, samples.ErrUnknownScenario) || !strings.Contains(err.Error(), "nope") {
		t.Errorf("got %v, want ErrUnknownScenario naming the scenario", err)
	}
}

// BenchmarkGenerate measures generation speed in events per second, at
// scale 10 (go test ./samples -bench Generate -run '^$').
func BenchmarkGenerate(b *testing.B) {
	for _, sc := range samples.Scenarios() {
		b.Run(sc.Name, func(b *testing.B) {
			var events, bytes int64
			var elapsed time.Duration
			for b.Loop() {
				dir := b.TempDir()
				start := time.Now()
				st, err := samples.Generate(b.Context(), samples.Options{Scenario: sc.Name, Out: dir, Scale: 10})
				if err != nil {
					b.Fatal(err)
				}
				elapsed += time.Since(start)
				events += st.Events
				bytes += st.Bytes
			}
			b.ReportMetric(float64(events)/elapsed.Seconds(), "events/s")
			b.ReportMetric(float64(bytes)/elapsed.Seconds()/1e6, "MB/s")
		})
	}
}

// TestChains walks the imported events the way design.md §4 reconstructs a
// chain (time-respecting reachability over causal edges from the root,
// from the start of the compromise window; identities are not conduits;
// a denied call reaches nothing) and checks that it finds exactly what
// truth.json says. Causal edges here: the credential an event presents
// (token, else key, else session) to what it issued and to the mailbox,
// resource, key or token it acted on; for jwt.capture, the signing key to
// the token it signed.
func TestChains(t *testing.T) {
	t.Parallel()
	for _, sc := range samples.Scenarios() {
		t.Run(sc.Name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if _, err := samples.Generate(t.Context(), samples.Options{Scenario: sc.Name, Out: dir}); err != nil {
				t.Fatal(err)
			}
			var truth samples.Truth
			readTruth(t, dir, &truth)
			c := &counter{keep: true}
			for _, rel := range walk(t, dir) {
				if rel != "truth.json" {
					importFile(t, dir, rel, c)
				}
			}
			type edge struct {
				from, to, tenant string
				at               time.Time
			}
			var edges []edge
			for _, e := range c.seen {
				if e.Outcome == timeline.OutcomeFailure {
					continue
				}
				var tail string
				switch {
				case e.Source == "jwt.capture" && e.KeyID != "" && e.TokenID != "":
					edges = append(edges, edge{"key:" + e.KeyID, "token:" + e.TokenID, e.Tenant, e.Time})
					continue
				case e.TokenID != "":
					tail = "token:" + e.TokenID
				case e.KeyID != "":
					tail = "key:" + e.KeyID
				case e.SessionID != "":
					tail = "session:" + e.SessionID
				default:
					continue
				}
				if e.IssuedKind != "" {
					edges = append(edges, edge{tail, e.IssuedKind + ":" + e.IssuedID, e.Tenant, e.Time})
				}
				switch timeline.EntityKind(e.TargetKind) {
				case timeline.KindMailbox, timeline.KindResource, timeline.KindKey, timeline.KindToken:
					edges = append(edges, edge{tail, e.TargetKind + ":" + e.Target, e.Tenant, e.Time})
				}
			}
			slices.SortStableFunc(edges, func(a, b edge) int { return a.at.Compare(b.at) })
			start, err := time.Parse(time.RFC3339, truth.CompromiseWindow.Start)
			if err != nil {
				t.Fatal(err)
			}
			reached := map[string]time.Time{truth.Root: start}
			tenants := map[string]bool{}
			// Edges in time order: one pass reaches everything reachable by
			// a time-respecting path.
			for _, ed := range edges {
				at, ok := reached[ed.from]
				if !ok || ed.at.Before(at) {
					continue
				}
				if _, seen := reached[ed.to]; !seen {
					reached[ed.to] = ed.at
				}
				if !strings.HasPrefix(ed.to, "key:") && ed.tenant != "" {
					tenants["tenant:"+ed.tenant] = true
				}
			}
			byKind := map[string][]string{}
			for id := range reached {
				kind, _, _ := strings.Cut(id, ":")
				byKind[kind] = append(byKind[kind], id)
			}
			for _, ids := range byKind {
				slices.Sort(ids)
			}
			var tn []string
			for id := range tenants {
				tn = append(tn, id)
			}
			slices.Sort(tn)
			for _, k := range []struct {
				name      string
				want, got []string
			}{
				{"keys", truth.AttackerKeys, byKind["key"]},
				{"tokens", truth.AttackerTokens, byKind["token"]},
				{"mailboxes", truth.ImpactedMailboxes, byKind["mailbox"]},
				{"resources", truth.ImpactedResources, byKind["resource"]},
				{"tenants", truth.ImpactedTenants, tn},
			} {
				if diff := cmp.Diff(k.want, k.got, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("%s reached from %s differ from truth (-truth +reached):\n%s", k.name, truth.Root, diff)
				}
			}
		})
	}
}
