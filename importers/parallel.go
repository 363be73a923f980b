package importers

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/causeway-ir/causeway/timeline"
)

// BatchSink is a Sink that also takes events prepared on other goroutines
// (*timeline.Run is one). Import parses files, and chunks of large NDJSON
// files, on several cores when its sink is a BatchSink, and still hands
// everything to the sink in the order a one-core import would: the case
// it builds is the same, byte for byte in its events.
type BatchSink interface {
	Sink
	AddBatch(b *timeline.Batch, res []timeline.AddResult) ([]timeline.AddResult, error)
	// HashLater promises the hash of file, whose events say
	// timeline.PendingSHA256 until then; hash returns it at once after done
	// is closed (see timeline.Run.HashLater).
	HashLater(file string, done <-chan struct{}, hash func() (string, error))
}

const (
	// batchEvents and batchBytes bound one batch.
	batchEvents = 256
	batchBytes  = 1 << 20
	// chunkBytes is the size of the chunks a large NDJSON file is split
	// into (files under twice that are read whole). A chunk's events fit
	// in its queue, so that a worker parsing ahead of the sink does not
	// stop at the start of its chunk (see taskQueue).
	chunkBytes = 8 << 20
	// taskQueue is the batches a task may hold ready before the sink takes
	// them (at least; see queueFor). Workers start at most workers+1 tasks
	// ahead of the one the sink takes (importParallel), so memory is about
	// (workers+1) × a chunk's events.
	taskQueue = 4
)

// queueFor returns how many batches task t may hold ready: room for all
// of a chunk's or a small file's events (with a queue of four, the worker
// on the next chunk filled it in milliseconds and then waited for the sink
// to finish the chunk before, so that one core parsed at a time), and four
// for a file too large to hold.
func queueFor(t task, chunk int64) int {
	size := t.in.size
	if t.chunk != nil {
		size = t.chunk.end - t.chunk.start
	} else if size > 2*chunk {
		return taskQueue
	}
	if strings.HasSuffix(t.in.path, ".gz") {
		size *= 8 // inflated
	}
	return min(max(int(size>>16), taskQueue), 256)
}

// task is one unit of parallel work: a file, or a chunk of one.
type task struct {
	in    input
	chunk *chunk // nil for a whole file
}

// chunk is a byte range of a large NDJSON file, starting at a record.
type chunk struct {
	start, end int64
	index, of  int
	hash       *fileHash // the file's, being computed while the chunks are parsed
	imp        timeline.Importer
	// parsed is closed when the chunk's worker is done with it; prev is
	// the file's chunk before (nil for the first).
	parsed chan struct{}
	prev   *chunk
}

// waitTurn holds a chunk back while its file is still being hashed and the
// chunk before it is still being parsed: until the hash is known, the
// file's chunks are parsed one at a time, so that the hasher has a core
// (next to two parsers, the sink and the writer it got a fraction of one,
// and the run spilled everything parsed before the hash was known).
func (c *chunk) waitTurn(ctx context.Context) {
	if c.prev == nil {
		return
	}
	select {
	case <-c.hash.done:
	case <-c.prev.parsed:
	case <-ctx.Done():
	}
}

// fileHash is a file's SHA-256, computed on a goroutine of its own.
type fileHash struct {
	done chan struct{}
	sum  string
	err  error
}

// hashAsync starts hashing the file at path, read through open (os.Open
// when nil); it stops early, with the context's error, when ctx ends.
func hashAsync(ctx context.Context, path string, open func(string) (io.ReadCloser, error)) *fileHash {
	h := &fileHash{done: make(chan struct{})}
	if open == nil {
		open = func(p string) (io.ReadCloser, error) { return os.Open(p) }
	}
	go func() {
		defer close(h.done)
		f, err := open(path)
		if err != nil {
			h.err = err
			return
		}
		defer f.Close()
		h.sum, _, h.err = hashFile(ctxReader{ctx, f})
	}()
	return h
}

// ctxReader reads r until ctx ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(b []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(b)
}

// wait returns the hash once it is known.
func (h *fileHash) wait() (string, error) {
	<-h.done
	return h.sum, h.err
}

// item is what a task hands to the sink, in order.
type item struct {
	batch  *timeline.Batch
	reject *timeline.ParseError
	file   string    // the path of a file whose events are all sent
	over   *overflow // the task's items from here on are in over, then in the channel again
	done   []FileResult
	err    error
}

