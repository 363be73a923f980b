package importers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/causeway-ir/causeway/timeline"
	"github.com/google/go-cmp/cmp"
)

// TestParallelImportMatchesSequential imports the same inputs on one
// goroutine and on several (files side by side, a large NDJSON file in
// chunks) into two cases, and requires the same events, byte for byte, the
// same files and counts, and the same rejects.
func TestParallelImportMatchesSequential(t *testing.T) {
	dir := t.TempDir()
	var nd strings.Builder
	base := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range 3000 {
		ts := base.Add(time.Duration(i*37%5000) * time.Minute).Format(time.RFC3339)
		switch {
		case i%500 == 7:
			nd.WriteString(`{"eventTime": "broken` + "\n") // malformed: a reject
		case i%97 == 0:
			// No eventID: the id falls back to the file hash and offset,
			// which chunks must count from the start of the file.
			nd.WriteString(strings.Replace(hostileCT("x", ts), `"eventID":"x",`, "", 1) + "\n")
		case i%50 == 3:
			nd.WriteString(hostileCT(fmt.Sprintf("ev-%d", i-1), ts) + "\n") // a duplicate id, other happening
		default:
			nd.WriteString(hostileCT(fmt.Sprintf("ev-%d", i), ts) + "\n")
		}
	}
	big := []byte(nd.String())
	write := func(name string, b []byte) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a/big.ndjson", big)
	write("a/twin.ndjson.gz", gz(big[:len(big)/3])) // all duplicates of the big file's head
	write("b/small.json", []byte(`{"Records":[`+hostileCT("s-1", "2024-03-02T10:00:00Z")+`,`+hostileCT("s-2", "2024-03-02T10:00:01Z")+`]}`))
	write("b/archive.zip", zipOf(t, map[string][]byte{
		"x.ndjson": []byte(hostileCT("z-1", "2024-03-03T00:00:00Z") + "\n" + hostileCT("z-2", "2024-03-03T00:00:01Z") + "\n"),
	}))
	write("b/junk.txt", []byte("not a log\n"))

	run := func(opts Options) importOutcome {
		t.Helper()
		c, r := newRun(t, timeline.RunOptions{MaxBuffered: 256 << 10})
		res, err := Import(t.Context(), r, []string{dir}, opts)
		if err != nil {
			t.Fatal(err)
		}
		return commitOutcome(t, c, r, res)
	}
	seq := run(Options{Workers: 1})
	par := run(Options{Workers: 2, chunk: 8 << 10})
	if len(seq.events) < 2900 || seq.rejects == 0 {
		t.Fatalf("sequential import: %d events, %d rejects: the fixture is wrong", len(seq.events), seq.rejects)
	}
	sameOutcome(t, seq, par)
	// The big file really was read in chunks.
	in := input{path: filepath.Join(dir, "a/big.ndjson"), size: int64(len(big))}
	o := Options{Importers: All(), chunk: 8 << 10}
	if n := len(splitNDJSON(t.Context(), in, 2, &o)); n < 4 {
		t.Errorf("big.ndjson split into %d chunks, want several", n)
	}
}

