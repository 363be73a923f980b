package importers

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/csv"
	"errors"
	"io"
	"slices"
	"strings"

	json "github.com/goccy/go-json"

	"github.com/causeway-ir/causeway/timeline"
)

// entraSignin imports Microsoft Entra ID sign-in logs (formats.md §1): Graph
// API pages, PowerShell/Extractor-Suite arrays, Azure Monitor diagnostic
// records, Log Analytics/Sentinel table exports and the portal CSV download.
// All four sign-in types (interactive, non-interactive, service principal,
// managed identity) land here. A successful sign-in issues a token, named
// by its uniqueTokenIdentifier in the form tokens carry as `uti`.
type entraSignin struct {
	// slow turns the single-pass reader off: tests compare the two paths.
	slow bool
}

var _ timeline.Importer = entraSignin{}

// Name implements timeline.Importer.
func (entraSignin) Name() string { return "entra.signin" }

// signinCategories are the diagnostic-settings categories and the Log
// Analytics table names (Sentinel `Type`) that hold sign-ins.
var signinCategories = []string{
	"SignInLogs", "NonInteractiveUserSignInLogs", "ServicePrincipalSignInLogs",
	"ManagedIdentitySignInLogs", "MicrosoftServicePrincipalSignInLogs", "ADFSSignInLogs",
	"SigninLogs", "AADNonInteractiveUserSignInLogs", "AADServicePrincipalSignInLogs",
	"AADManagedIdentitySignInLogs",
}

// Match implements timeline.Importer. It looks for the sign-in object's own
// keys (uniqueTokenIdentifier, or createdDateTime with the sign-in client
// fields), a diagnostic or table category naming a sign-in log, or a CSV
// header with sign-in columns.
func (entraSignin) Match(_ string, head []byte) bool {
	switch firstNonSpace(head) {
	case '{', '[':
		if headKeyValue(head, "category", signinCategories...) || headKeyValue(head, "Category", signinCategories...) ||
			headKeyValue(head, "Type", signinCategories...) {
			return true
		}
		if headHasAny(head, "activityDisplayName", "ActivityDisplayName", "CreationTime", "eventName", "protoPayload") {
			return false // audit, UAL, CloudTrail, GCP records that may quote sign-in fields
		}
		if headHasAny(head, "uniqueTokenIdentifier", "UniqueTokenIdentifier") && headHasAny(head, "createdDateTime", "CreatedDateTime") {
			return true
		}
		return headHasAny(head, "createdDateTime", "CreatedDateTime") &&
			headHasAny(head, "appDisplayName", "AppDisplayName") &&
			headHasAny(head, "clientAppUsed", "ClientAppUsed", "isInteractive", "IsInteractive", "signInEventTypes",
				"conditionalAccessStatus", "ConditionalAccessStatus", "servicePrincipalCredentialKeyId")
	case 0:
		return false
	}
	h := csvHeaderNorm(head)
	if h == nil {
		return false
	}
	if h["uniquetokenidentifier"] || h["signinerrorcode"] {
		return true
	}
	return (h["dateutc"] || h["createddatetime"] || h["createddatetimeutc"]) &&
		(h["requestid"] || h["id"]) && (h["applicationid"] || h["appid"]) && (h["ipaddress"] || h["resourceid"] || h["resourceidentity"])
}

