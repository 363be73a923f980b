package importers

import (
	"bufio"
	"context"
	"io"
	"regexp"
	"strings"

	json "github.com/goccy/go-json"

	"github.com/causeway-ir/causeway/timeline"
)

// entraAudit imports Microsoft Entra ID audit logs (directoryAudits,
// formats.md §2): Graph pages and PowerShell arrays, Azure Monitor
// diagnostic AuditLogs records and the Log Analytics/Sentinel AuditLogs
// table. A credential added to an application or service principal issues
// a key; other directory changes are admin events with their targets.
type entraAudit struct{}

var _ timeline.Importer = entraAudit{}

// Name implements timeline.Importer.
func (entraAudit) Name() string { return "entra.audit" }

// Match implements timeline.Importer: directoryAudit records are the only
// ones with activityDisplayName (Graph, diagnostic properties) or
// ActivityDisplayName (Log Analytics).
func (entraAudit) Match(_ string, head []byte) bool {
	switch firstNonSpace(head) {
	case '{', '[':
	default:
		return false
	}
	if headKeyValue(head, "category", "AuditLogs") || headKeyValue(head, "Type", "AuditLogs") {
		return true
	}
	return headHasAny(head, "activityDisplayName", "ActivityDisplayName") &&
		headHasAny(head, "activityDateTime", "ActivityDateTime", "initiatedBy", "InitiatedBy", "targetResources", "TargetResources")
}

// directoryAudit is the Graph directoryAudit resource and, through
// case-insensitive decoding, a Log Analytics AuditLogs row and the
// diagnostic envelope around one.
type directoryAudit struct {
	ID                  flexString `json:"id"`
	Category            flexString `json:"category"`
	CorrelationID       flexString `json:"correlationId"`
	Result              flexString `json:"result"`
	ResultReason        flexString `json:"resultReason"`
	ActivityDisplayName flexString `json:"activityDisplayName"`
	ActivityDateTime    flexString `json:"activityDateTime"`
	LoggedByService     flexString `json:"loggedByService"`
	OperationType       flexString `json:"operationType"`
	UserAgent           flexString `json:"userAgent"`
	InitiatedBy         flexJSON   `json:"initiatedBy"`
	TargetResources     flexJSON   `json:"targetResources"`
	AdditionalDetails   flexJSON   `json:"additionalDetails"`

	// Diagnostic envelope.
	Properties      flexJSON   `json:"properties"`
	Time            flexString `json:"time"`
	OperationName   flexString `json:"operationName"`
	TenantID        flexString `json:"tenantId"` // the workspace in Log Analytics
	CallerIPAddress flexString `json:"callerIpAddress"`

	// Log Analytics columns.
	AADTenantID   flexString `json:"AADTenantId"`
	TimeGenerated flexString `json:"TimeGenerated"`
	Type          flexString `json:"Type"`
}

// auditInitiator is initiatedBy: a user or an app.
type auditInitiator struct {
	User *struct {
		ID                flexString `json:"id"`
		DisplayName       flexString `json:"displayName"`
		UserPrincipalName flexString `json:"userPrincipalName"`
		IPAddress         flexString `json:"ipAddress"`
		HomeTenantID      flexString `json:"homeTenantId"`
	} `json:"user"`
	App *struct {
		AppID                flexString `json:"appId"`
		DisplayName          flexString `json:"displayName"`
		ServicePrincipalID   flexString `json:"servicePrincipalId"`
		ServicePrincipalName flexString `json:"servicePrincipalName"`
	} `json:"app"`
}

// auditTarget is one of targetResources.
type auditTarget struct {
	ID                 flexString `json:"id"`
	DisplayName        flexString `json:"displayName"`
	Type               flexString `json:"type"`
	UserPrincipalName  flexString `json:"userPrincipalName"`
	ModifiedProperties []struct {
		DisplayName flexString `json:"displayName"`
		OldValue    flexString `json:"oldValue"`
		NewValue    flexString `json:"newValue"`
	} `json:"modifiedProperties"`
}

// keyValue is an additionalDetails entry.
type keyValue struct {
	Key   flexString `json:"key"`
	Value flexString `json:"value"`
}

