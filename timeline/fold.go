package timeline

import (
	"bytes"
	"encoding/binary"
	"strings"
)

// containsFold reports whether s contains the lower-case needle, ignoring
// case. Free-text search runs it on three columns of every row, so the
// ASCII path jumps between occurrences (either case) of the needle's
// rarest byte with bytes.IndexByte, and Unicode text falls back to
// lower-casing.
func containsFold(s, lowerNeedle []byte) bool {
	n := len(lowerNeedle)
	if n == 0 {
		return true
	}
	if !isASCII(s) {
		return bytes.Contains(bytes.ToLower(s), lowerNeedle)
	}
	if n > len(s) {
		return false
	}
	p := rarest(lowerNeedle)
	lo, up := lowerNeedle[p], lowerNeedle[p]
	if 'a' <= lo && lo <= 'z' {
		up = lo - ('a' - 'A')
	}
	// Where the byte at p of a match can be: p to len(s)-n+p.
	hay := s[:len(s)-n+p+1]
	// The next occurrence at or after i of each case of the byte (-1:
	// none left), found once and reused until passed.
	nextLo, nextUp := -2, -2
	if lo == up {
		nextUp = -1
	}
	for i := p; i < len(hay); {
		if nextLo != -1 && nextLo < i {
			nextLo = indexFrom(hay, lo, i)
		}
		if nextUp != -1 && nextUp < i {
			nextUp = indexFrom(hay, up, i)
		}
		switch {
		case nextLo < 0 && nextUp < 0:
			return false
		case nextUp < 0 || (nextLo >= 0 && nextLo < nextUp):
			i = nextLo
		default:
			i = nextUp
		}
		if equalLower(s[i-p:i-p+n], lowerNeedle) {
			return true
		}
		i++
	}
	return false
}

// byteRank orders bytes by how often they appear in log text, most
// common first (roughly: English letters by frequency, then digits and
// the punctuation of addresses and paths).
const byteRank = " etaoinsrhldcumfpgwybvkxjqz0123456789.-:/_@"

// rarest returns the index of the needle byte least common in log text.
func rarest(needle []byte) int {
	best, bestRank := 0, -1
	for i, c := range needle {
		r := strings.IndexByte(byteRank, c)
		if r < 0 {
			r = len(byteRank)
		}
		if r > bestRank {
			best, bestRank = i, r
		}
	}
	return best
}

// indexFrom returns the index of c in s at or after from, or -1.
func indexFrom(s []byte, c byte, from int) int {
	j := bytes.IndexByte(s[from:], c)
	if j < 0 {
		return -1
	}
	return from + j
}

// equalLower reports whether ASCII s, lower-cased, equals lower.
func equalLower(s, lower []byte) bool {
	for i, c := range s {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// isASCII reports whether s is all ASCII, eight bytes at a time.
func isASCII(s []byte) bool {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		if binary.LittleEndian.Uint64(s[i:])&0x8080808080808080 != 0 {
			return false
		}
	}
	for ; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
