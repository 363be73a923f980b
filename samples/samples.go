package samples

import (
	"cmp"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/klauspost/compress/gzip"
	"hash"
	"hash/fnv"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
)

// Scenario is one incident the generator can write.
type Scenario struct {
	// Name is what --scenario takes, e.g. "storm-0558".
	Name string
	// Description is one line for `causeway samples list`.
	Description string
}

// Options says what to generate and where.
type Options struct {
	// Scenario is a Scenario name.
	Scenario string
	// Out is the output directory; it is created if missing. Files of the
	// same names are overwritten; other files are left alone, so a caller
	// reusing a directory should empty it first (an earlier run's files
	// would otherwise be imported with these).
	Out string
	// Seed selects the random stream; 0 means DefaultSeed.
	Seed int64
	// Scale sets the volume of background activity. 0 (DefaultScale) is the
	// demo size of the committed copies, a few thousand events; N ≥ 1 grows
	// the background linearly to about N × 100k events (scale 100 ≈ 10M).
	// The attack is the same at every scale.
	Scale int
	// Gzip says how .gz files are compressed; the zero value is GzipAuto.
	Gzip Gzip
	// Workers is how many jobs (tenants, days, parts of days) run at once;
	// 0 means GOMAXPROCS. Every job draws from its own random stream and
	// writes its own files, so the output does not depend on it.
	Workers int
}

// Gzip is how the gzipped files (CloudTrail objects) are compressed. Every
// mode writes valid gzip; they differ in size and in CPU time.
type Gzip int

const (
	// GzipAuto is GzipSpeed at scale 0 (the committed demo copies) and
	// GzipStore at every larger scale, where compressing would cost more
	// than all the rest of generating (on a 2-core machine, DEFLATE level 1
	// runs at about 250 MB/s; CloudTrail records are about 1.4 KB each).
	GzipAuto Gzip = iota
	// GzipSpeed is DEFLATE at its fastest level (BestSpeed): about a fifth
	// of the size, what a benchmark of decompression wants.
	GzipSpeed
	// GzipStore writes stored (uncompressed) DEFLATE blocks: as large as
	// the JSON, but only a CRC-32 to compute.
	GzipStore
)

// ParseGzip maps "auto", "speed" and "store" to a Gzip mode.
func ParseGzip(s string) (Gzip, error) {
	switch s {
	case "auto", "":
		return GzipAuto, nil
	case "speed":
		return GzipSpeed, nil
	case "store":
		return GzipStore, nil
	}
	return GzipAuto, fmt.Errorf("samples: gzip mode %q: want auto, speed or store", s)
}

// Stats reports what Generate wrote.
type Stats struct {
	// Files is the number of files written, truth.json included.
	Files int
	// Events is the number of provider records written: one per event an
	// importer emits (truth.json holds none).
	Events int64
	// Bytes is the number of bytes written to disk (compressed size for
	// gzipped files).
	Bytes int64
}

// DefaultSeed and DefaultScale produce the committed copies under data/.
const (
	DefaultSeed  = 558
	DefaultScale = 0
)

// eventsPerScale is what one unit of Options.Scale adds, roughly.
const eventsPerScale = 100_000

// ErrUnknownScenario is returned for a scenario name Scenarios does not list.
var ErrUnknownScenario = errors.New("unknown scenario")

// scenario is a Scenario with its generator.
type scenario struct {
	Scenario
	plan func(seed int64, scale int) (*plan, error)
	// unitEvents is about how many background events one unit of the
	// plan's own scale adds (measured); Options.Scale N runs the plan at
	// N × eventsPerScale / unitEvents.
	unitEvents int
	// heapPerScale is how much live heap one unit of Options.Scale adds
	// at the peak (measured), for the scenarios whose jobs grow with the
	// scale; see HeapHint.
	heapPerScale int64
}

// HeapHint is about the most heap Generate keeps live at once for opts
// (the records of two jobs), in bytes: a memory limit for the process
// should leave room for it, or the GC runs without pause (gcp-sa-key at
// scale 50 under a 400 MiB limit: 41 s of CPU instead of 22). Storm-0558's
// tenants and aws-leaked-key's day parts stay under 200 MB at every scale;
// a gcp-sa-key job holds a whole day, about 14 MB a unit of scale (276 MB
// at scale 20, 511-620 MB at 50).
func HeapHint(opts Options) int64 {
	const base = 200 << 20
	if sc := lookup(opts.Scenario); sc != nil {
		return max(base, sc.heapPerScale*int64(opts.Scale))
	}
	return base
}

