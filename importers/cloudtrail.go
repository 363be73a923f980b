package importers

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	stdjson "encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/bits"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	json "github.com/goccy/go-json"

	"github.com/causeway-ir/causeway/timeline"
	"unsafe"
)

// cloudTrail imports AWS CloudTrail in every shape an investigator receives
// (formats.md §5):
//   - "s3": the S3 delivery object {"Records":[…]} (the pipeline has already
//     removed the gzip layer);
//   - "ndjson": bare records, one a line or in a JSON array (`jq .Records[]`,
//     SIEM exports);
//   - "lookup-events": Event history / LookupEvents ({"Events":[…]} or one
//     wrapper a line) with the real record as a JSON string in
//     CloudTrailEvent and EventTime in the client's local time;
//   - "eventbridge": {"detail-type":"AWS API Call via CloudTrail","detail":{…}};
//   - "logstash": records whose eventTime a pipeline replaced by @timestamp;
//   - "cloudwatch": a trail delivered to CloudWatch Logs, as a subscription
//     payload {"logEvents":[{"id","timestamp","message":"<record>"}]} or
//     `aws logs filter-log-events` output {"events":[…]};
//   - "lake": CloudTrail Lake and Athena results: row objects whose nested
//     columns are JSON strings, lower-case column names (Athena), eventTime
//     with a space; Lake GetQueryResults ("QueryResultRows", one-column
//     cells); Athena GetQueryResults ("ResultSet.Rows", header row first).
//     Struct columns in Trino's "{k=v, …}" text are read as flat members;
//     a value that itself holds ", " or "=" cannot be told apart there.
//
// CloudTrail-Digest files are recognized and skipped with a note. The
// OTRF honey-bucket alert table (a CSV derived from CloudTrail, with Python
// dict text in its cells) is recognized and refused as a whole with
// errDerivedAlertTable: it holds no CloudTrail records, and importing its
// rows under CloudTrail's eventIDs would collide with the real records.
type cloudTrail struct {
	// slow turns off the single-pass reader (ctFast): the tests compare
	// the two paths.
	slow bool
}

var _ timeline.Importer = cloudTrail{}

// Name implements timeline.Importer.
func (cloudTrail) Name() string { return "aws.cloudtrail" }

// errDerivedAlertTable refuses the honey-bucket alert CSV.
var errDerivedAlertTable = errors.New("a derived honey-bucket alert table (CSV rows whose User ID and Request Parameters " +
	"cells hold Python dict text), not CloudTrail records: refused; import the CloudTrail logs it was built from")

// Match implements timeline.Importer: by content only.
func (cloudTrail) Match(_ string, head []byte) bool {
	switch {
	case ctIsDigest(head), ctIsAlertTable(head):
		return true
	case headHasKey(head, "eventVersion") && headHasAny(head, "eventSource", "eventName") &&
		headHasAny(head, "userIdentity", "eventID", "awsRegion"):
		return true // every JSON shape: the record (or its escaped copy) is in the head
	case headHasKey(head, "CloudTrailEvent") && headHasAny(head, "EventId", "EventName"):
		return true // LookupEvents whose first CloudTrailEvent is past the head
	case headHasKey(head, "QueryResultRows") && headHasAny(head, "eventID", "eventName", "eventSource", "eventTime"):
		return true // CloudTrail Lake GetQueryResults
	case headHasAll(head, "ResultSet", "Rows", "VarCharValue") && bytes.Contains(head, []byte(`"eventname"`)) &&
		bytes.Contains(head, []byte(`"eventsource"`)):
		return true // Athena GetQueryResults over a CloudTrail table
	case headHasKey(head, "eventversion") && headHasAll(head, "eventsource", "eventname"):
		return true // Athena lower-cases column names
	}
	return false
}

// ctIsDigest recognizes a CloudTrail-Digest file (integrity chain, no events).
func ctIsDigest(head []byte) bool {
	return firstNonSpace(head) == '{' && headHasAll(head, "digestStartTime", "digestEndTime") &&
		headHasAny(head, "digestPublicKeyFingerprint", "digestSignatureAlgorithm", "logFiles")
}

// ctIsAlertTable recognizes the OTRF honey-bucket alert CSV by its header.
func ctIsAlertTable(head []byte) bool {
	c := firstNonSpace(head)
	if c == '{' || c == '[' {
		return false
	}
	return csvHeaderHas(head, "Event Name", "Event ID", "User ID", "Request Parameters", "Event DateTime", "Alert")
}

// Import implements timeline.Importer.
func (c cloudTrail) Import(ctx context.Context, r io.Reader, src timeline.Source, out timeline.Emitter) error {
	br, head, err := peekHead(r, src)
	if err != nil {
		return err
	}
	switch {
	case ctIsDigest(head):
		out.Note(fmt.Sprintf("%s: CloudTrail digest file (log-file integrity chain, no events): skipped", src.File))
		return nil
	case ctIsAlertTable(head):
		return fmt.Errorf("%s: %w", src.File, errDerivedAlertTable)
	}
	fileShape := ""
	if ctFirstKeyIs(head, "Records") {
		fileShape = "s3"
	}
	d := ctDecoder{name: c.Name(), src: src, out: out, fileShape: fileShape}
	if headHasKey(head, "QueryResultRows") || headHasAll(head, "ResultSet", "Rows", "VarCharValue") {
		return d.lakeRows(ctx, br)
	}
	fast := d.fast.read
	if c.slow {
		fast = nil
	}
	return streamJSONFast(ctx, br, ctEnvelopes, c.Name(), src, out, fast, d.record)
}

// lakeRows reads a CloudTrail Lake GetQueryResults document:
// {"QueryStatus":…,"QueryResultRows":[[{"eventID":"…"},{"eventTime":"…"},…],…]}.
// Each row is a list of one-column objects; they are merged into one
// record (a dotted column name such as "userIdentity.arn" becomes a nested
// member) and normalized like any Lake row. Raw keeps the row's own bytes.
func (d *ctDecoder) lakeRows(ctx context.Context, r io.Reader) error {
	d.fileShape = "lake"
	kr := &keepReader{r: r}
	dec := stdjson.NewDecoder(kr)
	// Walk to the QueryResultRows array (Lake), or ResultSet.Rows (Athena
	// GetQueryResults, whose first row holds the column names and whose
	// cells are {"VarCharValue":"…"}, {} for null).
	depth, athena := 0, false
	var header []string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: lake results: %w", d.src.File, err)
		}
		switch tok {
		case stdjson.Delim('{'), stdjson.Delim('['):
			depth++
			continue
		case stdjson.Delim('}'), stdjson.Delim(']'):
			depth--
			continue
		}
		key, ok := tok.(string)
		if ok && (depth == 1 && key == "QueryResultRows" || depth == 2 && key == "Rows") {
			if t, err := dec.Token(); err != nil || t != stdjson.Delim('[') {
				return fmt.Errorf("%s: lake results: %s is not an array", d.src.File, key)
			}
			athena = key == "Rows"
			break
		}
	}
	for n := 0; dec.More(); n++ {
		if n&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		start := dec.InputOffset()
		var row []map[string]stdjson.RawMessage
		var err error
		if athena {
			var ar struct {
				Data []struct {
					VarCharValue *string
				}
			}
			err = dec.Decode(&ar)
			if err == nil && header == nil {
				for _, c := range ar.Data {
					h := ""
					if c.VarCharValue != nil {
						h = *c.VarCharValue
					}
					header = append(header, h)
				}
				kr.forget(dec.InputOffset())
				continue
			}
			for i, c := range ar.Data {
				if c.VarCharValue == nil || i >= len(header) || header[i] == "" {
					continue
				}
				v, _ := stdjson.Marshal(*c.VarCharValue)
				row = append(row, map[string]stdjson.RawMessage{header[i]: v})
			}
		} else {
			err = dec.Decode(&row)
		}
		end := dec.InputOffset()
		raw := bytes.TrimLeft(kr.cut(start, end), ", \t\r\n")
		off := end - int64(len(raw))
		if err != nil {
			// The stream is no longer in step: report what is left as
			// one bad record and stop.
			rest, _ := io.ReadAll(io.LimitReader(kr, 4096))
			return d.out.Reject(parseError(d.name, d.src, start, fmt.Errorf("lake results: %w", err), append(raw, rest...)))
		}
		rec, err := ctMergeLakeRow(row)
		if err == nil {
			err = d.recordAs(rec, raw, off)
		}
		if err != nil {
			re, ok := errors.AsType[*recordError](err)
			if !ok {
				return err
			}
			if err := d.out.Reject(parseError(d.name, d.src, off, re.err, raw)); err != nil {
				return err
			}
		}
		kr.forget(end)
	}
	return nil
}

