package importers

import (
	"context"
	"io"
	"net/url"
	"strconv"
	"strings"

	json "github.com/goccy/go-json"

	"github.com/causeway-ir/causeway/timeline"
)

// gcpAudit imports Google Cloud Logging LogEntry records, audit logs first
// of all (formats.md §6): the JSON array of `gcloud logging read
// --format=json` and of Log Explorer downloads (shape "array"), NDJSON from
// Log Router sinks to Cloud Storage and line-wise downloads ("ndjson"), and
// the entries.list API page {"entries":[…]} ("entries").
//
// Every LogEntry is imported: an entry without an AuditLog protoPayload
// (textPayload, jsonPayload) becomes a category "other" event whose
// message is its payload, so a mixed export imports whole.
//
// Tokens: GenerateAccessToken, GenerateIdToken, SignJwt and SignBlob are
// category token, but their audit records carry no token id (the response
// holds at most an expiry), so issued_id stays empty and no id is derived:
// nothing later in the logs would join on one. The service account the
// token is for is the target (identity). Keys: serviceAccountKeyName and a
// CreateServiceAccountKey response name both end in /keys/<key id>; that
// key id, lower-cased, is key_id and issued_id, so creation and use join.
type gcpAudit struct{}

var _ timeline.Importer = gcpAudit{}

// Name implements timeline.Importer.
func (gcpAudit) Name() string { return "gcp.audit" }

// Match implements timeline.Importer: a LogEntry has insertId, logName and
// a timestamp.
func (gcpAudit) Match(_ string, head []byte) bool {
	return headHasKey(head, "insertId") && headHasKey(head, "logName") &&
		headHasAny(head, "timestamp", "receiveTimestamp")
}

// Import implements timeline.Importer.
func (g gcpAudit) Import(ctx context.Context, r io.Reader, src timeline.Source, out timeline.Emitter) error {
	br, head, err := peekHead(r, src)
	if err != nil {
		return err
	}
	shape := "ndjson"
	switch {
	case firstNonSpace(head) == '[':
		shape = "array"
	case ctFirstKeyIs(head, "entries"):
		shape = "entries"
	}
	var e timeline.Event
	return streamJSON(ctx, br, []string{"entries"}, g.Name(), src, out, func(raw []byte, off int64) error {
		var le gcpEntry
		if err := json.Unmarshal(raw, &le); err != nil {
			return rejectf("not a LogEntry: %v", err)
		}
		e = newEvent(g.Name(), shape, src, off, raw)
		if err := le.fill(&e); err != nil {
			return err
		}
		if err := finish(&e); err != nil {
			return err
		}
		return out.Emit(&e)
	})
}

// gcpEntry is a LogEntry (https://cloud.google.com/logging/docs/reference/v2/rest/v2/LogEntry).
type gcpEntry struct {
	InsertID  string `json:"insertId"`
	LogName   string `json:"logName"`
	Timestamp string `json:"timestamp"`
	Severity  string `json:"severity"`
	Resource  struct {
		Type   string `json:"type"`
		Labels struct {
			ProjectID flexString `json:"project_id"`
		} `json:"labels"`
	} `json:"resource"`
	Operation struct {
		ID string `json:"id"`
	} `json:"operation"`
	ProtoPayload *gcpAuditLog `json:"protoPayload"`
	TextPayload  string       `json:"textPayload"`
	JSONPayload  flexJSON     `json:"jsonPayload"`
}

// gcpAuditLog is google.cloud.audit.AuditLog. request, response and
// metadata are kept as raw JSON and read only for the methods that need
// them.
type gcpAuditLog struct {
	ServiceName        string `json:"serviceName"`
	MethodName         string `json:"methodName"`
	ResourceName       string `json:"resourceName"`
	AuthenticationInfo struct {
		PrincipalEmail               string          `json:"principalEmail"`
		PrincipalSubject             string          `json:"principalSubject"`
		ServiceAccountKeyName        string          `json:"serviceAccountKeyName"`
		ServiceAccountDelegationInfo []gcpDelegation `json:"serviceAccountDelegationInfo"`
	} `json:"authenticationInfo"`
	RequestMetadata struct {
		CallerIP                string `json:"callerIp"`
		CallerSuppliedUserAgent string `json:"callerSuppliedUserAgent"`
	} `json:"requestMetadata"`
	Status *struct {
		Code    flexString `json:"code"`
		Message string     `json:"message"`
	} `json:"status"`
	Request  flexJSON `json:"request"`
	Response flexJSON `json:"response"`
	Metadata flexJSON `json:"metadata"`
}

// gcpDelegation is one hop of serviceAccountDelegationInfo.
type gcpDelegation struct {
	FirstPartyPrincipal struct {
		PrincipalEmail string `json:"principalEmail"`
	} `json:"firstPartyPrincipal"`
	ThirdPartyPrincipal struct {
		ThirdPartyClaims map[string]any `json:"thirdPartyClaims"`
	} `json:"thirdPartyPrincipal"`
	PrincipalSubject string `json:"principalSubject"`
}

