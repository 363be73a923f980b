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
type Batch struct {
	data    []byte
	recs    []batchRec
	sources []string
}

type batchRec struct {
	off, n uint32
	id     uint64 // idHash
	detail uint32 // detailHash
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
	off := len(b.data)
	b.data = appendEvent(b.data, e, e.ID)
	b.recs = append(b.recs, batchRec{
		off: uint32(off), n: uint32(len(b.data) - off),
		id: idHash(e.Source, e.ID), detail: detailHash(e), source: uint32(si), time: e.Time.UnixMicro(),
	})
	return nil
}

// Len returns the number of events in the batch.
func (b *Batch) Len() int { return len(b.recs) }

// Size returns the bytes the batch holds.
func (b *Batch) Size() int { return len(b.data) }

// Reset empties the batch, keeping its memory.
func (b *Batch) Reset() {
	b.data, b.recs = b.data[:0], b.recs[:0]
	if len(b.sources) > 16 {
		b.sources = nil
	}
}

// AddBatch stores the batch's events, in order, unless they are
// duplicates, and appends what it did with each to res. It copies what it
// keeps: the batch may be reset as soon as it returns.
func (r *Run) AddBatch(b *Batch, res []AddResult) ([]AddResult, error) {
	if r.done {
		return res, fmt.Errorf("run is finished")
	}
	for i := range b.recs {
		br := &b.recs[i]
		what, err := r.idx.add(br.id, br.detail)
		if err != nil {
			return res, err
		}
		res = append(res, what)
		if what == Duplicate {
			continue
		}
		rec := b.data[br.off : br.off+br.n]
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
	dst = binary.AppendUvarint(dst, uint64(len(b.recs)))
	for _, r := range b.recs {
		dst = binary.LittleEndian.AppendUint32(dst, r.off)
		dst = binary.LittleEndian.AppendUint32(dst, r.n)
		dst = binary.LittleEndian.AppendUint64(dst, r.id)
		dst = binary.LittleEndian.AppendUint32(dst, r.detail)
		dst = binary.LittleEndian.AppendUint32(dst, r.source)
		dst = binary.LittleEndian.AppendUint64(dst, uint64(r.time))
	}
	return append(dst, b.data...), nil
}

// batchRecSize is a record's size in AppendBinary's form.
const batchRecSize = 32

var errBadBatch = errors.New("timeline: batch: damaged encoding")

// UnmarshalBinary replaces the batch's contents with what AppendBinary
// wrote (encoding.BinaryUnmarshaler). It checks every record's bounds and
// source: a damaged temporary file is an error, not a panic later.
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
	b.data = append(b.data[:0], rest...)
	return nil
}