// ctMergeLakeRow merges a Lake result row's one-column objects into one
// JSON record. Struct columns rendered in Trino's map notation
// ("{type=IAMUser, principalid=AIDA…}") become JSON objects of their flat
// members.
func ctMergeLakeRow(row []map[string]stdjson.RawMessage) ([]byte, error) {
	rec := map[string]any{}
	for _, cell := range row {
		for k, v := range cell {
			var val any = v
			var s string
			if stdjson.Unmarshal(v, &s) == nil {
				if m, ok := ctTrinoMap(s); ok {
					val = m
				}
			}
			parts := strings.Split(k, ".")
			m := rec
			for _, p := range parts[:len(parts)-1] {
				sub, ok := m[p].(map[string]any)
				if !ok {
					sub = map[string]any{}
					m[p] = sub
				}
				m = sub
			}
			m[parts[len(parts)-1]] = val
		}
	}
	b, err := stdjson.Marshal(rec)
	if err != nil {
		return nil, rejectf("lake row: %v", err)
	}
	return b, nil
}

// ctTrinoMap parses "{k=v, k2=v2}" (Trino's rendering of a row or map)
// into its flat members; nested values are kept as their text.
func ctTrinoMap(s string) (map[string]any, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' || !strings.Contains(s, "=") || strings.HasPrefix(s, `{"`) {
		return nil, false
	}
	out := map[string]any{}
	body := s[1 : len(s)-1]
	level, startKey := 0, 0
	flush := func(part string) {
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if v == "null" || v == "" {
			return
		}
		if m, ok := ctTrinoMap(v); ok {
			out[k] = m
			return
		}
		out[k] = v
	}
	for i := 0; i < len(body); i++ {
		switch body[i] {
		case '{', '[':
			level++
		case '}', ']':
			level--
		case ',':
			if level == 0 {
				flush(body[startKey:i])
				startKey = i + 1
			}
		}
	}
	flush(body[startKey:])
	return out, len(out) > 0
}

// peekHead buffers r and returns its first headSize bytes without
// consuming them, so Import can choose a shape from the same bytes Match
// saw. (Shared by the importers of this file's family.)
func peekHead(r io.Reader, src timeline.Source) (*bufio.Reader, []byte, error) {
	br := bufio.NewReaderSize(r, headSize)
	head, err := br.Peek(headSize)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, nil, fmt.Errorf("%s: read: %w", src.File, err)
	}
	return br, head, nil
}

// ctFirstKeyIs reports whether head is an object whose first key is key.
func ctFirstKeyIs(head []byte, key string) bool {
	head = bytes.TrimLeft(stripBOM(head), " \t\r\n")
	if len(head) == 0 || head[0] != '{' {
		return false
	}
	head = bytes.TrimLeft(head[1:], " \t\r\n")
	return bytes.HasPrefix(head, []byte(`"`+key+`"`))
}

// ctDecoder holds the per-file state of one import: the reused record and
// event, so the hot path allocates little.
type ctDecoder struct {
	name      string
	src       timeline.Source
	out       timeline.Emitter
	fileShape string
	rec       ctRecord
	inner     ctRecord
	ev        timeline.Event
	msg       []byte // the event's message, rebuilt for every record

	fast    ctFast            // the single-pass reader, run by the splitter
	ptrs    [ctfCount]*string // where ctFast's fields go in rec
	ptrsSet bool
}

// ctRecord is a CloudTrail record, or one of its wrappers (LookupEvents,
// EventBridge). Field names match case-insensitively, which also reads
// Athena's lower-case columns and the LookupEvents PascalCase wrapper.
type ctRecord struct {
	EventTime           string        `json:"eventTime"`
	Timestamp           string        `json:"@timestamp"`
	EventSource         string        `json:"eventSource"`
	EventName           string        `json:"eventName"`
	AWSRegion           string        `json:"awsRegion"`
	SourceIPAddress     string        `json:"sourceIPAddress"`
	UserAgent           string        `json:"userAgent"`
	UserIdentity        ctIdentity    `json:"userIdentity"`
	RequestParameters   ctParams      `json:"requestParameters"`
	ResponseElements    ctResponse    `json:"responseElements"`
	AdditionalEventData ctAdditional  `json:"additionalEventData"`
	ErrorCode           string        `json:"errorCode"`
	ErrorMessage        string        `json:"errorMessage"`
	RequestID           string        `json:"requestID"`
	EventID             string        `json:"eventID"`
	RecipientAccountID  string        `json:"recipientAccountId"`
	Resources           [8]ctResource `json:"resources"` // a fixed array: no allocation; records name 1–3

	// LookupEvents wrapper: EventId, EventName, EventTime and Resources
	// land in the fields above; the record itself is a JSON string.
	CloudTrailEvent string `json:"CloudTrailEvent"`

	// CloudWatch Logs wrapper (subscription payload logEvents[], or
	// filter-log-events events[]): the record is a JSON string.
	LogMessage string `json:"message"`

	// EventBridge wrapper.
	DetailType string   `json:"detail-type"`
	Detail     flexJSON `json:"detail"`
	Account    string   `json:"account"`
	Time       string   `json:"time"`
}

type ctIdentity struct {
	Type        string `json:"type"`
	PrincipalID string `json:"principalId"`
	ARN         string `json:"arn"`
	AccountID   string `json:"accountId"`
	AccessKeyID string `json:"accessKeyId"`
	UserName    string `json:"userName"`
	InvokedBy   string `json:"invokedBy"`
	// SessionContext is only tested for presence (a temporary
	// credential); a pointer to an empty struct costs no allocation.
	SessionContext *struct{} `json:"sessionContext"`
	OnBehalfOf     struct {
		UserID string `json:"userId"`
	} `json:"onBehalfOf"`
}

// ctParams holds the requestParameters that name a target. They are plain
// strings on the fast path; a service that reuses a name with another type
// (DynamoDB's "key" is an object) sends its record down decodeCT's lenient
// path, where this struct is decoded on its own and a mismatched member
// stays empty.
type ctParams struct {
	BucketName   string `json:"bucketName"`
	Key          string `json:"key"`
	RoleARN      string `json:"roleArn"`
	UserName     string `json:"userName"`
	RoleName     string `json:"roleName"`
	GroupName    string `json:"groupName"`
	PolicyARN    string `json:"policyArn"`
	FunctionName string `json:"functionName"`
	SecretID     string `json:"secretId"`
	KeyID        string `json:"keyId"`
	InstanceID   string `json:"instanceId"`
}