// signInOf is the Graph signIn resource (camelCase) and, because decoding
// matches keys case-insensitively, also a Log Analytics row (PascalCase)
// and a diagnostic-settings envelope: the envelope and table columns are
// named here too. S is string for the fast path (plain string fields
// decode about twice as fast) and flexString for the lenient retry of a
// record that gives a number or boolean where a string belongs; fields
// that hold numbers or booleans in some exports are always flexString.
type signInOf[S ~string] struct {
	ID                                   S                   `json:"id"`
	CreatedDateTime                      S                   `json:"createdDateTime"`
	UserPrincipalName                    S                   `json:"userPrincipalName"`
	UserID                               S                   `json:"userId"`
	UserDisplayName                      S                   `json:"userDisplayName"`
	AppID                                S                   `json:"appId"`
	AppDisplayName                       S                   `json:"appDisplayName"`
	ServicePrincipalID                   S                   `json:"servicePrincipalId"`
	ServicePrincipalName                 S                   `json:"servicePrincipalName"`
	IPAddress                            S                   `json:"ipAddress"`
	UserAgent                            S                   `json:"userAgent"`
	CorrelationID                        S                   `json:"correlationId"`
	SessionID                            S                   `json:"sessionId"`
	UniqueTokenIdentifier                S                   `json:"uniqueTokenIdentifier"`
	ResourceID                           S                   `json:"resourceId"`
	ResourceDisplayName                  S                   `json:"resourceDisplayName"`
	ResourceTenantID                     S                   `json:"resourceTenantId"`
	HomeTenantID                         S                   `json:"homeTenantId"`
	ServicePrincipalCredentialKeyID      S                   `json:"servicePrincipalCredentialKeyId"`
	ServicePrincipalCredentialThumbprint S                   `json:"servicePrincipalCredentialThumbprint"`
	ClientCredentialType                 S                   `json:"clientCredentialType"`
	IsInteractive                        flexString          `json:"isInteractive"`
	SignInEventTypes                     ualJSON             `json:"signInEventTypes"`
	Status                               signinStatusField   `json:"status"`
	Location                             signinLocationField `json:"location"`

	// Diagnostic-settings envelope (formats.md §1b).
	Properties      ualJSON    `json:"properties"`
	Category        S          `json:"category"`
	Time            S          `json:"time"`
	TenantID        S          `json:"tenantId"` // Entra tenant in diagnostics; the workspace in Log Analytics
	CallerIPAddress S          `json:"callerIpAddress"`
	ResultType      flexString `json:"resultType"`
	ResultDesc      S          `json:"resultDescription"`

	// Log Analytics / Sentinel columns (formats.md §1c).
	Type             S                   `json:"Type"`
	AADTenantID      S                   `json:"AADTenantId"`
	ResourceIdentity S                   `json:"ResourceIdentity"`
	LocationDetails  signinLocationField `json:"LocationDetails"`
	TimeGenerated    S                   `json:"TimeGenerated"`

	// Set by the CSV path only.
	csvCountry string
}

// signIn is the fast-path sign-in record.
type signIn = signInOf[string]

// signinStatus is the sign-in's status object.
type signinStatus struct {
	ErrorCode         flexString `json:"errorCode"`
	FailureReason     flexString `json:"failureReason"`
	AdditionalDetails flexString `json:"additionalDetails"`
}

// signinStatusField is the status object as an object (Graph,
// diagnostic), a string holding one (Log Analytics) or a plain word
// ("Success", in CSVs). Decoding it never fails the record.
type signinStatusField struct {
	signinStatus
	Text string // a status given as a plain word
}

// UnmarshalJSON implements json.Unmarshaler.
func (f *signinStatusField) UnmarshalJSON(b []byte) error {
	inner := flexJSON(b).Bytes()
	if isJSONObject(inner) {
		_ = json.Unmarshal(inner, &f.signinStatus)
		return nil
	}
	var s string
	if len(inner) > 0 && inner[0] == '"' && json.Unmarshal(inner, &s) == nil {
		f.Text = s
	}
	return nil
}

// signinLocationField keeps the country of a location given as an object
// (location, LocationDetails), a string holding one, or a country code
// (the diagnostic envelope's and Log Analytics' Location).
type signinLocationField struct{ Country string }

// UnmarshalJSON implements json.Unmarshaler.
func (f *signinLocationField) UnmarshalJSON(b []byte) error {
	inner := flexJSON(b).Bytes()
	switch {
	case isJSONObject(inner):
		var loc signinLocation
		if json.Unmarshal(inner, &loc) == nil {
			f.Country = string(loc.CountryOrRegion)
		}
	case len(inner) > 2 && inner[0] == '"':
		var s string
		if json.Unmarshal(inner, &s) == nil && len(s) <= 3 {
			f.Country = s
		}
	}
	return nil
}

// signinLocation is the sign-in's location object.
type signinLocation struct {
	City            flexString `json:"city"`
	CountryOrRegion flexString `json:"countryOrRegion"`
}

