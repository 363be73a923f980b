package importers

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	json "github.com/goccy/go-json"
	"github.com/google/go-cmp/cmp"

	"github.com/causeway-ir/causeway/timeline"
)

func TestCloudTrailCorpus(t *testing.T) {
	t.Parallel()
	dir := corpusDir(t, "aws-cloudtrail")
	tests := []struct {
		file   string
		events int
		shape  string
	}{
		{"trailscraper__111111111111_CloudTrail_eu-central-1_20171211T1505Z_A6kvhMoVeCsc7v8U.json", 2, "s3"},
		{"trailscraper__111111111111_CloudTrail_eu-central-1_20171211T1505Z_A6kvhMoVeCsc7v8U.json.gz", 2, "s3"},
		{"elastic__test-assume-role-json.log", 2, "ndjson"},
		{"elastic__test-console-login-json.log", 3, "ndjson"},
		{"plaso__aws_cloudtrail_lookupevents.jsonl", 6, "lookup-events"},
		{"otrf__ec2_proxy_s3_exfiltration_logstash.json", 103, "logstash"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			rec := runImporter(t, cloudTrail{}, filepath.Join(dir, tc.file))
			if len(rec.rejects) > 0 {
				t.Errorf("rejects: %v", rec.rejects[0])
			}
			if len(rec.events) != tc.events {
				t.Fatalf("got %d events, want %d", len(rec.events), tc.events)
			}
			for _, e := range rec.events {
				if e.Shape != tc.shape {
					t.Errorf("event %s: shape %q, want %q", e.ID, e.Shape, tc.shape)
				}
			}
		})
	}
}

// TestCloudTrailCorpusSpots checks join keys and the shape quirks of the
// corpus (corpus-derived golden files are not kept in the repository).
func TestCloudTrailCorpusSpots(t *testing.T) {
	t.Parallel()
	recs := extCheckCorpus(t, cloudTrail{}, "aws-cloudtrail", []extCorpusCase{
		{"elastic__test-console-login-json.log", 3},
		{"plaso__aws_cloudtrail_lookupevents.jsonl", 6},
		{"otrf__ec2_proxy_s3_exfiltration_logstash.json", 103},
		{"elastic__test-assume-role-json.log", 2},
		{"trailscraper__111111111111_CloudTrail_eu-central-1_20171211T1505Z_A6kvhMoVeCsc7v8U.json", 2},
		{"trailscraper__111111111111_CloudTrail_eu-central-1_20171211T1505Z_A6kvhMoVeCsc7v8U.json.gz", 2},
	}, "otrf__AWS_S3_HoneyBucketLogs_alerts.csv")
	extSpot(t, recs, "elastic__test-console-login-json.log", 1, map[string]string{
		"action": "ConsoleLogin", "category": "signin", "outcome": "failure", "reason": "Failed authentication",
		"actor": "arn:aws:iam::111122223333:user/JaneDoe", "actor_kind": "user",
	})
	// LookupEvents: the inner record's UTC eventTime, equal to the
	// wrapper's local "2022-02-08 09:23:37+11:00".
	extSpot(t, recs, "plaso__aws_cloudtrail_lookupevents.jsonl", 0, map[string]string{
		"time": "2022-02-07T22:23:37Z", "shape": "lookup-events", "tenant": "012345678901", "action": "DescribeInstances",
	})
	// Logstash: eventTime is gone, @timestamp stands in.
	extSpot(t, recs, "otrf__ec2_proxy_s3_exfiltration_logstash.json", 0, map[string]string{
		"time": "2020-09-14T00:44:23Z", "shape": "logstash", "token_id": "ASIA5FLZVX4OI4ZDQJOL",
		"actor": "arn:aws:iam::123456789123:user/pedro", "tenant": "123456789123",
	})
	extSpot(t, recs, "trailscraper__111111111111_CloudTrail_eu-central-1_20171211T1505Z_A6kvhMoVeCsc7v8U.json", 1, map[string]string{
		"action": "AssumeRole", "issued_kind": "token", "issued_id": "BBBBBBBBBBBBBBBBBBBBB", "actor": "config.amazonaws.com",
		"actor_kind": "service", "target": "arn:aws:iam::111111111111:role/someRole", "target_kind": "identity",
	})
}

// TestCloudTrailGzipSameIDs: the S3 object and its .gz give the same events.
func TestCloudTrailGzipSameIDs(t *testing.T) {
	t.Parallel()
	dir := corpusDir(t, "aws-cloudtrail")
	base := filepath.Join(dir, "trailscraper__111111111111_CloudTrail_eu-central-1_20171211T1505Z_A6kvhMoVeCsc7v8U.json")
	ids := func(r *recorder) []string {
		var out []string
		for _, e := range r.events {
			out = append(out, e.ID)
		}
		return out
	}
	plain, gz := runImporter(t, cloudTrail{}, base), runImporter(t, cloudTrail{}, base+".gz")
	if diff := cmp.Diff(ids(plain), ids(gz)); diff != "" {
		t.Errorf("ids differ (-plain +gz):\n%s", diff)
	}
	want := []string{"a0ed971f-389f-406a-9fcf-887c5ca6903a", "b25ff7e3-f1cf-4b7f-883d-b09168c454d5"}
	if diff := cmp.Diff(want, ids(plain)); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}
}

// TestCloudTrailAlertTable: the honey-bucket alert CSV is recognized and
// refused as a whole, with a message that says what it is.
func TestCloudTrailAlertTable(t *testing.T) {
	t.Parallel()
	dir := corpusDir(t, "aws-cloudtrail")
	data, err := os.ReadFile(filepath.Join(dir, "otrf__AWS_S3_HoneyBucketLogs_alerts.csv"))
	if err != nil {
		t.Fatal(err)
	}
	imp := cloudTrail{}
	if !imp.Match("x.csv", data[:min(len(data), headSize)]) {
		t.Fatal("alert table not recognized")
	}
	for _, other := range All() {
		if other.Name() != imp.Name() && other.Match("x.csv", data[:min(len(data), headSize)]) {
			t.Errorf("%s also claims the alert table", other.Name())
		}
	}
	rec := &recorder{}
	err = imp.Import(t.Context(), bytes.NewReader(data), timeline.Source{File: "alerts.csv"}, rec)
	if !errors.Is(err, errDerivedAlertTable) {
		t.Fatalf("err = %v, want errDerivedAlertTable", err)
	}
	if !strings.Contains(err.Error(), "alerts.csv") || !strings.Contains(err.Error(), "Python dict") {
		t.Errorf("message does not name the file and the reason: %v", err)
	}
	if len(rec.events)+len(rec.rejects) != 0 {
		t.Errorf("refused file produced %d events, %d rejects", len(rec.events), len(rec.rejects))
	}
}

func TestCloudTrailShapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file   string
		shapes []string
		notes  int
	}{
		{"cloudtrail_shapes.jsonl", []string{"eventbridge", "ndjson", "ndjson", "ndjson", "ndjson", "ndjson", "ndjson", "lake", "ndjson"}, 0},
		{"cloudtrail_lookup_envelope.json", []string{"lookup-events"}, 0},
		{"cloudtrail_digest.json", nil, 1},
		{"cloudtrail_lake_results.json", []string{"lake", "lake"}, 0},
		{"cloudtrail_athena_results.json", []string{"lake"}, 0},
		{"cloudtrail_cloudwatch.json", []string{"cloudwatch"}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			rec := runImporter(t, cloudTrail{}, filepath.Join("testdata", tc.file))
			if len(rec.rejects) > 0 {
				t.Errorf("rejects: %v", rec.rejects[0])
			}
			var shapes []string
			for _, e := range rec.events {
				shapes = append(shapes, e.Shape)
			}
			if diff := cmp.Diff(tc.shapes, shapes); diff != "" {
				t.Errorf("shapes (-want +got):\n%s", diff)
			}
			if len(rec.notes) != tc.notes {
				t.Errorf("notes %q, want %d", rec.notes, tc.notes)
			}
			checkGolden(t, "cloudtrail/"+tc.file, rec.events)
		})
	}
}

// ctFields is the part of an event the mapping tests look at.
type ctFields struct {
	ID, Actor, ActorTenant, Tenant, KeyID, TokenID, IssuedKind, IssuedID, Target, TargetKind, Reason string
	ActorKind                                                                                        timeline.ActorKind
	Category                                                                                         timeline.Category
	Outcome                                                                                          timeline.Outcome
	Time                                                                                             time.Time
}

func ctPick(e timeline.Event) ctFields {
	return ctFields{ID: e.ID, Actor: e.Actor, ActorTenant: e.ActorTenant, Tenant: e.Tenant, KeyID: e.KeyID, TokenID: e.TokenID,
		IssuedKind: e.IssuedKind, IssuedID: e.IssuedID, Target: e.Target, TargetKind: e.TargetKind, Reason: e.Reason,
		ActorKind: e.ActorKind, Category: e.Category, Outcome: e.Outcome, Time: e.Time}
}

func TestCloudTrailMapping(t *testing.T) {
	t.Parallel()
	rec := runImporter(t, cloudTrail{}, filepath.Join("testdata", "cloudtrail_shapes.jsonl"))
	lookup := runImporter(t, cloudTrail{}, filepath.Join("testdata", "cloudtrail_lookup_envelope.json"))
	got := append(rec.events, lookup.events...)
	tm := func(s string) time.Time { v, _ := time.Parse(time.RFC3339, s); return v.UTC() }
	want := []ctFields{
		{ID: "bbbbbbbb-0000-4000-8000-000000000001", Actor: "arn:aws:iam::222233334444:user/alice", Tenant: "222233334444",
			KeyID: "AKIAEXAMPLEKEY000001", IssuedKind: "key", IssuedID: "AKIAEXAMPLENEWKEY002", Target: "mallory", TargetKind: "identity",
			ActorKind: timeline.ActorUser, Category: timeline.CategoryCredential, Outcome: timeline.OutcomeSuccess, Time: tm("2024-03-01T10:00:04Z")},
		{ID: "bbbbbbbb-0000-4000-8000-000000000002", Actor: "arn:aws:iam::222233334444:user/mallory", Tenant: "222233334444",
			KeyID: "AKIAEXAMPLENEWKEY002", IssuedKind: "token", IssuedID: "ASIAEXAMPLETEMP00003",
			ActorKind: timeline.ActorUser, Category: timeline.CategoryToken, Outcome: timeline.OutcomeSuccess, Time: tm("2024-03-01T10:05:00Z")},
		{ID: "bbbbbbbb-0000-4000-8000-000000000003", Actor: "arn:aws:iam::222233334444:user/mallory", Tenant: "222233334444",
			TokenID: "ASIAEXAMPLETEMP00003", Target: "arn:aws:s3:::payroll-exports/2024/02/payroll.csv", TargetKind: "resource",
			ActorKind: timeline.ActorUser, Category: timeline.CategoryFile, Outcome: timeline.OutcomeSuccess, Time: tm("2024-03-01T10:06:00Z")},
		{ID: "bbbbbbbb-0000-4000-8000-000000000004", Actor: "arn:aws:iam::222233334444:user/mallory", Tenant: "222233334444",
			TokenID: "ASIAEXAMPLETEMP00003", Reason: "AccessDenied",
			ActorKind: timeline.ActorUser, Category: timeline.CategoryAdmin, Outcome: timeline.OutcomeFailure, Time: tm("2024-03-01T10:07:00Z")},
		{ID: "bbbbbbbb-0000-4000-8000-000000000005", Actor: "94a8f4e8-1071-70b1-1c0e-9d2aae5b4a0e", Tenant: "222233334444",
			Target: "AdministratorAccess", TargetKind: "identity",
			ActorKind: timeline.ActorUser, Category: timeline.CategoryToken, Outcome: timeline.OutcomeSuccess, Time: tm("2024-03-01T11:00:00Z")},
		{ID: "bbbbbbbb-0000-4000-8000-000000000006", Actor: "arn:aws:iam::222233334444:root", Tenant: "222233334444",
			ActorKind: timeline.ActorRoot, Category: timeline.CategorySignin, Outcome: timeline.OutcomeSuccess, Time: tm("2024-03-01T12:00:00Z")},
		{ID: "bbbbbbbb-0000-4000-8000-000000000007", Actor: "ANONYMOUS_PRINCIPAL", Tenant: "222233334444",
			Target: "arn:aws:s3:::honey-bucket", TargetKind: "resource",
			ActorKind: timeline.ActorAnonymous, Category: timeline.CategoryResource, Outcome: timeline.OutcomeSuccess, Time: tm("2024-03-01T12:30:00Z")},
		{ID: "bbbbbbbb-0000-4000-8000-000000000008", Actor: "arn:aws:sts::222233334444:assumed-role/Dev/dev", Tenant: "222233334444",
			TokenID:   "ASIAEXAMPLETEMP00009",
			ActorKind: timeline.ActorRole, Category: timeline.CategoryResource, Outcome: timeline.OutcomeSuccess, Time: tm("2024-03-01T13:00:00Z")},
		{ID: "bbbbbbbb-0000-4000-8000-000000000009", Actor: "arn:aws:sts::222233334444:assumed-role/Dev/dev", Tenant: "222233334444",
			TokenID: "ASIAEXAMPLETEMP00009", Target: "arn:aws:dynamodb:us-east-1:222233334444:table/Payroll", TargetKind: "resource",
			ActorKind: timeline.ActorRole, Category: timeline.CategoryResource, Outcome: timeline.OutcomeSuccess, Time: tm("2024-03-01T13:05:00Z")},
		{ID: "cccccccc-0000-4000-8000-000000000001", Actor: "bob@example.com", Tenant: "222233334444",
			IssuedKind: "token", IssuedID: "ASIAEXAMPLESAML00001", Target: "arn:aws:iam::222233334444:role/Admin", TargetKind: "identity",
			ActorKind: timeline.ActorUser, Category: timeline.CategoryToken, Outcome: timeline.OutcomeSuccess, Time: tm("2024-03-02T08:00:00Z")},
	}
	var picked []ctFields
	for _, e := range got {
		picked = append(picked, ctPick(e))
	}
	if diff := cmp.Diff(want, picked); diff != "" {
		t.Errorf("mapping (-want +got):\n%s", diff)
	}
}

