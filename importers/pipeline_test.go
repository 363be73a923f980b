package importers

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/causeway-ir/causeway/timeline"
	"github.com/google/go-cmp/cmp"
)

// memSink is a hand-written Sink that keeps everything in memory.
type memSink struct {
	mu      sync.Mutex
	events  []timeline.Event
	rejects []*timeline.ParseError
	files   []timeline.FileRecord
	seen    map[string]bool
}

func (m *memSink) Add(e *timeline.Event) (timeline.AddResult, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := e.Validate(); err != nil {
		return 0, err
	}
	if m.seen == nil {
		m.seen = map[string]bool{}
	}
	k := e.Source + "\x00" + e.ID
	if m.seen[k] {
		return timeline.Duplicate, nil
	}
	m.seen[k] = true
	m.events = append(m.events, e.Clone())
	return timeline.Added, nil
}

func (m *memSink) Reject(pe *timeline.ParseError) error {
	m.rejects = append(m.rejects, pe)
	return nil
}

func (m *memSink) AddFile(f timeline.FileRecord) { m.files = append(m.files, f) }

// hostileCT is one CloudTrail record as NDJSON, with the given id and time.
func hostileCT(id, eventTime string) string {
	return fmt.Sprintf(`{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111111111111:user/a","accountId":"111111111111","accessKeyId":"AKIAEXAMPLE"},"eventTime":%q,"eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"1.2.3.4","eventID":%q,"recipientAccountId":"111111111111"}`, eventTime, id)
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func zipOf(t *testing.T, files map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for name, b := range files {
		f, err := w.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		f.Write(b)
	}
	w.Close()
	return buf.Bytes()
}

// TestHostileInput feeds the pipeline what attackers and broken exporters
// produce. Each case must end without a panic, account for every record
// (imported or rejected with file and offset), and fail a file only with a
// message that names what is wrong.
func TestHostileInput(t *testing.T) {
	t.Parallel()
	good := []byte(hostileCT("e1", "2023-06-01T00:00:00Z") + "\n" + hostileCT("e2", "2023-06-01T00:00:01Z") + "\n")
	deep := hostileCT("d1", "2023-06-01T00:00:00Z")
	deep = deep[:len(deep)-1] + `,"x":` + strings.Repeat("[", 200000) + strings.Repeat("]", 200000) + "}\n"
	bigLine := hostileCT("big", "2023-06-01T00:00:00Z")
	bigLine = bigLine[:len(bigLine)-1] + `,"pad":"` + strings.Repeat("a", 64<<20) + `"}` + "\n"
	tests := []struct {
		name         string
		data         []byte
		wantImported int
		wantRejected int
		wantError    string // substring of the file's error; "" means the file must not fail
	}{
		{"plain", good, 2, 0, ""},
		{"crlf", bytes.ReplaceAll(good, []byte("\n"), []byte("\r\n")), 2, 0, ""},
		{"boms between records", append([]byte("\xef\xbb\xbf"), bytes.ReplaceAll(good, []byte("\n"), []byte("\n\xef\xbb\xbf"))...), 2, 0, ""},
		{"truncated gzip", gz(good)[:40], 0, 0, "truncated or corrupt gzip"},
		{"gzip", gz(good), 2, 0, ""},
		{"empty", nil, 0, 0, "empty file"},
		{"only whitespace", []byte(" \n\r\n\t"), 0, 0, "empty file"},
		{"nul bytes", append(append([]byte(nil), good...), []byte("\x00\x00\x00\n")...), 2, 1, ""},
		{"invalid utf-8 in a value", []byte(strings.Replace(hostileCT("u1", "2023-06-01T00:00:00Z"), "1.2.3.4", "1.2.3.4\xff\xfe", 1) + "\n"), 1, 0, ""},
		{"duplicate keys", []byte(strings.Replace(hostileCT("k1", "2023-06-01T00:00:00Z"), `"eventName":"GetObject"`, `"eventName":"GetObject","eventName":"PutObject"`, 1) + "\n"), 1, 0, ""},
		{"number beyond int64", []byte(strings.Replace(hostileCT("n1", "2023-06-01T00:00:00Z"), `"awsRegion"`, `"big":123456789012345678901234567890,"awsRegion"`, 1) + "\n"), 1, 0, ""},
		{"year 1 and 9999", []byte(hostileCT("y1", "0001-01-01T00:00:01Z") + "\n" + hostileCT("y9", "9999-12-31T23:59:59Z") + "\n"), 2, 0, ""},
		// .NET's DateTime.MinValue is a placeholder for "no time": rejected.
		{"min value time", []byte(hostileCT("y0", "0001-01-01T00:00:00Z") + "\n"), 0, 1, ""},
		{"unparseable time", []byte(hostileCT("t1", "the day after tomorrow") + "\n" + string(good)), 2, 1, ""},
		{"truncated record", append(append([]byte(nil), good...), []byte(hostileCT("t2", "2023-06-01T00:00:00Z")[:80])...), 2, 1, ""},
		// The splitter walks any depth; the decoder refuses the depth and
		// the record is kept as a reject.
		{"nested 200000 deep", []byte(deep), 0, 1, ""},
		{"single 64 MB line", []byte(bigLine), 1, 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "input")
			if err := os.WriteFile(path, tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			sink := &memSink{}
			res, err := Import(t.Context(), sink, []string{path}, Options{})
			if err != nil {
				t.Fatalf("Import: %v", err)
			}
			if len(res) != 1 {
				t.Fatalf("%d results", len(res))
			}
			r := res[0]
			if tc.wantError == "" && r.Failed() {
				t.Fatalf("file failed: %s", r.Error)
			}
			if tc.wantError != "" && !strings.Contains(r.Error, tc.wantError) {
				t.Fatalf("error %q, want it to say %q", r.Error, tc.wantError)
			}
			if int(r.Imported) != tc.wantImported {
				t.Errorf("imported %d, want %d", r.Imported, tc.wantImported)
			}
			if int(r.Rejected) != tc.wantRejected {
				t.Errorf("rejected %d, want %d", r.Rejected, tc.wantRejected)
			}
			for _, pe := range sink.rejects {
				if pe.File != path || pe.Offset < 0 || pe.Err == nil {
					t.Errorf("reject lacks file, offset or reason: %+v", pe)
				}
			}
			if int64(len(sink.rejects)) != r.Rejected || int64(len(sink.events)) != r.Imported {
				t.Errorf("sink holds %d events and %d rejects, result says %d and %d", len(sink.events), len(sink.rejects), r.Imported, r.Rejected)
			}
		})
	}
}