// Import implements timeline.Importer.
func (imp entraSignin) Import(ctx context.Context, r io.Reader, src timeline.Source, out timeline.Emitter) error {
	br := bufio.NewReaderSize(r, headSize)
	head, _ := br.Peek(headSize) // a short file is fine: Peek returns what there is
	switch firstNonSpace(head) {
	case '{', '[':
	case 0:
		return nil
	default:
		return imp.importCSV(ctx, br, src, out)
	}
	d := &signinDecoder{imp: imp, src: src, out: out, fileShape: jsonFileShape(head)}
	fast := d.read
	if imp.slow {
		fast = nil
	}
	return streamJSONFast(ctx, br, signinEnvelopes, imp.Name(), src, out, fast, d.record)
}

// signinEnvelopes are the keys of the arrays that hold sign-ins: a Graph
// page's value, a diagnostic blob's records.
var signinEnvelopes = []string{"value", "records"}

// read is the splitter's fast reader (streamJSONFast): it reads the
// sign-in at the start of b in place and returns its length, or fastAside to
// leave the object to the splitter (an envelope, a record the reader
// does not vouch for, or one that goes past b). record then moves what it
// read to the record's own copy instead of reading the record again.
func (d *signinDecoder) read(b []byte) int {
	return d.inPlace.read(b, func(view string) (int, bool) {
		return d.quick.scanAt(view, func(k string) bool { return slices.Contains(signinEnvelopes, k) })
	})
}

// signinDecoder maps the JSON records of one file.
type signinDecoder struct {
	imp              entraSignin
	src              timeline.Source
	out              timeline.Emitter
	fileShape        string
	fast             signIn         // reused: records are decoded one at a time
	quick, quickProp signIn         // the single-pass reader's record and properties
	ev               timeline.Event // reused: the emitter copies what it keeps
	inPlace          inPlace        // the record read by read
}

// record maps one record at offset off.
func (d *signinDecoder) record(rec []byte, off int64) error {
	imp, src, out := d.imp, d.src, d.out
	if !imp.slow {
		e := &d.ev
		var inPlace bool
		*e, inPlace = d.inPlace.event(imp.Name(), d.fileShape, src, off, rec)
		if ok, err := d.quickSignin(e, inPlace); ok {
			if err != nil {
				return err
			}
			if err := finish(e); err != nil {
				return err
			}
			return out.Emit(e)
		}
	}
	var e timeline.Event
	err := decodeLenient(func() error {
		e = newEvent(imp.Name(), d.fileShape, src, off, rec)
		return decodeSignin(&e, rec, &d.fast)
	}, func() error {
		e = newEvent(imp.Name(), d.fileShape, src, off, rec)
		return decodeSignin(&e, rec, new(signInOf[flexString]))
	})
	if err != nil {
		return err
	}
	if err := finish(&e); err != nil {
		return err
	}
	return out.Emit(&e)
}

// quickSignin is decodeSignin on the single-pass reader: false when the
// reader steps aside (the record then takes the decoder's path). read has
// already read a record inPlace; another is read here, from e.Raw.
func (d *signinDecoder) quickSignin(e *timeline.Event, inPlace bool) (bool, error) {
	s := &d.quick
	if !inPlace && !s.scan(e.Raw) {
		return false, nil
	}
	env, in := s, s
	switch p := s.Properties.text; {
	case p != "" && p[0] == '{':
		if !d.quickProp.scan(p) {
			return false, nil
		}
		in, e.Shape = &d.quickProp, "diagnostic"
	case isSigninCategory(s.Category) && s.Time != "" && s.CreatedDateTime == "":
		e.Shape = "diagnostic"
	case s.AADTenantID != "" || s.ResourceIdentity != "" || s.TimeGenerated != "" || isSigninCategory(s.Type):
		e.Shape = "sentinel"
	}
	return true, mapSignin(e, env, in, e.Shape)
}

// decodeLenient runs fast, a decoding with plain string fields, and when
// that fails to decode (a number or boolean where a string belongs) runs
// lenient, the same with flexString fields. A record that still cannot be
// decoded is rejected; a recordError from either passes through.
func decodeLenient(fast, lenient func() error) error {
	err := fast()
	if _, isRecord := errors.AsType[*recordError](err); err == nil || isRecord {
		return err
	}
	err = lenient()
	if _, isRecord := errors.AsType[*recordError](err); err == nil || isRecord {
		return err
	}
	return rejectf("decode: %w", err)
}

