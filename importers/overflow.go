package importers

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/causeway-ir/causeway/timeline"
)

// The sink takes the tasks' output in task order, and a task that is not
// the sink's yet may hold only a few batches ready: a file too large to be
// held (a 400 MB sign-in export, a 100 MB audit CSV) was parsed on one core
// while the file before it went to the sink, and the other worker waited
// behind it. Such a task now goes on parsing into an overflow: a temporary
// file of its items, in order, which the sink replays when it gets there
// (and reads as it grows, if the task is still being parsed by then). Its
// channel holds a marker where the overflow begins; the task's last items
// (its results) follow the marker in the channel, so that the order the
// sink sees is unchanged and the case the same.

// maxOverflow bounds one task's overflow; past it the task waits for the
// sink as before.
const maxOverflow = 1 << 30

// tempFiler is a sink that can give an importer a temporary file
// (timeline.Run can).
type tempFiler interface {
	TempFile() (*os.File, error)
}

// overflow is one task's spilled items: written by its worker, read by
// the sink, at the same time.
type overflow struct {
	f   *os.File
	enc []byte // the writer's buffer

	mu      sync.Mutex
	cond    sync.Cond
	written int64 // bytes of whole items: the reader may read them
	closed  bool  // the writer is done

	// the reader's
	off int64
	buf []byte
}

func newOverflow(f *os.File) *overflow {
	o := &overflow{f: f}
	o.cond.L = &o.mu
	return o
}

// Item kinds in the file.
const (
	overflowBatch byte = 1 + iota
	overflowReject
	overflowFile
)

// put appends an item (a batch, a reject or a file's end). A batch can be
// reused once put returns.
func (o *overflow) put(it item) error {
	o.enc = append(o.enc[:0], 0, 0, 0, 0, 0)
	var err error
	switch {
	case it.batch != nil:
		o.enc[4] = overflowBatch
		o.enc, err = it.batch.AppendBinary(o.enc)
	case it.reject != nil:
		o.enc[4] = overflowReject
		pe := it.reject
		reason := ""
		if pe.Err != nil {
			reason = pe.Err.Error()
		}
		for _, s := range [...]string{pe.Importer, pe.File, reason, string(pe.Raw)} {
			o.enc = binary.AppendUvarint(o.enc, uint64(len(s)))
			o.enc = append(o.enc, s...)
		}
		o.enc = binary.AppendVarint(o.enc, pe.Offset)
		o.enc = binary.AppendVarint(o.enc, int64(pe.Line))
	case it.file != "":
		o.enc[4] = overflowFile
		o.enc = append(o.enc, it.file...)
	default:
		return fmt.Errorf("overflow: an item of no kind")
	}
	if err != nil {
		return err
	}
	binary.LittleEndian.PutUint32(o.enc, uint32(len(o.enc)-5))
	if _, err := o.f.Write(o.enc); err != nil {
		return fmt.Errorf("overflow: %w", err)
	}
	o.mu.Lock()
	o.written += int64(len(o.enc))
	o.mu.Unlock()
	o.cond.Broadcast()
	return nil
}

// full reports whether the overflow has reached maxOverflow.
func (o *overflow) full() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.written >= maxOverflow
}

// close ends the writer's side: the reader gets what was written, then
// the end.
func (o *overflow) close() {
	o.mu.Lock()
	o.closed = true
	o.mu.Unlock()
	o.cond.Broadcast()
}

// next returns the next item, waiting for the writer if needed; ok is
// false after the last. A batch comes from pool.
func (o *overflow) next(pool *sync.Pool) (it item, ok bool, err error) {
	o.mu.Lock()
	for o.off >= o.written && !o.closed {
		o.cond.Wait()
	}
	end := o.written
	o.mu.Unlock()
	if o.off >= end {
		return item{}, false, nil
	}
	var head [5]byte
	if _, err := o.f.ReadAt(head[:], o.off); err != nil {
		return item{}, false, fmt.Errorf("overflow: %w", err)
	}
	n := int64(binary.LittleEndian.Uint32(head[:]))
	if o.off+5+n > end {
		return item{}, false, errors.New("overflow: damaged")
	}
	if int64(cap(o.buf)) < n {
		o.buf = make([]byte, n)
	}
	o.buf = o.buf[:n]
	if _, err := o.f.ReadAt(o.buf, o.off+5); err != nil {
		return item{}, false, fmt.Errorf("overflow: %w", err)
	}
	o.off += 5 + n
	switch head[4] {
	case overflowBatch:
		b := pool.Get().(*timeline.Batch)
		if err := b.UnmarshalBinary(o.buf); err != nil {
			return item{}, false, err
		}
		return item{batch: b}, true, nil
	case overflowReject:
		var f [4]string
		p := o.buf
		for i := range f {
			l, k := binary.Uvarint(p)
			if k <= 0 || l > uint64(len(p)-k) {
				return item{}, false, errors.New("overflow: damaged reject")
			}
			f[i], p = string(p[k:k+int(l)]), p[k+int(l):]
		}
		off, k := binary.Varint(p)
		if k <= 0 {
			return item{}, false, errors.New("overflow: damaged reject")
		}
		line, k2 := binary.Varint(p[k:])
		if k2 <= 0 {
			return item{}, false, errors.New("overflow: damaged reject")
		}
		pe := &timeline.ParseError{Importer: f[0], File: f[1], Offset: off, Line: int(line), Raw: []byte(f[3])}
		if f[2] != "" {
			pe.Err = errors.New(f[2])
		}
		return item{reject: pe}, true, nil
	case overflowFile:
		return item{file: string(o.buf)}, true, nil
	}
	return item{}, false, errors.New("overflow: damaged")
}

// replay hands every item to take, in order, as the writer writes them,
// until the writer is done or ctx ends. (A cancelled import's workers stop
// at their next item, closing their overflows, so a wait ends too.)
func (o *overflow) replay(ctx context.Context, pool *sync.Pool, take func(item) error) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		it, ok, err := o.next(pool)
		if err != nil || !ok {
			return err
		}
		if err := take(it); err != nil {
			return err
		}
	}
}

// release closes the file (and removes it where creating it could not).
func (o *overflow) release() {
	o.f.Close()
	os.Remove(o.f.Name())
}
