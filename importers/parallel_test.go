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

	type outcome struct {
		results []FileResult
		files   []timeline.FileRecord
		events  []timeline.Event
		rejects int64
	}
	run := func(opts Options) outcome {
		t.Helper()
		c, r := newRun(t, timeline.RunOptions{MaxBuffered: 256 << 10})
		res, err := Import(t.Context(), r, []string{dir}, opts)
		if err != nil {
			t.Fatal(err)
		}
		rec, err := r.Commit()
		if err != nil {
			t.Fatal(err)
		}
		c, err = timeline.Open(c.Dir())
		if err != nil {
			t.Fatal(err)
		}
		var evs []timeline.Event
		if err := c.Scan(t.Context(), timeline.Query{Raw: true}, func(e *timeline.Event) error {
			evs = append(evs, *e)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		files := c.Manifest().Files
		for i := range files {
			files[i].Run = ""
		}
		return outcome{results: res, files: files, events: evs, rejects: rec.Rejected}
	}
	seq := run(Options{Workers: 1})
	par := run(Options{Workers: 2, chunk: 8 << 10})
	if len(seq.events) < 2900 || seq.rejects == 0 {
		t.Fatalf("sequential import: %d events, %d rejects: the fixture is wrong", len(seq.events), seq.rejects)
	}
	if diff := cmp.Diff(seq.results, par.results); diff != "" {
		t.Errorf("file results differ (-sequential +parallel):\n%s", diff)
	}
	if diff := cmp.Diff(seq.files, par.files); diff != "" {
		t.Errorf("manifest files differ (-sequential +parallel):\n%s", diff)
	}
	if seq.rejects != par.rejects {
		t.Errorf("rejects: sequential %d, parallel %d", seq.rejects, par.rejects)
	}
	if diff := cmp.Diff(seq.events, par.events); diff != "" {
		t.Errorf("events differ (-sequential +parallel):\n%s", diff)
	}
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
