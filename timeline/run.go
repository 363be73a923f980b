package timeline

import (
	"bufio"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"
)

// RunOptions tunes an import run.
type RunOptions struct {
	// Now is the clock (time.Now when nil); tests fix it.
	Now func() time.Time
	// MaxBuffered bounds the bytes of events held before they are written
	// out as a sorted Parquet file (64 MiB when zero).
	MaxBuffered int64
	// RowGroupRows bounds the rows of one row group (128k when zero).
	RowGroupRows int64
}

// AddResult says what Run.Add did with an event.
type AddResult int

// What Run.Add can do with an event.
const (
	Added     AddResult = iota // new event, stored
	Duplicate                  // same source, id and happening (see detailHash) seen before: not stored again
	Collision                  // provider id seen before for another happening: stored under a suffixed id
)

// ErrLocked is returned when another import holds the case.
var ErrLocked = errors.New("another import is running on this case")

// Run is one import run: it buffers, sorts and writes events as Parquet,
// keeps the rejects, and makes everything visible at once in Commit by
// writing the manifest last. Until then the case is as it was; Abort (or a
// crash) leaves it so.
type Run struct {
	c        *Case
	id       string
	opts     RunOptions
	started  time.Time
	lock     *os.File
	m        Manifest
	idx      *dedupe
	parts    map[partKey]*partBuf
	chunks   *chunkPool // the partitions' arena chunks
	last     partKey    // the partition of the last event, and its buffer
	lastBuf  *partBuf
	buffered int64
	seq      atomic.Int64
	files    []FileRecord
	rejects  *os.File
	rejectsW *bufio.Writer
	rejected int64
	done     bool

	// One goroutine writes Parquet files and spills while Add goes on
	// filling the next buffer, so that parsing and writing use both
	// cores. spills, spillFiles and spillSeq belong to it until it stops.
	jobs       chan job
	writerDone sync.WaitGroup
	closed     bool
	spills     map[partKey][]spillSeg
	spillFiles []*os.File
	spillSeq   int
	mu         sync.Mutex // guards written, newParts and werr
	written    []string   // files written by this run, removed on Abort
	newParts   []PartRecord
	werr       error     // the writer's first error
	writers    sync.Pool // of *parquet.GenericWriter[row], closed, for reuse

	hashMu sync.Mutex
	later  map[string]*laterHash // files whose events say PendingSHA256 (HashLater)

	spillsGone chan struct{} // closed when closeSpills has removed the spill files
	wbq        chan string   // parts for writeback
	wbDone     chan struct{}
	wbStop     atomic.Bool
	wbOnce     sync.Once
}

// PendingSHA256 stands for a file's SHA-256 in its events while the file
// is still being hashed: a large file is parsed in chunks on several cores
// as it is hashed, and its events go into the run at once (HashLater).
// Waiting for the hash first kept a core idle while it was computed (a
// second on a 575 MB file). It has a hash's length, 64 bytes.
const PendingSHA256 = "????????????????????????????????????????????????????????????????"

// laterHash is a file's hash, asked for once.
type laterHash struct {
	once sync.Once
	done <-chan struct{}
	hash func() (string, error)
	sum  string
	err  error
}

// HashLater tells the run that file's events may say PendingSHA256 until
// hash returns the file's SHA-256, which it does without waiting once done
// is closed. The run asks for it once done is closed, and writes the hash
// in the placeholder's place; if hash fails, so does the run. Until done is
// closed the run writes such events' other columns and holds back their
// file_sha256 (see partWriter.held); a part or row group of them waits for
// done to end, so done must not wait for the run.
func (r *Run) HashLater(file string, done <-chan struct{}, hash func() (string, error)) {
	r.hashMu.Lock()
	defer r.hashMu.Unlock()
	if r.later == nil {
		r.later = map[string]*laterHash{}
	}
	r.later[strings.Clone(file)] = &laterHash{done: done, hash: hash}
}

