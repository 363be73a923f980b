package samples

import (
	"fmt"
	"strconv"
	"time"
)

// A sink lays out records (JSON objects or CSV lines), given in time
// order, in files the way one export shape does. A record is appended in
// place: begin returns the buffer to append the record at t to (what goes
// before it already written), end takes the buffer back with the record.
type sink interface {
	begin(t time.Time) ([]byte, error)
	end(b []byte)
	close() error
}

// ndjsonSink writes one record per line into one file (Log Analytics /
// Sentinel query exports, provider telemetry).
type ndjsonSink struct{ w *fileWriter }

func newNDJSON(o *output, rel string) (*ndjsonSink, error) {
	w, err := o.create(rel)
	if err != nil {
		return nil, err
	}
	return &ndjsonSink{w: w}, nil
}

func (s *ndjsonSink) begin(time.Time) ([]byte, error) { return s.w.recBuf(), nil }

func (s *ndjsonSink) end(b []byte) { s.w.endRecord(append(b, '\n')) }

func (s *ndjsonSink) close() error { return s.w.close() }

// hourlySink writes NDJSON into one file per UTC hour, named by pathFor:
// the PT1H.json blobs of Azure Monitor diagnostic settings in a storage
// account, or a Cloud Logging sink's hourly objects.
type hourlySink struct {
	o       *output
	pathFor func(hour time.Time) string
	hour    time.Time
	w       *fileWriter
	done    map[time.Time]bool // hours already closed
}

func (s *hourlySink) begin(t time.Time) ([]byte, error) {
	h := t.UTC().Truncate(time.Hour)
	if s.w == nil || !h.Equal(s.hour) {
		if s.done == nil {
			s.done = map[time.Time]bool{}
		}
		if s.done[h] {
			// A generator bug: records must come in hour order, or a blob
			// would be written twice.
			return nil, fmt.Errorf("samples: %s: hour written twice", s.pathFor(h))
		}
		if s.w != nil {
			s.done[s.hour] = true
			if err := s.w.close(); err != nil {
				return nil, err
			}
		}
		w, err := s.o.create(s.pathFor(h))
		if err != nil {
			return nil, err
		}
		s.w, s.hour = w, h
	}
	return s.w.recBuf(), nil
}

func (s *hourlySink) end(b []byte) { s.w.endRecord(append(b, '\n')) }

func (s *hourlySink) close() error {
	if s.w == nil {
		return nil
	}
	return s.w.close()
}

// graphPager writes Microsoft Graph list responses: one file per page of
// up to pageSize records, each {"@odata.context", "@odata.nextLink" (all
// but the last page), "value":[…]}, as a script saving every page of a
// paged GET writes them. A page's records are held until the next record
// (or the end) says whether the page gets a nextLink.
type graphPager struct {
	o        *output
	dir      string // pages are dir/page-0001.json, …
	context  string // @odata.context URL
	nextBase string // @odata.nextLink without the skip token
	pageSize int
	rng      interface{ Uint64() uint64 }

	page int
	n    int
	buf  []byte // the current page's records, comma-separated
}

func (g *graphPager) begin(time.Time) ([]byte, error) {
	if g.n == g.pageSize {
		if err := g.flush(true); err != nil {
			return nil, err
		}
	}
	if g.n > 0 {
		g.buf = append(g.buf, ',')
	}
	return g.buf, nil
}

func (g *graphPager) end(b []byte) {
	g.buf = b
	g.n++
}

func (g *graphPager) flush(more bool) error {
	g.page++
	w, err := g.o.create(fmt.Sprintf("%s/page-%04d.json", g.dir, g.page))
	if err != nil {
		return err
	}
	w.writeString(`{"@odata.context":"`)
	w.writeString(g.context)
	w.writeString(`"`)
	if more {
		w.writeString(`,"@odata.nextLink":"`)
		w.writeString(g.nextBase)
		var tok [20]byte
		for i := range tok {
			tok[i] = alnum[g.rng.Uint64()%uint64(len(alnum))]
		}
		w.write(tok[:])
		w.writeString(`"`)
	}
	w.writeString(`,"value":[`)
	w.write(g.buf)
	w.writeString("]}")
	w.events += int64(g.n)
	g.buf, g.n = g.buf[:0], 0
	return w.close()
}

func (g *graphPager) close() error {
	if g.n == 0 && g.page > 0 {
		return nil
	}
	return g.flush(false)
}

