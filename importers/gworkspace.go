package importers

import (
	"bytes"
	"context"
	"io"
	"strconv"
	"strings"
	"time"

	json "github.com/goccy/go-json"

	"github.com/causeway-ir/causeway/timeline"
)

// gworkspace imports Google Workspace Reports API activities (formats.md
// §8): the activities.list page {"kind":"admin#reports#activities",
// "items":[…]} ("api") and one activity a line ("ndjson"). An activity's
// "events" is an array in the API and a single object in some exports (the
// Elastic fixtures); both are read.
//
// One Event per activity event. Its id is
// "<applicationName>/<id.time>/<id.uniqueQualifier>/<index of the event in
// the activity>": the API documents uniqueQualifier as unique only among
// activities of the same time, so time and application are part of the
// key, and the index tells apart the events of one activity. All events
// of an activity share its raw record and offset.
type gworkspace struct{}

var _ timeline.Importer = gworkspace{}

// Name implements timeline.Importer.
func (gworkspace) Name() string { return "gworkspace.reports" }

// Match implements timeline.Importer.
func (gworkspace) Match(_ string, head []byte) bool {
	return bytes.Contains(head, []byte(`"admin#reports#activit`)) ||
		headHasAll(head, "uniqueQualifier", "applicationName", "events") && headHasKey(head, "actor")
}

// Import implements timeline.Importer.
func (g gworkspace) Import(ctx context.Context, r io.Reader, src timeline.Source, out timeline.Emitter) error {
	br, head, err := peekHead(r, src)
	if err != nil {
		return err
	}
	shape := "ndjson"
	if bytes.Contains(head, []byte(`"admin#reports#activities"`)) || ctFirstKeyIs(head, "items") {
		shape = "api"
	}
	var e timeline.Event
	return streamJSON(ctx, br, []string{"items"}, g.Name(), src, out, func(raw []byte, off int64) error {
		var a gwActivity
		if err := json.Unmarshal(raw, &a); err != nil {
			return rejectf("not a Reports API activity: %v", err)
		}
		t, err := parseTime(a.ID.Time)
		if err != nil {
			return rejectErr(err)
		}
		events, err := a.events()
		if err != nil {
			return rejectf("events: %v", err)
		}
		if len(events) == 0 {
			return rejectf("activity has no events")
		}
		for i := range events {
			e = newEvent(g.Name(), shape, src, off, raw)
			e.Time = t
			a.fill(&e, &events[i], i)
			if err := finish(&e); err != nil {
				return err
			}
			if err := out.Emit(&e); err != nil {
				return err
			}
		}
		return nil
	})
}

// gwActivity is one Reports API activity
// (https://developers.google.com/admin-sdk/reports/reference/rest/v1/activities).
type gwActivity struct {
	ID struct {
		Time            string     `json:"time"`
		UniqueQualifier flexString `json:"uniqueQualifier"`
		ApplicationName string     `json:"applicationName"`
		CustomerID      string     `json:"customerId"`
	} `json:"id"`
	Actor struct {
		CallerType string     `json:"callerType"`
		Email      string     `json:"email"`
		ProfileID  flexString `json:"profileId"`
		Key        string     `json:"key"`
	} `json:"actor"`
	IPAddress   string   `json:"ipAddress"`
	OwnerDomain string   `json:"ownerDomain"`
	Events      flexJSON `json:"events"`
}

type gwEvent struct {
	Type       string    `json:"type"`
	Name       string    `json:"name"`
	Parameters []gwParam `json:"parameters"`
}

// gwParam is one event parameter; exactly one value field is set.
type gwParam struct {
	Name          string       `json:"name"`
	Value         flexString   `json:"value"`
	IntValue      flexString   `json:"intValue"`
	BoolValue     *bool        `json:"boolValue"`
	MultiValue    []flexString `json:"multiValue"`
	MultiIntValue []flexString `json:"multiIntValue"`
}

// text renders the parameter's value.
func (p *gwParam) text() string {
	switch {
	case p.Value != "":
		return string(p.Value)
	case p.IntValue != "":
		return string(p.IntValue)
	case p.BoolValue != nil:
		return strconv.FormatBool(*p.BoolValue)
	case len(p.MultiValue) > 0:
		s := make([]string, len(p.MultiValue))
		for i, v := range p.MultiValue {
			s[i] = string(v)
		}
		return strings.Join(s, ",")
	case len(p.MultiIntValue) > 0:
		s := make([]string, len(p.MultiIntValue))
		for i, v := range p.MultiIntValue {
			s[i] = string(v)
		}
		return strings.Join(s, ",")
	}
	return ""
}

// events returns the activity's events, from an array or a single object.
func (a *gwActivity) events() ([]gwEvent, error) {
	b := bytes.TrimSpace(a.Events.Bytes())
	switch {
	case len(b) == 0 || string(b) == "null":
		return nil, nil
	case b[0] == '{':
		var one gwEvent
		if err := json.Unmarshal(b, &one); err != nil {
			return nil, err
		}
		return []gwEvent{one}, nil
	}
	var many []gwEvent
	err := json.Unmarshal(b, &many)
	return many, err
}

// param returns the text of the first named parameter present.
func (ev *gwEvent) param(names ...string) string {
	for _, n := range names {
		for i := range ev.Parameters {
			if ev.Parameters[i].Name == n {
				if v := ev.Parameters[i].text(); v != "" {
					return v
				}
			}
		}
	}
	return ""
}