// TestCloudTrailAssumeRoleCorpus checks the STS issuance record of the
// corpus: ASIA id issued, English expiration parsed into the message.
func TestCloudTrailAssumeRoleCorpus(t *testing.T) {
	t.Parallel()
	dir := corpusDir(t, "aws-cloudtrail")
	rec := runImporter(t, cloudTrail{}, filepath.Join(dir, "elastic__test-assume-role-json.log"))
	if len(rec.events) == 0 {
		t.Fatal("no events")
	}
	e := rec.events[0]
	if e.IssuedKind != timeline.IssuedToken || e.IssuedID != "ASIAWHOJDLGPOEXAMPLE" || e.Category != timeline.CategoryToken {
		t.Errorf("issued %q %q category %q", e.IssuedKind, e.IssuedID, e.Category)
	}
	if e.KeyID != "AKIAI44QH8DHBEXAMPLE" {
		t.Errorf("key_id %q", e.KeyID)
	}
	if !strings.Contains(e.Message, "expiring 2019-10-02T23:12:29Z") {
		t.Errorf("message %q lacks the parsed expiration", e.Message)
	}
}

func TestCloudTrailMatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		head string
		want bool
	}{
		{"s3", `{"Records":[{"eventVersion":"1.08","userIdentity":{},"eventSource":"s3.amazonaws.com"}]}`, true},
		{"lookup truncated", `{"EventId":"x","EventName":"y","CloudTrailEvent":"{`, true},
		{"digest", `{"awsAccountId":"1","digestStartTime":"a","digestEndTime":"b","logFiles":[]}`, true},
		{"okta", `{"uuid":"x","eventType":"user.session.start","published":"2020-01-01T00:00:00Z","actor":{}}`, false},
		{"gcp", `{"insertId":"x","protoPayload":{"methodName":"m","serviceName":"s"},"timestamp":"2020"}`, false},
		{"entra", `{"id":"x","createdDateTime":"2020","userPrincipalName":"a@b","appId":"c"}`, false},
		{"csv", "time,user,action\n1,2,3\n", false},
		{"empty", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := (cloudTrail{}).Match("x", []byte(tc.head)); got != tc.want {
				t.Errorf("Match = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestCloudTrailBadRecords: bad records are rejected with their offset and
// the rest still imports.
func TestCloudTrailBadRecords(t *testing.T) {
	t.Parallel()
	in := `{"eventVersion":"1.08","eventSource":"s3.amazonaws.com","eventName":"GetObject","eventTime":"2024-01-01T00:00:00Z","eventID":"a"}
{"eventVersion":"1.08","eventSource":"s3.amazonaws.com","eventName":"GetObject","eventTime":"yesterday","eventID":"b"}
{"eventVersion":"1.08","eventSource":"s3.amazonaws.com","eventName":"GetObject","eventTime":"2024-01-01T00:00:01Z","eventID":"c",
not json
{"foo":"bar"}
{"eventVersion":"1.08","eventSource":"s3.amazonaws.com","eventName":"GetObject","eventTime":"2024-01-01T00:00:02Z","eventID":"d"}
`
	rec := &recorder{}
	if err := (cloudTrail{}).Import(t.Context(), strings.NewReader(in), timeline.Source{File: "bad.json"}, rec); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range rec.events {
		ids = append(ids, e.ID)
	}
	if diff := cmp.Diff([]string{"a", "d"}, ids); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}
	if len(rec.rejects) < 3 {
		t.Errorf("got %d rejects, want at least 3", len(rec.rejects))
	}
	for _, r := range rec.rejects {
		if r.File != "bad.json" || r.Importer != "aws.cloudtrail" || len(r.Raw) == 0 {
			t.Errorf("reject without provenance: %+v", r)
		}
	}
}

func FuzzImportCloudTrail(f *testing.F) {
	for _, name := range []string{"cloudtrail_shapes.jsonl", "cloudtrail_lookup_envelope.json", "cloudtrail_digest.json", "cloudtrail_lake_results.json",
		"cloudtrail_athena_results.json", "cloudtrail_cloudwatch.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"Records":[{"eventVersion":"1","eventName":"x","eventTime":"2020-01-01T00:00:00Z","userIdentity":"{\"type\":1}"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		imp := cloudTrail{}
		_ = imp.Match("f", data[:min(len(data), headSize)])
		rec := &recorder{}
		_ = imp.Import(t.Context(), bytes.NewReader(data), timeline.Source{File: "fuzz", SHA256: "00"}, rec)
		for _, e := range rec.events {
			if err := e.Validate(); err != nil {
				t.Fatalf("invalid event: %v", err)
			}
		}
	})
}

// ctBenchRecord returns the i-th synthetic record: a realistic mix of
// role-session reads and STS issuance, about 1.3 KB each.
func ctBenchRecord(i int) string {
	if i%10 == 0 {
		return fmt.Sprintf(`{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE%08d","arn":"arn:aws:iam::111122223333:user/u%d","accountId":"111122223333","accessKeyId":"AKIAEXAMPLE%09d","userName":"u%d"},"eventTime":"2024-03-01T10:%02d:%02dZ","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.%d","userAgent":"aws-cli/2.15.0 Python/3.11.6 Linux/6.5.0 exe/x86_64.ubuntu.22 prompt/off command/sts.assume-role","requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/Admin","roleSessionName":"s%d","durationSeconds":3600},"responseElements":{"credentials":{"accessKeyId":"ASIAEXAMPLE%09d","sessionToken":"IQoJb3JpZ2luX2VjEXAMPLETOKENEXAMPLETOKENEXAMPLETOKENEXAMPLETOKEN","expiration":"Mar 1, 2024 11:00:00 AM"},"assumedRoleUser":{"assumedRoleId":"AROAEXAMPLE:s%d","arn":"arn:aws:sts::111122223333:assumed-role/Admin/s%d"}},"requestID":"%08d-aaaa-4bbb-8ccc-123456789abc","eventID":"%08d-dddd-4eee-8fff-123456789abc","readOnly":false,"resources":[{"accountId":"111122223333","type":"AWS::IAM::Role","ARN":"arn:aws:iam::111122223333:role/Admin"}],"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"sts.amazonaws.com"}}`,
			i, i, i, i, (i/60)%60, i%60, i%250, i, i, i, i, i, i)
	}
	return fmt.Sprintf(`{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE:s%d","arn":"arn:aws:sts::111122223333:assumed-role/Admin/s%d","accountId":"111122223333","accessKeyId":"ASIAEXAMPLE%09d","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLE","arn":"arn:aws:iam::111122223333:role/Admin","accountId":"111122223333","userName":"Admin"},"webIdFederationData":{},"attributes":{"creationDate":"2024-03-01T10:00:00Z","mfaAuthenticated":"false"}}},"eventTime":"2024-03-01T10:%02d:%02dZ","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.%d","userAgent":"[Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux#6.5.0 md/arch#x86_64 lang/python#3.11.6]","requestParameters":{"bucketName":"data-%d","Host":"data-%d.s3.us-east-1.amazonaws.com","key":"exports/2024/03/file-%d.csv"},"responseElements":null,"additionalEventData":{"SignatureVersion":"SigV4","CipherSuite":"TLS_AES_128_GCM_SHA256","bytesTransferredIn":0,"AuthenticationMethod":"AuthHeader","x-amz-id-2":"EXAMPLEid2EXAMPLEid2EXAMPLEid2","bytesTransferredOut":52341},"requestID":"%08dABCDEF","eventID":"%08d-1111-4222-8333-123456789abc","readOnly":true,"resources":[{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::data-%d/exports/2024/03/file-%d.csv"},{"accountId":"111122223333","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::data-%d"}],"eventType":"AwsApiCall","managementEvent":false,"recipientAccountId":"111122223333","eventCategory":"Data"}`,
		i%50, i%50, i-i%10, (i/60)%60, i%60, i%250, i%7, i%7, i, i, i, i%7, i, i%7)
}

// extCountEmitter counts what it is given.
type extCountEmitter struct{ n, rejects int }

func (c *extCountEmitter) Emit(*timeline.Event) error        { c.n++; return nil }
func (c *extCountEmitter) Reject(*timeline.ParseError) error { c.rejects++; return nil }
func (c *extCountEmitter) Note(string)                       {}

// BenchmarkCloudTrailNDJSON imports 200k NDJSON records.
func BenchmarkCloudTrailNDJSON(b *testing.B) {
	const n = 200_000
	var buf bytes.Buffer
	for i := range n {
		buf.WriteString(ctBenchRecord(i))
		buf.WriteByte('\n')
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	cpu0 := cpuTime()
	for b.Loop() {
		em := &extCountEmitter{}
		if err := (cloudTrail{}).Import(b.Context(), bytes.NewReader(data), timeline.Source{File: "bench"}, em); err != nil {
			b.Fatal(err)
		}
		if em.n != n || em.rejects != 0 {
			b.Fatalf("got %d events, %d rejects", em.n, em.rejects)
		}
	}
	reportRates(b, n, cpu0)
}

// BenchmarkCloudTrailS3 imports an S3 delivery tree of 100k records in
// gzipped {"Records":[…]} objects of 500 records (CloudTrail writes one
// object per ~5 minutes per region). "gunzip" opens and decompresses each
// object as the pipeline does, then imports it; "import" feeds the
// already-decompressed objects, measuring the importer alone.
func BenchmarkCloudTrailS3(b *testing.B) {
	const n, perFile = 100_000, 500
	dir := b.TempDir()
	var files []string
	var plain [][]byte
	for f := 0; f*perFile < n; f++ {
		var buf bytes.Buffer
		buf.WriteString(`{"Records":[`)
		for i := f * perFile; i < (f+1)*perFile; i++ {
			if i > f*perFile {
				buf.WriteByte(',')
			}
			buf.WriteString(ctBenchRecord(i))
		}
		buf.WriteString(`]}`)
		p := filepath.Join(dir, "AWSLogs", "111122223333", "CloudTrail", "us-east-1", "2024", "03", "01",
			fmt.Sprintf("111122223333_CloudTrail_us-east-1_20240301T%04dZ_%06d.json.gz", f%2400, f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		zw.Write(buf.Bytes())
		zw.Close()
		if err := os.WriteFile(p, z.Bytes(), 0o644); err != nil {
			b.Fatal(err)
		}
		files = append(files, p)
		plain = append(plain, buf.Bytes())
	}
	check := func(b *testing.B, em *extCountEmitter) {
		if em.n != n || em.rejects != 0 {
			b.Fatalf("got %d events, %d rejects", em.n, em.rejects)
		}
	}
	b.Run("gunzip", func(b *testing.B) {
		cpu0 := cpuTime()
		for b.Loop() {
			em := &extCountEmitter{}
			for _, p := range files {
				fh, err := os.Open(p)
				if err != nil {
					b.Fatal(err)
				}
				zr, err := gzip.NewReader(bufio.NewReader(fh))
				if err != nil {
					b.Fatal(err)
				}
				if err := (cloudTrail{}).Import(b.Context(), zr, timeline.Source{File: p}, em); err != nil {
					b.Fatal(err)
				}
				fh.Close()
			}
			check(b, em)
		}
		reportRates(b, n, cpu0)
	})
	b.Run("import", func(b *testing.B) {
		cpu0 := cpuTime()
		for b.Loop() {
			em := &extCountEmitter{}
			for i, data := range plain {
				if err := (cloudTrail{}).Import(b.Context(), bytes.NewReader(data), timeline.Source{File: files[i]}, em); err != nil {
					b.Fatal(err)
				}
			}
			check(b, em)
		}
		reportRates(b, n, cpu0)
	})
}

// ctSink is a hand-written Sink that keeps what the pipeline gives it.
type ctSink struct {
	events  []timeline.Event
	rejects int
	files   []timeline.FileRecord
}

func (s *ctSink) Add(e *timeline.Event) (timeline.AddResult, error) {
	s.events = append(s.events, e.Clone())
	return timeline.Added, nil
}
func (s *ctSink) Reject(*timeline.ParseError) error { s.rejects++; return nil }
func (s *ctSink) AddFile(f timeline.FileRecord)     { s.files = append(s.files, f) }

// TestCloudTrailS3Tree imports a whole AWSLogs/ tree through the pipeline:
// gzipped objects, a digest file skipped with a note, nothing unrecognized.
func TestCloudTrailS3Tree(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	day := filepath.Join(dir, "AWSLogs", "111122223333", "CloudTrail", "us-east-1", "2024", "03", "01")
	digestDir := filepath.Join(dir, "AWSLogs", "111122223333", "CloudTrail-Digest", "us-east-1", "2024", "03", "01")
	for _, d := range []string{day, digestDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(path string, data []byte) {
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		zw.Write(data)
		zw.Close()
		if err := os.WriteFile(path, z.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for f := range 3 {
		text := ctEnvelope(4, func(i int) string { return ctBenchRecord(f*4 + i) })
		write(filepath.Join(day, fmt.Sprintf("111122223333_CloudTrail_us-east-1_20240301T00%d0Z_abc%d.json.gz", f, f)), []byte(text))
	}
	digest, err := os.ReadFile(filepath.Join("testdata", "cloudtrail_digest.json"))
	if err != nil {
		t.Fatal(err)
	}
	write(filepath.Join(digestDir, "111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20240301T010000Z.json.gz"), digest)

	sink := &ctSink{}
	results, err := Import(t.Context(), sink, []string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 4 {
		t.Fatalf("got %d file results, want 4", len(results))
	}
	notes := 0
	for _, r := range results {
		if r.Failed() {
			t.Errorf("%s failed: %s", r.Path, r.Error)
		}
		if r.Importer != "aws.cloudtrail" {
			t.Errorf("%s imported by %q", r.Path, r.Importer)
		}
		notes += len(r.Notes)
	}
	if len(sink.events) != 12 || sink.rejects != 0 || notes != 1 {
		t.Errorf("got %d events, %d rejects, %d notes; want 12, 0, 1", len(sink.events), sink.rejects, notes)
	}
}

// TestCloudTrailScannerRandomRecords checks the record splitter (whose
// fast paths this importer's speed rests on) against records it knows:
// random nested objects whose strings hold quotes, brackets, backslashes
// and multi-byte text, as NDJSON and in a Records envelope, read whole and
// in small pieces.
func TestCloudTrailScannerRandomRecords(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "Z", "9", `"`, `\`, "[", "]", "{", "}", ",", ":", " ", "é", "日本", "\n", "\t", "eyJ", "."}
	var value func(depth int) any
	value = func(depth int) any {
		switch k := rng.IntN(6); {
		case k == 0 && depth < 4:
			m := map[string]any{}
			for i := range rng.IntN(5) {
				m[fmt.Sprintf("k%d%s", i, alphabet[rng.IntN(len(alphabet))])] = value(depth + 1)
			}
			return m
		case k == 1 && depth < 4:
			var s []any
			for range rng.IntN(5) {
				s = append(s, value(depth+1))
			}
			return s
		case k == 2:
			return rng.Float64() * 1e6
		case k == 3:
			return nil
		default:
			var b strings.Builder
			for range rng.IntN(40) {
				b.WriteString(alphabet[rng.IntN(len(alphabet))])
			}
			return b.String()
		}
	}
	for round := range 80 {
		var want [][]byte
		var nd, env bytes.Buffer
		env.WriteString(`{"Records":[`)
		for i := range 1 + rng.IntN(20) {
			rec := map[string]any{"eventName": "x", "v": value(0)}
			b, err := json.Marshal(rec)
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, b)
			nd.Write(b)
			nd.WriteByte('\n')
			if i > 0 {
				env.WriteString(",\n ")
			}
			env.Write(b)
		}
		env.WriteString(`],"extra":{"a":[1,2]}}`)
		for _, in := range [][]byte{nd.Bytes(), env.Bytes()} {
			for _, r := range []io.Reader{bytes.NewReader(in), iotest.OneByteReader(bytes.NewReader(in)), iotest.HalfReader(bytes.NewReader(in))} {
				var got [][]byte
				s := newJSONScanner(r, []string{"Records"})
				for {
					rec, err := s.next()
					if err == io.EOF {
						break
					}
					if err != nil || rec.Err != nil {
						t.Fatalf("round %d: %v %v at %d", round, err, rec.Err, rec.Offset)
					}
					if !bytes.Equal(in[rec.Offset:rec.Offset+int64(len(rec.Data))], rec.Data) {
						t.Fatalf("round %d: record not at its offset", round)
					}
					got = append(got, bytes.Clone(rec.Data))
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Fatalf("round %d (-want +got):\n%s", round, diff)
				}
			}
		}
	}
}

// reportRates reports events per second of wall time, and events per
// second of CPU time used by the process (user + system, GC included):
// on a shared, busy machine the second is the fairer per-core figure.
func reportRates(b *testing.B, perOp int, cpu0 time.Duration) {
	b.ReportMetric(float64(perOp)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(perOp)*float64(b.N)/cpu.Seconds(), "events/cpu-s")
	}
}

// TestCloudTrailLakeRaw: a Lake result row keeps its own bytes as Raw.
func TestCloudTrailLakeRaw(t *testing.T) {
	t.Parallel()
	path := filepath.Join("testdata", "cloudtrail_lake_results.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rec := runImporter(t, cloudTrail{}, path)
	if len(rec.events) != 2 {
		t.Fatalf("got %d events", len(rec.events))
	}
	for _, e := range rec.events {
		if !strings.HasPrefix(e.Raw, "[") || !strings.HasSuffix(e.Raw, "]") || string(data[e.Offset:e.Offset+int64(len(e.Raw))]) != e.Raw {
			t.Errorf("raw %q is not the row at offset %d", e.Raw, e.Offset)
		}
	}
}

// BenchmarkCloudTrailParts splits the NDJSON import into its stages, to
// show where the time goes: "scan" is the shared record splitter alone,
// "decode" the typed goccy decode of one record, "read" the single-pass
// reader (split and decode in one) on one record, "record" decode plus
// normalization of one record.
func BenchmarkCloudTrailParts(b *testing.B) {
	const n = 20_000
	var buf bytes.Buffer
	for i := range n {
		buf.WriteString(ctBenchRecord(i))
		buf.WriteByte('\n')
	}
	data := buf.Bytes()
	rec := []byte(ctBenchRecord(1))
	b.Run("scan", func(b *testing.B) {
		cpu0 := cpuTime()
		for b.Loop() {
			err := streamJSON(b.Context(), bytes.NewReader(data), []string{"Records", "Events"}, "x", timeline.Source{}, &extCountEmitter{},
				func([]byte, int64) error { return nil })
			if err != nil {
				b.Fatal(err)
			}
		}
		reportRates(b, n, cpu0)
	})
	b.Run("decode", func(b *testing.B) {
		var r ctRecord
		cpu0 := cpuTime()
		for b.Loop() {
			if _, err := decodeCT(rec, &r); err != nil {
				b.Fatal(err)
			}
		}
		reportRates(b, 1, cpu0)
	})
	b.Run("read", func(b *testing.B) {
		var f ctFast
		cpu0 := cpuTime()
		for b.Loop() {
			if f.read(rec) != len(rec) {
				b.Fatal("the single-pass reader stepped aside")
			}
		}
		reportRates(b, 1, cpu0)
	})
	b.Run("record", func(b *testing.B) {
		d := ctDecoder{name: "aws.cloudtrail", out: &extCountEmitter{}, fileShape: "ndjson"}
		cpu0 := cpuTime()
		for b.Loop() {
			if err := d.record(rec, 0); err != nil {
				b.Fatal(err)
			}
		}
		reportRates(b, 1, cpu0)
	})
}

// BenchmarkCloudTrailFile imports the first records of a real CloudTrail
// NDJSON file (CAUSEWAY_CT_FILE, default /tmp/ct400k.ndjson as written by
// `samples generate`; skipped when absent) into a discarding Emitter: the
// parse path (split, decode, normalize, provenance) without the store,
// with the single-pass reader ("fast") and without it ("slow").
// CAUSEWAY_CT_MB bounds how much of the file is read (default 150 MB).
func BenchmarkCloudTrailFile(b *testing.B) {
	path := os.Getenv("CAUSEWAY_CT_FILE")
	if path == "" {
		path = "/tmp/ct400k.ndjson"
	}
	limit := int64(150 << 20)
	if v := os.Getenv("CAUSEWAY_CT_MB"); v != "" {
		var mb int64
		if _, err := fmt.Sscan(v, &mb); err != nil {
			b.Fatalf("CAUSEWAY_CT_MB: %v", err)
		}
		limit = mb << 20
	}
	fh, err := os.Open(path)
	if err != nil {
		b.Skipf("no CloudTrail file: %v", err)
	}
	data, err := io.ReadAll(io.LimitReader(fh, limit))
	fh.Close()
	if err != nil {
		b.Fatal(err)
	}
	if i := bytes.LastIndexByte(data, '\n'); i >= 0 {
		data = data[:i+1]
	}
	n := bytes.Count(data, []byte("\n"))
	for _, imp := range []cloudTrail{{}, {slow: true}} {
		name := "fast"
		if imp.slow {
			name = "slow"
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			cpu0 := cpuTime()
			for b.Loop() {
				em := &extCountEmitter{}
				if err := imp.Import(b.Context(), bytes.NewReader(data), timeline.Source{File: path, SHA256: "00"}, em); err != nil {
					b.Fatal(err)
				}
				if em.n+em.rejects != n {
					b.Fatalf("got %d events and %d rejects from %d lines", em.n, em.rejects, n)
				}
			}
			reportRates(b, n, cpu0)
			if cpu := cpuTime() - cpu0; cpu > 0 {
				b.ReportMetric(float64(cpu.Nanoseconds())/1e3/float64(n*b.N), "cpu-µs/event")
			}
		})
	}
}

// ctFastSeeds are records for the single-pass reader's tests: the shapes
// of testdata, the benchmark's records, and the edges it must step aside at
// or read exactly as the typed decode does.
func ctFastSeeds(t testing.TB) [][]byte {
	var seeds [][]byte
	for _, name := range []string{"cloudtrail_shapes.jsonl", "cloudtrail_lookup_envelope.json", "cloudtrail_cloudwatch.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, b)
		for line := range bytes.Lines(b) {
			seeds = append(seeds, line)
		}
	}
	for i := range 12 {
		seeds = append(seeds, []byte(ctBenchRecord(i)))
	}
	const base = `"eventTime":"2024-01-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject"`
	for _, s := range []string{
		`{` + base + `,"userIdentity":{"type":"AssumedRole","sessionContext":null}}`,
		`{` + base + `,"userIdentity":{"type":"AssumedRole","sessionContext":{"a":[1,2.5e3,-0,true,false,null,{}]}},"userIdentity":{"arn":"x"}}`,
		`{` + base + `,"userIdentity":{"sessionContext":{}},"userIdentity":{"sessionContext":null}}`,
		`{` + base + `,"eventName":"PutObject"}`,
		`{` + base + `,"EventName":"PutObject"}`,
		`{` + base + `,"eventname":"x","eventtime":"2024-01-01 00:00:00"}`,
		`{` + base + `,"errorMessage":"a \"quoted\" \\ \/ \b\f\n\r\t \u00e9 \u2028 é"}`,
		`{` + base + `,"errorMessage":"\ud83d\ude00"}`,
		`{` + base + `,"errorMessage":"\ud83d"}`,
		`{` + base + `,"userAgent":"bad \xff utf8"}`,
		`{` + base + `,"other":"bad \xff utf8"}`,
		`{` + base + `,"other":"ctl ` + "\x01" + `"}`,
		`{` + base + `,"resources":[{"ARN":"a"},null,{"ARN":"b","type":"t"},{},{},{},{},{},{"ARN":"ninth"}]}`,
		`{` + base + `,"resources":[],"resources":[{"ARN":"a"}]}`,
		`{` + base + `,"resources":["arn:aws:s3:::b"]}`,
		`{` + base + `,"resources":null}`,
		`{` + base + `,"requestParameters":{"key":{"S":"x"},"bucketName":"b"}}`,
		`{` + base + `,"requestParameters":{"Key":"k","bucketName":"b"}}`,
		`{` + base + `,"requestParameters":"{\"bucketName\":\"b\"}"}`,
		`{` + base + `,"responseElements":{"credentials":{"accessKeyId":"ASIA1","expiration":1700000000}}}`,
		`{` + base + `,"responseElements":{"ConsoleLogin":"Failure"},"additionalEventData":{"MFAUsed":"No"}}`,
		`{` + base + `,"eventVersion":01}`,
		`{` + base + `,"n":1.}`,
		`{` + base + `,"n":-1.5E+10,"m":[[[]]],"o":{"p":{"q":{}}}}`,
		`{` + base + `,"Records":[1]}`,
		`{` + base + `,"events":"x"}`,
		`{` + base + ` , "a" : [ 1 , 2 ] }`,
		`{` + base + `,"a":tru}`,
		`{` + base + `,"a":nul`,
		`{` + base + `,"k\u0065y":"v","event\u0053ource":"iam.amazonaws.com"}`,
		`{` + base + `,"eventſource":"iam"}`,
		`{` + base + ",\"a\":\"b\"\xef\xbb\xbf}",
		`{` + base + `,"detail":{"eventName":"x"}}`,
		`{"eventSource":"s3.amazonaws.com","eventTime":"2024-01-01T00:00:00Z","detail":null}`,
		`{` + base + `,"message":null,"CloudTrailEvent":null}`,
		`{` + base + `,"EventSource":"x","eventSource":{"a":1}}`,
		"{" + base + "}\n{" + base + ",\"eventID\":\"ABC\"}\n",
		`{"Records":[{` + base + `},{` + base + `}]}`,
		`[{` + base + `},{` + base,
		`{` + strings.Repeat(`"a":{`, 70) + strings.Repeat(`}`, 70) + `,` + base + `}`,
	} {
		seeds = append(seeds, []byte(s))
	}
	return seeds
}

// FuzzCloudTrailFastDecode compares the single-pass reader with what it
// replaces: a record it reads must be the record the splitter cuts at the
// same place, and its fields those of decodeCT's typed decode.
func FuzzCloudTrailFastDecode(f *testing.F) {
	for _, s := range ctFastSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ctCheckFast(t, data)
	})
}

func ctCheckFast(t *testing.T, data []byte) {
	t.Helper()
	if len(data) == 0 || data[0] != '{' {
		return
	}
	var fr ctFast
	n := fr.read(data)
	if n == 0 || n < ctAside || n > len(data) {
		t.Fatalf("read returned %d for %d bytes", n, len(data))
	}
	if n < 0 {
		return
	}
	s := newJSONScanner(bytes.NewReader(data), ctEnvelopes)
	rec, err := s.next()
	if err != nil || rec.Err != nil || rec.Offset != 0 || !bytes.Equal(rec.Data, data[:n]) {
		t.Fatalf("fast read %d bytes; the splitter cut %q at %d (%v, %v)", n, rec.Data, rec.Offset, err, rec.Err)
	}
	var want ctRecord
	lake, err := decodeCT(data[:n], &want)
	if err != nil || lake {
		t.Fatalf("fast read a record decodeCT reads with lake %v, error %v", lake, err)
	}
	ptrs := [ctfCount]*string{}
	var got ctRecord
	ptrs = ctFieldPtrs(&got)
	fr.fill(&got, &ptrs, string(data[:n]))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("fast read differs from decodeCT (-decodeCT +fast):\n%s", diff)
	}
	// Cut short, the same record asks for more bytes or steps aside.
	for _, m := range []int{n - 1, n / 2, 1} {
		if m <= 0 || m >= n {
			continue
		}
		if r := fr.read(data[:m]); r >= 0 {
			t.Fatalf("read of the first %d of %d bytes returned %d", m, n, r)
		}
	}
}

// FuzzCloudTrailFastImport imports the same bytes with and without the
// single-pass reader: events, rejects and notes must be the same.
func FuzzCloudTrailFastImport(f *testing.F) {
	for _, s := range ctFastSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ctCompareImports(t, data)
	})
}

// ctCompareImports imports data with the single-pass reader and without,
// whole and through a one-byte reader, and compares the results.
func ctCompareImports(t *testing.T, data []byte) {
	t.Helper()
	want := viewImport(t, cloudTrail{slow: true}, bytes.NewReader(data))
	for _, r := range []io.Reader{bytes.NewReader(data), iotest.OneByteReader(bytes.NewReader(data))} {
		if diff := cmp.Diff(want, viewImport(t, cloudTrail{}, r)); diff != "" {
			t.Fatalf("import of %q differs (-slow +fast):\n%s", data, diff)
		}
	}
}

func TestCloudTrailFastSeeds(t *testing.T) {
	t.Parallel()
	for _, s := range ctFastSeeds(t) {
		ctCheckFast(t, s)
		ctCompareImports(t, s)
	}
}

// TestCloudTrailFastCorpus: every corpus file and every testdata file
// imports the same with the single-pass reader and without.
func TestCloudTrailFastCorpus(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob(filepath.Join("testdata", "cloudtrail_*"))
	dir := corpusDir(t, "aws-cloudtrail")
	more, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, p := range append(files, more...) {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
			continue
		}
		t.Run(filepath.Base(p), func(t *testing.T) { ctCompareImports(t, data) })
	}
}

// FuzzCTExpiration: what the STS-expiration fast path reads, parseTime
// reads the same.
func FuzzCTExpiration(f *testing.F) {
	for _, s := range []string{"Mar 4, 2024 6:00:36 AM", "Dec 31, 1999 12:59:59 PM", "Feb 29, 2023 1:00:00 AM", "Jan 2, 2006 12:00:00 AM",
		"Oct 2, 2019 11:12:29 PM", "Feb 29, 2024 0:00:00 PM", "Jan 02, 2006 03:04:05 PM", "Jan 2, 2006 3:04:05.5 PM", "jan 2, 2006 3:04:05 pm"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := ctParseSTSTime(s)
		if !ok {
			return
		}
		want, err := parseTime(s)
		if err != nil || !want.Equal(got) || want.Location() != got.Location() {
			t.Fatalf("%q: fast %v, parseTime %v (%v)", s, got, want, err)
		}
	})
}

// ctRandomRecord builds a random record from CloudTrail's own keys (exact,
// in another case, repeated), values of every JSON type (strings with
// escapes, non-ASCII and invalid text), nested known objects and resources
// lists: byte-level fuzzing seldom makes such records.
func ctRandomRecord(rng *rand.Rand) string {
	strs := []string{`"x"`, `""`, `"AKIAEXAMPLE"`, `"ASIAEXAMPLE"`, `"2024-03-01T10:00:00Z"`, `"2024-03-01 10:00:00"`, `"s3.amazonaws.com"`,
		`"a\"b\\c\/d\u00e9\n"`, `"\ud83d\ude00"`, `"\ud800"`, `"é日本"`, "\"bad \xff\"", "\"ctl \x01\"", `"Mar 4, 2024 6:00:36 AM"`,
		`"arn:aws:iam::1:role/r"`, `"{\"type\":\"IAMUser\"}"`, `"AssumeRole"`, `"Failure"`, `"IAMUser"`, `"AssumedRole"`, `"AWSService"`}
	var value func(depth int, lv ctLevel) string
	object := func(depth int, lv ctLevel) string {
		var b strings.Builder
		b.WriteByte('{')
		for i := range rng.IntN(6) {
			if i > 0 {
				b.WriteByte(',')
			}
			key := fmt.Sprintf("k%d", rng.IntN(3))
			sub := ctlSkip
			if ms := ctMembers[lv]; len(ms) > 0 && rng.IntN(4) > 0 {
				m := ms[rng.IntN(len(ms))]
				key, sub = m.key, m.sub
				switch rng.IntN(12) {
				case 0:
					key = strings.ToUpper(key[:1]) + key[1:]
				case 1:
					key = strings.ToLower(key)
				}
				if m.kind == ctkResources {
					sub = ctlResource
				}
			}
			b.WriteString(`"` + key + `":`)
			switch {
			case sub != ctlSkip && sub != ctlResource && rng.IntN(3) > 0:
				b.WriteString(value(depth+1, sub))
			case sub == ctlResource && rng.IntN(3) > 0:
				b.WriteByte('[')
				for j := range rng.IntN(11) {
					if j > 0 {
						b.WriteByte(',')
					}
					if rng.IntN(8) == 0 {
						b.WriteString(value(depth+1, ctlSkip))
					} else {
						b.WriteString(value(depth+1, ctlResource))
					}
				}
				b.WriteByte(']')
			default:
				b.WriteString(value(depth+1, ctlSkip))
			}
		}
		b.WriteByte('}')
		return b.String()
	}
	value = func(depth int, lv ctLevel) string {
		if lv != ctlSkip {
			return object(depth, lv)
		}
		switch k := rng.IntN(10); {
		case k < 5:
			return strs[rng.IntN(len(strs))]
		case k == 5:
			return []string{"null", "true", "false", "0", "-1.5e3", "12", "01", "1."}[rng.IntN(8)]
		case k == 6 && depth < 5:
			return object(depth, ctlSkip)
		case k == 7 && depth < 5:
			return "[" + value(depth+1, ctlSkip) + "," + value(depth+1, ctlSkip) + "]"
		}
		return strs[rng.IntN(len(strs))]
	}
	rec := object(0, ctlTop)
	if rng.IntN(2) == 0 {
		rec = `{"eventName":"GetObject","eventSource":"s3.amazonaws.com","eventTime":"2024-03-01T10:00:00Z",` + rec[1:]
		rec = strings.Replace(rec, ",}", "}", 1)
	}
	return rec
}

// TestCloudTrailFastRandom checks the single-pass reader against decodeCT,
// and the import against the old path, on random records.
func TestCloudTrailFastRandom(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	read := 0
	for range 4000 {
		rec := ctRandomRecord(rng)
		var f ctFast
		if f.read([]byte(rec)) > 0 {
			read++
		}
		ctCheckFast(t, []byte(rec))
		ctCompareImports(t, []byte(rec+"\n"+rec+"\n"))
	}
	if read < 400 {
		t.Errorf("the fast path read only %d of 4000 records: the test no longer exercises it", read)
	}
}

// FuzzCloudTrailFastRandom is TestCloudTrailFastRandom with seeds chosen by
// the fuzzer: ten random records an input.
func FuzzCloudTrailFastRandom(f *testing.F) {
	f.Add(uint64(1), uint64(2))
	f.Fuzz(func(t *testing.T, a, b uint64) {
		rng := rand.New(rand.NewPCG(a, b))
		for range 10 {
			rec := ctRandomRecord(rng)
			ctCheckFast(t, []byte(rec))
			ctCompareImports(t, []byte(rec+"\n"))
		}
	})
}