// decodeSignin decodes one JSON sign-in record into e (whose Shape holds
// the file's shape). A decoding error comes back as it is, a record that
// cannot be normalized as a recordError.
func decodeSignin[S ~string](e *timeline.Event, rec []byte, s *signInOf[S]) error {
	*s = signInOf[S]{}
	if err := json.UnmarshalOf(rec, s); err != nil {
		return err
	}
	env, in := s, s
	switch {
	case isJSONObject(s.Properties.flex.Bytes()):
		var p signInOf[S]
		if err := s.Properties.flex.Decode(&p); err != nil {
			return err
		}
		in, e.Shape = &p, "diagnostic"
	case isSigninCategory(string(s.Category)) && s.Time != "" && s.CreatedDateTime == "":
		// A diagnostic record whose properties were left out.
		e.Shape = "diagnostic"
	case s.AADTenantID != "" || s.ResourceIdentity != "" || s.TimeGenerated != "" || isSigninCategory(string(s.Type)):
		e.Shape = "sentinel"
	}
	return mapSignin(e, env, in, e.Shape)
}

// jsonFileShape names the variant of a JSON sign-in or audit export from its
// first bytes: a Graph page ({"value":[…]}), a PowerShell ConvertTo-Json
// array (BOM, or its two-space "key":  value indentation), or another bare
// array or NDJSON (the portal's JSON download, scripts).
func jsonFileShape(head []byte) string {
	switch {
	case headHasKey(head, "@odata.context") || headHasKey(head, "@odata.nextLink") || firstKeyIs(head, "value"):
		return "graph"
	case bytes.HasPrefix(head, []byte("\xef\xbb\xbf")) || bytes.Contains(head[:min(len(head), 4096)], []byte("\":  ")):
		return "powershell"
	}
	return "json"
}

// firstKeyIs reports whether head is a JSON object whose first member is
// named key.
func firstKeyIs(head []byte, key string) bool {
	head = bytes.TrimLeft(stripBOM(head), " \t\r\n")
	if len(head) == 0 || head[0] != '{' {
		return false
	}
	head = bytes.TrimLeft(head[1:], " \t\r\n")
	return bytes.HasPrefix(head, []byte(`"`+key+`"`))
}