type ctResponse struct {
	Credentials struct {
		AccessKeyID string `json:"accessKeyId"`
		Expiration  string `json:"expiration"`
	} `json:"credentials"`
	AccessKey struct {
		AccessKeyID string `json:"accessKeyId"`
		UserName    string `json:"userName"`
	} `json:"accessKey"`
	ConsoleLogin    string `json:"ConsoleLogin"`
	AssumedRoleUser struct {
		ARN string `json:"arn"`
	} `json:"assumedRoleUser"`
}

type ctAdditional struct {
	MFAUsed string `json:"MFAUsed"`
}

// ctResource is one resources[] entry; only what ctTarget reads is
// decoded (every decoded string costs an allocation).
type ctResource struct {
	ARN  string `json:"ARN"`
	Type string `json:"type"`
}

// decodeCT decodes one record. The fast path is a typed decode; when a
// field has another type than CloudTrail's own (Lake and Athena give nested
// objects as JSON strings, EventBridge "resources" is a list of ARNs), the
// lenient path decodes member by member.
//
// lake reports a CloudTrail Lake or Athena row: nested columns given as
// JSON strings, or Athena's lower-case column names.
func decodeCT(b []byte, r *ctRecord) (lake bool, err error) {
	*r = ctRecord{}
	if err := json.UnmarshalOf(b, r); err == nil {
		return false, nil
	}
	*r = ctRecord{}
	var m map[string]flexJSON
	if err := json.Unmarshal(b, &m); err != nil {
		return false, err
	}
	str := func(v flexJSON) string {
		var s flexString
		if json.Unmarshal(v, &s) != nil {
			return ""
		}
		return string(s)
	}
	// Keys are taken in sorted order: two that differ only in case
	// ("EventSource", "eventSource") fill one field, and map order would
	// pick a different one from run to run. The lower-case (CloudTrail's
	// own camelCase) spelling sorts last and wins.
	for _, k := range slices.Sorted(maps.Keys(m)) {
		v := m[k]
		if k == "eventtime" || k == "eventname" {
			lake = true
		}
		if t := bytes.TrimSpace(v); len(t) > 1 && t[0] == '"' && t[1] == '{' {
			lake = true
		}
		// Each member is decoded alone: a bad one is left empty, the rest
		// still count. Nested values may be objects or JSON strings.
		switch strings.ToLower(k) {
		case "eventtime":
			r.EventTime = str(v)
		case "@timestamp":
			r.Timestamp = str(v)
		case "eventsource":
			r.EventSource = str(v)
		case "eventname":
			r.EventName = str(v)
		case "awsregion":
			r.AWSRegion = str(v)
		case "sourceipaddress":
			r.SourceIPAddress = str(v)
		case "useragent":
			r.UserAgent = str(v)
		case "useridentity":
			_ = v.Decode(&r.UserIdentity)
		case "requestparameters":
			ctDecodeParams(v, &r.RequestParameters)
		case "responseelements":
			_ = v.Decode(&r.ResponseElements)
		case "additionaleventdata":
			_ = v.Decode(&r.AdditionalEventData)
		case "errorcode":
			r.ErrorCode = str(v)
		case "errormessage":
			r.ErrorMessage = str(v)
		case "requestid":
			r.RequestID = str(v)
		case "eventid":
			r.EventID = str(v)
		case "recipientaccountid":
			r.RecipientAccountID = str(v)
		case "resources":
			_ = v.Decode(&r.Resources)
		case "cloudtrailevent":
			r.CloudTrailEvent = str(v)
		case "detail-type":
			r.DetailType = str(v)
		case "detail":
			r.Detail = v
		case "account":
			r.Account = str(v)
		case "message":
			r.LogMessage = str(v)
		case "time":
			r.Time = str(v)
		}
	}
	return lake, nil
}

// ctDecodeParams decodes requestParameters member by member, so that one
// member of an unexpected type (DynamoDB's "key" object) loses only itself.
func ctDecodeParams(v flexJSON, p *ctParams) {
	var m map[string]flexJSON
	if v.Decode(&m) != nil {
		return
	}
	str := func(k string) string {
		var s string
		if b, ok := m[k]; ok && json.Unmarshal(b, &s) == nil {
			return s
		}
		return ""
	}
	*p = ctParams{BucketName: str("bucketName"), Key: str("key"), RoleARN: str("roleArn"), UserName: str("userName"),
		RoleName: str("roleName"), GroupName: str("groupName"), PolicyARN: str("policyArn"), FunctionName: str("functionName"),
		SecretID: str("secretId"), KeyID: str("keyId"), InstanceID: str("instanceId")}
}

// record normalizes one record of the stream. A record the splitter's
// single-pass reader has read (d.fast) is not decoded again.
func (d *ctDecoder) record(raw []byte, off int64) error {
	if f := &d.fast; f.n > 0 && f.n == len(raw) && f.at == &raw[0] {
		f.n, f.at = 0, nil
		if !d.ptrsSet {
			d.ptrs, d.ptrsSet = ctFieldPtrs(&d.rec), true
		}
		// The record's strings are views of the splitter's buffer: the
		// emitter copies what it keeps before the buffer moves on.
		text := unsafe.String(unsafe.SliceData(raw), len(raw))
		f.fill(&d.rec, &d.ptrs, text)
		return d.normalize(false, text, off)
	}
	return d.recordAs(raw, raw, off)
}

// recordAs normalizes the record text, keeping raw (the bytes as they
// were in the file) as the event's Raw.
func (d *ctDecoder) recordAs(text, raw []byte, off int64) error {
	lake, err := decodeCT(text, &d.rec)
	if err != nil {
		return rejectf("not a CloudTrail record: %v", err)
	}
	return d.normalize(lake, string(raw), off)
}

