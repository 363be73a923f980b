package importers

import (
	"archive/zip"
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/causeway-ir/causeway/timeline"
	"github.com/klauspost/compress/gzip"
)

// Sink receives what an import produces: *timeline.Run implements it.
type Sink interface {
	// Add stores e. As with timeline.Emitter's Emit, e's strings may be
	// views of an importer's buffer: the sink copies what it keeps.
	Add(e *timeline.Event) (timeline.AddResult, error)
	Reject(err *timeline.ParseError) error
	AddFile(f timeline.FileRecord)
}

// Options configures Import.
type Options struct {
	// Importers is the detection table; All() when nil.
	Importers []timeline.Importer
	// Stdin is read for the path "-".
	Stdin io.Reader
	// Progress, when set, is called as bytes are read (for a progress bar).
	Progress *Progress
	// MaxDecompressed bounds the bytes one compressed file may expand to
	// (a zip or gzip bomb); 0 means 64 GiB.
	MaxDecompressed int64
	// Workers is how many goroutines parse when the sink is a BatchSink;
	// 0 means one per core the process may use.
	Workers int

	// forced is the importer for a chunk of a file whose head chose it.
	forced timeline.Importer
	// chunk is the size of a large NDJSON file's chunks (tests make it
	// small); 0 means chunkBytes.
	chunk int64
	// small is the size up to which files are read whole (see smallFile);
	// 0 means smallFile, a negative value none (tests compare both paths).
	small int64
	// bufs keeps the buffers of small files read whole and the readers
	// over decompressed streams for the next file (see readSmall).
	bufs *buffers
	// hashOpen opens a chunked file for its hash; nil means os.Open (tests
	// make the hash fail).
	hashOpen func(path string) (io.ReadCloser, error)
	// parsing, if set, is told when a worker starts and ends a chunk
	// (tests count the chunks parsed at once).
	parsing func(index int, started bool)
}

// chunkSize is the size of a large NDJSON file's chunks.
func (o *Options) chunkSize() int64 { return cmp.Or(o.chunk, chunkBytes) }

// noteParsing tells the parsing hook, if any, that a worker starts or ends
// chunk index.
func (o *Options) noteParsing(index int, started bool) {
	if o.parsing != nil {
		o.parsing(index, started)
	}
}

// buffers are what importing one file after another reuses.
type buffers struct {
	files   sync.Pool // *bytes.Buffer: small files read whole
	readers sync.Pool // *bufio.Reader, 256 KiB
}

// reader returns a pooled 256 KiB reader over r.
func (b *buffers) reader(r io.Reader) *bufio.Reader {
	if br, ok := b.readers.Get().(*bufio.Reader); ok {
		br.Reset(r)
		return br
	}
	return bufio.NewReaderSize(r, 256<<10)
}

func (b *buffers) putReader(br *bufio.Reader) {
	br.Reset(nil)
	b.readers.Put(br)
}

// Progress counts the bytes read of all inputs; a progress bar polls it.
type Progress struct {
	Total  atomic.Int64 // bytes of all inputs on disk
	Done   atomic.Int64 // bytes read so far
	Events atomic.Int64 // events stored or found duplicate
}

// FileResult is the outcome for one input file (or zip member).
type FileResult struct {
	Path       string   `json:"path"`
	Importer   string   `json:"importer"`
	Shape      string   `json:"shape"`
	Read       int64    `json:"read"`
	Imported   int64    `json:"imported"`
	Duplicates int64    `json:"duplicates"`
	Rejected   int64    `json:"rejected"`
	Collisions int64    `json:"id_collisions,omitempty"`
	Error      string   `json:"error"`
	Notes      []string `json:"notes,omitempty"`
	Size       int64    `json:"-"`
	SHA256     string   `json:"-"`
}

// Failed reports whether the file was unrecognized or unreadable.
func (r *FileResult) Failed() bool { return r.Error != "" }

// record is the file's entry in the case manifest.
func (r *FileResult) record() timeline.FileRecord {
	return timeline.FileRecord{
		Path: r.Path, Size: r.Size, SHA256: r.SHA256, Importer: r.Importer, Shape: r.Shape, Read: r.Read,
		Imported: r.Imported, Duplicates: r.Duplicates, Rejected: r.Rejected, Collisions: r.Collisions, Notes: r.Notes,
	}
}