// mapSignin fills e from a sign-in: in holds the sign-in object, env the
// record around it (the same value except in diagnostic records).
func mapSignin[S ~string](e *timeline.Event, env, in *signInOf[S], shape string) error {
	sentinel := shape == "sentinel"
	created := string(in.CreatedDateTime)
	if created == "" && shape == "diagnostic" {
		created = string(env.Time) // the envelope's time is the sign-in's, in UTC
	}
	t, err := parseTime(created)
	if err != nil {
		if sentinel && created == "" {
			return rejectf("no CreatedDateTime (TimeGenerated is ingestion time, not the sign-in's)")
		}
		return rejectErr(err)
	}
	e.Time = t
	e.Category = timeline.CategorySignin
	e.ID = lower(string(in.ID))

	kind := signinKind(env, in)
	e.Action = kind
	switch kind {
	case "servicePrincipal", "microsoftServicePrincipal":
		e.ActorKind = timeline.ActorServicePrincipal
	case "managedIdentity":
		e.ActorKind = timeline.ActorManagedIdentity
	case "interactiveUser", "nonInteractiveUser", "adfs":
		e.ActorKind = timeline.ActorUser
	}
	upn, uid, spid := lower(string(in.UserPrincipalName)), lower(string(in.UserID)), lower(string(in.ServicePrincipalID))
	switch {
	case e.ActorKind == timeline.ActorServicePrincipal || e.ActorKind == timeline.ActorManagedIdentity:
		e.Actor = firstNonEmpty(spid, upn, uid)
	case upn != "" || uid != "":
		e.Actor = firstNonEmpty(upn, uid)
		e.ActorKind = timeline.ActorUser
	case spid != "":
		e.Actor = spid
		e.ActorKind = timeline.ActorServicePrincipal
	}

	// Tenants. In a Log Analytics row TenantId is the workspace: the Entra
	// tenant is AADTenantId (formats.md §1c).
	e.Tenant = lower(string(in.ResourceTenantID))
	if e.Tenant == "" {
		switch {
		case sentinel:
			e.Tenant = lower(string(env.AADTenantID))
		case shape == "diagnostic":
			e.Tenant = lower(string(env.TenantID))
		}
	}
	if home := lower(string(in.HomeTenantID)); home != "" && home != e.Tenant {
		e.ActorTenant = home
	}

	e.AppID = lower(string(in.AppID))
	e.AppName = string(in.AppDisplayName)
	if sentinel {
		e.ResourceApp = lower(string(in.ResourceIdentity)) // ResourceId is the ARM path there
	} else {
		e.ResourceApp = lower(string(in.ResourceID))
	}
	e.SessionID = lower(string(in.SessionID))
	e.CorrelationID = lower(string(in.CorrelationID))
	if e.CorrelationID == "" {
		e.CorrelationID = lower(string(env.CorrelationID))
	}
	e.KeyID = lower(firstNonEmpty(string(in.ServicePrincipalCredentialKeyID), string(in.ServicePrincipalCredentialThumbprint)))
	e.SrcIP = msIP(firstNonEmpty(string(in.IPAddress), string(env.CallerIPAddress)))
	e.UserAgent = string(in.UserAgent)
	e.Country = signinCountry(env, in)

	// Outcome: status.errorCode (0 is success; a success may still carry
	// failureReason "Other."), else the envelope's resultType.
	st := in.Status.signinStatus
	code := strings.TrimSpace(string(st.ErrorCode))
	if code == "" {
		code = strings.TrimSpace(string(env.ResultType))
	}
	switch {
	case code == "0":
		e.Outcome = timeline.OutcomeSuccess
	case code != "":
		e.Outcome = timeline.OutcomeFailure
		e.Reason = code
		if why := firstNonEmpty(string(st.FailureReason), string(env.ResultDesc)); why != "" {
			e.Reason = code + ": " + why
		}
	default:
		switch strings.ToLower(in.Status.Text) {
		case "success":
			e.Outcome = timeline.OutcomeSuccess
		case "failure", "failed":
			e.Outcome = timeline.OutcomeFailure
			e.Reason = string(st.FailureReason)
		}
	}

	// A sign-in that did not fail issued a token; a failed one issued none,
	// whatever identifier it was logged with.
	if uti := normalizeUTI(string(in.UniqueTokenIdentifier)); uti != "" && e.Outcome != timeline.OutcomeFailure {
		e.IssuedKind = timeline.IssuedToken
		e.IssuedID = uti
	}
	if e.Actor == "" {
		e.ActorKind = "" // the log category says what kind, but names nobody
	}
	e.Message = signinMessage(e, kind, string(in.ResourceDisplayName), string(in.AppDisplayName))
	if e.Actor == "" && e.AppID == "" && e.SrcIP == "" && e.ResourceApp == "" && in.ResourceDisplayName == "" {
		e.Message = "sign-in record without sign-in details (" + kind + ")"
	}
	return nil
}

// signinKind names the sign-in type in Graph's signInEventTypes words,
// from the record's own list, else its diagnostic category or table, else
// the credential type.
func signinKind[S ~string](env, in *signInOf[S]) string {
	// The list as it is (an array, or JSON in a string): the names are
	// distinct as quoted words, so no decoding is needed.
	if text := in.SignInEventTypes.text; text != "" {
		// From the single-pass reader: never JSON in a string.
		for _, t := range [...]string{"interactiveUser", "nonInteractiveUser", "servicePrincipal", "managedIdentity"} {
			if strings.Contains(text, `"`+t+`"`) {
				return t
			}
		}
	} else if types := in.SignInEventTypes.flex.Bytes(); len(types) > 0 {
		for _, t := range [...]string{"interactiveUser", "nonInteractiveUser", "servicePrincipal", "managedIdentity"} {
			if bytes.Contains(types, []byte(`"`+t+`"`)) {
				return t
			}
		}
	}
	switch strings.ToLower(firstNonEmpty(string(env.Category), string(env.Type), string(in.Category))) {
	case "signinlogs":
		return "interactiveUser"
	case "noninteractiveusersigninlogs", "aadnoninteractiveusersigninlogs":
		return "nonInteractiveUser"
	case "serviceprincipalsigninlogs", "aadserviceprincipalsigninlogs":
		return "servicePrincipal"
	case "microsoftserviceprincipalsigninlogs":
		return "microsoftServicePrincipal"
	case "managedidentitysigninlogs", "aadmanagedidentitysigninlogs":
		return "managedIdentity"
	case "adfssigninlogs":
		return "adfs"
	}
	if strings.EqualFold(string(in.ClientCredentialType), "managedIdentity") {
		return "managedIdentity"
	}
	switch strings.ToLower(string(in.IsInteractive)) {
	case "true":
		return "interactiveUser"
	case "false":
		if in.UserPrincipalName != "" || in.UserID != "" {
			return "nonInteractiveUser"
		}
	}
	if in.UserPrincipalName == "" && in.UserID == "" && in.ServicePrincipalID != "" {
		return "servicePrincipal"
	}
	return "signIn"
}