// TestParallelImportHashFails: when a chunked file's hash cannot be
// read (an I/O error after the chunks were planned), the import stops with
// that error, naming the file, however far its events have gone into the
// run (spilled, or waiting in a writer for the hash); nothing hangs.
func TestParallelImportHashFails(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	for i := range 6000 {
		b.WriteString(hostileCT(fmt.Sprintf("ev-%d", i), "2024-03-01T00:00:00Z") + "\n")
	}
	path := filepath.Join(dir, "big.ndjson")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	errDisk := errors.New("injected read error")
	for _, after := range []int64{0, 64 << 10, int64(b.Len()) - 10} {
		t.Run(fmt.Sprint(after), func(t *testing.T) {
			_, r := newRun(t, timeline.RunOptions{MaxBuffered: 256 << 10})
			opts := Options{Workers: 2, chunk: 8 << 10, hashOpen: func(p string) (io.ReadCloser, error) {
				f, err := os.Open(p)
				if err != nil {
					return nil, err
				}
				return failAfter{f, io.LimitReader(f, after), errDisk}, nil
			}}
			done := make(chan error, 1)
			go func() {
				_, err := Import(t.Context(), r, []string{path}, opts)
				if err == nil {
					_, err = r.Commit()
				}
				done <- err
			}()
			select {
			case err := <-done:
				if !errors.Is(err, errDisk) || !strings.Contains(err.Error(), "hash "+path) {
					t.Fatalf("err = %v, want the hash's error naming %s", err, path)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("the import hangs when the hash fails")
			}
		})
	}
}

// failAfter reads r, then fails with err; Close closes c.
type failAfter struct {
	c   io.Closer
	r   io.Reader
	err error
}

func (f failAfter) Read(b []byte) (int, error) {
	n, err := f.r.Read(b)
	if err == io.EOF {
		err = f.err
	}
	return n, err
}

func (f failAfter) Close() error { return f.c.Close() }

// TestParallelImportCancelled: cancelling the context stops a parallel
// import with the context's error, and every worker ends.
func TestParallelImportCancelled(t *testing.T) {
	dir := t.TempDir()
	for f := range 50 {
		var b strings.Builder
		for i := range 2000 {
			b.WriteString(hostileCT(fmt.Sprintf("f%d-%d", f, i), "2024-03-01T00:00:00Z") + "\n")
		}
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("%02d.ndjson", f)), []byte(b.String()), 0o644)
	}
	_, r := newRun(t, timeline.RunOptions{})
	ctx, cancel := context.WithCancel(t.Context())
	progress := &Progress{}
	go func() {
		for progress.Events.Load() < 5000 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	done := make(chan error)
	go func() {
		_, err := Import(ctx, r, []string{dir}, Options{Workers: 2, Progress: progress})
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		if n := progress.Events.Load(); n >= 100_000 {
			t.Fatalf("all %d events imported: the cancel came too late to test anything", n)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("a cancelled import does not end")
	}
}

// importOutcome is what an import made of a case, to compare two imports.
type importOutcome struct {
	results []FileResult
	files   []timeline.FileRecord
	events  []timeline.Event
	rejects int64
}

// commitOutcome commits r, an import into c that returned res, and reads
// the case back.
func commitOutcome(t *testing.T, c *timeline.Case, r *timeline.Run, res []FileResult) importOutcome {
	t.Helper()
	rec, err := r.Commit()
	if err != nil {
		t.Fatal(err)
	}
	c, err = timeline.Open(c.Dir())
	if err != nil {
		t.Fatal(err)
	}
	out := importOutcome{results: res, rejects: rec.Rejected}
	if err := c.Scan(t.Context(), timeline.Query{Raw: true}, func(e *timeline.Event) error {
		out.events = append(out.events, *e)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	out.files = c.Manifest().Files
	for i := range out.files {
		out.files[i].Run = ""
	}
	return out
}

// sameOutcome fails t unless a one-worker import (seq) and a parallel one
// (par) made the same case.
func sameOutcome(t *testing.T, seq, par importOutcome) {
	t.Helper()
	if diff := cmp.Diff(seq.results, par.results); diff != "" {
		t.Errorf("file results differ (-one worker +two):\n%s", diff)
	}
	if diff := cmp.Diff(seq.files, par.files); diff != "" {
		t.Errorf("manifest files differ (-one worker +two):\n%s", diff)
	}
	if seq.rejects != par.rejects {
		t.Errorf("rejects: one worker %d, two %d", seq.rejects, par.rejects)
	}
	if diff := cmp.Diff(seq.events, par.events); diff != "" {
		t.Errorf("events differ (-one worker +two):\n%s", diff)
	}
}

// ctEnvelope is a CloudTrail S3 object's text: the records rec(i) for i
// from 0 to n-1 in {"Records":[…]}.
func ctEnvelope(n int, rec func(i int) string) string {
	var b strings.Builder
	b.WriteString(`{"Records":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(rec(i))
	}
	b.WriteString("]}")
	return b.String()
}

// newRun begins a run on a new case; the run is aborted at the end of the
// test unless it was committed.
func newRun(t *testing.T, opts timeline.RunOptions) (*timeline.Case, *timeline.Run) {
	t.Helper()
	c, err := timeline.Create(filepath.Join(t.TempDir(), "case"), "t", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.BeginRun(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Abort() })
	return c, r
}

// gatedSink holds the first batch it is given until release is closed.
type gatedSink struct {
	*timeline.Run
	entered chan struct{}
	release chan struct{}
	once    sync.Once
}

func (g *gatedSink) AddBatch(b *timeline.Batch, res []timeline.AddResult) ([]timeline.AddResult, error) {
	g.once.Do(func() {
		close(g.entered)
		<-g.release
	})
	return g.Run.AddBatch(b, res)
}

// TestChunksParsedAhead: while the sink is busy with a large file's first
// chunk, the other worker parses the next chunk to its end (its queue holds
// a chunk's batches: with room for four, it stopped after a fifth of the
// chunk and one core parsed at a time), and no worker runs more than
// workers+1 chunks ahead of the sink.
func TestChunksParsedAhead(t *testing.T) {
	const chunk = 2 << 20
	var b strings.Builder
	for i := 0; b.Len() < 8*chunk; i++ {
		b.WriteString(hostileCT(fmt.Sprintf("ev-%d", i), "2024-03-01T00:00:00Z") + "\n")
	}
	path := filepath.Join(t.TempDir(), "big.ndjson")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	in := input{path: path, size: int64(b.Len())}
	o := Options{Importers: All(), chunk: chunk}
	chunks := splitNDJSON(t.Context(), in, 2, &o)
	if len(chunks) < 6 || queueFor(task{in: in, chunk: chunks[1]}, chunk) <= taskQueue {
		t.Fatalf("%d chunks, queues of %d: the fixture is wrong", len(chunks), queueFor(task{in: in, chunk: chunks[1]}, chunk))
	}
	_, r := newRun(t, timeline.RunOptions{})
	sink := &gatedSink{Run: r, entered: make(chan struct{}), release: make(chan struct{})}
	progress := &Progress{}
	done := make(chan error, 1)
	go func() {
		_, err := Import(t.Context(), sink, []string{path}, Options{Workers: 2, chunk: chunk, Progress: progress})
		done <- err
	}()
	<-sink.entered
	// Chunks 0 and 1 are read to their ends while the sink holds the
	// first batch.
	want := chunks[1].end
	deadline := time.Now().Add(20 * time.Second)
	for progress.Done.Load() < want && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if got := progress.Done.Load(); got < want {
		close(sink.release)
		t.Fatalf("with the sink busy on chunk 0, workers read %d bytes, not the %d of chunks 0 and 1", got, want)
	}
	// And then stop: three chunks started at most (workers+1).
	time.Sleep(200 * time.Millisecond)
	if got, most := progress.Done.Load(), chunks[3].start; got > most {
		t.Errorf("with the sink busy on chunk 0, workers read %d bytes, past chunk 2's end (%d)", got, most)
	}
	close(sink.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// blockedUntil reads r once release is closed.
type blockedUntil struct {
	f       *os.File
	release <-chan struct{}
}

func (b blockedUntil) Read(p []byte) (int, error) {
	<-b.release
	return b.f.Read(p)
}

func (b blockedUntil) Close() error { return b.f.Close() }

// TestChunksWaitForHash: while a large file is still being hashed, its
// chunks are parsed one at a time (the hasher needs a core), and the
// import is complete.
func TestChunksWaitForHash(t *testing.T) {
	const chunk = 256 << 10
	var b strings.Builder
	n := 0
	for ; b.Len() < 16*chunk; n++ {
		b.WriteString(hostileCT(fmt.Sprintf("ev-%d", n), "2024-03-01T00:00:00Z") + "\n")
	}
	path := filepath.Join(t.TempDir(), "big.ndjson")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	var mu sync.Mutex
	var now, most, started int
	opts := Options{
		Workers: 2,
		chunk:   chunk,
		hashOpen: func(p string) (io.ReadCloser, error) {
			f, err := os.Open(p)
			return blockedUntil{f, release}, err
		},
		parsing: func(index int, start bool) {
			mu.Lock()
			defer mu.Unlock()
			if !start {
				now--
				return
			}
			now++
			if started++; started <= 6 {
				most = max(most, now) // the hash is still held
			}
			if started == 6 {
				close(release) // the hash goes on once a sixth chunk starts
			}
		},
	}
	_, r := newRun(t, timeline.RunOptions{})
	res, err := Import(t.Context(), r, []string{path}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if most != 1 {
		t.Errorf("while the file was hashed, %d chunks were parsed at once, want 1", most)
	}
	if len(res) != 1 || res[0].Imported != int64(n) {
		t.Errorf("results %+v, want one file with %d events imported", res, n)
	}
}

// TestBigFilesParsedTogether: while the sink is busy with a large file
// that cannot be cut into chunks, the other worker parses the next such
// file to its end (into an overflow: its queue holds four batches, and it
// used to wait there), and the case is the one a single worker builds:
// duplicates across the two files, rejects and file records included.
func TestBigFilesParsedTogether(t *testing.T) {
	dir := t.TempDir()
	base := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	records := func(from, n int) string {
		return ctEnvelope(n, func(i int) string {
			i += from
			if i%700 == 5 {
				return `{"eventVersion":"1.08","eventID":"no-time"}` // a reject
			}
			return hostileCT(fmt.Sprintf("ev-%d", i), base.Add(time.Duration(i*37%5000)*time.Minute).Format(time.RFC3339))
		})
	}
	paths := []string{filepath.Join(dir, "1.json"), filepath.Join(dir, "2.json"), filepath.Join(dir, "3.json")}
	contents := []string{records(0, 6000), records(5000, 6000), records(20000, 10)} // 1,000 duplicates across 1 and 2
	var sizes []int64
	for i, p := range paths {
		if err := os.WriteFile(p, []byte(contents[i]), 0o644); err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, int64(len(contents[i])))
	}
	const chunk = 64 << 10
	if queueFor(task{in: input{path: paths[1], size: sizes[1]}}, chunk) != taskQueue || sizes[1] < 20*batchEvents*200 {
		t.Fatal("the fixture is wrong: the second file's queue holds it")
	}

	c1, r1 := newRun(t, timeline.RunOptions{MaxBuffered: 256 << 10})
	res1, err := Import(t.Context(), r1, paths, Options{Workers: 1, chunk: chunk, small: -1})
	if err != nil {
		t.Fatal(err)
	}
	seq := commitOutcome(t, c1, r1, res1)

	c2, r2 := newRun(t, timeline.RunOptions{MaxBuffered: 256 << 10})
	sink := &gatedSink{Run: r2, entered: make(chan struct{}), release: make(chan struct{})}
	progress := &Progress{}
	type result struct {
		res []FileResult
		err error
	}
	done := make(chan result, 1)
	go func() {
		// Files streamed, not read whole: the bytes read tell how far parsing went.
		res, err := Import(t.Context(), sink, paths, Options{Workers: 2, chunk: chunk, small: -1, Progress: progress})
		done <- result{res, err}
	}()
	<-sink.entered
	// The first file's worker waits (its file is the sink's: no overflow)
	// with some of it read; the second file is read to its end.
	want := sizes[1] + chunk
	deadline := time.Now().Add(20 * time.Second)
	for progress.Done.Load() < want && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	got := progress.Done.Load()
	close(sink.release)
	if got < want {
		t.Errorf("with the sink busy on the first file, workers read %d bytes: with the second file read to its end, over %d", got, want)
	}
	d := <-done
	if d.err != nil {
		t.Fatal(d.err)
	}
	par := commitOutcome(t, c2, r2, d.res)

	// 6,000 + 6,000 + 10 records; 9 + 8 of them rejects (i%700 == 5); the 999
	// valid ones of 5,000-5,999 are in both files: 10,994 events.
	if len(seq.events) != 10994 || seq.rejects != 17 || seq.results[1].Duplicates != 999 {
		t.Fatalf("sequential import: %d events, %d rejects, %d duplicates in the second file: the fixture is wrong",
			len(seq.events), seq.rejects, seq.results[1].Duplicates)
	}
	sameOutcome(t, seq, par)
}

// TestOverflowItems: an overflow gives back what was put, in order, while
// it is still being written: batches, rejects (with and without a reason)
// and files' ends; then the end.
func TestOverflowItems(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "queue")
	if err != nil {
		t.Fatal(err)
	}
	o := newOverflow(f)
	defer o.release()
	pool := &sync.Pool{New: func() any { return new(timeline.Batch) }}
	var want []item
	for i := range 50 {
		switch i % 5 {
		case 0, 1, 2:
			b := new(timeline.Batch)
			for j := range i + 1 {
				e := timeline.Event{ID: fmt.Sprintf("e%d-%d", i, j), Time: time.Date(2024, 3, 1, 0, j, 0, 0, time.UTC),
					Source: "aws.cloudtrail", Action: "GetObject", Category: timeline.CategoryResource, Outcome: timeline.OutcomeSuccess,
					Raw: `{"n":1}`, File: "f", FileSHA256: "00", Offset: int64(j)}
				if err := b.Add(&e); err != nil {
					t.Fatal(err)
				}
			}
			want = append(want, item{batch: b})
		case 3:
			pe := &timeline.ParseError{Importer: "aws.cloudtrail", File: "f", Offset: int64(i) << 33, Line: i, Raw: []byte("{\x00bad")}
			if i%2 == 1 {
				pe.Err = fmt.Errorf("broken %d", i)
			}
			want = append(want, item{reject: pe})
		default:
			want = append(want, item{file: fmt.Sprintf("dir/file-%d.json", i)})
		}
	}
	go func() {
		for _, it := range want {
			var enc []byte
			if it.batch != nil {
				enc, _ = it.batch.AppendBinary(nil) // put may let the batch be reused: keep a copy to compare
			}
			if err := o.put(it); err != nil {
				t.Error(err)
			}
			if it.batch != nil {
				it.batch.Reset()
				it.batch.UnmarshalBinary(enc)
			}
			time.Sleep(time.Millisecond)
		}
		o.close()
	}()
	var got []item
	if err := o.replay(t.Context(), pool, func(it item) error {
		got = append(got, it)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// describe says what an item holds, every field.
	describe := func(its []item) []string {
		var out []string
		for _, it := range its {
			switch {
			case it.batch != nil:
				enc, _ := it.batch.AppendBinary(nil)
				out = append(out, fmt.Sprintf("batch of %d: %x", it.batch.Len(), enc))
			case it.reject != nil:
				pe := *it.reject
				reason := "<nil>"
				if pe.Err != nil {
					reason = pe.Err.Error()
				}
				out = append(out, fmt.Sprintf("reject %q %q %d %d %q %q", pe.Importer, pe.File, pe.Offset, pe.Line, reason, pe.Raw))
			default:
				out = append(out, fmt.Sprintf("file %q", it.file))
			}
		}
		return out
	}
	if diff := cmp.Diff(describe(want), describe(got)); diff != "" {
		t.Errorf("items differ (-put +replayed):\n%s", diff)
	}
}

// TestOverflowCancelled: an import cancelled while a task overflows, and
// while the sink replays an overflow, ends with the context's error.
func TestOverflowCancelled(t *testing.T) {
	dir := t.TempDir()
	for f := range 4 {
		text := ctEnvelope(6000, func(i int) string { return hostileCT(fmt.Sprintf("f%d-%d", f, i), "2024-03-01T00:00:00Z") })
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("%d.json", f)), []byte(text), 0o644)
	}
	for _, cancelAt := range []int64{0, 3000} { // while the sink is held; while it replays
		t.Run(fmt.Sprint(cancelAt), func(t *testing.T) {
			_, r := newRun(t, timeline.RunOptions{})
			sink := &gatedSink{Run: r, entered: make(chan struct{}), release: make(chan struct{})}
			ctx, cancel := context.WithCancel(t.Context())
			progress := &Progress{}
			done := make(chan error)
			go func() {
				_, err := Import(ctx, sink, []string{dir}, Options{Workers: 2, chunk: 64 << 10, small: -1, Progress: progress})
				done <- err
			}()
			<-sink.entered
			for progress.Done.Load() < 1<<20 { // the second file is overflowing
				time.Sleep(time.Millisecond)
			}
			if cancelAt == 0 {
				cancel()
				close(sink.release)
			} else {
				close(sink.release)
				for progress.Events.Load() < 6000+cancelAt {
					time.Sleep(time.Millisecond)
				}
				cancel()
			}
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("err = %v, want context.Canceled", err)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("a cancelled import does not end")
			}
		})
	}
}