// normalize makes the event of the record in d.rec (lake as decodeCT
// reported) whose bytes in the file are raw.
func (d *ctDecoder) normalize(lake bool, raw string, off int64) error {
	w := &d.rec
	rec, shape := w, d.fileShape
	var wrapTime string // the wrapper's own time, used only when the record has none
	switch {
	case w.CloudTrailEvent != "":
		if _, err := decodeCT([]byte(w.CloudTrailEvent), &d.inner); err != nil {
			return rejectf("lookup-events: CloudTrailEvent is not a record: %v", err)
		}
		rec, shape, wrapTime = &d.inner, "lookup-events", w.EventTime
	case w.EventName == "" && strings.HasPrefix(strings.TrimSpace(w.LogMessage), "{"):
		if _, err := decodeCT([]byte(w.LogMessage), &d.inner); err != nil {
			return rejectf("cloudwatch: message is not a record: %v", err)
		}
		rec, shape = &d.inner, "cloudwatch"
	case len(w.Detail) > 0 && (w.DetailType != "" || w.EventName == ""):
		if _, err := decodeCT(w.Detail.Bytes(), &d.inner); err != nil {
			return rejectf("eventbridge: detail is not a record: %v", err)
		}
		rec, shape, wrapTime = &d.inner, "eventbridge", w.Time
		if rec.RecipientAccountID == "" {
			rec.RecipientAccountID = w.Account
		}
	case shape == "":
		shape = "ndjson"
		if w.EventTime == "" && w.Timestamp != "" {
			shape = "logstash"
		} else if lake || len(w.EventTime) > 10 && w.EventTime[10] == ' ' {
			shape = "lake"
		}
	}
	if rec.EventName == "" && rec.EventSource == "" {
		return rejectf("not a CloudTrail record: no eventName or eventSource")
	}

	e := &d.ev
	*e = newEventString(d.name, shape, d.src, off, raw)
	ts := rec.EventTime
	if ts == "" {
		ts = rec.Timestamp // Logstash drops eventTime
	}
	if ts == "" {
		ts = wrapTime // LookupEvents EventTime carries its own offset
	}
	t, err := parseTime(ts)
	if err != nil {
		return rejectErr(fmt.Errorf("eventTime: %w", err))
	}
	e.Time = t
	if rec.EventID != "" {
		e.ID = lower(rec.EventID)
	} else if w.EventID != "" {
		e.ID = lower(w.EventID)
	}
	e.Action = rec.EventName
	e.ResourceApp = rec.EventSource
	e.SrcIP = cleanIP(rec.SourceIPAddress)
	e.UserAgent = rec.UserAgent
	e.CorrelationID = rec.RequestID
	e.Tenant = rec.RecipientAccountID
	ctActor(e, &rec.UserIdentity)
	if e.ActorTenant == e.Tenant {
		e.ActorTenant = ""
	}
	ctCredential(e, &rec.UserIdentity)

	e.Outcome = timeline.OutcomeSuccess
	switch {
	case rec.ErrorCode != "":
		e.Outcome, e.Reason = timeline.OutcomeFailure, rec.ErrorCode
	case rec.ErrorMessage != "":
		e.Outcome, e.Reason = timeline.OutcomeFailure, rec.ErrorMessage
	case strings.EqualFold(rec.ResponseElements.ConsoleLogin, "Failure"):
		e.Outcome = timeline.OutcomeFailure
	}
	e.Category = ctCategory(rec)
	switch {
	case ctIssuesToken(rec.EventName):
		if id := rec.ResponseElements.Credentials.AccessKeyID; id != "" {
			e.IssuedKind, e.IssuedID = timeline.IssuedToken, id
		}
	case rec.EventName == "CreateAccessKey":
		if id := rec.ResponseElements.AccessKey.AccessKeyID; id != "" {
			e.IssuedKind, e.IssuedID = timeline.IssuedKey, id
		}
	}
	ctTarget(e, rec)
	d.msg = ctMessage(d.msg[:0], e, rec)
	e.Message = ""
	if len(d.msg) > 0 {
		e.Message = unsafe.String(&d.msg[0], len(d.msg))
	}
	if err := finish(e); err != nil {
		return err
	}
	return d.out.Emit(e)
}

// ctActor maps userIdentity to actor and actor kind. The ARN is the
// principal where there is one; ARNs keep their case (they are
// case-sensitive), account ids are digits.
func ctActor(e *timeline.Event, u *ctIdentity) {
	e.ActorTenant = u.AccountID
	first := func(v ...string) string {
		for _, s := range v {
			if s != "" {
				return s
			}
		}
		return ""
	}
	switch u.Type {
	case "IAMUser", "FederatedUser", "SAMLUser", "WebIdentityUser":
		e.Actor, e.ActorKind = first(u.ARN, u.UserName, u.PrincipalID), timeline.ActorUser
	case "AssumedRole":
		e.Actor, e.ActorKind = first(u.ARN, u.PrincipalID), timeline.ActorRole
	case "Root":
		e.Actor, e.ActorKind = first(u.ARN, u.AccountID), timeline.ActorRoot
	case "AWSService":
		e.Actor, e.ActorKind = first(u.InvokedBy, u.PrincipalID), timeline.ActorService
	case "AWSAccount":
		// Another account's principal (or an anonymous S3 caller).
		e.Actor = first(u.PrincipalID, u.AccountID)
		e.ActorKind = timeline.ActorUnknown
		if u.AccountID == "ANONYMOUS_PRINCIPAL" {
			e.Actor, e.ActorKind, e.ActorTenant = "ANONYMOUS_PRINCIPAL", timeline.ActorAnonymous, ""
		}
	case "IdentityCenterUser":
		e.Actor, e.ActorKind = lower(first(u.OnBehalfOf.UserID, u.UserName, u.PrincipalID)), timeline.ActorUser
	case "":
		if u.InvokedBy != "" {
			e.Actor, e.ActorKind = u.InvokedBy, timeline.ActorService
		}
	default: // "Unknown" and future types
		e.Actor, e.ActorKind = first(u.ARN, u.UserName, u.PrincipalID), timeline.ActorUnknown
	}
	if e.Actor == "" && e.ActorKind != "" && e.ActorKind != timeline.ActorAnonymous {
		e.ActorKind = timeline.ActorUnknown
	}
}

// ctCredential sorts userIdentity.accessKeyId into key or token: AKIA… is a
// long-term IAM key, ASIA… an STS temporary credential. Ids with neither
// prefix (test data, old records) go by the identity: role and federated
// sessions, and console sessions (a sessionContext), are temporary.
func ctCredential(e *timeline.Event, u *ctIdentity) {
	id := u.AccessKeyID
	switch {
	case id == "":
	case strings.HasPrefix(id, "AKIA"):
		e.KeyID = id
	case strings.HasPrefix(id, "ASIA"):
		e.TokenID = id
	case u.Type == "AssumedRole" || u.Type == "FederatedUser" || u.SessionContext != nil:
		e.TokenID = id
	default:
		e.KeyID = id
	}
}

// ctIssuesToken reports whether an STS call returns temporary credentials.
func ctIssuesToken(name string) bool {
	return strings.HasPrefix(name, "AssumeRole") || name == "GetSessionToken" || name == "GetFederationToken"
}

// ctCategory classifies by service and operation.
func ctCategory(r *ctRecord) timeline.Category {
	n := r.EventName
	switch {
	case n == "ConsoleLogin" || n == "CheckMfa" || n == "SwitchRole" || n == "ExternalIdPDirectoryLogin" || n == "UserAuthentication" || n == "CredentialChallenge":
		return timeline.CategorySignin
	case ctIssuesToken(n) || n == "GetRoleCredentials" || n == "CreateToken" || n == "GetSigninToken":
		return timeline.CategoryToken
	}
	svc := strings.TrimSuffix(r.EventSource, ".amazonaws.com")
	switch svc {
	case "iam":
		for _, s := range [...]string{"AccessKey", "LoginProfile", "SigningCertificate", "SSHPublicKey", "ServiceSpecificCredential", "MFADevice", "ChangePassword", "VirtualMFADevice"} {
			if strings.Contains(n, s) {
				return timeline.CategoryCredential
			}
		}
		return timeline.CategoryAdmin
	case "organizations", "sso", "sso-directory", "identitystore", "cloudtrail", "account", "controltower":
		return timeline.CategoryAdmin
	case "s3":
		switch n {
		case "GetObject", "PutObject", "CopyObject", "DeleteObject", "DeleteObjects", "HeadObject", "GetObjectAcl",
			"PutObjectAcl", "RestoreObject", "SelectObjectContent", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload":
			return timeline.CategoryFile
		}
	}
	if svc == "" {
		return timeline.CategoryOther
	}
	return timeline.CategoryResource
}

