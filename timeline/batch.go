package timeline

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Batch is events made ready for Run.AddBatch on another goroutine:
// validated, hashed for deduplication and encoded, so that parsers on
// several cores feed one run and the run's own work per event is an index
// lookup and a copy. A Batch is not safe for concurrent use; Reset lets it
// be used again once AddBatch has returned.
//
// The encoded events are kept in chunks the size of a partition's arena
// chunks, no event across two: AddBatch hands a chunk whose events all go
// to one partition to that partition's arena as it is, and gives the batch
// an empty chunk in its place, instead of copying the events.
type Batch struct {
	chunks  [][]byte
	cur     int // the chunk Add appends to
	size    int // the bytes of the events in chunks
	recs    []batchRec
	sources []string
}

type batchRec struct {
	off, n uint32
	chunk  uint32 // index into chunks
	detail uint32 // detailHash
	id     uint64 // idHash
	source uint32 // index into sources
	time   int64  // µs
}

// Add validates e and appends it; an invalid event is not added and its
// error returned (the caller rejects the record).
func (b *Batch) Add(e *Event) error {
	if err := e.Validate(); err != nil {
		return err
	}
	si := len(b.sources) - 1
	if si < 0 || b.sources[si] != e.Source {
		si = -1
		for i, s := range b.sources {
			if s == e.Source {
				si = i
				break
			}
		}
		if si < 0 {
			b.sources = append(b.sources, strings.Clone(e.Source))
			si = len(b.sources) - 1
		}
	}
	n := encodedSize(e, e.ID)
	ci := b.room(n)
	off := len(b.chunks[ci])
	b.chunks[ci] = appendEvent(b.chunks[ci], e, e.ID)
	b.size += n
	b.recs = append(b.recs, batchRec{
		off: uint32(off), n: uint32(n), chunk: uint32(ci),
		id: idHash(e.Source, e.ID), detail: detailHash(e), source: uint32(si), time: e.Time.UnixMicro(),
	})
	return nil
}

// room returns the chunk with room for n more bytes that Add appends to:
// the current one, or the next (made if needed).
func (b *Batch) room(n int) int {
	for ; b.cur < len(b.chunks); b.cur++ {
		if c := b.chunks[b.cur]; cap(c)-len(c) >= n {
			return b.cur
		}
	}
	b.chunks = append(b.chunks, make([]byte, 0, max(chunkSize, n)))
	return b.cur
}

// Len returns the number of events in the batch.
func (b *Batch) Len() int { return len(b.recs) }

// Size returns the bytes the batch holds.
func (b *Batch) Size() int { return b.size }

// Reset empties the batch, keeping its memory.
func (b *Batch) Reset() {
	for i := range b.chunks {
		b.chunks[i] = b.chunks[i][:0]
	}
	b.cur, b.size, b.recs = 0, 0, b.recs[:0]
	if len(b.sources) > 16 {
		b.sources = nil
	}
}

// adoptMin is the least a batch's chunk must hold to be handed to a
// partition as it is: the partition's arena does not fill an adopted
// chunk's free end, so a chunk with less is copied instead.
const adoptMin = chunkSize * 3 / 4

// AddBatch stores the batch's events, in order, unless they are
// duplicates, and appends what it did with each to res. What it keeps is
// copied, or the chunk it is in taken from the batch (and replaced): the
// batch may be reset as soon as it returns.
func (r *Run) AddBatch(b *Batch, res []AddResult) ([]AddResult, error) {
	if r.done {
		return res, fmt.Errorf("run is finished")
	}
	// The records, chunk by chunk (Add fills the chunks in turn): a
	// chunk's deduplication comes first, then its events go to their
	// partitions, whole when they are all new and of one partition.
	for i := 0; i < len(b.recs); {
		j := i + 1
		for j < len(b.recs) && b.recs[j].chunk == b.recs[i].chunk {
			j++
		}
		recs := b.recs[i:j]
		from := len(res)
		for k := range recs {
			what, err := r.idx.add(recs[k].id, recs[k].detail)
			if err != nil {
				// Keep what was decided before the error.
				res, _ = r.store(b, recs[:k], res, from)
				return res, err
			}
			res = append(res, what)
		}
		var err error
		if res, err = r.store(b, recs, res, from); err != nil {
			return res, err
		}
		i = j
	}
	return res, nil
}

