package importers

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/causeway-ir/causeway/timeline"
	"github.com/google/go-cmp/cmp"
)

// review10CT is CloudTrail record i: messages of every length and part
// (no principal, a target, a key or session credential, an issued token
// with its expiry, a console login with MFA, a failure with a long error
// message), so that a message built in a reused buffer differs in length
// and content from its neighbours; a few late ones have no eventID (the
// id is made from the file's hash and the record's offset, which waits
// for the hash).
func review10CT(i int) string {
	ts := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * 3 * time.Second).Format(time.RFC3339)
	id := fmt.Sprintf(`"eventID":"ev-%d",`, i)
	if i > 20_000 && i%997 == 0 {
		id = ""
	}
	ident := fmt.Sprintf(`{"type":"IAMUser","arn":"arn:aws:iam::111111111111:user/%s%d","accountId":"111111111111","accessKeyId":"AKIA%d"}`, strings.Repeat("u", i%40), i, i%9)
	if i%11 == 0 {
		ident = `{"type":"AWSService","invokedBy":"ec2.amazonaws.com"}`
	}
	if i%6 == 1 {
		ident = fmt.Sprintf(`{"type":"AssumedRole","arn":"arn:aws:sts::111111111111:assumed-role/r/s%d","accountId":"111111111111","accessKeyId":"ASIA%d","sessionContext":{}}`, i, i)
	}
	name, params, resp, extra := "GetObject", fmt.Sprintf(`{"bucketName":"b%d","key":"%s"}`, i%17, strings.Repeat("k", i%60)), `null`, ""
	switch i % 5 {
	case 1:
		name, params = "AssumeRole", fmt.Sprintf(`{"roleArn":"arn:aws:iam::111111111111:role/r%d"}`, i%3)
		resp = fmt.Sprintf(`{"credentials":{"accessKeyId":"ASIATMP%d","expiration":"2024-03-02T0%d:00:00Z"}}`, i, i%10)
	case 2:
		name, params = "ConsoleLogin", `null`
		resp = `{"ConsoleLogin":"Success"}`
		extra = `"additionalEventData":{"MFAUsed":"Yes"},`
	case 3:
		extra = fmt.Sprintf(`"errorCode":"AccessDenied","errorMessage":%q,`, strings.Repeat("denied ", i%45))
	}
	return fmt.Sprintf(`{"eventVersion":"1.08","userIdentity":%s,"eventTime":%q,"eventSource":"s3.amazonaws.com","eventName":%q,"awsRegion":"us-east-1","sourceIPAddress":"10.1.%d.%d","userAgent":"agent/%d",%s"requestParameters":%s,"responseElements":%s,%s"recipientAccountId":"111111111111"}`,
		ident, ts, name, i%7, i%200, i%3, extra, params, resp, id)
}