// ctTarget picks what was acted on: the most specific resources[] entry,
// else the request parameters that name one. An S3 bucket or object with
// no ARN gets its ARN from its name (S3 ARNs carry no account or region;
// the partition follows the region).
func ctTarget(e *timeline.Event, r *ctRecord) {
	best := -1
	for i, res := range r.Resources {
		if res.ARN == "" {
			continue
		}
		if best < 0 || res.Type == "AWS::S3::Object" {
			best = i
		}
	}
	if best >= 0 {
		res := r.Resources[best]
		e.Target, e.TargetKind = res.ARN, ctKindOfARN(res.ARN)
		return
	}
	p := &r.RequestParameters
	set := func(v string, k timeline.EntityKind) bool {
		if v == "" || strings.HasPrefix(v, "{") || strings.HasPrefix(v, "[") {
			return false
		}
		e.Target, e.TargetKind = v, string(k)
		return true
	}
	switch {
	case set(p.RoleARN, timeline.KindIdentity):
	case p.BucketName != "":
		arn := ctPartition(r.AWSRegion) + ":s3:::" + p.BucketName
		if k := p.Key; k != "" {
			arn += "/" + k
		}
		set(arn, timeline.KindResource)
	case set(p.UserName, timeline.KindIdentity):
	case set(r.ResponseElements.AccessKey.UserName, timeline.KindIdentity):
	case set(p.RoleName, timeline.KindIdentity):
	case set(p.PolicyARN, timeline.KindResource):
	case set(p.GroupName, timeline.KindResource):
	case set(p.FunctionName, timeline.KindResource):
	case set(p.SecretID, timeline.KindResource):
	case set(p.KeyID, timeline.KindResource):
	case set(p.InstanceID, timeline.KindResource):
	}
}

// ctKindOfARN: IAM users and roles and STS sessions are identities.
func ctKindOfARN(arn string) string {
	if strings.Contains(arn, ":iam::") && (strings.Contains(arn, ":user/") || strings.Contains(arn, ":role/") || strings.HasSuffix(arn, ":root")) ||
		strings.Contains(arn, ":sts::") {
		return string(timeline.KindIdentity)
	}
	return string(timeline.KindResource)
}

// ctPartition returns the ARN partition prefix for a region.
func ctPartition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "arn:aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "arn:aws-us-gov"
	}
	return "arn:aws"
}

// ctMessage appends the one readable line to b. The decoder builds it in
// a buffer of its own, reused for every record: an event's strings are
// valid only while it is emitted (timeline.Emitter), and a new string per
// record was the reader's one allocation a record.
func ctMessage(b []byte, e *timeline.Event, r *ctRecord) []byte {
	if e.Actor != "" {
		b = append(b, e.Actor...)
	} else {
		b = append(b, "unknown principal"...)
	}
	b = append(b, ' ')
	b = append(b, r.EventName...)
	if e.Target != "" {
		b = append(b, ' ')
		b = append(b, e.Target...)
	}
	if r.EventSource != "" {
		b = append(b, " ("...)
		b = append(b, r.EventSource...)
		b = append(b, ')')
	}
	if e.SrcIP != "" {
		b = append(b, " from "...)
		b = append(b, e.SrcIP...)
	}
	if e.KeyID != "" {
		b = append(b, " with key "...)
		b = append(b, e.KeyID...)
	} else if e.TokenID != "" {
		b = append(b, " with session credential "...)
		b = append(b, e.TokenID...)
	}
	if e.IssuedID != "" {
		b = append(b, "; issued "...)
		b = append(b, e.IssuedKind...)
		b = append(b, ' ')
		b = append(b, e.IssuedID...)
		if exp := r.ResponseElements.Credentials.Expiration; exp != "" && e.IssuedKind == timeline.IssuedToken {
			if t, err := ctExpiration(exp); err == nil {
				b = append(b, " expiring "...)
				b = t.AppendFormat(b, time.RFC3339)
			}
		}
	}
	if r.ResponseElements.ConsoleLogin != "" {
		b = append(b, "; console login "...)
		b = append(b, r.ResponseElements.ConsoleLogin...)
		if r.AdditionalEventData.MFAUsed != "" {
			b = append(b, ", MFA "...)
			b = append(b, r.AdditionalEventData.MFAUsed...)
		}
	}
	if e.Outcome == timeline.OutcomeFailure {
		b = append(b, ": failed"...)
		if r.ErrorCode != "" {
			b = append(b, ' ')
			b = append(b, r.ErrorCode...)
		}
		if r.ErrorMessage != "" {
			b = append(b, " ("...)
			b = append(b, truncate(r.ErrorMessage, 200)...)
			b = append(b, ')')
		}
	}
	return b
}

// The single-pass reader of plain CloudTrail records.
//
// ctFast reads a record the way the typed decode of decodeCT does, in the
// same pass that finds where the record ends (the record splitter hands it
// the buffered bytes from the record's '{', see jsonScanner.fast), and
// keeps each value it needs as a span of the record's bytes. It vouches
// only for what it fully understands: strict JSON (RFC 8259, valid UTF-8,
// nesting under ctFastDepth), every member CloudTrail's fields read of the
// expected type, a string field given at most once, keys matched exactly.
// Anything else (another type, a key that matches a field only by case
// folding, an escape it does not decode, a wrapper shape, an envelope key,
// a record cut by the end of the buffer) makes it step aside, and the
// record takes the old path: the splitter's own walk and decodeCT.
// FuzzCloudTrailFastDecode and TestCloudTrailFastRandom check that whatever
// it reads equals decodeCT's record and is cut where the splitter cuts it;
// FuzzCloudTrailFastImport that imports give the same events and rejects.

// Fields of ctRecord read by ctFast, as bit numbers of ctFast.set.
const (
	ctfEventTime = iota
	ctfTimestamp
	ctfEventSource
	ctfEventName
	ctfAWSRegion
	ctfSourceIP
	ctfUserAgent
	ctfErrorCode
	ctfErrorMessage
	ctfRequestID
	ctfEventID
	ctfRecipient
	ctfDetailType
	ctfAccount
	ctfTime
	ctfIDType
	ctfIDPrincipal
	ctfIDARN
	ctfIDAccount
	ctfIDAccessKey
	ctfIDUserName
	ctfIDInvokedBy
	ctfIDOnBehalfOf
	ctfPBucket
	ctfPKey
	ctfPRoleARN
	ctfPUserName
	ctfPRoleName
	ctfPGroupName
	ctfPPolicyARN
	ctfPFunctionName
	ctfPSecretID
	ctfPKeyID
	ctfPInstanceID
	ctfRCredKey
	ctfRCredExpiration
	ctfRAccessKeyID
	ctfRAccessKeyUser
	ctfRConsoleLogin
	ctfRAssumedRoleARN
	ctfMFAUsed
	ctfResource // resources[i].ARN is ctfResource+2i, .type ctfResource+2i+1
	ctfCount    = ctfResource + 2*len(ctRecord{}.Resources)
)