func TestHostileArchives(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := []byte(hostileCT("z1", "2023-06-01T00:00:00Z") + "\n")
	zipped := zipOf(t, map[string][]byte{"a/trail.json": good, "b/trail.json.gz": gz([]byte(hostileCT("z2", "2023-06-01T00:00:00Z") + "\n"))})
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, b, 0o644)
		return p
	}
	okZip := write("ok.zip", zipped)
	truncZip := write("trunc.zip", zipped[:len(zipped)/2])
	bomb := write("bomb.json.gz", gz(bytes.Repeat([]byte(" "), 8<<20)))

	sink := &memSink{}
	res, err := Import(t.Context(), sink, []string{okZip, truncZip}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 3 || res[0].Path != okZip+"!a/trail.json" || res[0].Imported != 1 || res[1].Imported != 1 {
		t.Fatalf("zip members: %+v", res)
	}
	if !strings.Contains(res[2].Error, "zip") || res[2].Path != truncZip {
		t.Fatalf("truncated zip: %+v", res[2])
	}
	// A decompression bomb stops at the limit with a clear error.
	res, err = Import(t.Context(), &memSink{}, []string{bomb}, Options{MaxDecompressed: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if !res[0].Failed() {
		t.Fatalf("bomb not refused: %+v", res[0])
	}
}

func TestHostileFileSystem(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.json"), []byte(hostileCT("f1", "2023-06-01T00:00:00Z")+"\n"), 0o644)
	os.Mkdir(filepath.Join(dir, "loop"), 0o755)
	os.Symlink("..", filepath.Join(dir, "loop", "up"))                      // a link loop
	os.Symlink("nowhere", filepath.Join(dir, "dangling"))                   // a dangling link
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("hello\n"), 0o644) // unrecognized
	sink := &memSink{}
	done := make(chan struct{})
	var res []FileResult
	go func() {
		defer close(done)
		res, _ = Import(t.Context(), sink, []string{dir}, Options{})
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("import of a directory with a link loop does not end")
	}
	var imported int64
	var failed []string
	for _, r := range res {
		imported += r.Imported
		if r.Failed() {
			failed = append(failed, filepath.Base(r.Path)+": "+r.Error)
		}
	}
	if imported != 1 || len(failed) != 2 {
		t.Fatalf("imported %d, failed %q", imported, failed)
	}
}

// TestFileChangingWhileRead appends to a file while it is imported: the
// import must end, and what it stored must be whole records.
func TestFileChangingWhileRead(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "growing.json")
	var b strings.Builder
	for i := range 20000 {
		b.WriteString(hostileCT(fmt.Sprintf("g%d", i), "2023-06-01T00:00:00Z") + "\n")
	}
	os.WriteFile(path, []byte(b.String()), 0o644)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
		defer f.Close()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			f.WriteString(hostileCT(fmt.Sprintf("late%d", i), "2023-06-01T00:00:00Z")[:50+i%100])
			f.WriteString("\n")
		}
	})
	sink := &memSink{}
	res, err := Import(t.Context(), sink, []string{path}, Options{})
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Imported < 20000 {
		t.Fatalf("imported %d of the 20000 records present at the start", res[0].Imported)
	}
	for _, e := range sink.events {
		if e.Validate() != nil {
			t.Fatalf("invalid event stored: %+v", e)
		}
	}
}