// psArraySink writes what `… | ConvertTo-Json -Depth 10 | Out-File
// -Encoding UTF8` gives in Windows PowerShell 5.1: a UTF-8 BOM, one JSON
// array, PowerShell's indentation (psIndent). Records are given compact
// (into buf) and indented into the file, or, when laidOut, laid out
// already and written in place.
type psArraySink struct {
	w   *fileWriter
	n   int
	buf []byte
	// laidOut: records are given in PowerShell's layout already, written
	// in place (signInPS), not compact.
	laidOut bool
}

// newPSArray opens rel; laidOut says its records come in PowerShell's
// layout already (psArraySink.laidOut).
func newPSArray(o *output, rel string, laidOut bool) (*psArraySink, error) {
	w, err := o.create(rel)
	if err != nil {
		return nil, err
	}
	w.writeString("\ufeff[\n")
	return &psArraySink{w: w, laidOut: laidOut}, nil
}

func (s *psArraySink) begin(time.Time) ([]byte, error) {
	if s.laidOut {
		return s.recStart(), nil
	}
	return s.buf[:0], nil
}

func (s *psArraySink) end(rec []byte) {
	if s.laidOut {
		s.w.endRecord(rec)
	} else {
		s.buf = rec
		s.w.endRecord(psIndent(s.recStart(), rec, 4))
	}
	s.n++
}

// recStart returns the file's record buffer with what comes before the
// next record: the separator from the one before, the indentation.
func (s *psArraySink) recStart() []byte {
	b := s.w.recBuf()
	if s.n > 0 {
		return append(b, ",\n    "...)
	}
	return append(b, "    "...)
}

func (s *psArraySink) close() error {
	s.w.writeString("\n]\n")
	return s.w.close()
}

// dailyArraySink writes a JSON array per UTC day, named by pathFor: the
// content blobs of the Office 365 Management Activity API as a collector
// saves them.
type dailyArraySink struct {
	o       *output
	pathFor func(day time.Time) string
	day     time.Time
	w       *fileWriter
	n       int
}

func (s *dailyArraySink) begin(t time.Time) ([]byte, error) {
	d := t.UTC().Truncate(24 * time.Hour)
	if s.w == nil || !d.Equal(s.day) {
		if err := s.closeDay(); err != nil {
			return nil, err
		}
		w, err := s.o.create(s.pathFor(d))
		if err != nil {
			return nil, err
		}
		w.writeString("[")
		s.w, s.day, s.n = w, d, 0
	}
	b := s.w.recBuf()
	if s.n > 0 {
		b = append(b, ',')
	}
	return b, nil
}

func (s *dailyArraySink) end(b []byte) {
	s.w.endRecord(b)
	s.n++
}

func (s *dailyArraySink) closeDay() error {
	if s.w == nil {
		return nil
	}
	s.w.writeString("]")
	err := s.w.close()
	s.w = nil
	return err
}

func (s *dailyArraySink) close() error { return s.closeDay() }

// csvSink writes CSV lines (each record one row, without line end) under
// a header, starting a new numbered file every maxRows rows as portal
// exports do (Purview caps a download at 50,000 rows).
type csvSink struct {
	o       *output
	pathFor func(part int) string
	header  string // with its line end
	bom     bool
	crlf    bool
	maxRows int

	part int
	rows int
	w    *fileWriter
}

func (s *csvSink) begin(time.Time) ([]byte, error) {
	if s.w == nil || (s.maxRows > 0 && s.rows == s.maxRows) {
		if s.w != nil {
			if err := s.w.close(); err != nil {
				return nil, err
			}
		}
		s.part++
		w, err := s.o.create(s.pathFor(s.part))
		if err != nil {
			return nil, err
		}
		if s.bom {
			w.writeString("\ufeff")
		}
		w.writeString(s.header)
		s.w, s.rows = w, 0
	}
	return s.w.recBuf(), nil
}

func (s *csvSink) end(b []byte) {
	if s.crlf {
		b = append(b, "\r\n"...)
	} else {
		b = append(b, '\n')
	}
	s.w.endRecord(b)
	s.rows++
}

func (s *csvSink) close() error {
	if s.w == nil {
		return nil
	}
	return s.w.close()
}

// twoDigit formats n as two digits (path parts such as m=05).
func twoDigit(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}