// ctFieldPtrs returns where each ctf field lives in r.
func ctFieldPtrs(r *ctRecord) [ctfCount]*string {
	u, p, re := &r.UserIdentity, &r.RequestParameters, &r.ResponseElements
	f := [ctfCount]*string{
		ctfEventTime: &r.EventTime, ctfTimestamp: &r.Timestamp, ctfEventSource: &r.EventSource, ctfEventName: &r.EventName,
		ctfAWSRegion: &r.AWSRegion, ctfSourceIP: &r.SourceIPAddress, ctfUserAgent: &r.UserAgent, ctfErrorCode: &r.ErrorCode,
		ctfErrorMessage: &r.ErrorMessage, ctfRequestID: &r.RequestID, ctfEventID: &r.EventID, ctfRecipient: &r.RecipientAccountID,
		ctfDetailType: &r.DetailType, ctfAccount: &r.Account, ctfTime: &r.Time,
		ctfIDType: &u.Type, ctfIDPrincipal: &u.PrincipalID, ctfIDARN: &u.ARN, ctfIDAccount: &u.AccountID,
		ctfIDAccessKey: &u.AccessKeyID, ctfIDUserName: &u.UserName, ctfIDInvokedBy: &u.InvokedBy, ctfIDOnBehalfOf: &u.OnBehalfOf.UserID,
		ctfPBucket: &p.BucketName, ctfPKey: &p.Key, ctfPRoleARN: &p.RoleARN, ctfPUserName: &p.UserName, ctfPRoleName: &p.RoleName,
		ctfPGroupName: &p.GroupName, ctfPPolicyARN: &p.PolicyARN, ctfPFunctionName: &p.FunctionName, ctfPSecretID: &p.SecretID,
		ctfPKeyID: &p.KeyID, ctfPInstanceID: &p.InstanceID,
		ctfRCredKey: &re.Credentials.AccessKeyID, ctfRCredExpiration: &re.Credentials.Expiration,
		ctfRAccessKeyID: &re.AccessKey.AccessKeyID, ctfRAccessKeyUser: &re.AccessKey.UserName,
		ctfRConsoleLogin: &re.ConsoleLogin, ctfRAssumedRoleARN: &re.AssumedRoleUser.ARN,
		ctfMFAUsed: &r.AdditionalEventData.MFAUsed,
	}
	for i := range r.Resources {
		f[ctfResource+2*i], f[ctfResource+2*i+1] = &r.Resources[i].ARN, &r.Resources[i].Type
	}
	return f
}

// ctLevel is one object of the record ctFast descends into.
type ctLevel uint8

const (
	ctlSkip ctLevel = iota // an object none of whose members is read
	ctlTop
	ctlIdentity
	ctlOnBehalfOf
	ctlParams
	ctlResponse
	ctlCredentials
	ctlAccessKey
	ctlAssumedRole
	ctlAdditional
	ctlResource
	ctlCount
)

// ctKind is what a member of a level is.
type ctKind uint8

const (
	ctkString         ctKind = iota + 1 // a string field (null leaves it empty)
	ctkObject                           // an object read at level sub (null: nothing)
	ctkSessionContext                   // an object only tested for presence
	ctkResources                        // the resources array
	ctkStepAside                        // a member the fast path leaves to decodeCT
)

type ctMember struct {
	key   string
	kind  ctKind
	field int     // ctkString: the ctf field (resources: of resources[0])
	sub   ctLevel // ctkObject: the level of the object
}

// ctMembers lists, per level, every member ctRecord's typed decode reads
// (their json tags). A key equal to none of them but to one of them by
// case folding makes ctFast step aside: the typed decode would read it.
var ctMembers = [ctlCount][]ctMember{
	ctlTop: {
		{"eventTime", ctkString, ctfEventTime, 0}, {"@timestamp", ctkString, ctfTimestamp, 0},
		{"eventSource", ctkString, ctfEventSource, 0}, {"eventName", ctkString, ctfEventName, 0},
		{"awsRegion", ctkString, ctfAWSRegion, 0}, {"sourceIPAddress", ctkString, ctfSourceIP, 0},
		{"userAgent", ctkString, ctfUserAgent, 0}, {"userIdentity", ctkObject, 0, ctlIdentity},
		{"requestParameters", ctkObject, 0, ctlParams}, {"responseElements", ctkObject, 0, ctlResponse},
		{"additionalEventData", ctkObject, 0, ctlAdditional}, {"errorCode", ctkString, ctfErrorCode, 0},
		{"errorMessage", ctkString, ctfErrorMessage, 0}, {"requestID", ctkString, ctfRequestID, 0},
		{"eventID", ctkString, ctfEventID, 0}, {"recipientAccountId", ctkString, ctfRecipient, 0},
		{"resources", ctkResources, ctfResource, ctlResource},
		{"CloudTrailEvent", ctkStepAside, 0, 0}, {"message", ctkStepAside, 0, 0}, {"detail", ctkStepAside, 0, 0},
		{"detail-type", ctkString, ctfDetailType, 0}, {"account", ctkString, ctfAccount, 0}, {"time", ctkString, ctfTime, 0},
	},
	ctlIdentity: {
		{"type", ctkString, ctfIDType, 0}, {"principalId", ctkString, ctfIDPrincipal, 0}, {"arn", ctkString, ctfIDARN, 0},
		{"accountId", ctkString, ctfIDAccount, 0}, {"accessKeyId", ctkString, ctfIDAccessKey, 0},
		{"userName", ctkString, ctfIDUserName, 0}, {"invokedBy", ctkString, ctfIDInvokedBy, 0},
		{"sessionContext", ctkSessionContext, 0, 0}, {"onBehalfOf", ctkObject, 0, ctlOnBehalfOf},
	},
	ctlOnBehalfOf: {{"userId", ctkString, ctfIDOnBehalfOf, 0}},
	ctlParams: {
		{"bucketName", ctkString, ctfPBucket, 0}, {"key", ctkString, ctfPKey, 0}, {"roleArn", ctkString, ctfPRoleARN, 0},
		{"userName", ctkString, ctfPUserName, 0}, {"roleName", ctkString, ctfPRoleName, 0},
		{"groupName", ctkString, ctfPGroupName, 0}, {"policyArn", ctkString, ctfPPolicyARN, 0},
		{"functionName", ctkString, ctfPFunctionName, 0}, {"secretId", ctkString, ctfPSecretID, 0},
		{"keyId", ctkString, ctfPKeyID, 0}, {"instanceId", ctkString, ctfPInstanceID, 0},
	},
	ctlResponse: {
		{"credentials", ctkObject, 0, ctlCredentials}, {"accessKey", ctkObject, 0, ctlAccessKey},
		{"ConsoleLogin", ctkString, ctfRConsoleLogin, 0}, {"assumedRoleUser", ctkObject, 0, ctlAssumedRole},
	},
	ctlCredentials: {{"accessKeyId", ctkString, ctfRCredKey, 0}, {"expiration", ctkString, ctfRCredExpiration, 0}},
	ctlAccessKey:   {{"accessKeyId", ctkString, ctfRAccessKeyID, 0}, {"userName", ctkString, ctfRAccessKeyUser, 0}},
	ctlAssumedRole: {{"arn", ctkString, ctfRAssumedRoleARN, 0}},
	ctlAdditional:  {{"MFAUsed", ctkString, ctfMFAUsed, 0}},
	ctlResource:    {{"ARN", ctkString, 0, 0}, {"type", ctkString, 1, 0}}, // fields relative to the entry's
}

// ctEnvelopes are the envelope keys Import gives the splitter: a record
// with one of them at the top is left to the splitter's own walk.
var ctEnvelopes = []string{"Records", "Events", "logEvents", "events"}

// ctFastDepth bounds the nesting ctFast reads; deeper records step aside.
const ctFastDepth = 64

// ctFast results of read: the record is longer than the bytes given, or
// the fast path steps aside.
const (
	ctNeedMore = fastNeedMore
	ctAside    = fastAside
)