// gcpCodes names google.rpc.Code values, as the console shows them.
var gcpCodes = [...]string{"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
	"ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
	"UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"}

// fill maps the entry onto e.
func (le *gcpEntry) fill(e *timeline.Event) error {
	t, err := parseTime(le.Timestamp)
	if err != nil {
		return rejectErr(err)
	}
	e.Time = t
	e.ID = le.InsertID
	e.Tenant = string(le.Resource.Labels.ProjectID)
	if e.Tenant == "" {
		e.Tenant = gcpParent(le.LogName)
	}
	e.CorrelationID = le.Operation.ID
	p := le.ProtoPayload
	if p == nil || (p.MethodName == "" && p.ServiceName == "") {
		// Not an audit record: keep it as a plain log line.
		e.Action = gcpLogID(le.LogName)
		switch {
		case le.TextPayload != "":
			e.Message = le.TextPayload
		case len(le.JSONPayload) > 0:
			var m struct {
				Message flexString `json:"message"`
			}
			if le.JSONPayload.Decode(&m) == nil && m.Message != "" {
				e.Message = string(m.Message)
			} else {
				e.Message = truncate(string(le.JSONPayload.Bytes()), 300)
			}
		}
		if e.Message == "" {
			e.Message = le.Resource.Type + " log entry " + e.Action
		}
		return nil
	}

	e.Action = p.MethodName
	e.ResourceApp = p.ServiceName
	e.SrcIP = cleanIP(p.RequestMetadata.CallerIP)
	e.UserAgent = p.RequestMetadata.CallerSuppliedUserAgent
	ai := &p.AuthenticationInfo
	e.Actor, e.ActorKind = gcpPrincipal(ai.PrincipalEmail, ai.PrincipalSubject)
	e.KeyID = gcpKeyID(ai.ServiceAccountKeyName)

	e.Outcome = timeline.OutcomeSuccess
	if p.Status != nil && p.Status.Code != "" && p.Status.Code != "0" {
		e.Outcome = timeline.OutcomeFailure
		e.Reason = string(p.Status.Code)
		if c, err := strconv.Atoi(string(p.Status.Code)); err == nil && c > 0 && c < len(gcpCodes) {
			e.Reason = gcpCodes[c]
		}
	}

	m := p.MethodName
	short := m[strings.LastIndexByte(m, '.')+1:]
	e.Target, e.TargetKind = p.ResourceName, string(timeline.KindResource)
	if p.ResourceName == "" {
		e.TargetKind = ""
	}
	switch {
	case short == "GenerateAccessToken" || short == "GenerateIdToken" || short == "SignJwt" || short == "SignBlob":
		e.Category = timeline.CategoryToken
		gcpTargetAccount(e, p)
	case short == "CreateServiceAccountKey" || short == "UploadServiceAccountKey":
		e.Category = timeline.CategoryCredential
		gcpTargetAccount(e, p)
		var resp struct {
			Name string `json:"name"`
		}
		if p.Response.Decode(&resp) == nil {
			if id := gcpKeyID(resp.Name); id != "" && e.Outcome != timeline.OutcomeFailure {
				e.IssuedKind, e.IssuedID = timeline.IssuedKey, id
			}
		}
	case strings.Contains(short, "ServiceAccountKey") || strings.Contains(strings.ToLower(short), "hmackey"):
		e.Category = timeline.CategoryCredential
		gcpTargetAccount(e, p)
	case p.ServiceName == "login.googleapis.com":
		e.Category = timeline.CategorySignin
	case strings.EqualFold(short, "SetIamPolicy") || p.ServiceName == "iam.googleapis.com" ||
		p.ServiceName == "cloudresourcemanager.googleapis.com" || p.ServiceName == "admin.googleapis.com":
		e.Category = timeline.CategoryAdmin
	case strings.HasPrefix(m, "storage.objects."):
		e.Category = timeline.CategoryFile
	default:
		e.Category = timeline.CategoryResource
	}
	e.Message = gcpMessage(e, p)
	return nil
}

// gcpTargetAccount sets the service account a token or key call is about:
// the request's name "projects/-/serviceAccounts/<email or id>", else
// resourceName.
func gcpTargetAccount(e *timeline.Event, p *gcpAuditLog) {
	var req struct {
		Name string `json:"name"`
	}
	name := p.ResourceName
	if p.Request.Decode(&req) == nil && req.Name != "" {
		name = req.Name
	}
	if _, acct, ok := strings.Cut(name, "/serviceAccounts/"); ok {
		acct, _, _ = strings.Cut(acct, "/")
		e.Target, e.TargetKind = lower(acct), string(timeline.KindIdentity)
	}
}