func importParallel(ctx context.Context, sink BatchSink, inputs []input, results []FileResult, workers int, opts *Options) ([]FileResult, error) {
	ctx, cancel := context.WithCancel(ctx)
	tasks := planTasks(ctx, inputs, workers, opts)
	defer cancel()
	chans := make([]chan item, len(tasks))
	for i := range chans {
		// One slot more than the queue, kept for an overflow's marker.
		chans[i] = make(chan item, queueFor(tasks[i], opts.chunkSize())+1)
	}
	tmp, _ := sink.(tempFiler)
	var taking atomic.Int64 // the task the sink takes output from
	pool := &sync.Pool{New: func() any { return new(timeline.Batch) }}
	var next atomic.Int64
	var wg sync.WaitGroup
	// ahead holds a token for each task started and not yet taken by the
	// sink: with queues that hold a chunk, a worker could otherwise parse
	// a file's chunks far ahead of the sink, holding them all in memory.
	ahead := make(chan struct{}, workers+1)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case ahead <- struct{}{}:
				case <-ctx.Done():
				}
				i := int(next.Add(1) - 1)
				if i >= len(tasks) {
					return
				}
				if ctx.Err() != nil {
					close(chans[i])
					continue
				}
				ws := &workerSink{ctx: ctx, out: chans[i], pool: pool, tmp: tmp, index: int64(i), taking: &taking}
				c := tasks[i].chunk
				if c == nil {
					runTask(ctx, tasks[i], ws, opts)
					continue
				}
				c.waitTurn(ctx)
				opts.noteParsing(c.index, true)
				runTask(ctx, tasks[i], ws, opts)
				opts.noteParsing(c.index, false)
				close(c.parsed)
			}
		}()
	}
	defer wg.Wait()
	// The sink takes the tasks' output in task order. A file's record
	// (sink.AddFile) is made from its result, with the counts of what the
	// sink did with its events; a chunked file's results add up over its
	// chunks first.
	var res []timeline.AddResult
	var tally fileTally               // the current file's, until its record is announced
	tallies := map[string]fileTally{} // files that reached an importer, by path
	var split FileResult              // a chunked file's result, gathered over its chunks
	// take hands the sink one batch, reject or file's end.
	take := func(it item) error {
		switch {
		case it.batch != nil:
			var err error
			res, err = sink.AddBatch(it.batch, res[:0])
			tally.count(res)
			opts.Progress.Events.Add(int64(len(res)))
			it.batch.Reset()
			pool.Put(it.batch)
			return err
		case it.reject != nil:
			return sink.Reject(it.reject)
		default:
			tallies[it.file] = tally
			tally = fileTally{}
			return nil
		}
	}
	for i, t := range tasks {
		taking.Store(int64(i))
		if err := ctx.Err(); err != nil {
			drain(chans[i:])
			return results, err
		}
		if t.chunk != nil && t.chunk.index == 0 {
			// The file's events carry timeline.PendingSHA256 (its chunks
			// are parsed while it is hashed): the run asks for the hash
			// when it writes them.
			sink.HashLater(t.in.path, t.chunk.hash.done, t.chunk.hash.wait)
		}
		for it := range chans[i] {
			switch {
			case it.batch != nil || it.reject != nil || it.file != "":
				if err := take(it); err != nil {
					cancel()
					drain(chans[i:])
					return results, err
				}
			case it.over != nil:
				err := it.over.replay(ctx, pool, take)
				it.over.release()
				if err != nil {
					cancel()
					drain(chans[i:])
					return results, err
				}
			default: // the task is done
				// A chunked file's result needs its hash only once its
				// last chunk is done: waiting earlier stopped this loop,
				// and the parsers behind it, while the file was hashed.
				last := t.chunk != nil && t.chunk.index == t.chunk.of-1
				var sum string
				if last {
					var err error
					if sum, err = t.chunk.hash.wait(); err != nil {
						cancel()
						drain(chans[i+1:])
						return results, fmt.Errorf("hash %s: %w", t.in.path, err)
					}
				}
				for _, r := range it.done {
					tl, imported := tallies[r.Path]
					delete(tallies, r.Path)
					if imported {
						tl.fill(&r)
					}
					switch {
					case t.chunk == nil:
						if imported {
							sink.AddFile(r.record())
						}
						results = append(results, r)
					case t.chunk.index == 0:
						split = r
					default:
						split.add(r)
					}
				}
				if last {
					if split.SHA256 == timeline.PendingSHA256 {
						split.SHA256 = sum
					}
					sink.AddFile(split.record())
					results = append(results, split)
				}
				if it.err != nil {
					cancel()
					drain(chans[i+1:])
					return results, it.err
				}
			}
		}
		<-ahead // task i is taken
	}
	// A task whose worker saw the context end closes its channel without
	// a word: the import was cut short.
	return results, ctx.Err()
}

// drain empties the channels of tasks that will not be taken, so that
// their workers can finish.
func drain(chans []chan item) {
	for _, c := range chans {
		for it := range c {
			if it.over != nil {
				it.over.release()
			}
		}
	}
}

