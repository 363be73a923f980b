package importers

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"strings"

	json "github.com/goccy/go-json"

	"github.com/causeway-ir/causeway/timeline"
)

// azureActivity imports the Azure Activity log (control plane, formats.md
// §4): diagnostic-settings records ({"records":[…]} or NDJSON PT1H.json),
// the REST/portal camelCase shape, the Python SDK's snake_case as_dict()
// and the Log Analytics AzureActivity table. The caller's token is in
// claims: uti (the sign-in's uniqueTokenIdentifier), appid, ipaddr, sid.
type azureActivity struct{}

var _ timeline.Importer = azureActivity{}

// Name implements timeline.Importer.
func (azureActivity) Name() string { return "azure.activity" }

// Match implements timeline.Importer. Entra diagnostic records share the
// envelope, so their categories are excluded (entra.* also stand earlier
// in the registry).
func (azureActivity) Match(_ string, head []byte) bool {
	switch firstNonSpace(head) {
	case '{', '[':
	default:
		return false
	}
	if headKeyValue(head, "category", append([]string{"AuditLogs"}, signinCategories...)...) {
		return false
	}
	switch {
	case headHasKey(head, "event_timestamp") && headHasAny(head, "operation_name", "event_data_id"):
		return true // SDK as_dict()
	case headHasKey(head, "eventTimestamp") && headHasAny(head, "eventDataId", "submissionTimestamp"):
		return true // REST / portal
	case headHasAll(head, "OperationNameValue", "CategoryValue"):
		return true // Log Analytics AzureActivity
	}
	if !headHasKey(head, "operationName") || !headHasKey(head, "resourceId") || !headHasAny(head, "resultType", "resultSignature") {
		return false
	}
	return bytes.Contains(bytes.ToLower(head[:min(len(head), headSize)]), []byte("/subscriptions/")) ||
		headHasKey(head, "claims")
}

// activityRecord holds every Activity log shape: diagnostic camelCase,
// REST camelCase with {value,localizedValue} objects, SDK snake_case and
// the Log Analytics columns.
type activityRecord struct {
	Time            flexString `json:"time"`
	ResourceID      flexString `json:"resourceId"`
	OperationName   flexJSON   `json:"operationName"`
	Category        flexJSON   `json:"category"`
	ResultType      flexString `json:"resultType"`
	ResultSignature flexString `json:"resultSignature"`
	CallerIPAddress flexString `json:"callerIpAddress"`
	CorrelationID   flexString `json:"correlationId"`
	Identity        flexJSON   `json:"identity"`
	Properties      flexJSON   `json:"properties"`
	TenantID        flexString `json:"tenantId"`

	Caller         flexString `json:"caller"`
	Claims         flexJSON   `json:"claims"`
	Authorization  flexJSON   `json:"authorization"`
	EventTimestamp flexString `json:"eventTimestamp"`
	EventDataID    flexString `json:"eventDataId"`
	Status         flexJSON   `json:"status"`
	SubStatus      flexJSON   `json:"subStatus"`
	HTTPRequest    flexJSON   `json:"httpRequest"`

	SnakeEventTimestamp flexString `json:"event_timestamp"`
	SnakeResourceID     flexString `json:"resource_id"`
	SnakeOperationName  flexJSON   `json:"operation_name"`
	SnakeCorrelationID  flexString `json:"correlation_id"`
	SnakeEventDataID    flexString `json:"event_data_id"`
	SnakeHTTPRequest    flexJSON   `json:"http_request"`
	SnakeSubStatus      flexJSON   `json:"sub_status"`
	SnakeTenantID       flexString `json:"tenant_id"`

	OperationNameValue   flexString `json:"OperationNameValue"`
	ActivityStatusValue  flexString `json:"ActivityStatusValue"`
	ActivitySubstatusVal flexString `json:"ActivitySubstatusValue"`
	ResourceIDColumn     flexString `json:"_ResourceId"`
	ClaimsColumn         flexJSON   `json:"Claims_d"`
	AuthorizationColumn  flexJSON   `json:"Authorization_d"`
	TimeGenerated        flexString `json:"TimeGenerated"`
}

