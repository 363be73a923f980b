package importers

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	json "github.com/goccy/go-json"

	"github.com/causeway-ir/causeway/timeline"
	"github.com/google/go-cmp/cmp"
)

// update rewrites golden files: go test ./importers -update
var update = flag.Bool("update", false, "rewrite golden files")

// recorder is a hand-written timeline.Emitter that keeps what it is given.
type recorder struct {
	events  []timeline.Event
	rejects []*timeline.ParseError
	notes   []string
}

func (r *recorder) Emit(e *timeline.Event) error { r.events = append(r.events, e.Clone()); return nil }
func (r *recorder) Reject(err *timeline.ParseError) error {
	r.rejects = append(r.rejects, err)
	return nil
}
func (r *recorder) Note(msg string) { r.notes = append(r.notes, msg) }

// corpusDir returns ../shared/corpus/<sub> of the repository, or skips the
// test with a message where the corpus is absent (a user's fresh clone).
// With CAUSEWAY_REQUIRE_CORPUS=1 (set by .ci/run) a missing corpus fails.
func corpusDir(t testing.TB, sub string) string {
	t.Helper()
	dir := filepath.Join("..", "..", "shared", "corpus", sub)
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CAUSEWAY_REQUIRE_CORPUS") != "" {
			t.Fatalf("corpus required but missing: %v", err)
		}
		t.Skipf("corpus not found at %s: skipping (CI provides ../shared/corpus)", dir)
	}
	return dir
}

// runImporter checks that imp matches the file at path by content and
// imports it into a recorder. A .gz file is decompressed first, as the
// pipeline does.
func runImporter(t testing.TB, imp timeline.Importer, path string) *recorder {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if data, err = io.ReadAll(zr); err != nil {
			t.Fatal(err)
		}
	}
	head := data[:min(len(data), headSize)]
	if !imp.Match(filepath.Base(path), head) {
		t.Fatalf("%s does not match %s", imp.Name(), path)
	}
	rec := &recorder{}
	src := timeline.Source{File: filepath.ToSlash(path), SHA256: hex.EncodeToString(sum[:])}
	if err := imp.Import(t.Context(), bufio.NewReader(bytes.NewReader(data)), src, rec); err != nil {
		t.Fatalf("import %s: %v", path, err)
	}
	for i := range rec.events {
		if err := rec.events[i].Validate(); err != nil {
			t.Errorf("%s event %d: %v", path, i, err)
		}
	}
	return rec
}

// checkGolden compares events (without Raw and File, which golden files
// would only repeat) with testdata/<name>.golden, one JSON object a line.
// go test -update rewrites the file.
func checkGolden(t *testing.T, name string, events []timeline.Event) {
	t.Helper()
	var b bytes.Buffer
	for _, e := range events {
		e.Raw, e.File = "", ""
		line, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./importers -update to create it)", err)
	}
	if !bytes.Equal(want, b.Bytes()) {
		wl, gl := strings.Split(string(want), "\n"), strings.Split(b.String(), "\n")
		for i := range max(len(wl), len(gl)) {
			var w, g string
			if i < len(wl) {
				w = wl[i]
			}
			if i < len(gl) {
				g = gl[i]
			}
			if w != g {
				t.Fatalf("%s differs at line %d:\nwant %s\ngot  %s\n(go test ./importers -update rewrites it)", path, i+1, w, g)
			}
		}
	}
}

// importView is what one import gave a recorder, in a form cmp compares:
// events, rejects (offset, error, bytes) and notes, with the importer's
// own error as a last note.
type importView struct {
	Events  []timeline.Event
	Rejects []rejectView
	Notes   []string
}

type rejectView struct {
	Offset   int64
	Err, Raw string
}

// viewImport imports r with imp into a new recorder.
func viewImport(t *testing.T, imp timeline.Importer, r io.Reader) importView {
	t.Helper()
	rec := &recorder{}
	if err := imp.Import(t.Context(), r, timeline.Source{File: "f", SHA256: "00"}, rec); err != nil {
		rec.notes = append(rec.notes, "error: "+err.Error())
	}
	v := importView{Events: rec.events, Notes: rec.notes}
	for _, pe := range rec.rejects {
		v.Rejects = append(v.Rejects, rejectView{pe.Offset, pe.Err.Error(), string(pe.Raw)})
	}
	return v
}

// compareFastSlow imports data with an importer's single-pass reader
// (fast) and without (slow) and fails when anything differs.
func compareFastSlow(t *testing.T, slow, fast timeline.Importer, data []byte) {
	t.Helper()
	if diff := cmp.Diff(viewImport(t, slow, bytes.NewReader(data)), viewImport(t, fast, bytes.NewReader(data))); diff != "" {
		t.Fatalf("import of %q differs (-slow +fast):\n%s", truncate(string(data), 4096), diff)
	}
}

// eachSample calls f, in a parallel subtest, with every file of
// testdata/<sub> and of the corpus's <sub> but golden files.
func eachSample(t *testing.T, sub string, f func(t *testing.T, data []byte)) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join("testdata", sub, "*"))
	more, _ := filepath.Glob(filepath.Join(corpusDir(t, sub), "*"))
	for _, file := range append(files, more...) {
		if strings.HasSuffix(file, ".golden") {
			continue
		}
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			f(t, data)
		})
	}
}

// benchFastSlowRecords measures an importer's record path alone on 20,000
// records made by rec, with its single-pass reader (fast) and without
// (slow), twice each, alternating, in CPU-µs an event; decoder returns the
// record function of a decoder that emits to out.
func benchFastSlowRecords(b *testing.B, rec func(int) string, decoder func(slow bool, out timeline.Emitter) func([]byte, int64) error) {
	const n = 20_000
	recs := make([][]byte, n)
	for i := range recs {
		recs[i] = []byte(rec(i))
	}
	for range 2 {
		for _, slow := range []bool{false, true} {
			name := map[bool]string{false: "fast", true: "slow"}[slow]
			b.Run(name, func(b *testing.B) {
				b.ReportAllocs()
				out := &countingEmitter{}
				record := decoder(slow, out)
				cpu0 := cpuTime()
				for b.Loop() {
					for i, rec := range recs {
						if err := record(rec, int64(i)); err != nil {
							b.Fatal(err)
						}
					}
				}
				if out.rejects != 0 {
					b.Fatalf("%d rejects", out.rejects)
				}
				if cpu := cpuTime() - cpu0; cpu > 0 {
					b.ReportMetric(float64(cpu.Microseconds())/float64(n*b.N), "cpu-µs/event")
				}
			})
		}
	}
}
