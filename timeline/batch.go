package timeline

import (
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
