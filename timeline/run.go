package timeline

import (
	"bufio"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
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
	idx      *dedupeIndex
	parts    map[partKey]*partBuf
	buffered int64
	seq      int
	newParts []PartRecord
	files    []FileRecord
	rejects  *os.File
	rejectsW *bufio.Writer
	rejected int64
	done     bool
	interned map[string]string

	// One goroutine writes Parquet files while Add goes on filling the
	// next buffer, so that parsing and writing use both cores.
	jobs       chan flushJob
	writerDone sync.WaitGroup
	closed     bool
	mu         sync.Mutex // guards written, newParts and werr
	written    []string   // files written by this run, removed on Abort
	werr       error      // the writer's first error
}

// flushJob is one partition's events on their way to a Parquet file.
type flushJob struct {
	k      partKey
	seq    int
	events []Event
}

type partKey struct{ source, date string }

type partBuf struct {
	events []Event
	bytes  int64
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
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		return nil, fmt.Errorf("%s: %w", c.dir, ErrLocked)
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
	if err := removeOrphans(c.dir, &m); err != nil {
		unlock(lock)
		return nil, err
	}
	r.jobs = make(chan flushJob)
	r.writerDone.Add(1)
	go r.writer()
	r.idx = newDedupeIndex(1 << 16)
	if m.Index != "" {
		if err := r.idx.load(filepath.Join(c.dir, filepath.FromSlash(m.Index))); err != nil {
			r.stopWriter()
			unlock(lock)
			return nil, fmt.Errorf("load dedupe index: %w", err)
		}
	}
	return r, nil
}

func unlock(f *os.File) {
	_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	f.Close()
}

// ID returns the run id.
func (r *Run) ID() string { return r.id }

// Add stores one event unless it is a duplicate. The event must be valid.
func (r *Run) Add(e *Event) (AddResult, error) {
	if r.done {
		return 0, errors.New("run is finished")
	}
	if err := e.Validate(); err != nil {
		return 0, err
	}
	res := r.idx.add(idHash(e.Source, e.ID), detailHash(e))
	if res == Duplicate {
		return Duplicate, nil
	}
	ev := *e
	r.detach(&ev)
	if res == Collision {
		ev.ID = fmt.Sprintf("%s~%08x", e.ID, detailHash(e))
	}
	k := partKey{ev.Source, ev.Time.Format(time.DateOnly)}
	p := r.parts[k]
	if p == nil {
		p = &partBuf{}
		r.parts[k] = p
	}
	p.events = append(p.events, ev)
	n := eventSize(&ev)
	p.bytes += n
	r.buffered += n
	if r.buffered > r.opts.MaxBuffered {
		if err := r.flushLargest(); err != nil {
			return 0, err
		}
	}
	return res, nil
}

// detach gives the stored event strings of its own: decoders may hand out
// strings that share memory with the whole record they came from, which
// would keep every record's buffer alive while events wait in memory.
// Low-cardinality columns are interned, the rest copied.
func (r *Run) detach(e *Event) {
	if r.interned == nil || len(r.interned) > 1<<16 {
		r.interned = make(map[string]string, 1024)
	}
	in := func(s string) string {
		if s == "" {
			return ""
		}
		if v, ok := r.interned[s]; ok {
			return v
		}
		v := strings.Clone(s)
		r.interned[v] = v
		return v
	}
	e.Source, e.Shape, e.Category, e.Action = in(e.Source), in(e.Shape), Category(in(string(e.Category))), in(e.Action)
	e.Outcome, e.Reason, e.ActorKind = Outcome(in(string(e.Outcome))), in(e.Reason), ActorKind(in(string(e.ActorKind)))
	e.Actor, e.Tenant, e.ActorTenant = in(e.Actor), in(e.Tenant), in(e.ActorTenant)
	e.AppID, e.AppName, e.ResourceApp = in(e.AppID), in(e.AppName), in(e.ResourceApp)
	e.KeyID, e.IssuedKind, e.SrcIP, e.UserAgent, e.Country = in(e.KeyID), in(e.IssuedKind), in(e.SrcIP), in(e.UserAgent), in(e.Country)
	e.TargetKind, e.File, e.FileSHA256 = in(e.TargetKind), in(e.File), in(e.FileSHA256)
	c := strings.Clone
	e.ID, e.SessionID, e.TokenID, e.IssuedID = c(e.ID), c(e.SessionID), c(e.TokenID), c(e.IssuedID)
	e.Target, e.CorrelationID, e.Message, e.Raw = c(e.Target), c(e.CorrelationID), c(e.Message), c(e.Raw)
}

