package importers

import (
	"bufio"
	"bytes"
	"context"
	stdjson "encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	json "github.com/goccy/go-json"

	"github.com/causeway-ir/causeway/timeline"
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
type cloudTrail struct{}

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
	return streamJSON(ctx, br, []string{"Records", "Events", "logEvents", "events"}, c.Name(), src, out, d.record)
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
	for k, v := range m {
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

// record normalizes one record of the stream.
func (d *ctDecoder) record(raw []byte, off int64) error { return d.recordAs(raw, raw, off) }

// recordAs normalizes the record text, keeping raw (the bytes as they
// were in the file) as the event's Raw.
func (d *ctDecoder) recordAs(text, raw []byte, off int64) error {
	w := &d.rec
	lake, err := decodeCT(text, w)
	if err != nil {
		return rejectf("not a CloudTrail record: %v", err)
	}
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
	*e = newEvent(d.name, shape, d.src, off, raw)
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
	e.Message = ctMessage(e, rec)
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

// ctMessage writes the one readable line.
func ctMessage(e *timeline.Event, r *ctRecord) string {
	var b strings.Builder
	b.Grow(256)
	if e.Actor != "" {
		b.WriteString(e.Actor)
	} else {
		b.WriteString("unknown principal")
	}
	b.WriteByte(' ')
	b.WriteString(r.EventName)
	if e.Target != "" {
		b.WriteByte(' ')
		b.WriteString(e.Target)
	}
	if r.EventSource != "" {
		b.WriteString(" (")
		b.WriteString(r.EventSource)
		b.WriteByte(')')
	}
	if e.SrcIP != "" {
		b.WriteString(" from ")
		b.WriteString(e.SrcIP)
	}
	if e.KeyID != "" {
		b.WriteString(" with key ")
		b.WriteString(e.KeyID)
	} else if e.TokenID != "" {
		b.WriteString(" with session credential ")
		b.WriteString(e.TokenID)
	}
	if e.IssuedID != "" {
		fmt.Fprintf(&b, "; issued %s %s", e.IssuedKind, e.IssuedID)
		if exp := r.ResponseElements.Credentials.Expiration; exp != "" && e.IssuedKind == timeline.IssuedToken {
			if t, err := parseTime(exp); err == nil {
				b.WriteString(" expiring ")
				b.WriteString(t.Format(time.RFC3339))
			}
		}
	}
	if r.ResponseElements.ConsoleLogin != "" {
		b.WriteString("; console login ")
		b.WriteString(r.ResponseElements.ConsoleLogin)
		if r.AdditionalEventData.MFAUsed != "" {
			b.WriteString(", MFA ")
			b.WriteString(r.AdditionalEventData.MFAUsed)
		}
	}
	if e.Outcome == timeline.OutcomeFailure {
		b.WriteString(": failed")
		if r.ErrorCode != "" {
			b.WriteByte(' ')
			b.WriteString(r.ErrorCode)
		}
		if r.ErrorMessage != "" {
			b.WriteString(" (")
			b.WriteString(truncate(r.ErrorMessage, 200))
			b.WriteByte(')')
		}
	}
	return b.String()
}