// fileSHA256 is the hash HashLater gives for file. Unless wait is set, it
// reports ok false, without waiting, while the hash is still being computed.
func (r *Run) fileSHA256(file string, wait bool) (sum string, ok bool, err error) {
	r.hashMu.Lock()
	l := r.later[file]
	r.hashMu.Unlock()
	if l == nil {
		return "", false, fmt.Errorf("%s: an event says its file's hash is pending, and none was promised", file)
	}
	if wait {
		<-l.done
	} else {
		select {
		case <-l.done:
		default:
			return "", false, nil
		}
	}
	l.once.Do(func() {
		l.sum, l.err = l.hash()
		if l.err != nil {
			l.err = fmt.Errorf("hash %s: %w", file, l.err)
		}
	})
	return l.sum, true, l.err
}

// job is the writer's work: a partition to write, or buffers to spill.
type job struct {
	write *writeJob
	spill []keyedBuf
}

type keyedBuf struct {
	key partKey
	buf *partBuf
}

// BeginRun starts an import run. It takes the case's lock (one import at a
// time), removes what crashed runs left behind, and loads the
// deduplication index.
func (c *Case) BeginRun(opts RunOptions) (*Run, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxBuffered <= 0 {
		opts.MaxBuffered = 32 << 20
	}
	if opts.RowGroupRows <= 0 {
		opts.RowGroupRows = 128 << 10
	}
	lock, err := os.OpenFile(filepath.Join(c.dir, lockName), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock case: %w", err)
	}
	if err := tryLock(lock); err != nil {
		lock.Close()
		if errors.Is(err, ErrLocked) {
			return nil, fmt.Errorf("%s: %w", c.dir, ErrLocked)
		}
		return nil, fmt.Errorf("lock case %s: %w", c.dir, err)
	}
	// Read the manifest again under the lock: the snapshot c holds may be
	// older than the last run.
	m, err := readManifest(c.dir)
	if err != nil {
		unlock(lock)
		return nil, err
	}
	r := &Run{c: c, opts: opts, started: opts.Now().UTC(), lock: lock, m: m, parts: map[partKey]*partBuf{}}
	r.id = newRunID(r.started)
	r.chunks = newChunkPool(opts.MaxBuffered)
	if err := removeOrphans(c.dir, &m); err != nil {
		unlock(lock)
		return nil, err
	}
	r.jobs = make(chan job)
	r.writerDone.Add(1)
	go r.writer()
	r.wbq, r.wbDone = make(chan string, 1024), make(chan struct{})
	go r.writeback()
	base := ""
	if m.Index != "" {
		base = filepath.Join(c.dir, filepath.FromSlash(m.Index))
	}
	if r.idx, err = openDedupe(base, filepath.Join(c.dir, stagingDir, r.id, "dedupe")); err != nil {
		r.stopWriter()
		r.stopWriteback()
		os.RemoveAll(filepath.Join(c.dir, stagingDir))
		unlock(lock)
		return nil, fmt.Errorf("load dedupe index: %w", err)
	}
	return r, nil
}

func unlock(f *os.File) {
	unlockFile(f)
	f.Close()
}

// ID returns the run id.
func (r *Run) ID() string { return r.id }

// Add stores one event unless it is a duplicate. The event must be valid.
// Add copies what it keeps: the event and its strings may be reused as
// soon as it returns.
func (r *Run) Add(e *Event) (AddResult, error) {
	if r.done {
		return 0, errors.New("run is finished")
	}
	if err := e.Validate(); err != nil {
		return 0, err
	}
	res, err := r.idx.add(idHash(e.Source, e.ID), detailHash(e))
	if err != nil {
		return 0, err
	}
	if res == Duplicate {
		return Duplicate, nil
	}
	id := e.ID
	if res == Collision {
		id = collisionID(e.ID, detailHash(e))
	}
	p := r.partition(partKey{e.Source, dayOf(e.Time)})
	r.buffered += p.add(e, id)
	if err := r.relieve(); err != nil {
		return 0, err
	}
	return res, nil
}

// partition returns the buffer of partition k, making it if needed.
func (r *Run) partition(k partKey) *partBuf {
	if r.lastBuf != nil && k == r.last {
		return r.lastBuf
	}
	p := r.parts[k]
	if p == nil {
		k.source = strings.Clone(k.source)
		p = &partBuf{pool: r.chunks}
		r.parts[k] = p
	}
	r.last, r.lastBuf = k, p
	return p
}

// collisionID is the id an event is stored under when its provider id
// was seen before for another happening.
func collisionID(id string, detail uint32) string { return fmt.Sprintf("%s~%08x", id, detail) }