// eventSize estimates the memory an event holds.
func eventSize(e *Event) int64 {
	return int64(len(e.Raw)+len(e.Message)+len(e.ID)+len(e.Target)+len(e.TokenID)+len(e.SessionID)+
		len(e.CorrelationID)+len(e.IssuedID)) + 640
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
		r.mu.Lock()
		r.written = append(r.written, name)
		r.mu.Unlock()
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

// flushLargest writes out the partition holding the most bytes.
func (r *Run) flushLargest() error {
	var best partKey
	var most int64 = -1
	for k, p := range r.parts {
		if p.bytes > most || (p.bytes == most && (k.source < best.source || k.source == best.source && k.date < best.date)) {
			best, most = k, p.bytes
		}
	}
	return r.flush(best)
}

// flush hands one partition's buffered events to the writer, which sorts
// them by time and writes them as a Parquet file under a name no manifest
// names yet. It blocks while the writer is busy with the previous file.
func (r *Run) flush(k partKey) error {
	p := r.parts[k]
	delete(r.parts, k)
	if p == nil || len(p.events) == 0 {
		return nil
	}
	r.buffered -= p.bytes
	r.mu.Lock()
	err := r.werr
	r.mu.Unlock()
	if err != nil {
		return err
	}
	r.seq++
	r.jobs <- flushJob{k: k, seq: r.seq, events: p.events}
	return nil
}

// writer writes the flushed partitions, one at a time, in order.
func (r *Run) writer() {
	defer r.writerDone.Done()
	for job := range r.jobs {
		r.mu.Lock()
		failed := r.werr != nil
		r.mu.Unlock()
		if failed {
			continue
		}
		part, files, err := r.writePart(job)
		r.mu.Lock()
		r.written = append(r.written, files...)
		if err != nil {
			r.werr = err
		} else {
			r.newParts = append(r.newParts, part)
		}
		r.mu.Unlock()
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

// writePart writes one part and its value counts; it returns the files it
// wrote (to remove on Abort).
func (r *Run) writePart(job flushJob) (PartRecord, []string, error) {
	events := job.events
	slices.SortStableFunc(events, func(a, b Event) int { return a.Time.Compare(b.Time) })
	rel := path.Join(eventsDir, "source="+job.k.source, "date="+job.k.date, fmt.Sprintf("part-%s-%04d.parquet", r.id, job.seq))
	full := r.staged(rel)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		return PartRecord{}, nil, err
	}
	if err := writeParquet(full, events, r.opts.RowGroupRows); err != nil {
		return PartRecord{}, []string{full}, fmt.Errorf("write %s: %w", rel, err)
	}
	statsRel := strings.TrimSuffix(rel, ".parquet") + ".stats.json"
	if err := writePartStats(r.staged(statsRel), events); err != nil {
		return PartRecord{}, []string{full, r.staged(statsRel)}, fmt.Errorf("write %s: %w", statsRel, err)
	}
	return PartRecord{
		Path: rel, Source: job.k.source, Date: job.k.date, Run: r.id, Rows: int64(len(events)),
		MinTime: events[0].Time, MaxTime: events[len(events)-1].Time, Stats: statsRel,
	}, []string{full, r.staged(statsRel)}, nil
}

// newParquetWriter is how every part is written: zstd, bounded row
// groups, small pages (a fine page index on time), sorted by time.
func newParquetWriter(f *os.File, rowGroupRows int64) *parquet.GenericWriter[row] {
	return parquet.NewGenericWriter[row](f,
		parquet.Compression(&zstd.Codec{Level: zstd.SpeedFastest}),
		parquet.MaxRowsPerRowGroup(rowGroupRows),
		parquet.PageBufferSize(64<<10),
		parquet.SortingWriterConfig(parquet.SortingColumns(parquet.Ascending("time"))),
		parquet.KeyValueMetadata("causeway.schema_version", fmt.Sprint(SchemaVersion)),
	)
}

// writeParquet writes sorted events to path with zstd, bounded row groups,
// dictionary columns and a page index, synced before it returns.
func writeParquet(path string, events []Event, rowGroupRows int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := newParquetWriter(f, rowGroupRows)
	rows := make([]row, min(len(events), 4096))
	for len(events) > 0 {
		n := min(len(events), len(rows))
		for i := range n {
			toRow(&events[i], &rows[i])
		}
		if _, err := w.Write(rows[:n]); err != nil {
			f.Close()
			return err
		}
		events = events[n:]
	}
	if err := w.Close(); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Commit writes what is still buffered, the index and the rejects, then
// the manifest: from that moment the run's events are part of the case.
func (r *Run) Commit() (RunRecord, error) {
	if r.done {
		return RunRecord{}, errors.New("run is finished")
	}
	keys := make([]partKey, 0, len(r.parts))
	for k := range r.parts {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b partKey) int {
		return cmp.Or(strings.Compare(a.source, b.source), strings.Compare(a.date, b.date))
	})
	for _, k := range keys {
		if err := r.flush(k); err != nil {
			r.Abort()
			return RunRecord{}, err
		}
	}
	r.stopWriter()
	if r.werr != nil {
		err := r.werr
		r.Abort()
		return RunRecord{}, err
	}
	if err := r.compact(); err != nil {
		r.Abort()
		return RunRecord{}, fmt.Errorf("merge parts: %w", err)
	}
	// The writer finished files in flush order; keep the manifest's part
	// list in that order too.
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
	m := r.m
	oldIndex := m.Index
	if len(r.newParts) > 0 || m.Index == "" {
		rel := path.Join(indexDir, r.id+".idx")
		full := r.staged(rel)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			r.Abort()
			return RunRecord{}, err
		}
		if err := r.idx.save(full); err != nil {
			r.Abort()
			return RunRecord{}, fmt.Errorf("save dedupe index: %w", err)
		}
		r.written = append(r.written, full)
		m.Index = rel
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

// publish renames the run's staged files to their places in the case and
// syncs the directories they went to.
func (r *Run) publish() error {
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

// dedupeIndex is an open-addressing set of (id hash, detail hash) pairs:
// 12 bytes a slot, so 10M events fit in about 200 MB at worst.
type dedupeIndex struct {
	ids     []uint64
	details []uint32
	n       int
}

func newDedupeIndex(size int) *dedupeIndex {
	return &dedupeIndex{ids: make([]uint64, size), details: make([]uint32, size)}
}

// add inserts the pair unless present. It returns Duplicate when the pair
// is present, Collision when the id is present with other details, else
// Added.
func (x *dedupeIndex) add(id uint64, detail uint32) AddResult {
	if (x.n+1)*4 > len(x.ids)*3 {
		x.grow()
	}
	mask := uint64(len(x.ids) - 1)
	res := Added
	for i := id & mask; ; i = (i + 1) & mask {
		switch x.ids[i] {
		case 0:
			x.ids[i], x.details[i] = id, detail
			x.n++
			return res
		case id:
			if x.details[i] == detail {
				return Duplicate
			}
			res = Collision
		}
	}
}

func (x *dedupeIndex) insert(id uint64, detail uint32) {
	mask := uint64(len(x.ids) - 1)
	for i := id & mask; ; i = (i + 1) & mask {
		if x.ids[i] == 0 {
			x.ids[i], x.details[i] = id, detail
			x.n++
			return
		}
	}
}

func (x *dedupeIndex) grow() {
	old, oldD := x.ids, x.details
	x.ids, x.details, x.n = make([]uint64, 2*len(old)), make([]uint32, 2*len(old)), 0
	for i, id := range old {
		if id != 0 {
			x.insert(id, oldD[i])
		}
	}
}

const indexMagic = "CWIDX1\n\x00"

func (x *dedupeIndex) save(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString(indexMagic)
	var b [12]byte
	binary.LittleEndian.PutUint64(b[:8], uint64(x.n))
	w.Write(b[:8])
	for i, id := range x.ids {
		if id != 0 {
			binary.LittleEndian.PutUint64(b[:8], id)
			binary.LittleEndian.PutUint32(b[8:], x.details[i])
			w.Write(b[:])
		}
	}
	err = w.Flush()
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func (x *dedupeIndex) load(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var hdr [16]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return err
	}
	if string(hdr[:8]) != indexMagic {
		return errors.New("not a causeway index")
	}
	n := binary.LittleEndian.Uint64(hdr[8:])
	size := 1 << 16
	for uint64(size)*3 < n*4+4 {
		size *= 2
	}
	*x = *newDedupeIndex(size)
	var b [12]byte
	for range n {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return err
		}
		x.insert(binary.LittleEndian.Uint64(b[:8]), binary.LittleEndian.Uint32(b[8:]))
	}
	return nil
}
