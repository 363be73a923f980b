package timeline

import (
	"bufio"
	"cmp"
	"container/heap"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unsafe"

	"github.com/klauspost/compress/s2"
)

// Events wait for their Parquet file as bytes, not as Event values. Add
// encodes an event once into its partition's arena: a few large chunks with
// no pointers, which the garbage collector never scans and which copy the
// importer's strings in one go. Writing decodes the bytes straight into
// Parquet rows whose strings point into the chunks.
//
// A partition that grows big enough to make a good part on its own is
// written to Parquet while the import goes on. When memory runs short and
// the buffer is made of small partitions (records that interleave days and
// sources), the buffer is spilled instead: each partition sorted by time,
// as s2-compressed blocks of encoded events, to a temporary file. Commit
// merges each partition's spilled runs with what is still in memory and
// writes every event to Parquet once.

const (
	// chunkSize is the size of a partition's arena chunks.
	chunkSize = 256 << 10
	// spillBlockSize is the encoded size of one spill block: the
	// unit of compression, and what a merge holds of each run.
	spillBlockSize = 64 << 10
	// smallPartRows is the size under which a partition is not worth a
	// Parquet part of its own while memory is short: it is spilled and
	// merged with the rest of its partition at commit.
	smallPartRows = 16 << 10
	// maxPartRows bounds the rows of one part; bigger partitions get
	// several parts.
	maxPartRows = 2_000_000
	// partRowGroupRows bounds the row groups of merged parts (parquet-go
	// holds a row group's pages in memory while it writes it).
	partRowGroupRows = 64 << 10
)

// partKey names a partition: a source and a UTC day.
type partKey struct {
	source string
	day    int64 // days since 1970-01-01
}

func dayOf(t time.Time) int64 {
	s := t.Unix()
	d := s / 86400
	if s%86400 < 0 {
		d--
	}
	return d
}

func (k partKey) date() string {
	return time.Unix(k.day*86400, 0).UTC().Format(time.DateOnly)
}

func comparePartKeys(a, b partKey) int {
	return cmp.Or(strings.Compare(a.source, b.source), cmp.Compare(a.day, b.day))
}

// recRef locates one encoded event in a partition's arena.
type recRef struct {
	time  int64 // µs since the epoch, the sort key
	chunk uint32
	off   uint32
	n     uint32
}

// partBuf holds one partition's buffered events.
type partBuf struct {
	chunks [][]byte
	fill   int // 1 + the index of the chunk add appends to; 0: none yet
	refs   []recRef
	bytes  int64
	pool   *chunkPool // where chunks come from and go back to; nil: made and dropped
}

// chunkPool keeps the arena chunks of partitions that were written or
// spilled for the next ones: a fresh chunk costs the kernel's page faults
// and the runtime's zeroing, 0.2-0.3 s of a 400k-event CloudTrail import.
// It holds at most what the run's buffers held at once.
type chunkPool struct{ free chan []byte }

func newChunkPool(maxBuffered int64) *chunkPool {
	return &chunkPool{free: make(chan []byte, 2*maxBuffered/chunkSize+8)}
}

// get returns an empty chunk with room for n bytes.
func (cp *chunkPool) get(n int) []byte {
	if cp != nil && n <= chunkSize {
		select {
		case c := <-cp.free:
			return c[:0]
		default:
		}
	}
	return make([]byte, 0, max(chunkSize, n))
}

// put gives chunks back to the pool (those it made; when it is full, the
// rest go to the collector); they must not be read again.
func (cp *chunkPool) put(chunks [][]byte) {
	if cp == nil {
		return
	}
	for _, c := range chunks {
		if cap(c) != chunkSize {
			continue
		}
		select {
		case cp.free <- c:
		default:
			return
		}
	}
}

// release gives p's chunks back to the pool; p must not be read again.
func (p *partBuf) release() {
	p.pool.put(p.chunks)
	p.chunks, p.refs, p.fill = nil, nil, 0
}