// gcpPrincipal maps authenticationInfo to actor and kind. Workload and
// workforce identity callers have only principalSubject.
func gcpPrincipal(email, subject string) (string, timeline.ActorKind) {
	p := email
	if p == "" {
		p = subject
		for _, pre := range [...]string{"user:", "serviceAccount:"} {
			if s, ok := strings.CutPrefix(subject, pre); ok {
				p = s
			}
		}
	}
	switch {
	case p == "":
		return "", ""
	case strings.HasPrefix(p, "principal://") || strings.HasPrefix(p, "principalSet://"):
		return p, timeline.ActorServicePrincipal // federated workload or workforce identity
	case strings.HasSuffix(lower(p), ".gserviceaccount.com") || strings.HasPrefix(p, "system:serviceaccount:"):
		return lower(p), timeline.ActorServicePrincipal
	case strings.HasPrefix(p, "system:"):
		return p, timeline.ActorService // Kubernetes control plane
	case strings.Contains(p, "@"):
		return lower(p), timeline.ActorUser
	}
	return p, timeline.ActorUnknown
}

// gcpKeyID returns the key id at the end of a service-account key name
// ("//iam.googleapis.com/projects/p/serviceAccounts/sa@…/keys/<id>").
func gcpKeyID(name string) string {
	_, id, ok := strings.Cut(name, "/keys/")
	if !ok {
		return ""
	}
	id, _, _ = strings.Cut(id, "/")
	return lower(id)
}

// gcpParent returns the project (or organization, folder, billing account)
// a logName belongs to.
func gcpParent(logName string) string {
	for _, pre := range [...]string{"projects/", "organizations/", "folders/", "billingAccounts/"} {
		if rest, ok := strings.CutPrefix(logName, pre); ok {
			id, _, _ := strings.Cut(rest, "/")
			if pre == "projects/" {
				return id
			}
			return pre + id
		}
	}
	return ""
}

// gcpLogID returns the decoded log id of a logName ("cloudaudit.googleapis.com/activity").
func gcpLogID(logName string) string {
	_, id, ok := strings.Cut(logName, "/logs/")
	if !ok {
		return ""
	}
	if u, err := url.PathUnescape(id); err == nil {
		return u
	}
	return id
}

// gcpMessage writes the readable line, with the impersonation chain.
func gcpMessage(e *timeline.Event, p *gcpAuditLog) string {
	var b strings.Builder
	if e.Actor != "" {
		b.WriteString(e.Actor)
	} else {
		b.WriteString("unknown principal")
	}
	if chain := gcpChain(p); chain != "" {
		b.WriteString(" (delegation: ")
		b.WriteString(chain)
		b.WriteByte(')')
	}
	b.WriteByte(' ')
	b.WriteString(p.MethodName)
	if e.Target != "" {
		b.WriteByte(' ')
		b.WriteString(e.Target)
	}
	if p.ServiceName != "" {
		b.WriteString(" (" + p.ServiceName + ")")
	}
	if e.SrcIP != "" {
		b.WriteString(" from " + e.SrcIP)
	}
	if e.KeyID != "" {
		b.WriteString(" with key " + e.KeyID)
	}
	if e.IssuedID != "" {
		b.WriteString("; issued key " + e.IssuedID)
	} else if e.Category == timeline.CategoryToken && e.Outcome != timeline.OutcomeFailure {
		b.WriteString("; token issued (its id is not logged)")
	}
	if e.Outcome == timeline.OutcomeFailure {
		b.WriteString(": failed " + e.Reason)
		if p.Status.Message != "" && p.Status.Message != e.Reason {
			b.WriteString(" (" + truncate(p.Status.Message, 200) + ")")
		}
	}
	return b.String()
}

// gcpChain renders serviceAccountDelegationInfo (the principals the caller
// acted through, original caller first), falling back to the
// identityDelegationChain of IAM Credentials metadata.
func gcpChain(p *gcpAuditLog) string {
	var hops []string
	for _, d := range p.AuthenticationInfo.ServiceAccountDelegationInfo {
		switch {
		case d.FirstPartyPrincipal.PrincipalEmail != "":
			hops = append(hops, lower(d.FirstPartyPrincipal.PrincipalEmail))
		case d.PrincipalSubject != "":
			hops = append(hops, d.PrincipalSubject)
		case len(d.ThirdPartyPrincipal.ThirdPartyClaims) > 0:
			hops = append(hops, "third-party principal")
		}
	}
	if len(hops) == 0 && len(p.Metadata) > 0 {
		var md struct {
			IdentityDelegationChain []string `json:"identityDelegationChain"`
		}
		if p.Metadata.Decode(&md) == nil {
			for _, h := range md.IdentityDelegationChain {
				if _, acct, ok := strings.Cut(h, "/serviceAccounts/"); ok {
					h = lower(acct)
				}
				hops = append(hops, h)
			}
		}
	}
	return strings.Join(hops, " → ")
}