// fileTally counts what the sink did with one file's events.
type fileTally struct{ added, dups, collisions int64 }

func (t *fileTally) count(res []timeline.AddResult) {
	for _, r := range res {
		switch r {
		case timeline.Added:
			t.added++
		case timeline.Duplicate:
			t.dups++
		case timeline.Collision:
			t.collisions++
		}
	}
}

// fill puts the sink's counts into a file's result; its read count, made
// by the worker, is already right.
func (t fileTally) fill(r *FileResult) {
	r.Imported, r.Duplicates, r.Collisions = t.added+t.collisions, t.dups, t.collisions
}

// add adds a later chunk's result to its file's.
func (r *FileResult) add(c FileResult) {
	r.Read += c.Read
	r.Imported += c.Imported
	r.Duplicates += c.Duplicates
	r.Rejected += c.Rejected
	r.Collisions += c.Collisions
	r.Shape = mergeList(r.Shape, c.Shape)
	if r.Error == "" {
		r.Error = c.Error
	}
	for _, n := range c.Notes {
		if !slices.Contains(r.Notes, n) {
			r.Notes = append(r.Notes, n)
		}
	}
}

func mergeList(a, b string) string {
	if a == "" {
		return b
	}
	out := strings.Split(a, ",")
	for _, s := range strings.Split(b, ",") {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return strings.Join(out, ",")
}

// runTask imports one task, sending its output through ws to its
// channel, and closes the channel.
func runTask(ctx context.Context, t task, ws *workerSink, opts *Options) {
	defer close(ws.out)
	if t.chunk != nil {
		ws.hash = t.chunk.hash
	}
	var rs []FileResult
	var err error
	if t.chunk == nil {
		rs, err = importPath(ctx, ws, t.in, opts)
	} else {
		rs, err = importChunk(ctx, ws, t, opts)
	}
	if ws.err != nil && err == nil {
		err = ws.err
	}
	if ferr := ws.flush(); ferr != nil && err == nil {
		err = ferr
	}
	if ws.over != nil {
		ws.over.close() // the results follow it in the channel
	}
	select {
	case ws.out <- item{done: rs, err: err}:
	case <-ctx.Done():
	}
}

// workerSink is the Sink a worker's importers see: it batches events and
// passes everything on, in order, to the task's channel.
type workerSink struct {
	ctx   context.Context
	out   chan item // the task's, with one slot kept for an overflow's marker
	pool  *sync.Pool
	batch *timeline.Batch
	err   error
	hash  *fileHash // a chunk's file's hash, while its events say timeline.PendingSHA256

	// An overflow: where the task's items go while its queue is full and
	// the sink is still on an earlier task (see overflow).
	tmp        tempFiler     // gives the overflow's file; nil: no overflow
	index      int64         // the task's
	taking     *atomic.Int64 // the task the sink takes
	over       *overflow     // the open overflow
	overflowed bool          // one overflow a task: the marker's slot is used
}

func (w *workerSink) send(it item) error {
	if w.over != nil {
		if err := w.ctx.Err(); err != nil {
			w.err = err
			return err
		}
		if !w.over.full() && w.taking.Load() < w.index {
			if err := w.over.put(it); err != nil {
				w.err = err
				return err
			}
			if it.batch != nil {
				it.batch.Reset()
				w.pool.Put(it.batch)
			}
			return nil
		}
		// Full, or the sink has come to this task: the rest goes through
		// the channel, after the overflow.
		w.over.close()
		w.over = nil
	}
	if !w.overflowed && w.tmp != nil && len(w.out) >= cap(w.out)-1 && w.taking.Load() < w.index {
		w.overflowed = true
		if f, err := w.tmp.TempFile(); err == nil {
			w.over = newOverflow(f)
			w.out <- item{over: w.over} // the slot kept for it: never blocks
			return w.send(it)
		}
	}
	select {
	case w.out <- it:
		return nil
	case <-w.ctx.Done():
		w.err = w.ctx.Err()
		return w.err
	}
}

func (w *workerSink) flush() error {
	if w.batch == nil || w.batch.Len() == 0 {
		return nil
	}
	b := w.batch
	w.batch = nil
	return w.send(item{batch: b})
}

// Add prepares the event; the sink's real verdict (added, duplicate) is
// counted when the batch is stored.
func (w *workerSink) Add(e *timeline.Event) (timeline.AddResult, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.batch == nil {
		w.batch = w.pool.Get().(*timeline.Batch)
	}
	if w.hash != nil && e.FileSHA256 == timeline.PendingSHA256 && strings.HasPrefix(e.ID, "h:") &&
		e.ID == timeline.FallbackID(timeline.PendingSHA256, e.Offset) {
		// An id made from the file's hash (a record without one of its
		// own) needs the real hash now.
		sum, err := w.hash.wait()
		if err != nil {
			w.err = fmt.Errorf("hash %s: %w", e.File, err)
			return 0, w.err
		}
		fixed := *e
		fixed.ID, fixed.FileSHA256 = timeline.FallbackID(sum, e.Offset), sum
		e = &fixed
	}
	if err := w.batch.Add(e); err != nil {
		return 0, err
	}
	if w.batch.Len() >= batchEvents || w.batch.Size() >= batchBytes {
		if err := w.flush(); err != nil {
			return 0, err
		}
	}
	return timeline.Added, nil
}

func (w *workerSink) Reject(pe *timeline.ParseError) error {
	if err := w.flush(); err != nil {
		return err
	}
	c := *pe
	c.Raw = bytes.Clone(pe.Raw)
	return w.send(item{reject: &c})
}

// AddFile marks the end of a file's events; the consumer makes its
// record from the file's result.
func (w *workerSink) AddFile(f timeline.FileRecord) {
	if w.flush() == nil {
		w.send(item{file: f.Path})
	}
}

// planTasks turns the inputs into tasks: one per file, except that a large
// plain NDJSON file becomes several chunks, each starting at a record.
func planTasks(ctx context.Context, inputs []input, workers int, opts *Options) []task {
	var out []task
	for _, in := range inputs {
		chunks := splitNDJSON(ctx, in, workers, opts)
		if len(chunks) < 2 {
			out = append(out, task{in: in})
			continue
		}
		for _, c := range chunks {
			out = append(out, task{in: in, chunk: c})
		}
	}
	return out
}

// splitNDJSON returns the chunks of a large uncompressed NDJSON file, or
// nil when the file is small or not NDJSON. A chunk boundary is a line
// that starts with '{' after a line that ends with '}': in valid JSON that
// happens only between top-level values.
func splitNDJSON(ctx context.Context, in input, workers int, opts *Options) []*chunk {
	size := opts.chunkSize()
	if in.path == "-" || in.size < 2*size || workers < 2 {
		return nil
	}
	f, err := os.Open(in.path)
	if err != nil {
		return nil
	}
	defer f.Close()
	head := make([]byte, headSize)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	if len(head) < 4 || string(head[:2]) == "\x1f\x8b" || string(head[:4]) == "PK\x03\x04" {
		return nil
	}
	if firstNonSpace(stripBOM(head)) != '{' || !bytes.Contains(head, []byte("}\n{")) {
		return nil
	}
	imp := detect(opts.Importers, filepath.Base(in.path), head)
	if imp == nil {
		return nil
	}
	var starts []int64
	// A boundary is looked for in the 64 KiB after each chunk's nominal
	// start; where a record is longer, the chunk goes on to the next one.
	buf := make([]byte, min(64<<10, size))
	for pos := size; pos < in.size-size/2; pos += size {
		n, _ := f.ReadAt(buf, pos)
		i := bytes.Index(buf[:n], []byte("}\n{"))
		if i < 0 {
			continue
		}
		s := pos + int64(i) + 2
		if len(starts) == 0 || s > starts[len(starts)-1] {
			starts = append(starts, s)
		}
	}
	if len(starts) == 0 {
		return nil
	}
	hash := hashAsync(ctx, in.path, opts.hashOpen)
	starts = append([]int64{0}, starts...)
	var out []*chunk
	for i, s := range starts {
		end := in.size
		if i+1 < len(starts) {
			end = starts[i+1]
		}
		c := &chunk{start: s, end: end, index: i, of: len(starts), hash: hash, imp: imp, parsed: make(chan struct{})}
		if i > 0 {
			c.prev = out[i-1]
		}
		out = append(out, c)
	}
	return out
}

// importChunk imports one chunk of a file with the importer the file's
// head chose, with offsets counted from the start of the file.
func importChunk(ctx context.Context, sink Sink, t task, opts *Options) ([]FileResult, error) {
	c := t.chunk
	f, err := os.Open(t.in.path)
	if err != nil {
		return []FileResult{{Path: t.in.path, Error: fmt.Sprintf("cannot read: %v", unwrapPathError(err))}}, nil
	}
	defer f.Close()
	cr := &countingReader{r: io.NewSectionReader(f, c.start, c.end-c.start), p: opts.Progress}
	chunkOpts := *opts
	chunkOpts.forced = c.imp
	res, err := importStreamAt(ctx, sink, t.in.path, timeline.PendingSHA256, t.in.size, c.start, cr, &chunkOpts)
	return []FileResult{res}, err
}

// workersFor returns how many goroutines parse: Options.Workers, or the
// cores the process may use.
func workersFor(opts *Options) int {
	if opts.Workers > 0 {
		return opts.Workers
	}
	return runtime.GOMAXPROCS(0)
}