// TestUnreadableFiles: a file that cannot be opened (no permission) or
// whose reads fail (EIO) is reported as failed with the reason, and the
// other files still import, on one goroutine and on several.
func TestUnreadableFiles(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		make func(t *testing.T, path string)
		want string
	}{
		{"no permission", func(t *testing.T, path string) {
			if os.Geteuid() == 0 {
				t.Skip("root reads files whatever their mode")
			}
			os.WriteFile(path, []byte(hostileCT("p1", "2023-06-01T00:00:00Z")+"\n"), 0o000)
		}, "permission denied"},
		{"read error", func(t *testing.T, path string) {
			// Reading /proc/self/mem at offset 0 fails with EIO: a disk
			// that fails under the import, without needing one.
			if _, err := os.Stat("/proc/self/mem"); err != nil {
				t.Skip("no /proc/self/mem here")
			}
			if err := os.Symlink("/proc/self/mem", path); err != nil {
				t.Fatal(err)
			}
		}, "input/output error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "a.json"), []byte(hostileCT("ok1", "2023-06-01T00:00:00Z")+"\n"), 0o644)
			tc.make(t, filepath.Join(dir, "b.json"))
			check := func(res []FileResult, err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
				if len(res) != 2 || res[0].Imported != 1 || !res[1].Failed() || !strings.Contains(res[1].Error, tc.want) {
					t.Fatalf("results = %+v, want a.json imported and b.json failed with %q", res, tc.want)
				}
			}
			check(Import(t.Context(), &memSink{}, []string{dir}, Options{}))
			_, r := newRun(t, timeline.RunOptions{})
			check(Import(t.Context(), r, []string{dir}, Options{Workers: 2}))
		})
	}
}