// Import implements timeline.Importer.
func (imp entraAudit) Import(ctx context.Context, r io.Reader, src timeline.Source, out timeline.Emitter) error {
	br := bufio.NewReaderSize(r, headSize)
	head, _ := br.Peek(headSize)
	fileShape := jsonFileShape(head)
	return streamJSON(ctx, br, []string{"value", "records"}, imp.Name(), src, out, func(rec []byte, off int64) error {
		var env directoryAudit
		if err := json.Unmarshal(rec, &env); err != nil {
			return rejectf("decode directory audit: %w", err)
		}
		in, shape := &env, fileShape
		switch {
		case isJSONObject(env.Properties.Bytes()):
			var p directoryAudit
			if err := env.Properties.Decode(&p); err != nil {
				return rejectf("decode audit properties: %w", err)
			}
			in, shape = &p, "diagnostic"
		case env.AADTenantID != "" || env.TimeGenerated != "" || strings.EqualFold(string(env.Type), "AuditLogs"):
			shape = "sentinel"
		}
		e := newEvent(imp.Name(), shape, src, off, rec)
		if err := mapAudit(&e, &env, in, shape); err != nil {
			return err
		}
		if err := finish(&e); err != nil {
			return err
		}
		return out.Emit(&e)
	})
}

// mapAudit fills e from a directory audit (in) and its envelope (env).
func mapAudit(e *timeline.Event, env, in *directoryAudit, shape string) error {
	when := string(in.ActivityDateTime)
	if when == "" && shape == "diagnostic" {
		when = string(env.Time)
	}
	t, err := parseTime(when)
	if err != nil {
		if when == "" {
			return rejectf("no activityDateTime")
		}
		return rejectErr(err)
	}
	e.Time = t
	e.ID = string(in.ID)
	action := strings.TrimSpace(firstNonEmpty(string(in.ActivityDisplayName), string(env.OperationName)))
	e.Action = action
	e.CorrelationID = lower(firstNonEmpty(string(in.CorrelationID), string(env.CorrelationID)))
	switch shape {
	case "sentinel":
		e.Tenant = lower(string(env.AADTenantID))
	case "diagnostic":
		e.Tenant = lower(string(env.TenantID))
	}
	switch strings.ToLower(strings.TrimSpace(string(in.Result))) {
	case "success":
		e.Outcome = timeline.OutcomeSuccess
	case "failure", "timeout":
		e.Outcome = timeline.OutcomeFailure
		e.Reason = firstNonEmpty(string(in.ResultReason), string(in.Result))
	}

	var by auditInitiator
	_ = in.InitiatedBy.Decode(&by) // a malformed initiator leaves the actor empty; raw keeps it
	switch {
	case by.User != nil && (by.User.UserPrincipalName != "" || by.User.ID != ""):
		e.Actor = lower(firstNonEmpty(string(by.User.UserPrincipalName), string(by.User.ID)))
		e.ActorKind = timeline.ActorUser
		e.SrcIP = msIP(string(by.User.IPAddress))
		if home := lower(string(by.User.HomeTenantID)); home != "" && home != e.Tenant {
			e.ActorTenant = home
		}
	case by.App != nil && (by.App.ServicePrincipalID != "" || by.App.AppID != "" || by.App.DisplayName != ""):
		e.Actor = lower(firstNonEmpty(string(by.App.ServicePrincipalID), string(by.App.AppID)))
		if e.Actor == "" {
			e.Actor = string(by.App.DisplayName) // first-party services log only a name
		}
		e.ActorKind = timeline.ActorServicePrincipal
		e.AppID = lower(string(by.App.AppID))
		e.AppName = string(by.App.DisplayName)
	}
	if e.SrcIP == "" {
		e.SrcIP = msIP(string(env.CallerIPAddress))
	}

	var details []keyValue
	_ = in.AdditionalDetails.Decode(&details)
	e.UserAgent = string(in.UserAgent)
	for _, d := range details {
		if e.UserAgent == "" && strings.EqualFold(string(d.Key), "User-Agent") {
			e.UserAgent = string(d.Value)
		}
	}

	var targets []auditTarget
	_ = in.TargetResources.Decode(&targets)
	var tname string
	for _, tr := range targets {
		id := lower(string(tr.ID))
		if strings.EqualFold(string(tr.Type), "User") && tr.UserPrincipalName != "" {
			id = lower(string(tr.UserPrincipalName))
		}
		if id == "" {
			continue
		}
		e.Target, e.TargetKind = id, string(auditTargetKind(string(tr.Type)))
		tname = firstNonEmpty(string(tr.DisplayName), string(tr.UserPrincipalName))
		break
	}

	e.Category = auditCategory(action)
	var added []string
	if e.Category == timeline.CategoryCredential && isCredentialAdd(action) {
		for _, tr := range targets {
			for _, mp := range tr.ModifiedProperties {
				if strings.EqualFold(string(mp.DisplayName), "KeyDescription") {
					added = append(added, addedKeyIDs(string(mp.OldValue), string(mp.NewValue))...)
				}
			}
		}
		if len(added) > 0 && e.Outcome != timeline.OutcomeFailure {
			e.IssuedKind, e.IssuedID = timeline.IssuedKey, added[0]
		}
	}
	for _, tr := range targets {
		for _, mp := range tr.ModifiedProperties {
			if strings.EqualFold(string(mp.DisplayName), "Role.DisplayName") && mp.NewValue != "" {
				tname += " (role " + strings.Trim(string(mp.NewValue), `"`) + ")"
			}
		}
	}
	e.Message = auditMessage(e, action, tname, added)
	return nil
}

