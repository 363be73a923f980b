package importers

import (
	"bufio"
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/causeway-ir/causeway/timeline"
)

// FuzzSniffAndImport runs detection over arbitrary bytes, then the chosen
// importer: no panic, every event valid, every reject with a reason and an
// offset inside the input.
func FuzzSniffAndImport(f *testing.F) {
	for _, s := range []string{
		`{"Records":[{"eventVersion":"1.08","eventTime":"2023-06-01T00:00:00Z","eventName":"GetObject","eventID":"e"}]}`,
		"\xef\xbb\xbf[{\"id\":\"x\",\"createdDateTime\":\"2025-05-02T10:38:07Z\",\"appId\":\"a\"}]",
		`{"records":[{"time":"2023-01-01T00:00:00Z","category":"SignInLogs","properties":{}}]}`,
		"CreationDate,UserIds,Operations,AuditData\r\n\"1/1/2023\",\"a\",\"Send\",\"{}\"\r\n",
		`{"insertId":"x","protoPayload":{"methodName":"m"},"timestamp":"2023-01-01T00:00:00Z"}`,
		"eyJhbGciOiJSUzI1NiJ9.eyJ1dGkiOiJ4In0.c2ln\n",
		`{"kind":"admin#reports#activity","id":{"time":"2020-10-02T15:00:00Z"},"events":[{"name":"login_success"}]}`,
		`{"uuid":"u","published":"2020-02-14T22:18:51.843Z","eventType":"user.session.start"}`,
	} {
		f.Add([]byte(s))
	}
	imps := All()
	f.Fuzz(func(t *testing.T, in []byte) {
		head := in[:min(len(in), headSize)]
		imp := detect(imps, "input", head)
		if imp == nil {
			return
		}
		rec := &recorder{}
		_ = imp.Import(t.Context(), bufio.NewReader(bytes.NewReader(in)), timeline.Source{File: "input", SHA256: "00"}, rec)
		for i := range rec.events {
			if err := rec.events[i].Validate(); err != nil {
				t.Fatalf("%s emitted an invalid event: %v", imp.Name(), err)
			}
		}
		for _, pe := range rec.rejects {
			if pe.Err == nil || pe.Offset < 0 || pe.Offset > int64(len(in)) {
				t.Fatalf("%s reject without reason or with offset %d of %d", imp.Name(), pe.Offset, len(in))
			}
		}
	})
}

// BenchmarkDetect runs detection over the head of every corpus file, as
// the import does once per file: sniffing is per-file work that thousands
// of small files (a Graph export, an S3 tree) pay thousands of times.
func BenchmarkDetect(b *testing.B) {
	var heads [][]byte
	var names []string
	root := filepath.Join("..", "..", "shared", "corpus")
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil || bytes.HasPrefix(data, []byte{0x1f, 0x8b}) || bytes.HasPrefix(data, []byte("PK")) {
			return nil
		}
		heads = append(heads, data[:min(len(data), headSize)])
		names = append(names, filepath.Base(p))
		return nil
	})
	if len(heads) == 0 {
		b.Skip("no corpus at " + root)
	}
	imps := All()
	b.ResetTimer()
	for b.Loop() {
		for i, h := range heads {
			detect(imps, names[i], h)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*len(heads)), "µs/file")
}