// ctSpan is where a field's value is: bytes [a, b) of the record, or s
// when the value had escapes.
type ctSpan struct {
	a, b int32
	s    string
	esc  bool
}

// ctFast is the reader's state for one record; it is reused.
type ctFast struct {
	spans          [ctfCount]ctSpan
	set            uint64 // the fields with a value
	sessionContext bool
	resources      bool // the resources member was seen
	resIdx         int  // the resources[] entry being read
	depth          int
	// n and at identify the record read: its length and first byte.
	n  int
	at *byte
}

// read reads the record at the start of b (b[0] == '{') and returns its
// length, ctNeedMore or ctAside.
func (f *ctFast) read(b []byte) int {
	f.set, f.sessionContext, f.resources, f.depth, f.n, f.at = 0, false, false, 0, 0, nil
	n := f.object(b, 0, ctlTop)
	if n > 0 {
		if n > maxRecord {
			return ctAside
		}
		f.n, f.at = n, &b[0]
	}
	return n
}

// object reads the object at b[i] (a '{') at level lv and returns the index
// after it, or a negative result.
func (f *ctFast) object(b []byte, i int, lv ctLevel) int {
	if f.depth >= ctFastDepth {
		return ctAside
	}
	f.depth++
	i = f.members(b, i, lv)
	f.depth--
	return i
}

// members reads the members of the object at b[i] and its closing brace.
func (f *ctFast) members(b []byte, i int, lv ctLevel) int {
	i = jsWS(b, i+1)
	if i >= len(b) {
		return ctNeedMore
	}
	if b[i] == '}' {
		return i + 1
	}
	for {
		if i >= len(b) {
			return ctNeedMore
		}
		if b[i] != '"' {
			return ctAside
		}
		ks := i + 1
		end, esc, nonASCII := ctString(b, i)
		if end < 0 {
			return end
		}
		key := b[ks : end-1]
		if nonASCII && !utf8.Valid(key) {
			return ctAside
		}
		i = jsWS(b, end)
		if i >= len(b) {
			return ctNeedMore
		}
		if b[i] != ':' {
			return ctAside
		}
		i = jsWS(b, i+1)
		if i >= len(b) {
			return ctNeedMore
		}
		var m *ctMember
		if lv != ctlSkip {
			if esc || nonASCII {
				return ctAside // the typed decode may unescape or fold it into a field's key
			}
			if m = ctFind(lv, key); m == nil {
				if ctFolds(lv, key) {
					return ctAside
				}
				if lv == ctlTop {
					for _, e := range ctEnvelopes {
						if string(key) == e {
							return ctAside
						}
					}
				}
			}
		}
		if m == nil {
			i = f.skip(b, i)
		} else {
			i = f.member(b, i, lv, m)
		}
		if i < 0 {
			return i
		}
		i = jsWS(b, i)
		if i >= len(b) {
			return ctNeedMore
		}
		switch b[i] {
		case ',':
			i = jsWS(b, i+1)
		case '}':
			return i + 1
		default:
			return ctAside
		}
	}
}

// member reads the value at b[i] of the known member m of level lv.
func (f *ctFast) member(b []byte, i int, lv ctLevel, m *ctMember) int {
	c := b[i]
	if m.kind == ctkStepAside {
		return ctAside // even null: "detail" keeps it as its text
	}
	if c == 'n' {
		if m.kind == ctkResources {
			if f.resources {
				return ctAside
			}
			f.resources = true
		}
		if m.kind == ctkSessionContext {
			f.sessionContext = false
		}
		return ctLiteral(b, i, "null")
	}
	switch m.kind {
	case ctkString:
		if c != '"' {
			return ctAside
		}
		field := m.field
		if lv == ctlResource {
			field += ctfResource + 2*f.resIdx
		}
		if f.set&(1<<field) != 0 {
			return ctAside // a second value: the typed decode's merge is not followed here
		}
		end, esc, nonASCII := ctString(b, i)
		if end < 0 {
			return end
		}
		if nonASCII && !utf8.Valid(b[i+1:end-1]) {
			return ctAside
		}
		sp := &f.spans[field]
		sp.a, sp.b, sp.esc = int32(i+1), int32(end-1), esc
		if esc {
			s, ok := ctUnescape(b[i+1 : end-1])
			if !ok {
				return ctAside
			}
			sp.s = s
		}
		f.set |= 1 << field
		return end
	case ctkObject:
		if c != '{' {
			return ctAside
		}
		return f.object(b, i, m.sub)
	case ctkSessionContext:
		if c != '{' {
			return ctAside
		}
		f.sessionContext = true
		return f.object(b, i, ctlSkip)
	case ctkResources:
		if c != '[' || f.resources {
			return ctAside
		}
		f.resources = true
		i = jsWS(b, i+1)
		if i >= len(b) {
			return ctNeedMore
		}
		if b[i] == ']' {
			return i + 1
		}
		for n := 0; ; n++ {
			if i >= len(b) {
				return ctNeedMore
			}
			switch {
			case b[i] == 'n':
				i = ctLiteral(b, i, "null")
			case b[i] != '{':
				return ctAside
			case n < len(ctRecord{}.Resources):
				f.resIdx = n
				i = f.object(b, i, ctlResource)
			default:
				i = f.skip(b, i) // the fixed array keeps the first entries
			}
			if i < 0 {
				return i
			}
			i = jsWS(b, i)
			if i >= len(b) {
				return ctNeedMore
			}
			switch b[i] {
			case ',':
				i = jsWS(b, i+1)
			case ']':
				return i + 1
			default:
				return ctAside
			}
		}
	}
	return ctAside
}

// ctKeyLens indexes ctMembers by key length: bit k of ctKeyLens[lv][n] is
// set when ctMembers[lv][k] has a key of n bytes.
var ctKeyLens = func() (t [ctlCount][24]uint32) {
	for lv, ms := range ctMembers {
		for k, m := range ms {
			t[lv][len(m.key)] |= 1 << k
		}
	}
	return t
}()

// ctFind returns the member of lv whose key is key, or nil.
func ctFind(lv ctLevel, key []byte) *ctMember {
	if len(key) >= len(ctKeyLens[lv]) {
		return nil
	}
	for set := ctKeyLens[lv][len(key)]; set != 0; set &= set - 1 {
		m := &ctMembers[lv][bits.TrailingZeros32(set)]
		if m.key == string(key) {
			return m
		}
	}
	return nil
}

// ctFolds reports whether the ASCII key equals a member's key of lv by
// ASCII case folding.
func ctFolds(lv ctLevel, key []byte) bool {
	if len(key) >= len(ctKeyLens[lv]) {
		return false
	}
	for set := ctKeyLens[lv][len(key)]; set != 0; set &= set - 1 {
		m := ctMembers[lv][bits.TrailingZeros32(set)].key
		i := 0
		for i < len(m) && (m[i] == key[i] || m[i]|0x20 == key[i]|0x20 && m[i]|0x20 >= 'a' && m[i]|0x20 <= 'z') {
			i++
		}
		if i == len(m) {
			return true
		}
	}
	return false
}

// skip validates and skips the value at b[i].
func (f *ctFast) skip(b []byte, i int) int {
	switch c := b[i]; {
	case c == '"':
		end, _, nonASCII := ctString(b, i)
		if end > 0 && nonASCII && !utf8.Valid(b[i+1:end-1]) {
			return ctAside
		}
		return end
	case c == '{':
		return f.object(b, i, ctlSkip)
	case c == '[':
		if f.depth >= ctFastDepth {
			return ctAside
		}
		f.depth++
		i = f.elements(b, i)
		f.depth--
		return i
	case c == 't':
		return ctLiteral(b, i, "true")
	case c == 'f':
		return ctLiteral(b, i, "false")
	case c == 'n':
		return ctLiteral(b, i, "null")
	case c == '-' || c >= '0' && c <= '9':
		return ctNumber(b, i)
	}
	return ctAside
}