// Import reads every path (files, directories recursively, "-" for stdin),
// opens gzip and zip transparently, detects each file's source by content
// and streams its records into sink. A file that no importer recognizes or
// that cannot be read is reported in its FileResult and the others still
// import. The error is for what stops everything: cancellation or a
// failing sink.
func Import(ctx context.Context, sink Sink, paths []string, opts Options) ([]FileResult, error) {
	if opts.Importers == nil {
		opts.Importers = All()
	}
	if opts.MaxDecompressed <= 0 {
		opts.MaxDecompressed = 64 << 30
	}
	if opts.Progress == nil {
		opts.Progress = &Progress{}
	}
	opts.bufs = &buffers{}
	inputs, results := collect(paths)
	for _, in := range inputs {
		opts.Progress.Total.Add(in.size)
	}
	if bs, ok := sink.(BatchSink); ok && workersFor(&opts) > 1 {
		return importParallel(ctx, bs, inputs, results, workersFor(&opts), &opts)
	}
	for _, in := range inputs {
		if err := ctx.Err(); err != nil {
			return results, err
		}
		rs, err := importPath(ctx, sink, in, &opts)
		results = append(results, rs...)
		if err != nil {
			return results, err
		}
	}
	return results, nil
}

type input struct {
	path string // as the user named it (or found under a named directory)
	size int64
}

// collect expands directories into their files, in lexical order. Paths
// that cannot be read become failed results right away.
func collect(paths []string) ([]input, []FileResult) {
	var ins []input
	var bad []FileResult
	for _, p := range paths {
		if p == "-" {
			ins = append(ins, input{path: "-"})
			continue
		}
		st, err := os.Stat(p)
		if err != nil {
			bad = append(bad, FileResult{Path: p, Error: fmt.Sprintf("cannot read: %v", unwrapPathError(err))})
			continue
		}
		if !st.IsDir() {
			ins = append(ins, input{path: p, size: st.Size()})
			continue
		}
		// WalkDir does not follow symbolic links, so a link loop cannot
		// trap it; a link to a file is read as that file.
		first := len(ins)
		err = filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
			if err != nil {
				bad = append(bad, FileResult{Path: q, Error: fmt.Sprintf("cannot read: %v", unwrapPathError(err))})
				return nil
			}
			if d.IsDir() {
				return nil
			}
			st, err := os.Stat(q)
			if err != nil {
				bad = append(bad, FileResult{Path: q, Error: fmt.Sprintf("cannot read: %v", unwrapPathError(err))})
				return nil
			}
			if st.IsDir() {
				return nil // a link to a directory: not followed
			}
			ins = append(ins, input{path: q, size: st.Size()})
			return nil
		})
		if err != nil {
			bad = append(bad, FileResult{Path: p, Error: err.Error()})
		}
		// A delivery tree partitioned by day (CloudTrail's
		// AWSLogs/<account>/CloudTrail/<region>/2024/03/01/, Azure's
		// y=2023/m=05/d=31/) is read a day at a time across its accounts
		// and regions, so that each day's events reach the run together:
		// a day's partition then fills and is written once, where reading
		// account after account had every day spilled and merged later.
		// Each file's day is found once, not in every comparison.
		type dated struct {
			day string
			in  input
		}
		byDay := make([]dated, 0, len(ins)-first)
		for _, in := range ins[first:] {
			byDay = append(byDay, dated{deliveryDay(in.path), in})
		}
		slices.SortStableFunc(byDay, func(a, b dated) int { return strings.Compare(a.day, b.day) })
		for i, d := range byDay {
			ins[first+i] = d.in
		}
	}
	return ins, bad
}