// add encodes e (stored under id) into the arena and returns the bytes it
// took.
func (p *partBuf) add(e *Event, id string) int64 {
	n := encodedSize(e, id)
	ci, off := p.reserve(n)
	p.chunks[ci] = appendEvent(p.chunks[ci], e, id)
	return p.push(e.Time.UnixMicro(), ci, off, n)
}

// addEncoded appends an event already encoded and returns the bytes it
// took.
func (p *partBuf) addEncoded(rec []byte, t int64) int64 {
	ci, off := p.reserve(len(rec))
	p.chunks[ci] = append(p.chunks[ci], rec...)
	return p.push(t, ci, off, len(rec))
}

// adopt takes chunk c, which holds whole encoded events, as one of its own:
// the events at recs are buffered without a copy. It returns the bytes they
// took. c must not be written by anyone else again; add keeps filling the
// chunk it filled before.
func (p *partBuf) adopt(c []byte, recs []batchRec) int64 {
	p.chunks = append(p.chunks, c)
	ci := len(p.chunks) - 1
	var size int64
	for i := range recs {
		size += p.push(recs[i].time, ci, int(recs[i].off), int(recs[i].n))
	}
	return size
}

// reserve returns a chunk with room for n more bytes, and where they go.
func (p *partBuf) reserve(n int) (chunk, off int) {
	if p.fill == 0 || cap(p.chunks[p.fill-1])-len(p.chunks[p.fill-1]) < n {
		p.chunks = append(p.chunks, p.pool.get(n))
		p.fill = len(p.chunks)
	}
	ci := p.fill - 1
	return ci, len(p.chunks[ci])
}

// push records the event just written at chunk ci, offset off.
func (p *partBuf) push(t int64, ci, off, n int) int64 {
	p.refs = append(p.refs, recRef{time: t, chunk: uint32(ci), off: uint32(off), n: uint32(n)})
	size := int64(n) + int64(unsafe.Sizeof(recRef{}))
	p.bytes += size
	return size
}

// sort orders the events by time, keeping their arrival order on ties.
func (p *partBuf) sort() {
	slices.SortStableFunc(p.refs, func(a, b recRef) int { return cmp.Compare(a.time, b.time) })
}

func (p *partBuf) record(i int) []byte {
	r := p.refs[i]
	return p.chunks[r.chunk][r.off : r.off+r.n]
}

// The encoding of an event: time (µs) and offset as 8 bytes each, then
// every string column as a uvarint length and its bytes, in row order.

func strSize(s string) int { return uvarintLen(uint64(len(s))) + len(s) }

func uvarintLen(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}

func encodedSize(e *Event, id string) int {
	return 16 + strSize(id) + strSize(e.Source) + strSize(e.Shape) + strSize(string(e.Category)) + strSize(e.Action) +
		strSize(string(e.Outcome)) + strSize(e.Reason) + strSize(e.Actor) + strSize(string(e.ActorKind)) +
		strSize(e.Tenant) + strSize(e.ActorTenant) + strSize(e.AppID) + strSize(e.AppName) + strSize(e.ResourceApp) +
		strSize(e.SessionID) + strSize(e.TokenID) + strSize(e.KeyID) + strSize(e.IssuedKind) + strSize(e.IssuedID) +
		strSize(e.SrcIP) + strSize(e.UserAgent) + strSize(e.Country) + strSize(e.Target) + strSize(e.TargetKind) +
		strSize(e.CorrelationID) + strSize(e.Message) + strSize(e.Raw) + strSize(e.File) + strSize(e.FileSHA256)
}

