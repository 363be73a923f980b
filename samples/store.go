package samples

import (
	"encoding/binary"
	"hash/crc32"
	"io"
)

// storeWriter writes gzip (RFC 1952) whose DEFLATE stream (RFC 1951) is
// made of stored blocks only: valid gzip that any reader inflates, for the
// cost of a CRC-32 and a copy (GzipStore). Every block but the last holds
// exactly the format's 65,535-byte limit. Records are appended straight
// into the current block (tail, took): where one crosses a block's end,
// the bytes past it move 5 bytes on to make room for the next block's
// header. About four finished blocks are written at once, straight to the
// file: no second buffer copies them again.
type storeWriter struct {
	w   io.Writer
	buf []byte // finished blocks, then the current one: header, data
	cur int    // where the current block's 5-byte header is in buf
	// crc is the CRC-32 of the finished blocks' bytes (the current
	// block's, from s.cur+5, are added when it is cut or closed): taken a
	// block at a time, not per record (whose last bytes short of 64 went
	// through the slow path each time).
	crc  uint32
	size uint32 // ISIZE: the input length modulo 2³²
	err  error  // the first write error, reported by close
}

const (
	maxStored = 65535
	// storeFlush is how many bytes of finished blocks are written at once
	// (four blocks); storeCap leaves room for a fifth and a long record.
	storeFlush = 4 * (5 + maxStored)
	storeCap   = len(gzipHeader) + storeFlush + 5 + maxStored + 64<<10
	// storeChunk is the most write appends at once, so that the buffer
	// does not grow past storeCap.
	storeChunk = 32 << 10
)

// gzipHeader has no name, no mtime (reproducible bytes), XFL 0 and OS
// 255 (unknown), as compress/gzip writes it.
var gzipHeader = [10]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255}

func newStoreWriter(w io.Writer) *storeWriter {
	s := &storeWriter{buf: make([]byte, 0, storeCap)}
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

// tail returns the buffer to append bytes to (the current block's end);
// took takes it back.
func (s *storeWriter) tail() []byte { return s.buf }

// took takes back b, tail() with bytes appended: it adds them to the
// size, and cuts full blocks (adding their bytes to the CRC), each
// followed by the next block's header.
func (s *storeWriter) took(b []byte) {
	s.size += uint32(len(b) - len(s.buf))
	s.buf = b
	for len(s.buf)-s.cur-5 >= maxStored {
		// A full block (an exactly full one too: the next header follows
		// at once, and the last block may be empty).
		end := s.cur + 5 + maxStored
		s.crc = crc32.Update(s.crc, crc32.IEEETable, s.buf[s.cur+5:end])
		s.buf = append(s.buf, 0, 0, 0, 0, 0)
		copy(s.buf[end+5:], s.buf[end:len(s.buf)-5])
		s.header(s.cur, maxStored, false)
		s.cur = end
		if s.cur >= storeFlush {
			s.flushBlocks()
		}
	}
}

// write appends p, in chunks that keep the buffer within storeCap.
func (s *storeWriter) write(p []byte) {
	for len(p) > 0 {
		n := min(len(p), storeChunk)
		s.took(append(s.buf, p[:n]...))
		p = p[n:]
	}
}

func (s *storeWriter) writeString(str string) {
	// write only reads p: no copy of the string is needed.
	s.write(strBytes(str))
}

// header writes the 5-byte header of the block at i holding n bytes:
// BFINAL, BTYPE 00 (stored), then LEN and NLEN, byte-aligned.
func (s *storeWriter) header(i, n int, final bool) {
	h := s.buf[i : i+5]
	h[0] = 0
	if final {
		h[0] = 1
	}
	binary.LittleEndian.PutUint16(h[1:], uint16(n))
	binary.LittleEndian.PutUint16(h[3:], ^uint16(n))
}

// flushBlocks writes the finished blocks to w and moves the current one
// (its header and the bytes it holds so far) to the front.
func (s *storeWriter) flushBlocks() {
	if s.err == nil {
		_, s.err = s.w.Write(s.buf[:s.cur])
	}
	n := copy(s.buf, s.buf[s.cur:])
	s.buf, s.cur = s.buf[:n], 0
}

// close ends the last block (empty if need be), writes the trailer and
// reports the first write error.
func (s *storeWriter) close() error {
	s.crc = crc32.Update(s.crc, crc32.IEEETable, s.buf[s.cur+5:])
	s.header(s.cur, len(s.buf)-s.cur-5, true)
	s.buf = binary.LittleEndian.AppendUint32(s.buf, s.crc)
	s.buf = binary.LittleEndian.AppendUint32(s.buf, s.size)
	if s.err == nil {
		_, s.err = s.w.Write(s.buf)
	}
	s.buf = s.buf[:0]
	return s.err
}