// azureClaims are the bearer token's claims as the Activity log keeps them.
type azureClaims struct {
	Aud      flexString `json:"aud"`
	AppID    flexString `json:"appid"`
	AzP      flexString `json:"azp"`
	IPAddr   flexString `json:"ipaddr"`
	Name     flexString `json:"name"`
	UTI      flexString `json:"uti"`
	SID      flexString `json:"sid"`
	IDTyp    flexString `json:"idtyp"`
	XMSMirID flexString `json:"xms_mirid"`
	OID      flexString `json:"oid"`
	TID      flexString `json:"tid"`
	UPN      flexString `json:"upn"`
	URIUPN   flexString `json:"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn"`
	URIName  flexString `json:"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"`
	URIOID   flexString `json:"http://schemas.microsoft.com/identity/claims/objectidentifier"`
	URITID   flexString `json:"http://schemas.microsoft.com/identity/claims/tenantid"`
}

// activityAuthorization is identity.authorization / authorization.
type activityAuthorization struct {
	Action   flexString `json:"action"`
	Scope    flexString `json:"scope"`
	Evidence struct {
		PrincipalID   flexString `json:"principalId"`
		PrincipalType flexString `json:"principalType"`
		Role          flexString `json:"role"`
	} `json:"evidence"`
}

// Import implements timeline.Importer.
func (imp azureActivity) Import(ctx context.Context, r io.Reader, src timeline.Source, out timeline.Emitter) error {
	br := bufio.NewReaderSize(r, headSize)
	return streamJSON(ctx, br, []string{"records", "value"}, imp.Name(), src, out, func(rec []byte, off int64) error {
		var a activityRecord
		if err := json.Unmarshal(rec, &a); err != nil {
			return rejectf("decode activity record: %w", err)
		}
		var shape string
		switch {
		case a.SnakeEventTimestamp != "" || a.SnakeOperationName != nil || a.SnakeResourceID != "":
			shape = "sdk"
		case a.OperationNameValue != "" || a.TimeGenerated != "":
			shape = "sentinel"
		case a.EventTimestamp != "" || a.EventDataID != "":
			shape = "rest"
		default:
			shape = "diagnostic"
		}
		e := newEvent(imp.Name(), shape, src, off, rec)
		if err := mapActivity(&e, &a, shape); err != nil {
			return err
		}
		if err := finish(&e); err != nil {
			return err
		}
		return out.Emit(&e)
	})
}

// valueOf reads a plain string or the "value" of a {value, localizedValue}
// object.
func valueOf(f flexJSON) string {
	b := f.Bytes()
	if len(b) == 0 {
		return ""
	}
	if b[0] == '{' {
		var v struct {
			Value flexString `json:"value"`
		}
		if json.Unmarshal(b, &v) == nil {
			return string(v.Value)
		}
		return ""
	}
	var s flexString
	if json.Unmarshal(b, &s) == nil {
		return string(s)
	}
	return ""
}