func appendStr(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendEvent(b []byte, e *Event, id string) []byte {
	b = binary.LittleEndian.AppendUint64(b, uint64(e.Time.UnixMicro()))
	b = binary.LittleEndian.AppendUint64(b, uint64(e.Offset))
	b = appendStr(b, id)
	b = appendStr(b, e.Source)
	b = appendStr(b, e.Shape)
	b = appendStr(b, string(e.Category))
	b = appendStr(b, e.Action)
	b = appendStr(b, string(e.Outcome))
	b = appendStr(b, e.Reason)
	b = appendStr(b, e.Actor)
	b = appendStr(b, string(e.ActorKind))
	b = appendStr(b, e.Tenant)
	b = appendStr(b, e.ActorTenant)
	b = appendStr(b, e.AppID)
	b = appendStr(b, e.AppName)
	b = appendStr(b, e.ResourceApp)
	b = appendStr(b, e.SessionID)
	b = appendStr(b, e.TokenID)
	b = appendStr(b, e.KeyID)
	b = appendStr(b, e.IssuedKind)
	b = appendStr(b, e.IssuedID)
	b = appendStr(b, e.SrcIP)
	b = appendStr(b, e.UserAgent)
	b = appendStr(b, e.Country)
	b = appendStr(b, e.Target)
	b = appendStr(b, e.TargetKind)
	b = appendStr(b, e.CorrelationID)
	b = appendStr(b, e.Message)
	b = appendStr(b, e.Raw)
	b = appendStr(b, e.File)
	b = appendStr(b, e.FileSHA256)
	return b
}

var errBadRecord = errors.New("corrupt buffered event")

type recDecoder struct {
	b   []byte
	bad bool
}

// bytes returns the next string column's bytes, a view of the buffer
// (clipped: an append to it cannot reach the next one).
func (d *recDecoder) bytes() []byte {
	n, k := binary.Uvarint(d.b)
	if k <= 0 || n > uint64(len(d.b)-k) {
		d.bad, d.b = true, nil
		return nil
	}
	v := d.b[k : k+int(n) : k+int(n)]
	d.b = d.b[k+int(n):]
	return v
}

// str returns the next string; it shares memory with the buffer, which
// is never written again.
func (d *recDecoder) str() string {
	v := d.bytes()
	return unsafe.String(unsafe.SliceData(v), len(v))
}

// decodeRow decodes one event from the front of b into r and returns the
// bytes it took.
func decodeRow(b []byte, r *row) (int, error) {
	if len(b) < 16 {
		return 0, errBadRecord
	}
	d := recDecoder{b: b[16:]}
	*r = row{
		Time:          int64(binary.LittleEndian.Uint64(b)),
		Offset:        int64(binary.LittleEndian.Uint64(b[8:])),
		ID:            d.str(),
		Source:        d.str(),
		Shape:         d.str(),
		Category:      Category(d.str()),
		Action:        d.str(),
		Outcome:       Outcome(d.str()),
		Reason:        d.str(),
		Actor:         d.str(),
		ActorKind:     ActorKind(d.str()),
		Tenant:        d.str(),
		ActorTenant:   d.str(),
		AppID:         d.str(),
		AppName:       d.str(),
		ResourceApp:   d.str(),
		SessionID:     d.str(),
		TokenID:       d.str(),
		KeyID:         d.str(),
		IssuedKind:    d.str(),
		IssuedID:      d.str(),
		SrcIP:         d.str(),
		UserAgent:     d.str(),
		Country:       d.str(),
		Target:        d.str(),
		TargetKind:    d.str(),
		CorrelationID: d.str(),
		Message:       d.str(),
		Raw:           d.str(),
		File:          d.str(),
		FileSHA256:    d.str(),
	}
	if d.bad {
		return 0, errBadRecord
	}
	return len(b) - len(d.b), nil
}

// spillSeg is one partition's sorted run in a spill file.
type spillSeg struct {
	f      *os.File
	blocks []spillBlock
}

type spillBlock struct {
	off  int64
	clen uint32
}

// spillDir returns the run's directory of spills and temporary files,
// made if needed.
func (r *Run) spillDir() (string, error) {
	dir := r.staged("spill")
	return dir, os.MkdirAll(dir, 0o755)
}

// TempFile creates a file in the run's staging directory for an
// importer's own use, removed from the directory at once where the system
// allows (the open file stays usable; nothing is left behind by a crash),
// else by the caller or, after a crash, by the next run's cleanup.
func (r *Run) TempFile() (*os.File, error) {
	dir, err := r.spillDir()
	if err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(dir, "queue-*.tmp")
	if err != nil {
		return nil, err
	}
	os.Remove(f.Name()) // fails on Windows while f is open: the caller removes it
	return f, nil
}

// spill writes the buffered partitions, each sorted by time, to a new
// spill file and records their runs. It runs on the writer goroutine.
func (r *Run) spill(parts []keyedBuf) error {
	r.spillSeq++
	dir, err := r.spillDir()
	if err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, fmt.Sprintf("spill-%05d.s2", r.spillSeq)))
	if err != nil {
		return fmt.Errorf("spill: %w", err)
	}
	r.spillFiles = append(r.spillFiles, f)
	w := bufio.NewWriterSize(f, 1<<20)
	var off int64
	block := make([]byte, 0, spillBlockSize+spillBlockSize/4)
	var cbuf []byte
	for _, kp := range parts {
		p := kp.buf
		p.sort()
		seg := spillSeg{f: f}
		put := func() error {
			cbuf = s2.Encode(cbuf[:cap(cbuf)], block)
			if _, err := w.Write(cbuf); err != nil {
				return err
			}
			seg.blocks = append(seg.blocks, spillBlock{off: off, clen: uint32(len(cbuf))})
			off += int64(len(cbuf))
			block = block[:0]
			return nil
		}
		for i := range p.refs {
			block = append(block, p.record(i)...)
			if len(block) >= spillBlockSize {
				if err := put(); err != nil {
					return fmt.Errorf("spill: %w", err)
				}
			}
		}
		if len(block) > 0 {
			if err := put(); err != nil {
				return fmt.Errorf("spill: %w", err)
			}
		}
		p.release()
		if r.spills == nil {
			r.spills = map[partKey][]spillSeg{}
		}
		r.spills[kp.key] = append(r.spills[kp.key], seg)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("spill: %w", err)
	}
	return nil
}

