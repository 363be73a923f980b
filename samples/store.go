package samples

import (
	"bufio"
	"encoding/binary"
	"hash/crc32"
	"unsafe"
)

// storeWriter writes gzip (RFC 1952) whose DEFLATE stream (RFC 1951) is
// made of stored blocks only: valid gzip that any reader inflates, for the
// cost of a CRC-32 and a copy (GzipStore). Blocks are filled to the
// format's 65,535-byte limit before they are written.
type storeWriter struct {
	bw   *bufio.Writer
	blk  []byte // 5 header bytes, then up to maxStored bytes of data
	crc  uint32
	size uint32 // ISIZE: the input length modulo 2³²
}

const maxStored = 65535

// gzipHeader has no name, no mtime (reproducible bytes), XFL 0 and OS
// 255 (unknown), as compress/gzip writes it.
var gzipHeader = [10]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255}

func newStoreWriter(bw *bufio.Writer) *storeWriter {
	s := &storeWriter{blk: make([]byte, 5, 5+maxStored)}
	s.reset(bw)
	return s
}

// reset starts a new gzip member on bw (nil when returned to a pool).
func (s *storeWriter) reset(bw *bufio.Writer) {
	s.bw, s.blk, s.crc, s.size = bw, s.blk[:5], 0, 0
	if bw != nil {
		bw.Write(gzipHeader[:])
	}
}

func (s *storeWriter) write(p []byte) {
	s.crc = crc32.Update(s.crc, crc32.IEEETable, p)
	s.size += uint32(len(p))
	for len(p) > 0 {
		n := copy(s.blk[len(s.blk):cap(s.blk)], p)
		s.blk = s.blk[:len(s.blk)+n]
		p = p[n:]
		if len(s.blk) == cap(s.blk) {
			s.flush(false)
		}
	}
}

func (s *storeWriter) writeString(str string) {
	// write only reads p: no copy of the string is needed.
	s.write(unsafe.Slice(unsafe.StringData(str), len(str)))
}

// flush writes the pending block: BFINAL, BTYPE 00 (stored), then LEN and
// NLEN, byte-aligned.
func (s *storeWriter) flush(final bool) {
	n := len(s.blk) - 5
	s.blk[0] = 0
	if final {
		s.blk[0] = 1
	}
	binary.LittleEndian.PutUint16(s.blk[1:], uint16(n))
	binary.LittleEndian.PutUint16(s.blk[3:], ^uint16(n))
	s.bw.Write(s.blk)
	s.blk = s.blk[:5]
}

// close writes the last block (empty if need be) and the trailer. Errors
// are the bufio.Writer's, reported by its Flush.
func (s *storeWriter) close() {
	s.flush(true)
	var tr [8]byte
	binary.LittleEndian.PutUint32(tr[:], s.crc)
	binary.LittleEndian.PutUint32(tr[4:], s.size)
	s.bw.Write(tr[:])
}