// mapActivity fills e from an Activity log record.
func mapActivity(e *timeline.Event, a *activityRecord, shape string) error {
	// Event time: time, eventTimestamp or event_timestamp, never the
	// submission time. AzureActivity's TimeGenerated is the time the
	// service generated the event (its table docs), the only time it has.
	when := firstNonEmpty(string(a.Time), string(a.EventTimestamp), string(a.SnakeEventTimestamp))
	if when == "" && shape == "sentinel" {
		when = string(a.TimeGenerated)
	}
	t, err := parseTime(when)
	if err != nil {
		if when == "" {
			return rejectf("no event time")
		}
		return rejectErr(err)
	}
	e.Time = t
	e.ID = lower(firstNonEmpty(string(a.EventDataID), string(a.SnakeEventDataID)))
	op := firstNonEmpty(valueOf(a.OperationName), valueOf(a.SnakeOperationName), string(a.OperationNameValue))
	e.Action = op

	var idn struct {
		Authorization flexJSON `json:"authorization"`
		Claims        flexJSON `json:"claims"`
	}
	_ = a.Identity.Decode(&idn) // diagnostic: identity{authorization,claims}
	var claims azureClaims
	for _, c := range []flexJSON{idn.Claims, a.Claims, a.ClaimsColumn} {
		if len(c.Bytes()) > 0 {
			_ = c.Decode(&claims)
			break
		}
	}
	var authz activityAuthorization
	for _, c := range []flexJSON{idn.Authorization, a.Authorization, a.AuthorizationColumn} {
		if len(c.Bytes()) > 0 {
			_ = c.Decode(&authz)
			break
		}
	}

	upn := firstNonEmpty(string(claims.URIUPN), string(claims.UPN))
	if n := string(claims.URIName); upn == "" && strings.Contains(n, "@") {
		upn = n
	}
	oid := firstNonEmpty(string(claims.URIOID), string(claims.OID))
	e.Actor = lower(firstNonEmpty(string(a.Caller), upn, oid, string(authz.Evidence.PrincipalID)))
	switch {
	case e.Actor == "":
	case claims.XMSMirID != "":
		e.ActorKind = timeline.ActorManagedIdentity
	case strings.EqualFold(string(claims.IDTyp), "user") || strings.EqualFold(string(authz.Evidence.PrincipalType), "User"):
		e.ActorKind = timeline.ActorUser
	case strings.EqualFold(string(claims.IDTyp), "app") || strings.EqualFold(string(authz.Evidence.PrincipalType), "ServicePrincipal"):
		e.ActorKind = timeline.ActorServicePrincipal
	case strings.Contains(e.Actor, "@"):
		e.ActorKind = timeline.ActorUser
	default:
		e.ActorKind = timeline.ActorUnknown
	}

	tid := lower(firstNonEmpty(string(claims.URITID), string(claims.TID)))
	if shape == "sentinel" {
		e.Tenant = tid // TenantId is the workspace there
	} else {
		e.Tenant = lower(firstNonEmpty(string(a.TenantID), string(a.SnakeTenantID), tid))
	}
	if tid != "" && tid != e.Tenant {
		e.ActorTenant = tid
	}
	e.AppID = lower(firstNonEmpty(string(claims.AppID), string(claims.AzP)))
	e.ResourceApp = string(claims.Aud)
	e.TokenID = normalizeUTI(string(claims.UTI))
	e.SessionID = lower(string(claims.SID))

	var req struct {
		ClientIPAddress flexString `json:"clientIpAddress"`
		SnakeClientIP   flexString `json:"client_ip_address"`
	}
	for _, h := range []flexJSON{a.HTTPRequest, a.SnakeHTTPRequest} {
		if len(h.Bytes()) > 0 {
			_ = h.Decode(&req)
			break
		}
	}
	e.SrcIP = msIP(firstNonEmpty(string(a.CallerIPAddress), string(req.ClientIPAddress), string(req.SnakeClientIP), string(claims.IPAddr)))
	e.CorrelationID = lower(firstNonEmpty(string(a.CorrelationID), string(a.SnakeCorrelationID)))
	// Resource ids come in upper and lower case for one resource
	// (formats.md §0.6): lower-cased for joins, raw keeps the original.
	e.Target = lower(firstNonEmpty(string(a.ResourceID), string(a.SnakeResourceID), string(a.ResourceIDColumn), string(authz.Scope)))
	if e.Target != "" {
		e.TargetKind = string(timeline.KindResource)
	}

	status := firstNonEmpty(string(a.ResultType), valueOf(a.Status), string(a.ActivityStatusValue))
	switch strings.ToLower(status) {
	case "success", "succeeded":
		e.Outcome = timeline.OutcomeSuccess
	case "failure", "failed":
		e.Outcome = timeline.OutcomeFailure
		var props struct {
			StatusCode flexString `json:"statusCode"`
		}
		_ = a.Properties.Decode(&props)
		e.Reason = firstNonEmpty(valueOf(a.SubStatus), valueOf(a.SnakeSubStatus), string(a.ActivitySubstatusVal),
			string(props.StatusCode), string(a.ResultSignature))
	}
	e.Category = activityCategory(op)
	e.Message = activityMessage(e, op, status)
	return nil
}

// activityCategory sorts control-plane operations: listing keys or
// secrets is credential access, role and policy changes are admin, the
// rest acts on resources.
func activityCategory(op string) timeline.Category {
	o := strings.ToLower(op)
	switch {
	case strings.Contains(o, "/listkeys/"), strings.Contains(o, "/regeneratekey"), strings.Contains(o, "/listsecrets/"),
		strings.Contains(o, "/secrets/"), strings.Contains(o, "/listcredentials"):
		return timeline.CategoryCredential
	case strings.HasPrefix(o, "microsoft.authorization/"):
		return timeline.CategoryAdmin
	case o == "":
		return timeline.CategoryOther
	}
	return timeline.CategoryResource
}

// activityMessage writes "<caller> <operation> on <resource> from <ip>: <status>".
func activityMessage(e *timeline.Event, op, status string) string {
	var b strings.Builder
	b.WriteString(firstNonEmpty(e.Actor, "unknown caller"))
	b.WriteString(" " + firstNonEmpty(op, "operation"))
	if e.Target != "" {
		b.WriteString(" on " + e.Target)
	}
	if e.SrcIP != "" {
		b.WriteString(" from " + e.SrcIP)
	}
	if status != "" {
		b.WriteString(": " + status)
	}
	if e.Reason != "" {
		b.WriteString(" (" + truncate(e.Reason, 120) + ")")
	}
	return b.String()
}