// deliveryDay returns the day named by path's directories, as YYYYMMDD:
// three in a row that read as a year, a month and a day (2024/03/01), or
// y=, m= and d= ones (Azure's y=2023/m=05/d=31); "" when there are none.
func deliveryDay(path string) string {
	dirs := strings.Split(filepath.ToSlash(filepath.Dir(path)), "/")
	num := func(s string, n int) bool {
		if len(s) != n {
			return false
		}
		for i := range len(s) {
			if s[i] < '0' || s[i] > '9' {
				return false
			}
		}
		return true
	}
	for i := 0; i+2 < len(dirs); i++ {
		y, m, d := dirs[i], dirs[i+1], dirs[i+2]
		if strings.HasPrefix(y, "y=") && strings.HasPrefix(m, "m=") && strings.HasPrefix(d, "d=") {
			y, m, d = y[2:], m[2:], d[2:]
		}
		if num(y, 4) && num(m, 2) && num(d, 2) && m >= "01" && m <= "12" && d >= "01" && d <= "31" {
			return y + m + d
		}
	}
	return ""
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// importPath imports one file: its hash first (chain of custody: the hash
// of the file as it is on disk), then its content.
func importPath(ctx context.Context, sink Sink, in input, opts *Options) ([]FileResult, error) {
	path := in.path
	if path == "-" {
		tmp, err := spool(opts.Stdin)
		if err != nil {
			return []FileResult{{Path: "-", Error: fmt.Sprintf("cannot read standard input: %v", err)}}, nil
		}
		defer os.Remove(tmp)
		path = tmp
	}
	f, err := os.Open(path)
	if err != nil {
		return []FileResult{{Path: in.path, Error: fmt.Sprintf("cannot read: %v", unwrapPathError(err))}}, nil
	}
	defer f.Close()
	if data, buf, ok := readSmall(f, opts.bufs, cmp.Or(opts.small, smallFile)); ok {
		// Read once: hashed, then imported, from memory.
		defer opts.bufs.files.Put(buf)
		sum := sha256.Sum256(data)
		return importHashed(ctx, sink, in.path, hex.EncodeToString(sum[:]), bytes.NewReader(data), int64(len(data)), opts,
			func() (io.Reader, error) {
				opts.Progress.Done.Add(int64(len(data)))
				return bytes.NewReader(data), nil // gzip inflates from it directly
			})
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return []FileResult{{Path: in.path, Error: fmt.Sprintf("cannot read: %v", unwrapPathError(err))}}, nil
	}
	sum, size, err := hashFile(f)
	if err != nil {
		return []FileResult{{Path: in.path, Error: fmt.Sprintf("cannot read: %v", unwrapPathError(err))}}, nil
	}
	return importHashed(ctx, sink, in.path, sum, f, size, opts, func() (io.Reader, error) {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return nil, err
		}
		return &countingReader{r: f, p: opts.Progress}, nil
	})
}

// importHashed imports a file whose hash is sum, read through ra: the
// members of a zip archive, else the stream that open returns.
func importHashed(ctx context.Context, sink Sink, name, sum string, ra io.ReaderAt, size int64, opts *Options, open func() (io.Reader, error)) ([]FileResult, error) {
	var magic [4]byte
	if n, _ := ra.ReadAt(magic[:], 0); n == 4 && string(magic[:]) == "PK\x03\x04" {
		zr, err := zip.NewReader(ra, size)
		if err != nil {
			opts.Progress.Done.Add(size)
			return []FileResult{{Path: name, Size: size, SHA256: sum, Error: fmt.Sprintf("unreadable zip archive: %v", err)}}, nil
		}
		return importZip(ctx, sink, name, zr, size, opts)
	}
	r, err := open()
	if err != nil {
		return []FileResult{{Path: name, Error: err.Error()}}, nil
	}
	res, err := importStreamAt(ctx, sink, name, sum, size, 0, r, opts)
	return []FileResult{res}, err
}

// smallFile is the size up to which a file is read into memory once, then
// hashed and imported from there, rather than read twice (hash, then
// import); a gzip stream also inflates about 30 % faster from memory
// (klauspost/compress's bytes.Reader path) than through a bufio.Reader.
// CloudTrail's S3 objects are all far below it.
const smallFile = 16 << 20