// auditTargetKind maps a targetResources type to an entity kind.
func auditTargetKind(typ string) timeline.EntityKind {
	switch strings.ToLower(typ) {
	case "user", "group":
		return timeline.KindIdentity
	case "application", "serviceprincipal":
		return timeline.KindApp
	}
	return timeline.KindResource
}

// auditCategory sorts directory activities: credentials of apps, service
// principals and users (secrets, certificates, passwords, security info)
// are "credential"; every other directory change is "admin".
func auditCategory(action string) timeline.Category {
	a := strings.ToLower(normalizeDashes(action))
	switch {
	case strings.Contains(a, "certificates and secrets"), strings.Contains(a, "service principal credentials"),
		strings.Contains(a, "password"), strings.Contains(a, "security info"),
		strings.Contains(a, "federated identity credential"):
		return timeline.CategoryCredential
	}
	return timeline.CategoryAdmin
}

// isCredentialAdd reports whether the activity can add a credential (as
// opposed to removing one): its KeyDescription diff then names the new key.
func isCredentialAdd(action string) bool {
	a := strings.ToLower(normalizeDashes(strings.TrimRight(strings.TrimSpace(action), ".")))
	return a == "update application - certificates and secrets management" ||
		a == "add service principal credentials" ||
		a == "update service principal - certificates and secrets management"
}

// normalizeDashes turns the en and em dashes of activity names into '-'.
func normalizeDashes(s string) string {
	return strings.NewReplacer("\u2013", "-", "\u2014", "-").Replace(s)
}

// keyIdentifierRe finds key ids in KeyDescription values such as
// [KeyIdentifier=59eaeebc-…,KeyType=Password,KeyUsage=Verify,DisplayName=x].
var keyIdentifierRe = regexp.MustCompile(`(?i)KeyIdentifier=([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})`)

// addedKeyIDs returns the key ids in the new KeyDescription value that the
// old one lacked, lower-cased, in order. The values are JSON text (possibly
// a string holding a JSON array); the ids are found in either form.
func addedKeyIDs(oldValue, newValue string) []string {
	had := map[string]bool{}
	for _, m := range keyIdentifierRe.FindAllStringSubmatch(oldValue, -1) {
		had[strings.ToLower(m[1])] = true
	}
	var added []string
	for _, m := range keyIdentifierRe.FindAllStringSubmatch(newValue, -1) {
		id := strings.ToLower(m[1])
		if !had[id] {
			had[id] = true
			added = append(added, id)
		}
	}
	return added
}

// auditMessage writes the readable line for a directory audit.
func auditMessage(e *timeline.Event, action, target string, added []string) string {
	var b strings.Builder
	b.WriteString(firstNonEmpty(e.Actor, "unknown actor"))
	b.WriteString(": ")
	b.WriteString(firstNonEmpty(action, "directory change"))
	if t := firstNonEmpty(target, e.Target); t != "" {
		b.WriteString(" on " + t)
	}
	switch {
	case len(added) == 0:
	case e.Outcome == timeline.OutcomeFailure:
		b.WriteString(" (key " + strings.Join(added, ", ") + " not added)")
	case len(added) == 1:
		b.WriteString(" (added key " + added[0] + ")")
	default:
		b.WriteString(" (added keys " + strings.Join(added, ", ") + ")")
	}
	if e.SrcIP != "" {
		b.WriteString(" from " + e.SrcIP)
	}
	switch e.Outcome {
	case timeline.OutcomeSuccess:
		b.WriteString(": success")
	case timeline.OutcomeFailure:
		b.WriteString(": failed")
		if e.Reason != "" {
			b.WriteString(" (" + truncate(e.Reason, 120) + ")")
		}
	}
	return b.String()
}