// relieve makes room when the buffer is full: partitions big enough for a
// part of their own go to Parquet; if the buffer is still more than half
// full, the rest is spilled. A file whose hash is still being computed
// (HashLater) is written as any other: its events' hash waits in the part
// writer (partWriter.held). Spilling them instead cost the 400k CloudTrail
// import 12 % of its CPU (s2, the spill file's reads and writes), and the
// merge of the spilled day was the commit's last, one-core second.
func (r *Run) relieve() error {
	if r.buffered <= r.opts.MaxBuffered {
		return nil
	}
	var big []keyedBuf
	for k, p := range r.parts {
		if len(p.refs) >= smallPartRows {
			big = append(big, keyedBuf{k, p})
		}
	}
	slices.SortFunc(big, func(a, b keyedBuf) int { return comparePartKeys(a.key, b.key) })
	for _, kp := range big {
		delete(r.parts, kp.key)
		r.buffered -= kp.buf.bytes
		if err := r.send(job{write: &writeJob{key: kp.key, mem: kp.buf}}); err != nil {
			return err
		}
	}
	r.lastBuf = nil
	if r.buffered <= r.opts.MaxBuffered/2 {
		return nil
	}
	rest := r.takeParts()
	return r.send(job{spill: rest})
}

// takeParts empties the buffer and returns its partitions in key order.
func (r *Run) takeParts() []keyedBuf {
	var out []keyedBuf
	for k, p := range r.parts {
		out = append(out, keyedBuf{k, p})
	}
	slices.SortFunc(out, func(a, b keyedBuf) int { return comparePartKeys(a.key, b.key) })
	r.parts = map[partKey]*partBuf{}
	r.lastBuf = nil
	r.buffered = 0
	return out
}

// send hands a job to the writer; it blocks while the writer is busy with
// the previous one.
func (r *Run) send(j job) error {
	r.mu.Lock()
	err := r.werr
	r.mu.Unlock()
	if err != nil {
		return err
	}
	r.jobs <- j
	return nil
}

// Reject records a record that could not be normalized, with its raw bytes.
func (r *Run) Reject(pe *ParseError) error {
	if r.rejects == nil {
		name := r.staged(path.Join(rejectsDir, r.id+".jsonl"))
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			return err
		}
		f, err := os.Create(name)
		if err != nil {
			return fmt.Errorf("rejects: %w", err)
		}
		r.track(name)
		r.rejects, r.rejectsW = f, bufio.NewWriterSize(f, 256<<10)
	}
	rec := struct {
		Run      string `json:"run"`
		File     string `json:"file"`
		Offset   int64  `json:"offset"`
		Line     int    `json:"line,omitempty"`
		Importer string `json:"importer"`
		Reason   string `json:"reason"`
		Raw      string `json:"raw"`
	}{r.id, pe.File, pe.Offset, pe.Line, pe.Importer, errString(pe.Err), string(pe.Raw)}
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	r.rejected++
	r.rejectsW.Write(b)
	return r.rejectsW.WriteByte('\n')
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// AddFile records an imported file in the manifest the run will write.
func (r *Run) AddFile(f FileRecord) {
	f.Run = r.id
	r.files = append(r.files, f)
}

// track records files the run writes, to remove on Abort.
func (r *Run) track(files ...string) {
	r.mu.Lock()
	r.written = append(r.written, files...)
	r.mu.Unlock()
}

func (r *Run) fail(err error) {
	r.mu.Lock()
	if r.werr == nil {
		r.werr = err
	}
	r.mu.Unlock()
}

func (r *Run) failed() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.werr
}

// writer does the jobs, one at a time, in order.
func (r *Run) writer() {
	defer r.writerDone.Done()
	for j := range r.jobs {
		if r.failed() != nil {
			continue
		}
		if j.spill != nil {
			if err := r.spill(j.spill); err != nil {
				r.fail(err)
			}
			continue
		}
		r.doWrite(*j.write)
	}
}

func (r *Run) doWrite(j writeJob) {
	parts, err := r.write(j)
	r.mu.Lock()
	r.newParts = append(r.newParts, parts...)
	r.mu.Unlock()
	if err != nil {
		r.fail(err)
	}
}

// stopWriter ends the writer goroutine and waits for it.
func (r *Run) stopWriter() {
	if !r.closed {
		r.closed = true
		close(r.jobs)
	}
	r.writerDone.Wait()
}

