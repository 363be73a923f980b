package importers

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/causeway-ir/causeway/timeline"
)

// csvRow is one data row of a CSV export, with its header.
type csvRow struct {
	header map[string]int // column name (as written, trimmed) → index
	fields []string
	raw    []byte // the row's exact bytes, line ending excluded
	offset int64
}

// get returns the field of the first named column that exists and is not
// empty.
func (r *csvRow) get(names ...string) string {
	for _, n := range names {
		if i, ok := r.header[n]; ok && i < len(r.fields) && r.fields[i] != "" {
			return r.fields[i]
		}
	}
	return ""
}

// rawJSON returns the row's exact text as a JSON string, which is how a
// non-JSON record is kept in Event.Raw.
func (r *csvRow) rawJSON() string {
	b, _ := jsonMarshalString(string(r.raw))
	return b
}

// keepReader remembers the bytes read through it from a start offset on, so
// that the exact text of a CSV row can be cut out after encoding/csv has
// parsed it.
type keepReader struct {
	r    io.Reader
	kept []byte
	base int64 // stream offset of kept[0]
}

func (k *keepReader) Read(p []byte) (int, error) {
	n, err := k.r.Read(p)
	k.kept = append(k.kept, p[:n]...)
	return n, err
}

// cut returns the bytes in [from, to) and forgets everything before to.
func (k *keepReader) cut(from, to int64) []byte {
	a, b := int(from-k.base), int(to-k.base)
	a, b = max(0, min(a, len(k.kept))), max(0, min(b, len(k.kept)))
	out := bytes.TrimRight(k.kept[a:b], "\r\n")
	return out
}

func (k *keepReader) forget(to int64) {
	d := int(to - k.base)
	if d <= 0 {
		return
	}
	d = min(d, len(k.kept))
	n := copy(k.kept, k.kept[d:])
	k.kept = k.kept[:n]
	k.base += int64(d)
}

// streamCSV feeds every data row of a CSV export to fn. It takes the header
// from the first row (after a UTF-8 BOM and a PowerShell "#TYPE" line), is
// lenient about quotes and ragged rows, and reports rows it cannot parse
// through out.Reject. fn's errors follow streamJSON's rules.
func streamCSV(ctx context.Context, r io.Reader, name string, src timeline.Source, out timeline.Emitter, fn func(row *csvRow) error) error {
	kr := &keepReader{r: r}
	cr := csv.NewReader(kr)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	var header map[string]int
	var prev int64
	for n := 0; ; n++ {
		if n&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		fields, err := cr.Read()
		end := cr.InputOffset()
		start := prev
		raw := kr.cut(prev, end)
		// encoding/csv skips blank lines: they precede the row's own text.
		for len(raw) > 0 && (raw[0] == '\r' || raw[0] == '\n') {
			raw = raw[1:]
			start++
		}
		prev = end
		if err == io.EOF {
			return nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				if rerr := out.Reject(parseError(name, src, start, err, raw)); rerr != nil {
					return rerr
				}
				kr.forget(end)
				continue
			}
			return fmt.Errorf("%s: read: %w", src.File, err)
		}
		if header == nil {
			if len(fields) > 0 {
				fields[0] = string(stripBOM([]byte(fields[0])))
			}
			if len(fields) == 1 && strings.HasPrefix(fields[0], "#TYPE") {
				kr.forget(end)
				continue
			}
			header = make(map[string]int, len(fields))
			for i, f := range fields {
				f = strings.TrimSpace(f)
				if _, dup := header[f]; !dup {
					header[f] = i
				}
			}
			kr.forget(end)
			continue
		}
		if len(fields) == 1 && fields[0] == "" {
			kr.forget(end)
			continue
		}
		row := &csvRow{header: header, fields: fields, raw: raw, offset: start}
		if err := fn(row); err != nil {
			if re, ok := errors.AsType[*recordError](err); ok {
				if err := out.Reject(parseError(name, src, start, re.err, raw)); err != nil {
					return err
				}
			} else {
				return err
			}
		}
		kr.forget(end)
	}
}

// csvHeaderHas reports whether the first line of head (after a BOM and a
// "#TYPE" line) is a CSV header holding every named column.
func csvHeaderHas(head []byte, cols ...string) bool {
	head = stripBOM(head)
	line, rest, _ := bytes.Cut(head, []byte("\n"))
	if bytes.HasPrefix(line, []byte("#TYPE")) {
		line, _, _ = bytes.Cut(rest, []byte("\n"))
	}
	cr := csv.NewReader(bytes.NewReader(line))
	cr.LazyQuotes = true
	fields, err := cr.Read()
	if err != nil {
		return false
	}
	have := make(map[string]bool, len(fields))
	for _, f := range fields {
		have[strings.TrimSpace(f)] = true
	}
	for _, c := range cols {
		if !have[c] {
			return false
		}
	}
	return true
}