// lookup returns the scenario named name, or nil.
func lookup(name string) *scenario {
	for _, s := range scenarios() {
		if s.Name == name {
			return &s
		}
	}
	return nil
}

// planScale maps Options.Scale to the plan's own scale: 1 for the demo
// size, else enough units for about scale × eventsPerScale events.
func (sc *scenario) planScale(scale int) int {
	if scale == 0 {
		return 1
	}
	return max(1, scale*eventsPerScale/sc.unitEvents)
}

func scenarios() []scenario {
	return []scenario{
		{Scenario{"storm-0558", "Storm-0558 (2023): a stolen MSA consumer signing key forges tokens that read Exchange Online mailboxes in several tenants; 12 tenants, every Microsoft export shape"}, planStorm, 2400, 0},
		{Scenario{"aws-leaked-key", "A leaked CI access key: AccessDenied recon, AssumeRole and role chaining across 3 accounts, S3 reads, IAM persistence; CloudTrail S3 delivery (.json.gz)"}, planAWS, 1400, 0},
		{Scenario{"gcp-sa-key", "A GCP service-account key leaked in a public repo mints a key for a privileged account that reads Cloud Storage, widens IAM and starts a miner; gcloud logging read exports"}, planGCP, 390, 14 << 20},
	}
}

// Scenarios lists every scenario, in a stable order.
func Scenarios() []Scenario {
	var out []Scenario
	for _, s := range scenarios() {
		out = append(out, s.Scenario)
	}
	return out
}

// dataFS holds the committed default-seed copies of every scenario.
//
//go:embed data
var dataFS embed.FS

// Embedded returns the committed copies: one directory per scenario name
// (e.g. "storm-0558/truth.json"), generated with DefaultSeed and
// DefaultScale.
func Embedded() fs.FS {
	sub, err := fs.Sub(dataFS, "data")
	if err != nil {
		// fs.Sub only fails on an invalid path; "data" is valid.
		panic(err)
	}
	return sub
}

// plan is a scenario's output: files to write (each on its own goroutine,
// from its own random stream) and the truth.
type plan struct {
	jobs []job
	// finish, when set, runs after every job has finished (for files that
	// summarize what the jobs wrote).
	finish func(o *output, r *rand.Rand) error
	truth  Truth
}

// job writes one or more files. Jobs run concurrently; a job must only read
// the plan's shared state, never change it.
type job struct {
	name string // for the random stream and error messages
	// rng is the job's random stream; src is its source, for a generator
	// that copies the source's state to replay a stretch of the stream
	// later (aws-leaked-key's session tokens, written when encoded).
	run func(ctx context.Context, o *output, rng *rand.Rand, src *rand.PCG) error
	// weight is about how much work the job is, relative to the plan's
	// other jobs (0 if they are alike): runJobs starts the heaviest first,
	// so that the last to start is a light one and every worker is busy
	// until close to the end.
	weight int
}

// Generate writes the scenario named in opts into opts.Out, with its
// truth.json, and reports what it wrote.
func Generate(ctx context.Context, opts Options) (Stats, error) {
	if opts.Seed == 0 {
		opts.Seed = DefaultSeed
	}
	if opts.Scale < 0 {
		return Stats{}, fmt.Errorf("samples: scale %d: must be 0 (demo size) or more", opts.Scale)
	}
	if opts.Out == "" {
		return Stats{}, errors.New("samples: no output directory")
	}
	sc := lookup(opts.Scenario)
	if sc == nil {
		return Stats{}, fmt.Errorf("samples: %w %q", ErrUnknownScenario, opts.Scenario)
	}
	return generate(ctx, sc, opts, &output{root: opts.Out})
}

// gzipMode resolves GzipAuto for a scale.
func gzipMode(g Gzip, scale int) Gzip {
	if g != GzipAuto {
		return g
	}
	if scale == 0 {
		return GzipSpeed
	}
	return GzipStore
}