// TestReview10CloudTrailWholeImport: every event of a CloudTrail NDJSON
// file, imported whole (one decoder, its message buffer reused record
// after record) and through the pipeline into a case (one worker; two,
// the file in chunks while its hash is still being computed, so that its
// events say PendingSHA256 and the part writer holds their file_sha256
// back), is the event its record gives imported alone, from its offset:
// message, raw record, id, file hash and offset exact, none shared with
// another record's.
func TestReview10CloudTrailWholeImport(t *testing.T) {
	t.Parallel()
	const n = 24_000 // one day; a partition big enough for parts written while hashing
	var data bytes.Buffer
	var offs []int64
	for i := range n {
		offs = append(offs, int64(data.Len()))
		data.WriteString(review10CT(i))
		data.WriteByte('\n')
	}
	path := filepath.Join(t.TempDir(), "trail.ndjson")
	if err := os.WriteFile(path, data.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(data.Bytes())
	sum := hex.EncodeToString(h[:])

	// Each record alone, at its offset.
	var want []timeline.Event
	for i, off := range offs {
		line := data.Bytes()[off : int(off)+len(review10CT(i))]
		rec := &recorder{}
		if err := (cloudTrail{}).Import(t.Context(), bytes.NewReader(line), timeline.Source{File: path, SHA256: sum, Base: off}, rec); err != nil {
			t.Fatal(err)
		}
		if len(rec.events) != 1 || len(rec.rejects) != 0 {
			t.Fatalf("record %d alone: %d events, %d rejects", i, len(rec.events), len(rec.rejects))
		}
		e := rec.events[0]
		if e.Raw != string(line) || e.Offset != off || e.FileSHA256 != sum || e.Message == "" {
			t.Fatalf("record %d alone: raw %q at %d, sum %s, message %q", i, e.Raw, e.Offset, e.FileSHA256, e.Message)
		}
		want = append(want, e)
	}
	if want[20937].ID != timeline.FallbackID(sum, offs[20937]) || want[3].Message == want[4].Message || !strings.Contains(want[3].Message, ": failed AccessDenied") ||
		!strings.Contains(want[1].Message, " expiring ") {
		t.Fatalf("messages %q, %q, %q: the fixture is wrong", want[1].Message, want[3].Message, want[4].Message)
	}

	// The file whole, through one decoder: each event as it is emitted
	// (its strings views of the decoder's buffers) against its record's
	// alone, stopping at the first that differs.
	chk := &review10Checker{want: want}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := (cloudTrail{}).Import(t.Context(), f, timeline.Source{File: path, SHA256: sum}, chk); err != nil {
		t.Fatalf("the file imported whole: %v", err)
	}
	if chk.n != len(want) {
		t.Fatalf("the file imported whole: %d events, want %d", chk.n, len(want))
	}

	byID := func(a, b timeline.Event) int { return strings.Compare(a.ID, b.ID) }
	sorted := slices.Clone(want)
	slices.SortFunc(sorted, byID)
	for _, tc := range []struct {
		name string
		opts func() Options
	}{
		{"one worker", func() Options { return Options{Workers: 1} }},
		{"chunks, hash known late", func() Options {
			// The hash is read 500 ms after the first chunk starts (on
			// its own, as a file's hashing goes: the run may wait for
			// it): the events before say PendingSHA256, and parts of
			// them are written meanwhile, their file_sha256 held back.
			release := make(chan struct{})
			var once sync.Once
			return Options{Workers: 2, chunk: 64 << 10,
				hashOpen: func(p string) (io.ReadCloser, error) {
					f, err := os.Open(p)
					return blockedUntil{f, release}, err
				},
				parsing: func(_ int, start bool) {
					once.Do(func() {
						go func() {
							time.Sleep(500 * time.Millisecond)
							close(release)
						}()
					})
				},
			}
		}},
		{"chunks, hash known at once", func() Options { return Options{Workers: 2, chunk: 64 << 10} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, r := newRun(t, timeline.RunOptions{MaxBuffered: 20 << 20, RowGroupRows: 1024})
			res, err := Import(t.Context(), r, []string{path}, tc.opts())
			if err != nil {
				t.Fatal(err)
			}
			if len(res) != 1 || res[0].Imported != n || res[0].SHA256 != sum {
				t.Fatalf("results %+v, want one file of %d events, hash %s", res, n, sum)
			}
			out := commitOutcome(t, c, r, res)
			got := out.events
			slices.SortFunc(got, byID)
			if diff := cmp.Diff(sorted, got); diff != "" {
				t.Errorf("events read back (-each record alone +case):\n%s", diff)
			}
		})
	}
}

// review10Checker compares each event emitted with the next of want and
// fails the import at the first that differs; it rejects nothing.
type review10Checker struct {
	want []timeline.Event
	n    int
}

func (c *review10Checker) Emit(e *timeline.Event) error {
	if c.n >= len(c.want) {
		return fmt.Errorf("event %d: more events than records", c.n)
	}
	got := e.Clone()
	if diff := cmp.Diff(c.want[c.n], got); diff != "" {
		return fmt.Errorf("event %d (-alone +whole):\n%s", c.n, diff)
	}
	c.n++
	return nil
}

func (c *review10Checker) Reject(pe *timeline.ParseError) error {
	return fmt.Errorf("record rejected: %v", pe)
}

func (c *review10Checker) Note(string) {}
