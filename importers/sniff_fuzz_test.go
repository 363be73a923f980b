package importers

import (
	"bufio"
	"bytes"
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