// recSource yields encoded events (see appendEvent) in time order. A
// record stays valid until the part writer says its batch is written
// (partWriter.flushed).
type recSource interface {
	next() ([]byte, bool, error)
}

// recTime is the time (µs) of an encoded event.
func recTime(rec []byte) int64 { return int64(binary.LittleEndian.Uint64(rec)) }

// recordLen returns the length of the encoded event at the front of b.
func recordLen(b []byte) (int, error) {
	if len(b) < 16 {
		return 0, errBadRecord
	}
	d := recDecoder{b: b[16:]}
	for range len(columns) - 2 {
		d.bytes()
	}
	if d.bad {
		return 0, errBadRecord
	}
	return len(b) - len(d.b), nil
}

type memSource struct {
	p *partBuf
	i int
}

func (s *memSource) next() ([]byte, bool, error) {
	if s.i >= len(s.p.refs) {
		return nil, false, nil
	}
	rec := s.p.record(s.i)
	s.i++
	if len(rec) < 16 {
		return nil, false, errBadRecord
	}
	return rec, true, nil
}

type segSource struct {
	seg  spillSeg
	bi   int
	cur  []byte
	cbuf []byte
	// blocks are the decoded blocks the source's records may still be
	// read from, the current one last, in chunks of pool; recycle gives the
	// others back once the rows made from them are written.
	blocks [][]byte
	pool   *chunkPool
}

// recycle gives back the blocks the source has read past: every row made
// from them is in a part (the caller just flushed its batch).
func (s *segSource) recycle() {
	if len(s.blocks) < 2 {
		return
	}
	done := s.blocks[:len(s.blocks)-1]
	s.pool.put(done)
	clear(done)
	s.blocks = append(s.blocks[:0], s.blocks[len(s.blocks)-1])
}