// store buffers the records recs of one chunk of b, which res[from:]
// says what to do with, and returns res.
func (r *Run) store(b *Batch, recs []batchRec, res []AddResult, from int) ([]AddResult, error) {
	if len(recs) == 0 {
		return res, nil
	}
	ci := recs[0].chunk
	k := partKey{b.sources[recs[0].source], dayOf(time.UnixMicro(recs[0].time))}
	whole := len(b.chunks[ci]) >= adoptMin
	for i := 0; whole && i < len(recs); i++ {
		whole = res[from+i] == Added && recs[i].source == recs[0].source &&
			dayOf(time.UnixMicro(recs[i].time)) == k.day
	}
	if whole {
		r.buffered += r.partition(k).adopt(b.chunks[ci], recs)
		b.chunks[ci] = r.chunks.get(chunkSize)
		return res, r.relieve()
	}
	for i := range recs {
		br := &recs[i]
		what := res[from+i]
		if what == Duplicate {
			continue
		}
		rec := b.chunks[br.chunk][br.off : br.off+br.n]
		k := partKey{b.sources[br.source], dayOf(time.UnixMicro(br.time))}
		p := r.partition(k)
		if what == Collision {
			// Stored under a suffixed id: decode and encode again (rare).
			var x row
			if _, err := decodeRow(rec, &x); err != nil {
				return res, err
			}
			var e Event
			fromRow(&x, &e)
			r.buffered += p.add(&e, collisionID(e.ID, br.detail))
		} else {
			r.buffered += p.addEncoded(rec, br.time)
		}
		if err := r.relieve(); err != nil {
			return res, err
		}
	}
	return res, nil
}

// AppendBinary appends the batch in a form UnmarshalBinary reads back
// (encoding.BinaryAppender): an importer whose sink is busy with earlier
// files keeps parsing into a temporary file instead of waiting.
func (b *Batch) AppendBinary(dst []byte) ([]byte, error) {
	dst = binary.AppendUvarint(dst, uint64(len(b.sources)))
	for _, s := range b.sources {
		dst = binary.AppendUvarint(dst, uint64(len(s)))
		dst = append(dst, s...)
	}
	// Offsets are into the chunks one after another.
	base := make([]uint32, len(b.chunks))
	var n uint32
	for i, c := range b.chunks {
		base[i] = n
		n += uint32(len(c))
	}
	dst = binary.AppendUvarint(dst, uint64(len(b.recs)))
	for _, r := range b.recs {
		dst = binary.LittleEndian.AppendUint32(dst, base[r.chunk]+r.off)
		dst = binary.LittleEndian.AppendUint32(dst, r.n)
		dst = binary.LittleEndian.AppendUint64(dst, r.id)
		dst = binary.LittleEndian.AppendUint32(dst, r.detail)
		dst = binary.LittleEndian.AppendUint32(dst, r.source)
		dst = binary.LittleEndian.AppendUint64(dst, uint64(r.time))
	}
	for _, c := range b.chunks {
		dst = append(dst, c...)
	}
	return dst, nil
}

// batchRecSize is a record's size in AppendBinary's form.
const batchRecSize = 32

var errBadBatch = errors.New("timeline: batch: damaged encoding")

// UnmarshalBinary replaces the batch's contents with what AppendBinary
// wrote (encoding.BinaryUnmarshaler), its events in one chunk. It checks
// every record's bounds and source: a damaged temporary file is an error,
// not a panic later.
func (b *Batch) UnmarshalBinary(data []byte) error {
	b.Reset()
	b.sources = b.sources[:0]
	ns, k := binary.Uvarint(data)
	if k <= 0 || ns > uint64(len(data)) {
		return errBadBatch
	}
	data = data[k:]
	for range ns {
		n, k := binary.Uvarint(data)
		if k <= 0 || n > uint64(len(data)-k) {
			return errBadBatch
		}
		b.sources = append(b.sources, string(data[k:k+int(n)]))
		data = data[k+int(n):]
	}
	nr, k := binary.Uvarint(data)
	if k <= 0 || nr > uint64(len(data)-k)/batchRecSize {
		return errBadBatch
	}
	data = data[k:]
	recs, rest := data[:nr*batchRecSize], data[nr*batchRecSize:]
	for i := range int(nr) {
		p := recs[i*batchRecSize:]
		r := batchRec{
			off: binary.LittleEndian.Uint32(p), n: binary.LittleEndian.Uint32(p[4:]),
			id: binary.LittleEndian.Uint64(p[8:]), detail: binary.LittleEndian.Uint32(p[16:]),
			source: binary.LittleEndian.Uint32(p[20:]), time: int64(binary.LittleEndian.Uint64(p[24:])),
		}
		if uint64(r.off)+uint64(r.n) > uint64(len(rest)) || uint64(r.source) >= uint64(len(b.sources)) {
			return errBadBatch
		}
		b.recs = append(b.recs, r)
	}
	var c []byte
	if len(b.chunks) > 0 {
		c = b.chunks[0][:0]
	}
	b.chunks = append(b.chunks[:0], append(c, rest...))
	b.size = len(rest)
	return nil
}