// fill maps activity event i onto e.
func (a *gwActivity) fill(e *timeline.Event, ev *gwEvent, i int) {
	app := a.ID.ApplicationName
	e.ID = app + "/" + a.ID.Time + "/" + string(a.ID.UniqueQualifier) + "/" + strconv.Itoa(i)
	e.Action = ev.Name
	e.Tenant = a.ID.CustomerID
	e.SrcIP = cleanIP(a.IPAddress)
	switch {
	case a.Actor.Email != "":
		e.Actor = lower(a.Actor.Email)
	case a.Actor.Key != "":
		e.Actor = a.Actor.Key
	case a.Actor.ProfileID != "":
		e.Actor = string(a.Actor.ProfileID)
	}
	switch {
	case e.Actor == "":
	case a.Actor.CallerType == "KEY":
		e.ActorKind = timeline.ActorService
	case a.Actor.CallerType == "USER" || a.Actor.Email != "":
		e.ActorKind = timeline.ActorUser
	default:
		e.ActorKind = timeline.ActorUnknown
	}

	e.Outcome = timeline.OutcomeSuccess
	name := ev.Name
	switch app {
	case "login", "saml":
		e.Category = timeline.CategorySignin
		switch {
		case name == "login_failure" || name == "failed_login":
			e.Outcome, e.Reason = timeline.OutcomeFailure, ev.param("login_failure_type", "failure_type", "status_code")
		case name == "login_challenge" || name == "login_verification":
			switch st := strings.ToLower(ev.param("login_challenge_status")); {
			case strings.Contains(st, "pass"):
			case strings.Contains(st, "fail"):
				e.Outcome, e.Reason = timeline.OutcomeFailure, ev.param("login_challenge_status")
			default:
				e.Outcome = timeline.OutcomeUnknown
			}
		case name == "login_success" || name == "logout" || name == "risky_sensitive_action_allowed" || name == "login_success_saml":
		case strings.HasPrefix(name, "account_disabled"):
			e.Category, e.Outcome = timeline.CategoryOther, timeline.OutcomeUnknown
		default: // warnings (suspicious_login, gov_attack_warning, …)
			e.Outcome = timeline.OutcomeUnknown
		}
	case "token":
		e.Category = timeline.CategoryToken
		e.AppID, e.AppName = ev.param("client_id"), ev.param("app_name")
	case "admin":
		e.Category = timeline.CategoryAdmin
		if strings.Contains(name, "PASSWORD") && !strings.Contains(name, "RECOVERY") || strings.Contains(name, "VERIFICATION_CODES") ||
			strings.Contains(name, "SECURITY_KEY") || strings.Contains(name, "ASP") && strings.HasPrefix(name, "REVOKE") {
			e.Category = timeline.CategoryCredential
		}
		e.AppID, e.AppName = ev.param("OAUTH2_APP_ID"), ev.param("OAUTH2_APP_NAME")
	case "drive":
		e.Category = timeline.CategoryFile
	case "gmail":
		e.Category = timeline.CategoryMail
	default:
		e.Category = timeline.CategoryOther
	}

	switch {
	case ev.param("affected_email_address", "USER_EMAIL", "target_user") != "":
		e.Target, e.TargetKind = lower(ev.param("affected_email_address", "USER_EMAIL", "target_user")), string(timeline.KindIdentity)
	case e.AppID != "":
		e.Target, e.TargetKind = e.AppID, string(timeline.KindApp)
	case ev.param("doc_id") != "":
		e.Target, e.TargetKind = ev.param("doc_id"), string(timeline.KindResource)
	case ev.param("GROUP_EMAIL") != "":
		e.Target, e.TargetKind = lower(ev.param("GROUP_EMAIL")), string(timeline.KindResource)
	case ev.param("ORG_UNIT_NAME", "DOMAIN_NAME") != "":
		e.Target, e.TargetKind = ev.param("ORG_UNIT_NAME", "DOMAIN_NAME"), string(timeline.KindResource)
	}
	e.Message = gwMessage(e, a, ev)
}

// gwMessage writes the readable line: who, what, the parameters, where.
func gwMessage(e *timeline.Event, a *gwActivity, ev *gwEvent) string {
	var b strings.Builder
	if e.Actor != "" {
		b.WriteString(e.Actor)
	} else {
		b.WriteString("unknown actor")
	}
	b.WriteString(" " + a.ID.ApplicationName + ":" + ev.Name)
	if len(ev.Parameters) > 0 {
		b.WriteString(" (")
		for i := range ev.Parameters {
			p := &ev.Parameters[i]
			if i > 0 {
				b.WriteString(", ")
			}
			v := p.text()
			// Epoch-microsecond parameters (login_timestamp) read as times.
			if strings.HasSuffix(p.Name, "_timestamp") && p.IntValue != "" {
				if t, err := parseTime(v); err == nil {
					v = t.Format(time.RFC3339Nano)
				}
			}
			b.WriteString(p.Name + "=" + truncate(v, 200))
		}
		b.WriteByte(')')
	}
	if e.SrcIP != "" {
		b.WriteString(" from " + e.SrcIP)
	}
	return b.String()
}