// finishParts writes every partition still buffered or spilled, merging
// each into as few parts as it can, on as many goroutines as there are
// cores (at most 2: each holds a row group in memory).
func (r *Run) finishParts() error {
	r.stopWriter()
	if err := r.failed(); err != nil {
		return err
	}
	byKey := map[partKey]*writeJob{}
	for _, kp := range r.takeParts() {
		byKey[kp.key] = &writeJob{key: kp.key, mem: kp.buf}
	}
	for k, segs := range r.spills {
		j := byKey[k]
		if j == nil {
			j = &writeJob{key: k}
			byKey[k] = j
		}
		j.spills = segs
	}
	jobs := make([]writeJob, 0, len(byKey))
	for _, j := range byKey {
		jobs = append(jobs, *j)
	}
	slices.SortFunc(jobs, func(a, b writeJob) int { return comparePartKeys(a.key, b.key) })
	workers := min(2, runtime.GOMAXPROCS(0), max(len(jobs), 1))
	next := make(chan writeJob)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				if r.failed() == nil {
					r.doWrite(j)
				}
			}
		}()
	}
	for _, j := range jobs {
		next <- j
	}
	close(next)
	wg.Wait()
	r.closeSpills()
	// The manifest lists parts in a stable order.
	slices.SortFunc(r.newParts, func(a, b PartRecord) int {
		return cmp.Or(strings.Compare(a.Source, b.Source), strings.Compare(a.Date, b.Date), strings.Compare(a.Path, b.Path))
	})
	return r.failed()
}

// closeSpills closes the spill files and removes them on a goroutine of
// its own (unlinking gigabytes took ext4 half a second), while the commit
// writes the index and waits for the disk; waitSpillsGone waits for it.
// Spills are made only before finishParts, so there is one such goroutine
// at most: a second call finds no files.
func (r *Run) closeSpills() {
	files := r.spillFiles
	r.spillFiles, r.spills = nil, nil
	if len(files) == 0 {
		return
	}
	for _, f := range files {
		f.Close()
	}
	done := make(chan struct{})
	r.spillsGone = done
	go func() {
		defer close(done)
		for _, f := range files {
			os.Remove(f.Name())
		}
	}()
}

func (r *Run) waitSpillsGone() {
	if r.spillsGone != nil {
		<-r.spillsGone
	}
}

// writeback starts the write-back of each part it is given (see
// startWriteback) off the writers' goroutines: on a congested disk even
// this call waits. After stopWriteback it only drains its queue.
func (r *Run) writeback() {
	defer close(r.wbDone)
	for p := range r.wbq {
		if r.wbStop.Load() {
			continue
		}
		if f, err := os.Open(p); err == nil {
			startWriteback(f)
			f.Close()
		}
	}
}

// queueWriteback hands a written part to writeback, unless its queue is
// full (the commit's fsync writes the part either way).
func (r *Run) queueWriteback(path string) {
	select {
	case r.wbq <- path:
	default:
	}
}

// stopWriteback ends writeback, dropping what it has not started, and
// waits for it: files are about to be synced and moved.
func (r *Run) stopWriteback() {
	r.wbStop.Store(true)
	r.wbOnce.Do(func() { close(r.wbq) })
	<-r.wbDone
}

// newParquetWriter is how every part is written: zstd, bounded row
// groups, small pages (a fine page index on time), sorted by time. The raw
// column alone is Snappy (see rawCodec).
func newParquetWriter(f *os.File, rowGroupRows int64) *parquet.GenericWriter[row] {
	return parquet.NewGenericWriter[row](f,
		rowSchema(),
		parquet.Compression(&zstd.Codec{Level: zstd.SpeedFastest}),
		parquet.MaxRowsPerRowGroup(rowGroupRows),
		parquet.PageBufferSize(64<<10),
		// Pages' min and max go to the column index (which queries read);
		// a second copy in every page header cost 2% of an import.
		parquet.DataPageStatistics(false),
		// Bounds of free text, raw records and ids answer no query (they are
		// in no order) and cost 2.5% of an import; the column index keeps the
		// bounds of time, which window queries read, and of the small
		// columns that other Parquet readers may filter on.
		parquet.SkipPageBounds("raw"), parquet.SkipPageBounds("message"), parquet.SkipPageBounds("id"),
		parquet.SkipPageBounds("correlation_id"), parquet.SkipPageBounds("token_id"), parquet.SkipPageBounds("session_id"),
		parquet.SkipPageBounds("issued_id"), parquet.SkipPageBounds("target"), parquet.SkipPageBounds("user_agent"),
		parquet.SortingWriterConfig(parquet.SortingColumns(parquet.Ascending("time"))),
		parquet.KeyValueMetadata("causeway.schema_version", fmt.Sprint(SchemaVersion)),
	)
}