// generate runs a scenario into o (tests pass an output that discards).
func generate(ctx context.Context, sc *scenario, opts Options, o *output) (Stats, error) {
	o.store = gzipMode(opts.Gzip, opts.Scale) == GzipStore
	p, err := sc.plan(opts.Seed, sc.planScale(opts.Scale))
	if err != nil {
		return Stats{}, fmt.Errorf("samples: %s: %w", sc.Name, err)
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if err := runJobs(ctx, o, opts.Seed, workers, p.jobs); err != nil {
		return o.stats(), err
	}
	if p.finish != nil {
		if err := p.finish(o, jobRand(opts.Seed, "finish")); err != nil {
			return o.stats(), err
		}
	}
	if err := o.writeTruth(p.truth); err != nil {
		return o.stats(), err
	}
	return o.stats(), nil
}

// runJobs runs jobs on workers goroutines and returns the first error.
func runJobs(ctx context.Context, o *output, seed int64, workers int, jobs []job) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan job)
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for range max(1, min(workers, len(jobs))) {
		wg.Go(func() {
			for j := range work {
				if ctx.Err() != nil {
					continue
				}
				src := jobSource(seed, j.name)
				if err := j.run(ctx, o, rand.New(src), src); err != nil {
					once.Do(func() { first = err; cancel() })
				}
			}
		})
	}
	// Heaviest first (the output does not depend on the order).
	jobs = slices.Clone(jobs)
	slices.SortStableFunc(jobs, func(a, b job) int { return cmp.Compare(b.weight, a.weight) })
	for _, j := range jobs {
		work <- j
	}
	close(work)
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}

// jobRand is the job's own random stream: the seed and a hash of its name,
// so that output does not depend on scheduling.
func jobRand(seed int64, name string) *rand.Rand { return rand.New(jobSource(seed, name)) }

// jobSource is jobRand's source.
func jobSource(seed int64, name string) *rand.PCG {
	h := fnv.New64a()
	h.Write([]byte(name))
	return rand.NewPCG(uint64(seed), h.Sum64())
}

// output is the directory being written and its running totals.
type output struct {
	root    string
	discard bool // count, but write nothing (benchmarks of the generator alone)
	// checkClean makes writers fail on a record marked clean (its strings
	// quoted without the escape scan) whose strings need escaping: tests.
	checkClean bool
	store      bool // .gz files in stored DEFLATE blocks (GzipStore)
	// Buffers and compressors are reused across files: fresh large
	// allocations per file cost more than the writing.
	bufs   sync.Pool // *[]byte of cap fileBufCap
	gzs    sync.Pool // *gzip.Writer
	stores sync.Pool // *storeWriter
	mu     sync.Mutex
	files  int
	events int64
	bytes  int64
}

func (o *output) stats() Stats {
	o.mu.Lock()
	defer o.mu.Unlock()
	return Stats{Files: o.files, Events: o.events, Bytes: o.bytes}
}

const (
	// flushSize is about how many bytes a plain file's buffer holds
	// before one write takes them all (256 KiB writes cost the kernel
	// the least here, see README.md).
	flushSize = 256 << 10
	// fileBufCap leaves room past flushSize for the record that crosses it.
	fileBufCap = flushSize + 64<<10
)

// fileWriter is one output file. Records are appended in place: into
// the file's buffer for plain files, into the current stored block for
// GzipStore files (recBuf, endRecord), or built in scratch and
// compressed (GzipSpeed).
type fileWriter struct {
	o       *output
	rel     string
	f       *os.File
	dst     io.Writer    // the file, or a countWriter, and the hash when hashed
	buf     *[]byte      // plain and GzipSpeed files: bytes not yet written to dst
	scratch []byte       // GzipSpeed files: the record being built
	gz      *gzip.Writer // GzipSpeed .gz files, writing into buf (Write)
	st      *storeWriter // GzipStore .gz files, writing to dst
	cw      *countWriter // instead of f when discarding
	hash    hash.Hash    // of the stored bytes, when created hashed
	err     error        // the first write error to dst
	events  int64
}

// create opens rel (slash-separated, under the output root) for writing,
// gzipped when rel ends in ".gz".
func (o *output) create(rel string) (*fileWriter, error) { return o.createFile(rel, false) }

// createHashed is create, keeping the SHA-256 of the bytes as stored
// (fileWriter.sum), for CloudTrail digest files.
func (o *output) createHashed(rel string) (*fileWriter, error) { return o.createFile(rel, true) }