func (s *segSource) next() ([]byte, bool, error) {
	for len(s.cur) == 0 {
		if s.bi >= len(s.seg.blocks) {
			return nil, false, nil
		}
		b := s.seg.blocks[s.bi]
		s.bi++
		if cap(s.cbuf) < int(b.clen) {
			s.cbuf = make([]byte, b.clen)
		}
		c := s.cbuf[:b.clen]
		if _, err := s.seg.f.ReadAt(c, b.off); err != nil {
			return nil, false, fmt.Errorf("read spill: %w", err)
		}
		n, err := s2.DecodedLen(c)
		if err != nil {
			return nil, false, fmt.Errorf("read spill: %w", err)
		}
		// A buffer of its own for every block: the rows' strings point
		// into it until they are written (see recycle).
		buf := s.pool.get(n)[:n]
		s.cur, err = s2.Decode(buf, c)
		if err != nil {
			return nil, false, fmt.Errorf("read spill: %w", err)
		}
		s.blocks = append(s.blocks, buf)
	}
	n, err := recordLen(s.cur)
	if err != nil {
		return nil, false, err
	}
	rec := s.cur[:n:n]
	s.cur = s.cur[n:]
	return rec, true, nil
}

// mergeItem is one source's current record in a merge.
type mergeItem struct {
	src   recSource
	rec   []byte
	time  int64
	order int // the source's place among the inputs: ties keep it
}

type mergeHeap []*mergeItem

func (h mergeHeap) Len() int { return len(h) }
func (h mergeHeap) Less(i, j int) bool {
	if h[i].time != h[j].time {
		return h[i].time < h[j].time
	}
	return h[i].order < h[j].order
}
func (h mergeHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *mergeHeap) Push(x any)   { *h = append(*h, x.(*mergeItem)) }
func (h *mergeHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// advance reads the item's next record; false when its source is done.
func (it *mergeItem) advance() (bool, error) {
	rec, ok, err := it.src.next()
	if !ok || err != nil {
		return false, err
	}
	it.rec, it.time = rec, recTime(rec)
	return true, nil
}

// writeJob is one partition on its way to Parquet: its spilled runs (in
// spill order) and what is still in memory.
type writeJob struct {
	key    partKey
	spills []spillSeg
	mem    *partBuf
}

// write merges the job's sources by time and writes them as one or more
// Parquet parts.
func (r *Run) write(job writeJob) ([]PartRecord, error) {
	var srcs []recSource
	var segs []*segSource
	for _, s := range job.spills {
		ss := &segSource{seg: s, pool: r.chunks}
		srcs = append(srcs, ss)
		segs = append(segs, ss)
	}
	recycle := func() {
		for _, s := range segs {
			s.recycle()
		}
	}
	if job.mem != nil && len(job.mem.refs) > 0 {
		job.mem.sort()
		srcs = append(srcs, &memSource{p: job.mem})
	}
	h := make(mergeHeap, 0, len(srcs))
	for i, s := range srcs {
		it := &mergeItem{src: s, order: i}
		ok, err := it.advance()
		if err != nil {
			return nil, err
		}
		if ok {
			h = append(h, it)
		}
	}
	heap.Init(&h)
	var out []PartRecord
	var pw *partWriter
	for len(h) > 0 {
		if pw == nil {
			var err error
			if pw, err = r.newPartWriter(job.key); err != nil {
				return out, err
			}
			pw.flushed = recycle
		}
		it := h[0]
		if err := pw.add(it.rec); err != nil {
			pw.abandon()
			return out, err
		}
		ok, err := it.advance()
		if err != nil {
			pw.abandon()
			return out, err
		}
		if ok {
			heap.Fix(&h, 0)
		} else {
			heap.Pop(&h)
		}
		if pw.rec.Rows >= maxPartRows {
			p, err := pw.finish()
			if err != nil {
				return out, err
			}
			out = append(out, p)
			pw = nil
		}
	}
	if pw != nil {
		p, err := pw.finish()
		if err != nil {
			return out, err
		}
		out = append(out, p)
	}
	// Every row is in a part (pw.flush copied it): the buffers go back.
	if job.mem != nil {
		job.mem.release()
	}
	for _, s := range segs {
		r.chunks.put(s.blocks)
	}
	return out, nil
}