// resetWriter readies a closed writer for the next part, in f. Reset
// clears the last file's column paths in place (ColumnMetaData.Reset), and
// in parquet-go v0.32.0 those are the column writers' own paths, so every
// later file would name no column: the metadata gets copies first.
// TestPartCodecs checks every part's paths.
func resetWriter(w *parquet.GenericWriter[row], f *os.File) {
	if fv := w.File(); fv != nil {
		for i := range fv.Metadata().RowGroups {
			cols := fv.Metadata().RowGroups[i].Columns
			for j := range cols {
				cols[j].MetaData.PathInSchema = slices.Clone(cols[j].MetaData.PathInSchema)
			}
		}
	}
	w.Reset(f)
}

// Commit writes what is still buffered, the index and the rejects, then
// the manifest: from that moment the run's events are part of the case.
func (r *Run) Commit() (RunRecord, error) {
	if r.done {
		return RunRecord{}, errors.New("run is finished")
	}
	// The dedupe index is written while the last parts are: it needs
	// nothing of them, and its sync waits on the disk, which then overlaps
	// the parts' encoding instead of following it.
	m := r.m
	oldIndex := m.Index
	indexRel := path.Join(indexDir, r.id+".idx")
	writeIndex := r.idx.grew() || m.Index == ""
	indexDone := make(chan error, 1)
	if writeIndex {
		full := r.staged(indexRel)
		r.track(full)
		go func() {
			err := os.MkdirAll(filepath.Dir(full), 0o755)
			if err == nil {
				err = r.idx.commit(full)
			}
			indexDone <- err
		}()
	} else {
		indexDone <- nil
	}
	err := r.finishParts()
	if ierr := <-indexDone; err == nil && ierr != nil {
		err = fmt.Errorf("save dedupe index: %w", ierr)
	}
	if err != nil {
		r.Abort()
		return RunRecord{}, err
	}
	if writeIndex {
		m.Index = indexRel
	}
	rec := RunRecord{ID: r.id, Started: r.started, Files: len(r.files)}
	for _, f := range r.files {
		rec.Imported += f.Imported
		rec.Duplicates += f.Duplicates
		rec.Rejected += f.Rejected
	}
	if r.rejects != nil {
		err := r.rejectsW.Flush()
		if err == nil {
			err = r.rejects.Sync()
		}
		if cerr := r.rejects.Close(); err == nil {
			err = cerr
		}
		r.rejects = nil
		if err != nil {
			r.Abort()
			return RunRecord{}, fmt.Errorf("rejects: %w", err)
		}
		rec.Rejects = path.Join(rejectsDir, r.id+".jsonl")
	}
	// Move the run's files from staging into place, then sync the
	// directories: only then may the manifest name them.
	if err := r.publish(); err != nil {
		r.Abort()
		return RunRecord{}, err
	}
	rec.Finished = r.opts.Now().UTC()
	m.Files = append(slices.Clone(m.Files), r.files...)
	m.Runs = append(slices.Clone(m.Runs), rec)
	m.Parts = append(slices.Clone(m.Parts), r.newParts...)
	if err := writeManifest(r.c.dir, &m); err != nil {
		r.Abort()
		return RunRecord{}, fmt.Errorf("write manifest: %w", err)
	}
	r.done = true
	r.idx.close()
	if oldIndex != "" && oldIndex != m.Index {
		os.Remove(filepath.Join(r.c.dir, filepath.FromSlash(oldIndex)))
	}
	r.c.m = m
	unlock(r.lock)
	return rec, nil
}

// staged returns where the run writes the file that will live at rel.
func (r *Run) staged(rel string) string {
	return filepath.Join(r.c.dir, stagingDir, r.id, filepath.FromSlash(rel))
}