func (o *output) createFile(rel string, hashed bool) (*fileWriter, error) {
	w := &fileWriter{o: o, rel: rel}
	if o.discard {
		w.cw = &countWriter{}
		w.dst = w.cw
	} else {
		path := filepath.Join(o.root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, fmt.Errorf("samples: %w", err)
		}
		f, err := os.Create(path)
		if err != nil {
			return nil, fmt.Errorf("samples: %w", err)
		}
		w.f, w.dst = f, newRawFile(f)
	}
	if hashed {
		w.hash = sha256.New()
		w.dst = io.MultiWriter(w.dst, w.hash)
	}
	if filepath.Ext(rel) == ".gz" && o.store {
		if st, ok := o.stores.Get().(*storeWriter); ok {
			st.reset(w.dst)
			w.st = st
		} else {
			w.st = newStoreWriter(w.dst)
		}
		return w, nil
	}
	if b, ok := o.bufs.Get().(*[]byte); ok {
		w.buf = b
	} else {
		b := make([]byte, 0, fileBufCap)
		w.buf = &b
	}
	if filepath.Ext(rel) == ".gz" {
		// No name and no mtime in the header: reproducible bytes.
		if gz, ok := o.gzs.Get().(*gzip.Writer); ok {
			gz.Reset(w)
			w.gz = gz
		} else {
			w.gz, _ = gzip.NewWriterLevel(w, gzip.BestSpeed)
		}
	}
	return w, nil
}

// Write appends p to the buffer of bytes bound for the file (the
// compressor's output); it never fails: write errors are reported by
// close.
func (w *fileWriter) Write(p []byte) (int, error) {
	b := *w.buf
	if len(b)+len(p) > flushSize && len(b) > 0 {
		w.flush()
		b = *w.buf
	}
	if len(p) >= flushSize { // large: straight to the file, no copy
		w.writeOut(p)
		return len(p), nil
	}
	*w.buf = append(b, p...)
	return len(p), nil
}

// flush writes the buffered bytes to the file.
func (w *fileWriter) flush() {
	w.writeOut(*w.buf)
	*w.buf = (*w.buf)[:0]
}

func (w *fileWriter) writeOut(p []byte) {
	if w.err == nil && len(p) > 0 {
		_, w.err = w.dst.Write(p)
	}
}

// write writes bytes that are not a record (envelopes, headers, separators).
func (w *fileWriter) write(b []byte) {
	switch {
	case w.st != nil:
		w.st.write(b)
	case w.gz != nil:
		w.gz.Write(b) // errors are sticky and reported by close
	default:
		w.Write(b)
	}
}

// writeString is write for a string.
func (w *fileWriter) writeString(s string) { w.write(strBytes(s)) }

// record writes b as one provider record and counts it.
func (w *fileWriter) record(b []byte) {
	w.write(b)
	w.events++
}

// recBuf returns the buffer to append the next record (and whatever
// goes before and after it) to: the file's buffer for a plain file, the
// current stored block for a GzipStore one, else a scratch buffer.
// endRecord takes it back.
func (w *fileWriter) recBuf() []byte {
	switch {
	case w.st != nil:
		return w.st.tail()
	case w.gz != nil:
		return w.scratch[:0]
	}
	return *w.buf
}

// endRecord takes back b, recBuf() with one record appended, and counts
// the record.
func (w *fileWriter) endRecord(b []byte) {
	w.events++
	switch {
	case w.st != nil:
		w.st.took(b)
	case w.gz != nil:
		w.scratch = b
		w.gz.Write(b)
	default:
		*w.buf = b
		if len(b) >= flushSize {
			w.flush()
		}
	}
}

// close flushes and closes the file and adds it to the totals.
func (w *fileWriter) close() error {
	var errs []error
	if w.gz != nil {
		errs = append(errs, w.gz.Close())
	}
	if w.st != nil {
		errs = append(errs, w.st.close())
	}
	if w.buf != nil {
		w.flush()
	}
	errs = append(errs, w.err)
	var size int64
	if w.cw != nil {
		size = w.cw.n
	} else {
		st, err := w.f.Stat()
		if err == nil {
			size = st.Size()
		}
		errs = append(errs, err, w.f.Close())
	}
	if w.gz != nil {
		w.o.gzs.Put(w.gz)
		w.gz = nil
	}
	if w.st != nil {
		w.st.reset(nil)
		w.o.stores.Put(w.st)
		w.st = nil
	}
	if w.buf != nil {
		if cap(*w.buf) <= 2*fileBufCap { // not one grown by a huge record
			*w.buf = (*w.buf)[:0]
			w.o.bufs.Put(w.buf)
		}
		w.buf = nil
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("samples: %s: %w", w.rel, err)
	}
	w.o.mu.Lock()
	w.o.files++
	w.o.events += w.events
	w.o.bytes += size
	w.o.mu.Unlock()
	return nil
}

// sum returns the hex SHA-256 of the stored bytes of a closed hashed file.
func (w *fileWriter) sum() string { return hex.EncodeToString(w.hash.Sum(nil)) }

// countWriter counts and drops bytes.
type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}