// elements validates and skips the elements of the array at b[i] and its
// closing bracket.
func (f *ctFast) elements(b []byte, i int) int {
	i = jsWS(b, i+1)
	if i >= len(b) {
		return ctNeedMore
	}
	if b[i] == ']' {
		return i + 1
	}
	for {
		if i = f.skip(b, i); i < 0 {
			return i
		}
		i = jsWS(b, i)
		if i >= len(b) {
			return ctNeedMore
		}
		switch b[i] {
		case ',':
			i = jsWS(b, i+1)
			if i >= len(b) {
				return ctNeedMore
			}
		case ']':
			return i + 1
		default:
			return ctAside
		}
	}
}

// ctLiteral checks the literal lit at b[i].
func ctLiteral(b []byte, i int, lit string) int {
	if len(b)-i < len(lit) {
		if string(b[i:]) == lit[:len(b)-i] {
			return ctNeedMore
		}
		return ctAside
	}
	if string(b[i:i+len(lit)]) != lit {
		return ctAside
	}
	return i + len(lit)
}

// ctNumber checks the JSON number at b[i] and returns the index after it.
func ctNumber(b []byte, i int) int {
	digits := func(i int) (int, int) { // index after the digits, their count
		j := i
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		return j, j - i
	}
	if b[i] == '-' {
		i++
	}
	if i >= len(b) {
		return ctNeedMore
	}
	switch {
	case b[i] == '0':
		i++
	case b[i] >= '1' && b[i] <= '9':
		i, _ = digits(i)
	default:
		return ctAside
	}
	if i < len(b) && b[i] == '.' {
		var n int
		if i, n = digits(i + 1); n == 0 {
			return ctNumberEnd(b, i)
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		var n int
		if i, n = digits(i); n == 0 {
			return ctNumberEnd(b, i)
		}
	}
	if i >= len(b) {
		return ctNeedMore // the number may go on
	}
	return i
}

// ctNumberEnd is the result for a number missing digits at b[i]: more input
// may bring them.
func ctNumberEnd(b []byte, i int) int {
	if i >= len(b) {
		return ctNeedMore
	}
	return ctAside
}

// ctString finds the end of the JSON string at b[i] (a '"'): the index
// after its closing quote, whether it has escapes and whether it has bytes
// that are not ASCII. A control character or a bad escape steps aside.
func ctString(b []byte, i int) (end int, esc, nonASCII bool) {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	j := i + 1
	for {
		for j+8 <= len(b) {
			x := binary.LittleEndian.Uint64(b[j:])
			// Quote, backslash, a byte under 0x20 or over 0x7f. Each test
			// may flag a byte after a true one, never before: the lowest
			// flag is the first such byte.
			if m := hasByte(x, '"') | hasByte(x, '\\') | ((x-lo*0x20)|x)&hi; m != 0 {
				j += bits.TrailingZeros64(m) >> 3
				break
			}
			j += 8
		}
		if j >= len(b) {
			return ctNeedMore, false, false
		}
		switch c := b[j]; {
		case c == '"':
			return j + 1, esc, nonASCII
		case c == '\\':
			esc = true
			if j+1 >= len(b) {
				return ctNeedMore, false, false
			}
			switch b[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j += 2
			case 'u':
				if j+6 > len(b) {
					return ctNeedMore, false, false
				}
				for _, h := range b[j+2 : j+6] {
					if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						return ctAside, false, false
					}
				}
				j += 6
			default:
				return ctAside, false, false
			}
		case c < 0x20:
			return ctAside, false, false
		case c >= 0x80:
			nonASCII = true
			j++
		default:
			j++
		}
	}
}

// ctUnescape decodes the escapes of a string's bytes (checked by ctString).
// A \u escape of a surrogate is not decoded here (false).
func ctUnescape(s []byte) (string, bool) {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		if s[i] != '\\' {
			out = append(out, s[i])
			i++
			continue
		}
		var ok bool
		if out, i, ok = jsUnescape(out, s, i); !ok {
			return "", false
		}
	}
	return string(out), true
}

// fill sets r to the record read, whose bytes are raw: each value is a
// substring of raw, or its unescaped copy.
func (f *ctFast) fill(r *ctRecord, ptrs *[ctfCount]*string, raw string) {
	*r = ctRecord{}
	for set := f.set; set != 0; set &= set - 1 {
		i := bits.TrailingZeros64(set)
		sp := &f.spans[i]
		if sp.esc {
			*ptrs[i] = sp.s
			sp.s = ""
		} else {
			*ptrs[i] = raw[sp.a:sp.b]
		}
	}
	if f.sessionContext {
		r.UserIdentity.SessionContext = &struct{}{}
	}
}

// ctExpiration reads an STS credential expiration: parseTime, with a fast
// path for the spelling STS writes ("Mar 4, 2024 6:00:36 AM"), which
// parseTime reaches only after its numeric forms and reads with
// time.Parse. FuzzCTExpiration compares the two.
func ctExpiration(s string) (time.Time, error) {
	if t, ok := ctParseSTSTime(s); ok {
		return t, nil
	}
	return parseTime(s)
}

// ctParseSTSTime reads exactly "Mon D, YYYY H:MM:SS AM" (1–2 digit day and
// hour, a capitalized English month, upper-case AM or PM), in UTC, as
// time.Parse reads it with the layout "Jan 2, 2006 3:04:05 PM"; any other
// text is not read (false).
func ctParseSTSTime(s string) (time.Time, bool) {
	if len(s) < len("Jan 2, 2006 3:04:05 PM") || len(s) > len("Jan 22, 2006 13:04:05 PM") || s[3] != ' ' {
		return time.Time{}, false
	}
	month := strings.Index("JanFebMarAprMayJunJulAugSepOctNovDec", s[:3])
	if month < 0 || month%3 != 0 {
		return time.Time{}, false
	}
	month = month/3 + 1
	i := 4
	num := func(min, max int) (int, bool) { // min to max digits at i
		n, j := 0, i
		for j < len(s) && j-i < max && s[j] >= '0' && s[j] <= '9' {
			n = n*10 + int(s[j]-'0')
			j++
		}
		if j-i < min {
			return 0, false
		}
		i = j
		return n, true
	}
	lit := func(l string) bool {
		if !strings.HasPrefix(s[i:], l) {
			return false
		}
		i += len(l)
		return true
	}
	day, ok1 := num(1, 2)
	ok2 := lit(", ")
	year, ok3 := num(4, 4)
	ok4 := lit(" ")
	hour, ok5 := num(1, 2)
	ok6 := lit(":")
	minute, ok7 := num(2, 2)
	ok8 := lit(":")
	sec, ok9 := num(2, 2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7 && ok8 && ok9) || hour > 12 || minute > 59 || sec > 59 || day < 1 {
		return time.Time{}, false
	}
	switch s[i:] {
	case " AM":
		if hour == 12 {
			hour = 0
		}
	case " PM":
		if hour < 12 {
			hour += 12
		}
	default:
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC)
	if t.Day() != day {
		return time.Time{}, false // 31 February and the like
	}
	return t, true
}