// signinCountry reads location.countryOrRegion (an object in Graph, the
// LocationDetails column in Log Analytics), else a plain country code.
func signinCountry[S ~string](env, in *signInOf[S]) string {
	if in.csvCountry != "" {
		return in.csvCountry
	}
	return firstNonEmpty(in.LocationDetails.Country, in.Location.Country, env.Location.Country)
}

// signinMessage writes the readable line for a sign-in.
func signinMessage(e *timeline.Event, kind, resource, app string) string {
	var b strings.Builder
	b.WriteString(firstNonEmpty(e.Actor, "unknown principal"))
	switch kind {
	case "interactiveUser":
		b.WriteString(" signed in")
	case "nonInteractiveUser":
		b.WriteString(" signed in non-interactively")
	case "servicePrincipal", "microsoftServicePrincipal":
		b.WriteString(" signed in as service principal")
	case "managedIdentity":
		b.WriteString(" signed in as managed identity")
	default:
		b.WriteString(" signed in")
	}
	if r := firstNonEmpty(resource, e.ResourceApp); r != "" {
		b.WriteString(" to " + r)
	}
	if a := firstNonEmpty(app, e.AppID); a != "" && a != resource {
		b.WriteString(" with " + a)
	}
	if e.KeyID != "" {
		b.WriteString(" using key " + e.KeyID)
	}
	if e.SrcIP != "" {
		b.WriteString(" from " + e.SrcIP)
		if e.Country != "" {
			b.WriteString(" (" + e.Country + ")")
		}
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

// importCSV reads a CSV sign-in export: the portal download (headers such
// as "Date (UTC)", "Unique token identifier") or a Log Analytics "Export to
// CSV" (PascalCase columns, "CreatedDateTime [UTC]", dynamic columns as
// JSON text). Columns are matched by normalized header text, never by
// position: the portal's header names are not documented.
func (imp entraSignin) importCSV(ctx context.Context, r io.Reader, src timeline.Source, out timeline.Emitter) error {
	var cols map[string]int
	var shape string
	return streamCSV(ctx, r, imp.Name(), src, out, func(row *csvRow) error {
		if cols == nil {
			cols = normHeaderMap(row.header)
			shape = "portal-csv"
			if has(cols, "aadtenantid") || has(cols, "resourceidentity") || has(cols, "timegeneratedutc") || has(cols, "timegenerated") {
				shape = "sentinel"
			}
		}
		get := func(names ...string) string {
			for _, n := range names {
				if i, ok := cols[n]; ok && i < len(row.fields) {
					if v := strings.TrimSpace(row.fields[i]); v != "" {
						return v
					}
				}
			}
			return ""
		}
		s := signIn{
			ID:                                   get("requestid", "id"),
			CreatedDateTime:                      get("dateutc", "createddatetimeutc", "createddatetime", "date"),
			UserPrincipalName:                    get("username", "userprincipalname"),
			UserID:                               get("userid"),
			UserDisplayName:                      get("user", "userdisplayname"),
			AppID:                                get("applicationid", "appid"),
			AppDisplayName:                       get("application", "appdisplayname"),
			ServicePrincipalID:                   get("serviceprincipalid"),
			ServicePrincipalName:                 get("serviceprincipalname"),
			IPAddress:                            get("ipaddress"),
			UserAgent:                            get("useragent"),
			CorrelationID:                        get("correlationid"),
			SessionID:                            get("sessionid"),
			UniqueTokenIdentifier:                get("uniquetokenidentifier"),
			ResourceDisplayName:                  get("resource", "resourcedisplayname"),
			ResourceTenantID:                     get("resourcetenantid"),
			HomeTenantID:                         get("hometenantid"),
			ServicePrincipalCredentialKeyID:      get("credentialkeyid", "serviceprincipalcredentialkeyid"),
			ServicePrincipalCredentialThumbprint: get("credentialthumbprint", "serviceprincipalcredentialthumbprint"),
			ClientCredentialType:                 get("clientcredentialtype"),
			IsInteractive:                        flexString(get("isinteractive")),
			Category:                             get("category"),
			Type:                                 get("type"),
			AADTenantID:                          get("aadtenantid"),
			ResourceIdentity:                     get("resourceidentity"),
			ResultType:                           flexString(get("signinerrorcode", "resulttype", "errorcode")),
			ResultDesc:                           get("failurereason", "resultdescription"),
		}
		if shape == "sentinel" {
			_ = s.Status.UnmarshalJSON(jsonText(get("status")))
			_ = s.LocationDetails.UnmarshalJSON(jsonText(get("locationdetails")))
			_ = s.Location.UnmarshalJSON(jsonText(get("location")))
		} else {
			s.ResourceID = get("resourceid")
			s.Status.Text = get("status")
			s.csvCountry = portalCountry(get("location", "country", "countryorregion"))
		}
		if st := get("signineventtypes", "signineventtype"); st != "" {
			s.SignInEventTypes = ualJSON{flex: jsonText(st)}
		}
		e := newEvent(imp.Name(), shape, src, row.offset, nil)
		e.Raw = row.rawJSON()
		if err := mapSignin(&e, &s, &s, shape); err != nil {
			return err
		}
		if err := finish(&e); err != nil {
			return err
		}
		return out.Emit(&e)
	})
}

// portalCountry takes the country from the portal's "City, State, CC"
// location text: the last part when it is a two-letter code.
func portalCountry(loc string) string {
	if i := strings.LastIndexByte(loc, ','); i >= 0 {
		loc = loc[i+1:]
	}
	loc = strings.TrimSpace(loc)
	if len(loc) == 2 {
		return loc
	}
	return ""
}

// jsonText makes a flexJSON of a CSV cell: JSON text stays as it is, any
// other text becomes a JSON string.
func jsonText(s string) flexJSON {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	if s[0] == '{' || s[0] == '[' || s[0] == '"' {
		return flexJSON(s)
	}
	b, _ := json.Marshal(s)
	return flexJSON(b)
}

// ---- Helpers shared by the Microsoft importers (entra.signin, entra.audit,
// m365.ual, azure.activity). ----

// normalizeUTI returns a token identifier in the form tokens carry as `uti`:
// base64url, unpadded, of the 16 bytes of the sign-in id in little-endian
// GUID layout (formats.md §1a). It converts the older diagnostic form
// (base64 of the GUID *text*), a bare GUID, and padded or standard-alphabet
// base64 of the 16 bytes. Anything else is kept as given.
func normalizeUTI(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if g, ok := parseGUID(s); ok {
		return base64.RawURLEncoding.EncodeToString(g[:])
	}
	if len(s) == 22 && isBase64URL(s) {
		return s
	}
	t := strings.TrimRight(s, "=")
	if !isBase64URL(t) {
		t = strings.NewReplacer("+", "-", "/", "_").Replace(t)
	}
	if b, err := base64.RawURLEncoding.DecodeString(t); err == nil {
		if len(b) == 16 {
			return base64.RawURLEncoding.EncodeToString(b)
		}
		if g, ok := parseGUID(string(b)); ok {
			return base64.RawURLEncoding.EncodeToString(g[:])
		}
	}
	return s
}

// parseGUID reads 8-4-4-4-12 hex text (braces allowed) into its 16 bytes in
// the little-endian layout Windows and Entra use (the first three groups
// byte-reversed).
func parseGUID(s string) ([16]byte, bool) {
	var g [16]byte
	s = strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return g, false
	}
	var raw [16]byte
	j := 0
	for i := 0; i < 36; {
		if s[i] == '-' {
			i++
			continue
		}
		hi, ok1 := hexVal(s[i])
		lo, ok2 := hexVal(s[i+1])
		if !ok1 || !ok2 {
			return g, false
		}
		raw[j] = hi<<4 | lo
		j++
		i += 2
	}
	g = raw
	g[0], g[1], g[2], g[3] = raw[3], raw[2], raw[1], raw[0]
	g[4], g[5] = raw[5], raw[4]
	g[6], g[7] = raw[7], raw[6]
	return g, true
}

func hexVal(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func isBase64URL(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// msIP cleans a Microsoft client address (cleanIP) and drops 0.0.0.0,
// which Entra and the UAL write when they have no address.
func msIP(s string) string {
	ip := cleanIP(s)
	if ip == "0.0.0.0" {
		return ""
	}
	return ip
}

// isSigninCategory reports whether c names a sign-in log category or table.
func isSigninCategory(c string) bool {
	for _, s := range signinCategories {
		if strings.EqualFold(c, s) {
			return true
		}
	}
	return false
}

// isJSONObject reports whether b is JSON text starting an object.
func isJSONObject(b []byte) bool { return len(b) > 0 && b[0] == '{' }

// firstNonEmpty returns the first argument that is not blank.
func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		// A first byte that is ASCII and no space is not blank.
		if s != "" && (s[0] > ' ' && s[0] < 0x80 || strings.TrimSpace(s) != "") {
			return s
		}
	}
	return ""
}

// has reports whether a normalized header map holds the column.
func has(cols map[string]int, name string) bool {
	_, ok := cols[name]
	return ok
}

// normHeader reduces a CSV column name to lower-case letters and digits:
// "Date (UTC)" → "dateutc", "IP address" → "ipaddress",
// "CreatedDateTime [UTC]" → "createddatetimeutc".
func normHeader(s string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(s) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// normHeaderMap re-keys a CSV header by normalized column name (the first
// of duplicates wins).
func normHeaderMap(header map[string]int) map[string]int {
	m := make(map[string]int, len(header))
	for name, i := range header {
		n := normHeader(name)
		if j, ok := m[n]; !ok || i < j {
			m[n] = i
		}
	}
	return m
}

// csvHeaderNorm parses the first line of head (after a BOM and a PowerShell
// "#TYPE" line) as a CSV header and returns its normalized column names, or
// nil when it is not one.
func csvHeaderNorm(head []byte) map[string]bool {
	head = stripBOM(head)
	line, rest, _ := bytes.Cut(head, []byte("\n"))
	if bytes.HasPrefix(line, []byte("#TYPE")) {
		line, _, _ = bytes.Cut(rest, []byte("\n"))
	}
	cr := csv.NewReader(bytes.NewReader(line))
	cr.LazyQuotes = true
	fields, err := cr.Read()
	if err != nil || len(fields) < 2 {
		return nil
	}
	m := make(map[string]bool, len(fields))
	for _, f := range fields {
		m[normHeader(f)] = true
	}
	return m
}

// headKeyValue reports whether head holds the JSON member "key": "value"
// (unescaped, white space allowed around the colon) for one of values.
func headKeyValue(head []byte, key string, values ...string) bool {
	found := false
	next := 0 // where the next "key" may start: occurrences do not overlap
	eachKeyAt(head, key, func(at int) bool {
		q := at - 1 // the opening quote
		if q < next || head[q] != '"' || at+len(key) >= len(head) || head[at+len(key)] != '"' {
			return true
		}
		next = at + len(key) + 1
		if q > 0 && head[q-1] == '\\' {
			return true // \"key\": a key inside a string
		}
		t := bytes.TrimLeft(head[next:], " \t\r\n")
		if len(t) == 0 || t[0] != ':' {
			return true
		}
		t = bytes.TrimLeft(t[1:], " \t\r\n")
		if len(t) == 0 || t[0] != '"' {
			return true
		}
		t = t[1:]
		for _, v := range values {
			if bytes.HasPrefix(t, []byte(v)) && len(t) > len(v) && t[len(v)] == '"' {
				found = true
				return false
			}
		}
		return true
	})
	return found
}