// publish syncs the run's staged files, renames them to their places in
// the case and syncs the directories they went to.
func (r *Run) publish() error {
	r.stopWriteback()
	if err := syncFiles(r.written); err != nil {
		return err
	}
	stage := filepath.Join(r.c.dir, stagingDir, r.id)
	dirs := map[string]bool{}
	for i, f := range r.written {
		rel, err := filepath.Rel(stage, f)
		if err != nil || !filepath.IsLocal(rel) {
			return fmt.Errorf("staged file outside staging: %s", f)
		}
		dst := filepath.Join(r.c.dir, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.Rename(f, dst); err != nil {
			return err
		}
		r.written[i] = dst
		dirs[filepath.Dir(dst)] = true
	}
	for d := range dirs {
		if err := syncDir(d); err != nil {
			return err
		}
	}
	r.waitSpillsGone()
	os.RemoveAll(filepath.Join(r.c.dir, stagingDir))
	return nil
}

// Abort drops the run: it removes every file the run wrote and leaves the
// case exactly as it was. Abort after Commit does nothing.
func (r *Run) Abort() error {
	if r.done {
		return nil
	}
	r.done = true
	r.stopWriter()
	r.stopWriteback()
	r.closeSpills()
	r.waitSpillsGone()
	r.idx.close()
	if r.rejects != nil {
		r.rejects.Close()
	}
	for _, f := range r.written {
		os.Remove(f)
	}
	os.RemoveAll(filepath.Join(r.c.dir, stagingDir))
	unlock(r.lock)
	return nil
}

// removeOrphans deletes files under events/, index/ and rejects/ that the
// manifest does not name: what a crashed or killed run left behind.
func removeOrphans(dir string, m *Manifest) error {
	keep := map[string]bool{}
	for _, p := range m.Parts {
		keep[p.Path] = true
		if p.Stats != "" {
			keep[p.Stats] = true
		}
	}
	if m.Index != "" {
		keep[m.Index] = true
	}
	for _, r := range m.Runs {
		if r.Rejects != "" {
			keep[r.Rejects] = true
		}
	}
	for _, sub := range []string{eventsDir, indexDir, rejectsDir} {
		root := filepath.Join(dir, sub)
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return nil
				}
				return err
			}
			if d.IsDir() {
				return nil
			}
			rel, err := filepath.Rel(dir, p)
			if err != nil {
				return err
			}
			if !keep[filepath.ToSlash(rel)] {
				return os.Remove(p)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("clean up after an earlier run: %w", err)
		}
	}
	if err := os.RemoveAll(filepath.Join(dir, stagingDir)); err != nil {
		return fmt.Errorf("clean up after an earlier run: %w", err)
	}
	// Temporary manifests of a crashed commit.
	tmps, _ := filepath.Glob(filepath.Join(dir, ".tmp-"+manifestName+"-*"))
	for _, t := range tmps {
		os.Remove(t)
	}
	return nil
}

// idHash and detailHash are the deduplication keys: FNV-1a over (source,
// id), and over what the record says happened — time in µs, action,
// actor, target, outcome and client address, as normalized. The same
// record read twice (the .json and .json.gz of one export, overlapping
// exports, another export shape of the same record) has equal keys; records
// that reuse a provider id for another happening are kept (as collisions).
// The keys are persisted, so they must never change for a schema version.
func idHash(source, id string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(source); i++ {
		h = (h ^ uint64(source[i])) * 1099511628211
	}
	h = (h ^ 0xff) * 1099511628211
	for i := 0; i < len(id); i++ {
		h = (h ^ uint64(id[i])) * 1099511628211
	}
	if h == 0 {
		h = 1 // 0 marks an empty slot
	}
	return h
}

func detailHash(e *Event) uint32 {
	h := uint32(2166136261)
	us := uint64(e.Time.UnixMicro())
	for i := range 8 {
		h = (h ^ uint32(byte(us>>(8*i)))) * 16777619
	}
	for _, s := range [...]string{e.Action, e.Actor, e.Target, string(e.Outcome), e.SrcIP} {
		for i := 0; i < len(s); i++ {
			h = (h ^ uint32(s[i])) * 16777619
		}
		h = (h ^ 0xff) * 16777619
	}
	return h
}
