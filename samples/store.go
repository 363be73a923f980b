package samples

import (
	"encoding/binary"
	"hash/crc32"
	"io"
	"unsafe"
)

// storeWriter writes gzip (RFC 1952) whose DEFLATE stream (RFC 1951) is
// made of stored blocks only: valid gzip that any reader inflates, for the
// cost of a CRC-32 and a copy (GzipStore). Blocks are filled to the
// format's 65,535-byte limit before they are written. Four blocks are
// laid out, headers in place, in a buffer written straight to the file:
// no second buffer copies them again.
type storeWriter struct {
	w    io.Writer
	buf  []byte // finished blocks, then the current one: header, data
	cur  int    // where the current block's 5-byte header is in buf
	crc  uint32
	size uint32 // ISIZE: the input length modulo 2³²
	err  error  // the first write error, reported by close
}

const (
	maxStored   = 65535
	storeBlocks = 4 // blocks held before a write
)

// gzipHeader has no name, no mtime (reproducible bytes), XFL 0 and OS
// 255 (unknown), as compress/gzip writes it.
var gzipHeader = [10]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255}

func newStoreWriter(w io.Writer) *storeWriter {
	s := &storeWriter{buf: make([]byte, 0, len(gzipHeader)+storeBlocks*(5+maxStored)+8)}
	s.reset(w)
	return s
}

// reset starts a new gzip member on w (nil when returned to a pool).
func (s *storeWriter) reset(w io.Writer) {
	s.w, s.crc, s.size, s.err = w, 0, 0, nil
	s.buf = append(s.buf[:0], gzipHeader[:]...)
	s.cur = len(s.buf)
	s.buf = append(s.buf, 0, 0, 0, 0, 0)
}

func (s *storeWriter) write(p []byte) {
	s.crc = crc32.Update(s.crc, crc32.IEEETable, p)
	s.size += uint32(len(p))
	for len(p) > 0 {
		room := s.cur + 5 + maxStored - len(s.buf)
		n := min(room, len(p))
		s.buf = append(s.buf, p[:n]...)
		p = p[n:]
		if n == room {
			s.endBlock(false)
			if len(s.buf)+5+maxStored > cap(s.buf) {
				s.flush()
			}
			s.cur = len(s.buf)
			s.buf = append(s.buf, 0, 0, 0, 0, 0)
		}
	}
}

func (s *storeWriter) writeString(str string) {
	// write only reads p: no copy of the string is needed.
	s.write(unsafe.Slice(unsafe.StringData(str), len(str)))
}

// endBlock fills in the current block's header: BFINAL, BTYPE 00
// (stored), then LEN and NLEN, byte-aligned.
func (s *storeWriter) endBlock(final bool) {
	h := s.buf[s.cur : s.cur+5]
	n := len(s.buf) - s.cur - 5
	h[0] = 0
	if final {
		h[0] = 1
	}
	binary.LittleEndian.PutUint16(h[1:], uint16(n))
	binary.LittleEndian.PutUint16(h[3:], ^uint16(n))
}

// flush writes the finished bytes to w.
func (s *storeWriter) flush() {
	if s.err == nil {
		_, s.err = s.w.Write(s.buf)
	}
	s.buf = s.buf[:0]
}

// close ends the last block (empty if need be), writes the trailer and
// reports the first write error.
func (s *storeWriter) close() error {
	s.endBlock(true)
	s.buf = binary.LittleEndian.AppendUint32(s.buf, s.crc)
	s.buf = binary.LittleEndian.AppendUint32(s.buf, s.size)
	s.flush()
	return s.err
}
