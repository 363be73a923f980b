package importers

import (
	"bytes"
	"context"
	"io"
	"net/url"
	"strings"

	json "github.com/goccy/go-json"

	"github.com/causeway-ir/causeway/timeline"
)

// okta imports the Okta System Log (formats.md §7): LogEvents as the JSON
// array of GET /api/v1/logs ("api"), NDJSON ("ndjson"), and event-hook
// deliveries {"eventType":"com.okta.event_hook","data":{"events":[…]}}
// ("event-hook").
//
// The Okta org a LogEvent happened in is not a field of the event; only
// an event hook's envelope names it ("source": the org URL), so tenant is
// set for hooks and stays empty otherwise.
//
// OAuth token grants (app.oauth2.*token.grant*) list the issued tokens as
// targets of type access_token, id_token or refresh_token whose id is the
// token's jti; the access token (else refresh, else id token) is issued_id.
// API token creation (system.api_token.create) issues a key: the token's
// target id.
type okta struct{}

var _ timeline.Importer = okta{}

// Name implements timeline.Importer.
func (okta) Name() string { return "okta.system" }

// Match implements timeline.Importer.
func (okta) Match(_ string, head []byte) bool {
	if bytes.Contains(head, []byte(`"com.okta.event_hook"`)) {
		return true
	}
	return headHasAll(head, "uuid", "eventType", "published") &&
		headHasAny(head, "legacyEventType", "displayMessage", "authenticationContext")
}

// Import implements timeline.Importer.
func (o okta) Import(ctx context.Context, r io.Reader, src timeline.Source, out timeline.Emitter) error {
	br, head, err := peekHead(r, src)
	if err != nil {
		return err
	}
	shape, tenant := "ndjson", ""
	switch {
	case bytes.Contains(head, []byte(`"com.okta.event_hook"`)) || ctFirstKeyIs(head, "data"):
		shape, tenant = "event-hook", oktaHookOrg(head)
	case firstNonSpace(head) == '[':
		shape = "api"
	}
	var e timeline.Event
	return streamJSON(ctx, br, []string{"data.events"}, o.Name(), src, out, func(raw []byte, off int64) error {
		var le oktaEvent
		if err := json.Unmarshal(raw, &le); err != nil {
			return rejectf("not an Okta LogEvent: %v", err)
		}
		if le.EventType == "" && le.UUID == "" {
			return rejectf("not an Okta LogEvent: no uuid or eventType")
		}
		e = newEvent(o.Name(), shape, src, off, raw)
		e.Tenant = tenant
		if err := le.fill(&e); err != nil {
			return err
		}
		if err := finish(&e); err != nil {
			return err
		}
		return out.Emit(&e)
	})
}