// TestSmallFilesReadOnce: files read whole into memory (hashed, then
// imported from there, gzip inflated from memory) import exactly as when
// they are streamed from disk: the same events, rejects and file records,
// for plain, gzipped and zipped files, and a file too big for memory.
func TestSmallFilesReadOnce(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var nd strings.Builder
	for i := range 3000 {
		nd.WriteString(hostileCT(fmt.Sprintf("id-a-%d", i), "2023-06-01T00:00:00Z") + "\n")
		if i%500 == 0 {
			nd.WriteString("{not json\n")
		}
	}
	files := map[string][]byte{
		"a.json":    []byte(nd.String()),
		"b.json.gz": gz([]byte(strings.ReplaceAll(nd.String(), "id-a-", "id-b-"))),
		"c.zip":     zipOf(t, map[string][]byte{"x.json": []byte(strings.ReplaceAll(nd.String(), "id-a-", "id-c-"))}),
		"d.json.gz": gz([]byte("{broken")),
	}
	var paths []string
	for name, b := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	run := func(small int64) (*memSink, []FileResult) {
		sink := &memSink{}
		res, err := Import(t.Context(), sink, paths, Options{small: small, Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		return sink, res
	}
	streamed, sres := run(-1)
	for _, small := range []int64{0, 64 << 10} { // every file read whole; only the smaller ones
		mem, mres := run(small)
		if diff := cmp.Diff(sres, mres); diff != "" {
			t.Errorf("small %d: results (-streamed +read whole):\n%s", small, diff)
		}
		if diff := cmp.Diff(streamed.events, mem.events); diff != "" {
			t.Errorf("small %d: events (-streamed +read whole):\n%s", small, diff)
		}
		if diff := cmp.Diff(rejectStrings(streamed.rejects), rejectStrings(mem.rejects)); diff != "" {
			t.Errorf("small %d: rejects (-streamed +read whole):\n%s", small, diff)
		}
		if diff := cmp.Diff(streamed.files, mem.files); diff != "" {
			t.Errorf("small %d: file records (-streamed +read whole):\n%s", small, diff)
		}
	}
	// Three files of 3,000 records and 6 broken lines each; the broken gzip
	// is a file no importer knows.
	if len(streamed.events) != 9000 || len(streamed.rejects) != 18 || len(streamed.files) != 3 {
		t.Fatalf("%d events, %d rejects and %d file records, want 9000, 18 and 3", len(streamed.events), len(streamed.rejects), len(streamed.files))
	}
}

func rejectStrings(pes []*timeline.ParseError) []string {
	var out []string
	for _, pe := range pes {
		out = append(out, fmt.Sprintf("%s %q", pe.Error(), pe.Raw))
	}
	return out
}

func TestDeliveryDay(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ path, want string }{
		{"AWSLogs/o-1/111122223333/CloudTrail/us-east-1/2024/03/01/x.json.gz", "20240301"},
		{"AWSLogs/111122223333/CloudTrail/eu-west-1/2023/12/31/x.json.gz", "20231231"},
		{"tenants/t/providers/Microsoft.aadiam/y=2023/m=05/d=31/h=20/m=00/PT1H.json", "20230531"},
		{"2024/03/01.json", ""},          // the day is in the file name, not the directories
		{"logs/2024/13/01/x.json", ""},   // no such month
		{"logs/2024/03/32/x.json", ""},   // no such day
		{"logs/20240301/x.json", ""},     // one component
		{"logs/2024/3/1/x.json", ""},     // not zero-padded: not a delivery tree
		{"a/y=2023/m=5/d=31/x.json", ""}, // idem
		{"a/b/c/2024/03/01/d/x.json", "20240301"},
		{"", ""},
	} {
		if got := deliveryDay(tc.path); got != tc.want {
			t.Errorf("deliveryDay(%q) = %q, want %q", tc.path, got, tc.want)
		}
	}
}

// TestCollectReadsDeliveryTreesByDay: a CloudTrail tree is collected a day
// at a time across its accounts and regions (each day's partition then
// fills at once); files outside day directories come first, in lexical
// order, and explicit file arguments keep their place.
func TestCollectReadsDeliveryTreesByDay(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files := []string{
		"AWSLogs/111/CloudTrail/us-east-1/2024/03/01/a.json.gz",
		"AWSLogs/111/CloudTrail/us-east-1/2024/03/02/a.json.gz",
		"AWSLogs/111/CloudTrail/us-west-2/2024/03/01/a.json.gz",
		"AWSLogs/222/CloudTrail/us-east-1/2024/03/01/a.json.gz",
		"AWSLogs/222/CloudTrail/us-east-1/2024/03/02/a.json.gz",
		"AWSLogs/222/CloudTrail/us-east-1/2024/03/02/b.json.gz",
		"README.txt",
		"other/x.json",
	}
	for _, f := range files {
		p := filepath.Join(dir, "tree", filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	single := filepath.Join(dir, "tree", "other", "x.json")
	ins, bad := collect([]string{single, filepath.Join(dir, "tree")})
	if len(bad) != 0 {
		t.Fatalf("bad: %v", bad)
	}
	var got []string
	for _, in := range ins {
		rel, err := filepath.Rel(filepath.Join(dir, "tree"), in.path)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, filepath.ToSlash(rel))
	}
	want := []string{
		"other/x.json", // the explicit file
		"README.txt",
		"other/x.json",
		"AWSLogs/111/CloudTrail/us-east-1/2024/03/01/a.json.gz",
		"AWSLogs/111/CloudTrail/us-west-2/2024/03/01/a.json.gz",
		"AWSLogs/222/CloudTrail/us-east-1/2024/03/01/a.json.gz",
		"AWSLogs/111/CloudTrail/us-east-1/2024/03/02/a.json.gz",
		"AWSLogs/222/CloudTrail/us-east-1/2024/03/02/a.json.gz",
		"AWSLogs/222/CloudTrail/us-east-1/2024/03/02/b.json.gz",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("collect order (-want +got):\n%s", diff)
	}
}
