package timeline

import (
	"context"
	"fmt"
	"io"
)

// Importer reads one provider's exports. Implementations live in package
// importers, one per source, registered in one ordered table.
type Importer interface {
	// Name is the stable source name recorded on every Event, e.g. "aws.cloudtrail".
	Name() string
	// Match is cheap detection by content: head holds the first bytes of the
	// file after decompression. name is for messages and hints only; a match
	// never rests on the extension.
	Match(name string, head []byte) bool
	// Import streams the records of r to out. It returns an error only when
	// the file as a whole cannot be read; a bad record is reported through
	// out.Reject and the import goes on.
	Import(ctx context.Context, r io.Reader, src Source, out Emitter) error
}

// Source is the provenance of one input file.
type Source struct {
	// File is the path as given by the user (with "!member" for zip members).
	File string
	// SHA256 is the hex SHA-256 of the file's bytes as read.
	SHA256 string
	// Base is where the stream starts in the file: a large file is read
	// in chunks on several cores, and offsets (and the fallback ids made
	// from them) are always the file's.
	Base int64
}

// Emitter receives an importer's output.
type Emitter interface {
	// Emit records one normalized event. e and its strings stay the
	// importer's: a single-pass reader's strings are views of its read
	// buffer, valid only until Emit returns. The emitter copies what it
	// keeps (Event.Clone).
	Emit(e *Event) error
	// Reject records a record that could not be normalized.
	Reject(err *ParseError) error
	// Note records a remark about the file as a whole (e.g. a CloudTrail
	// digest file, recognized and deliberately skipped).
	Note(msg string)
}

// ParseError is a record that could not be normalized, with where it was.
// It is modelled on encoding/csv's ParseError.
type ParseError struct {
	Importer string // source name of the importer
	File     string // input file
	Offset   int64  // byte offset of the record in the (decompressed) file
	Line     int    // 1-based line of the record, 0 when unknown
	Err      error  // what was wrong
	Raw      []byte // the record's bytes, as far as they could be cut out
}

// Error implements error.
func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s: %s: offset %d (line %d): %v", e.Importer, e.File, e.Offset, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %s: offset %d: %v", e.Importer, e.File, e.Offset, e.Err)
}

// Unwrap returns the underlying error.
func (e *ParseError) Unwrap() error { return e.Err }