// oktaHookOrg returns the org host named by an event hook's "source"
// ("https://acme.okta.com/api/v1/eventHooks/…"), or "".
func oktaHookOrg(head []byte) string {
	_, after, ok := bytes.Cut(head, []byte(`"source"`))
	if !ok {
		return ""
	}
	rest := bytes.TrimLeft(after, " \t\r\n")
	if len(rest) == 0 || rest[0] != ':' {
		return ""
	}
	rest = bytes.TrimLeft(rest[1:], " \t\r\n")
	var s string
	end := bytes.IndexByte(rest[min(1, len(rest)):], '"')
	if len(rest) == 0 || rest[0] != '"' || end < 0 || json.Unmarshal(rest[:end+2], &s) != nil {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	return lower(u.Host)
}

// oktaEvent is a System Log LogEvent
// (https://developer.okta.com/docs/reference/api/system-log/#logevent-object).
type oktaEvent struct {
	UUID           string      `json:"uuid"`
	Published      string      `json:"published"`
	EventType      string      `json:"eventType"`
	DisplayMessage string      `json:"displayMessage"`
	Actor          oktaActor   `json:"actor"`
	Target         []oktaActor `json:"target"`
	Client         struct {
		IPAddress string `json:"ipAddress"`
		UserAgent struct {
			RawUserAgent string `json:"rawUserAgent"`
		} `json:"userAgent"`
		GeographicalContext struct {
			Country string `json:"country"`
		} `json:"geographicalContext"`
	} `json:"client"`
	AuthenticationContext struct {
		ExternalSessionID string `json:"externalSessionId"`
	} `json:"authenticationContext"`
	Outcome struct {
		Result string `json:"result"`
		Reason string `json:"reason"`
	} `json:"outcome"`
	Transaction struct {
		ID string `json:"id"`
	} `json:"transaction"`
	Request struct {
		IPChain []struct {
			IP string `json:"ip"`
		} `json:"ipChain"`
	} `json:"request"`
}

// oktaActor is an Actor or Target object.
type oktaActor struct {
	ID          string `json:"id"`
	Type        string `json:"type"`
	AlternateID string `json:"alternateId"`
	DisplayName string `json:"displayName"`
}

// fill maps the LogEvent onto e.
func (le *oktaEvent) fill(e *timeline.Event) error {
	t, err := parseTime(le.Published)
	if err != nil {
		return rejectErr(err)
	}
	e.Time = t
	e.ID = lower(le.UUID)
	e.Action = le.EventType
	e.SessionID = le.AuthenticationContext.ExternalSessionID
	if e.SessionID == "unknown" {
		e.SessionID = "" // Okta's placeholder, not a session
	}
	e.CorrelationID = le.Transaction.ID
	e.SrcIP = cleanIP(le.Client.IPAddress)
	if e.SrcIP == "" && len(le.Request.IPChain) > 0 {
		e.SrcIP = cleanIP(le.Request.IPChain[0].IP)
	}
	e.UserAgent = le.Client.UserAgent.RawUserAgent
	e.Country = le.Client.GeographicalContext.Country
	e.Actor, e.ActorKind = oktaPrincipal(le.Actor)
	if e.ActorKind == timeline.ActorServicePrincipal {
		e.AppID, e.AppName = le.Actor.ID, le.Actor.DisplayName
	}

	switch strings.ToUpper(le.Outcome.Result) {
	case "SUCCESS", "ALLOW":
		e.Outcome = timeline.OutcomeSuccess
	case "FAILURE", "DENY":
		e.Outcome = timeline.OutcomeFailure
	default: // CHALLENGE, SKIPPED, UNKNOWN, absent
		e.Outcome = timeline.OutcomeUnknown
	}
	e.Reason = le.Outcome.Reason

	e.Category = oktaCategory(le.EventType)
	// Issued tokens and keys, and the target: the first user, app or
	// other object acted on.
	var issued [3]string // access, refresh, id token
	for _, tg := range le.Target {
		switch strings.ToLower(tg.Type) {
		case "access_token":
			issued[0] = tg.ID
			continue
		case "refresh_token":
			issued[1] = tg.ID
			continue
		case "id_token":
			issued[2] = tg.ID
			continue
		case "appinstance", "publicclientapp", "application":
			if e.AppID == "" {
				e.AppID, e.AppName = tg.ID, tg.DisplayName
			}
		}
		if e.Target == "" {
			e.Target, e.TargetKind = oktaTarget(tg)
		}
	}
	if e.Outcome != timeline.OutcomeFailure {
		for _, id := range issued {
			if id != "" {
				e.IssuedKind, e.IssuedID = timeline.IssuedToken, id
				break
			}
		}
		if e.IssuedID == "" && le.EventType == "system.api_token.create" {
			for _, tg := range le.Target {
				if strings.EqualFold(tg.Type, "Token") && tg.ID != "" {
					e.IssuedKind, e.IssuedID = timeline.IssuedKey, tg.ID
					break
				}
			}
		}
	}
	e.Message = oktaMessage(e, le)
	return nil
}

// oktaPrincipal maps an actor to its id and kind: users by login (an
// email, lower-cased), apps and clients by id.
func oktaPrincipal(a oktaActor) (string, timeline.ActorKind) {
	login := a.AlternateID
	if login == "" || login == "unknown" {
		login = a.ID
	}
	switch strings.ToLower(a.Type) {
	case "":
		if login == "" {
			return "", ""
		}
		return login, timeline.ActorUnknown
	case "user":
		return lower(login), timeline.ActorUser
	case "publicclientapp", "appinstance", "client", "application":
		return a.ID, timeline.ActorServicePrincipal
	case "systemprincipal":
		return login, timeline.ActorService
	}
	return login, timeline.ActorUnknown
}

// oktaTarget maps a target to an entity: users are identities, apps apps,
// everything else (groups, policies, rules, zones) a resource.
func oktaTarget(tg oktaActor) (string, string) {
	switch strings.ToLower(tg.Type) {
	case "user":
		id, _ := oktaPrincipal(tg)
		return id, string(timeline.KindIdentity)
	case "appinstance", "publicclientapp", "application":
		return tg.ID, string(timeline.KindApp)
	}
	v := tg.ID
	if v == "" {
		v = tg.DisplayName
	}
	if v == "" {
		return "", ""
	}
	return v, string(timeline.KindResource)
}

// oktaCategory classifies an eventType.
func oktaCategory(t string) timeline.Category {
	switch {
	case strings.HasPrefix(t, "user.session.") || strings.HasPrefix(t, "user.authentication.") ||
		t == "policy.evaluate_sign_on" || strings.HasPrefix(t, "user.mfa.okta_verify.deny_push"):
		return timeline.CategorySignin
	case strings.HasPrefix(t, "app.oauth2.") && strings.Contains(t, "token"):
		return timeline.CategoryToken
	case strings.HasPrefix(t, "system.api_token.") || strings.HasPrefix(t, "user.mfa.factor.") ||
		strings.Contains(t, "password") || strings.Contains(t, "credential") || strings.Contains(t, ".privatekey") ||
		strings.Contains(t, "client_secret"):
		return timeline.CategoryCredential
	case strings.HasPrefix(t, "user.lifecycle.") || strings.HasPrefix(t, "user.account.") || strings.HasPrefix(t, "group.") ||
		strings.HasPrefix(t, "policy.") || strings.HasPrefix(t, "system.") || strings.HasPrefix(t, "application.") ||
		strings.HasPrefix(t, "zone.") || strings.HasPrefix(t, "app.") || strings.HasPrefix(t, "iam."):
		return timeline.CategoryAdmin
	}
	return timeline.CategoryOther
}

// oktaMessage writes the readable line.
func oktaMessage(e *timeline.Event, le *oktaEvent) string {
	var b strings.Builder
	if e.Actor != "" {
		b.WriteString(e.Actor)
	} else {
		b.WriteString("unknown actor")
	}
	b.WriteString(": ")
	if le.DisplayMessage != "" {
		b.WriteString(le.DisplayMessage)
	} else {
		b.WriteString(le.EventType)
	}
	if e.Target != "" {
		b.WriteString(" → " + e.Target)
	}
	if e.SrcIP != "" {
		b.WriteString(" from " + e.SrcIP)
		if e.Country != "" {
			b.WriteString(" (" + e.Country + ")")
		}
	}
	if e.IssuedID != "" {
		b.WriteString("; issued " + e.IssuedKind + " " + e.IssuedID)
	}
	if le.Outcome.Result != "" {
		b.WriteString(": " + le.Outcome.Result)
		if le.Outcome.Reason != "" {
			b.WriteString(" (" + truncate(le.Outcome.Reason, 200) + ")")
		}
	}
	return b.String()
}