// readSmall reads f whole into a buffer from bufs when it is a regular
// file of at most limit bytes, and returns its bytes and the buffer to
// give back; ok is false (the file read from, so callers seek back) for
// other files, or when it grew past limit while being read.
func readSmall(f *os.File, bufs *buffers, limit int64) (data []byte, buf *bytes.Buffer, ok bool) {
	st, err := f.Stat()
	if bufs == nil || err != nil || !st.Mode().IsRegular() || st.Size() > limit {
		return nil, nil, false
	}
	buf, _ = bufs.files.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	buf.Reset()
	buf.Grow(int(st.Size()) + bytes.MinRead)
	if _, err := buf.ReadFrom(io.LimitReader(f, limit+1)); err != nil || int64(buf.Len()) > limit {
		bufs.files.Put(buf)
		return nil, nil, false
	}
	return buf.Bytes(), buf, true
}

// spool copies standard input to a temporary file, so that it can be
// hashed before it is imported and opened as a zip.
func spool(r io.Reader) (string, error) {
	if r == nil {
		return "", errors.New("no standard input")
	}
	f, err := os.CreateTemp("", "causeway-stdin-*")
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), f.Close()
}

func hashFile(f io.Reader) (string, int64, error) {
	h := sha256.New()
	n, err := io.CopyBuffer(h, struct{ io.Reader }{f}, make([]byte, 1<<20))
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// importZip imports each member of a zip archive as a file of its own,
// named archive!member, hashed on its own content.
func importZip(ctx context.Context, sink Sink, name string, zr *zip.Reader, size int64, opts *Options) ([]FileResult, error) {
	var out []FileResult
	files := slices.Clone(zr.File)
	slices.SortFunc(files, func(a, b *zip.File) int { return strings.Compare(a.Name, b.Name) })
	for _, zf := range files {
		if zf.FileInfo().IsDir() {
			continue
		}
		member := name + "!" + zf.Name
		sum, msize, err := hashZipMember(zf, opts.MaxDecompressed)
		if err != nil {
			out = append(out, FileResult{Path: member, Error: fmt.Sprintf("unreadable zip member: %v", err)})
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			out = append(out, FileResult{Path: member, Error: fmt.Sprintf("unreadable zip member: %v", err)})
			continue
		}
		res, err := importStreamAt(ctx, sink, member, sum, msize, 0, rc, opts)
		rc.Close()
		out = append(out, res)
		if err != nil {
			return out, err
		}
	}
	opts.Progress.Done.Add(size)
	return out, nil
}

func hashZipMember(zf *zip.File, limit int64) (string, int64, error) {
	rc, err := zf.Open()
	if err != nil {
		return "", 0, err
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(rc, limit+1))
	if err != nil {
		return "", 0, err
	}
	if n > limit {
		return "", 0, fmt.Errorf("expands past %d bytes: refusing a likely zip bomb", limit)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// errTooBig is returned by limitReader past its limit.
var errTooBig = errors.New("decompressed size past the limit: refusing a likely decompression bomb")

type limitReader struct {
	r    io.Reader
	left int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		return 0, errTooBig
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

// importStreamAt detects the source of one stream (decompressing gzip)
// and imports it; base is where the stream starts in the file.
func importStreamAt(ctx context.Context, sink Sink, name, sum string, size, base int64, r io.Reader, opts *Options) (FileResult, error) {
	res := FileResult{Path: name, Size: size, SHA256: sum}
	bufs := opts.bufs
	if bufs == nil {
		bufs = &buffers{}
	}
	var br *bufio.Reader
	what := "cannot read"
	var zsrc io.Reader // the gzip stream, if the file is one
	if mem, ok := r.(*bytes.Reader); ok {
		var magic [2]byte
		if n, _ := mem.ReadAt(magic[:], 0); n == 2 && magic == [2]byte{0x1f, 0x8b} {
			zsrc = mem // inflated from memory: klauspost's fastest path
		} else {
			br = bufs.reader(mem)
		}
	} else {
		br = bufs.reader(r)
		if magic, _ := br.Peek(2); bytes.Equal(magic, []byte{0x1f, 0x8b}) {
			zsrc = br
		}
	}
	if zsrc != nil {
		what = "truncated or corrupt gzip"
		zr, err := gzip.NewReader(zsrc)
		if err != nil {
			res.Error = fmt.Sprintf("unreadable gzip: %v", err)
			return res, nil
		}
		defer zr.Close()
		if br != nil {
			// The reader over the file: a stream keeps reading through it.
			defer bufs.putReader(br)
		}
		br = bufs.reader(&limitReader{r: zr, left: opts.MaxDecompressed})
	}
	defer bufs.putReader(br)
	head, err := br.Peek(headSize)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		res.Error = fmt.Sprintf("%s: %v", what, err)
		return res, nil
	}
	if len(bytes.TrimSpace(stripBOM(head))) == 0 {
		res.Error = "empty file: nothing to import"
		return res, nil
	}
	baseName := filepath.Base(name)
	imp := opts.forced
	if imp == nil {
		imp = detect(opts.Importers, baseName, head)
	}
	if imp == nil {
		res.Error = "unrecognized: no importer knows this content (" + describeHead(head) + ")"
		return res, nil
	}
	res.Importer = imp.Name()
	fe := &fileEmitter{sink: sink, res: &res, progress: opts.Progress}
	src := timeline.Source{File: name, SHA256: sum, Base: base}
	err = imp.Import(ctx, br, src, fe)
	res.Shape = strings.Join(fe.shapes, ",")
	res.Read = res.Imported + res.Duplicates + res.Rejected
	sink.AddFile(res.record())
	switch {
	case err == nil:
	case fe.sinkErr != nil:
		return res, fe.sinkErr
	case ctx.Err() != nil:
		return res, ctx.Err()
	default:
		// The file could not be read to its end: what was read is kept,
		// and the file is reported as failed.
		res.Error = fmt.Sprintf("read failed after %d records: %v", res.Read, err)
	}
	return res, nil
}

// detect returns the first importer of the table that recognizes a file
// by its base name and head, or nil.
func detect(table []timeline.Importer, base string, head []byte) timeline.Importer {
	for _, cand := range table {
		if cand.Match(base, head) {
			return cand
		}
	}
	return nil
}

// describeHead says in a few words what an unrecognized file starts with.
func describeHead(head []byte) string {
	h := bytes.TrimSpace(stripBOM(head))
	line, _, _ := bytes.Cut(h, []byte("\n"))
	line = bytes.TrimSpace(line)
	if len(line) > 60 {
		line = line[:60]
	}
	var b strings.Builder
	for _, r := range string(line) {
		if r < 0x20 || r == 0x7f || r == 0xfffd || (r >= 0x80 && r < 0xa0) {
			b.WriteByte('.')
		} else {
			b.WriteRune(r)
		}
	}
	return fmt.Sprintf("starts with %q", b.String())
}

// fileEmitter counts one file's results on their way into the sink.
type fileEmitter struct {
	sink     Sink
	res      *FileResult
	shapes   []string
	progress *Progress
	sinkErr  error
}

func (f *fileEmitter) Emit(e *timeline.Event) error {
	if !slices.Contains(f.shapes, e.Shape) {
		f.shapes = append(f.shapes, strings.Clone(e.Shape))
	}
	r, err := f.sink.Add(e)
	if err != nil {
		if errors.Is(err, timeline.ErrMissingID) || errors.Is(err, timeline.ErrMissingTime) ||
			errors.Is(err, timeline.ErrMissingSource) || errors.Is(err, timeline.ErrBadValue) {
			// An importer emitted an invalid event: keep it as a reject.
			return f.Reject(&timeline.ParseError{Importer: e.Source, File: e.File, Offset: e.Offset, Err: err, Raw: []byte(e.Raw)})
		}
		f.sinkErr = err
		return err
	}
	f.progress.Events.Add(1)
	switch r {
	case timeline.Added:
		f.res.Imported++
	case timeline.Duplicate:
		f.res.Duplicates++
	case timeline.Collision:
		f.res.Imported++
		f.res.Collisions++
	}
	return nil
}

func (f *fileEmitter) Reject(pe *timeline.ParseError) error {
	f.res.Rejected++
	if err := f.sink.Reject(pe); err != nil {
		f.sinkErr = err
		return err
	}
	return nil
}

func (f *fileEmitter) Note(msg string) { f.res.Notes = append(f.res.Notes, msg) }

// countingReader reports bytes read to the progress counters.
type countingReader struct {
	r io.Reader
	p *Progress
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.p.Done.Add(int64(n))
	return n, err
}
