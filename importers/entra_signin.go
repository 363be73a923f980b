package importers

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/csv"
	"io"
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
type entraSignin struct{}

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

// signIn is the Graph signIn resource (camelCase) and, because decoding
// matches keys case-insensitively, also a Log Analytics row (PascalCase)
// and a diagnostic-settings envelope: the envelope and table columns are
// named here too. Scalars are flexString: exports give numbers and
// booleans as strings.
type signIn struct {
	ID                                   flexString `json:"id"`
	CreatedDateTime                      flexString `json:"createdDateTime"`
	UserPrincipalName                    flexString `json:"userPrincipalName"`
	UserID                               flexString `json:"userId"`
	UserDisplayName                      flexString `json:"userDisplayName"`
	AppID                                flexString `json:"appId"`
	AppDisplayName                       flexString `json:"appDisplayName"`
	ServicePrincipalID                   flexString `json:"servicePrincipalId"`
	ServicePrincipalName                 flexString `json:"servicePrincipalName"`
	IPAddress                            flexString `json:"ipAddress"`
	UserAgent                            flexString `json:"userAgent"`
	CorrelationID                        flexString `json:"correlationId"`
	SessionID                            flexString `json:"sessionId"`
	UniqueTokenIdentifier                flexString `json:"uniqueTokenIdentifier"`
	ResourceID                           flexString `json:"resourceId"`
	ResourceDisplayName                  flexString `json:"resourceDisplayName"`
	ResourceTenantID                     flexString `json:"resourceTenantId"`
	HomeTenantID                         flexString `json:"homeTenantId"`
	ServicePrincipalCredentialKeyID      flexString `json:"servicePrincipalCredentialKeyId"`
	ServicePrincipalCredentialThumbprint flexString `json:"servicePrincipalCredentialThumbprint"`
	ClientCredentialType                 flexString `json:"clientCredentialType"`
	IsInteractive                        flexString `json:"isInteractive"`
	SignInEventTypes                     flexJSON   `json:"signInEventTypes"`
	Status                               flexJSON   `json:"status"`
	Location                             flexJSON   `json:"location"`

	// Diagnostic-settings envelope (formats.md §1b).
	Properties      flexJSON   `json:"properties"`
	Category        flexString `json:"category"`
	Time            flexString `json:"time"`
	TenantID        flexString `json:"tenantId"` // Entra tenant in diagnostics; the workspace in Log Analytics
	CallerIPAddress flexString `json:"callerIpAddress"`
	ResultType      flexString `json:"resultType"`
	ResultDesc      flexString `json:"resultDescription"`

	// Log Analytics / Sentinel columns (formats.md §1c).
	Type             flexString `json:"Type"`
	AADTenantID      flexString `json:"AADTenantId"`
	ResourceIdentity flexString `json:"ResourceIdentity"`
	LocationDetails  flexJSON   `json:"LocationDetails"`
	TimeGenerated    flexString `json:"TimeGenerated"`

	// Set by the CSV path only.
	csvCountry string
	csvStatus  string
}

// signinStatus is the sign-in's status object.
type signinStatus struct {
	ErrorCode         flexString `json:"errorCode"`
	FailureReason     flexString `json:"failureReason"`
	AdditionalDetails flexString `json:"additionalDetails"`
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
	fileShape := jsonFileShape(head)
	var s, p signIn
	return streamJSON(ctx, br, []string{"value", "records"}, imp.Name(), src, out, func(rec []byte, off int64) error {
		s = signIn{}
		if err := json.Unmarshal(rec, &s); err != nil {
			return rejectf("decode sign-in: %w", err)
		}
		env, in, shape := &s, &s, fileShape
		switch {
		case isJSONObject(s.Properties.Bytes()):
			p = signIn{}
			if err := s.Properties.Decode(&p); err != nil {
				return rejectf("decode sign-in properties: %w", err)
			}
			in, shape = &p, "diagnostic"
		case isSigninCategory(string(s.Category)) && s.Time != "" && s.CreatedDateTime == "":
			// A diagnostic record whose properties were left out.
			shape = "diagnostic"
		case s.AADTenantID != "" || s.ResourceIdentity != "" || s.TimeGenerated != "" || isSigninCategory(string(s.Type)):
			shape = "sentinel"
		}
		e := newEvent(imp.Name(), shape, src, off, rec)
		if err := mapSignin(&e, env, in, shape); err != nil {
			return err
		}
		if err := finish(&e); err != nil {
			return err
		}
		return out.Emit(&e)
	})
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
func mapSignin(e *timeline.Event, env, in *signIn, shape string) error {
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
	e.Country = signinCountry(env, in, sentinel)

	// Outcome: status.errorCode (0 is success; a success may still carry
	// failureReason "Other."), else the envelope's resultType.
	var st signinStatus
	if err := in.Status.Decode(&st); err != nil {
		// A plain-text Status column ("Success", "Failure").
		st = signinStatus{}
		in.csvStatus = firstNonEmpty(in.csvStatus, strings.Trim(string(in.Status.Bytes()), `"`))
	}
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
		switch strings.ToLower(in.csvStatus) {
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
func signinKind(env, in *signIn) string {
	var types []string
	if in.SignInEventTypes.Decode(&types) != nil || len(types) == 0 {
		var one string
		if in.SignInEventTypes.Decode(&one) == nil && one != "" {
			types = []string{one}
		}
	}
	for _, t := range types {
		switch t {
		case "interactiveUser", "nonInteractiveUser", "servicePrincipal", "managedIdentity":
			return t
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
func signinCountry(env, in *signIn, sentinel bool) string {
	if in.csvCountry != "" {
		return in.csvCountry
	}
	for _, f := range []flexJSON{in.LocationDetails, in.Location} {
		b := f.Bytes()
		switch {
		case isJSONObject(b):
			var loc signinLocation
			if json.Unmarshal(b, &loc) == nil && loc.CountryOrRegion != "" {
				return string(loc.CountryOrRegion)
			}
		case len(b) > 2 && b[0] == '"':
			var s string
			if json.Unmarshal(b, &s) == nil && len(s) <= 3 {
				return s
			}
		}
	}
	if env != in {
		var s string
		if json.Unmarshal(env.Location.Bytes(), &s) == nil && len(s) <= 3 {
			return s // the diagnostic envelope's country code
		}
	}
	return ""
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
			ID:                                   flexString(get("requestid", "id")),
			CreatedDateTime:                      flexString(get("dateutc", "createddatetimeutc", "createddatetime", "date")),
			UserPrincipalName:                    flexString(get("username", "userprincipalname")),
			UserID:                               flexString(get("userid")),
			UserDisplayName:                      flexString(get("user", "userdisplayname")),
			AppID:                                flexString(get("applicationid", "appid")),
			AppDisplayName:                       flexString(get("application", "appdisplayname")),
			ServicePrincipalID:                   flexString(get("serviceprincipalid")),
			ServicePrincipalName:                 flexString(get("serviceprincipalname")),
			IPAddress:                            flexString(get("ipaddress")),
			UserAgent:                            flexString(get("useragent")),
			CorrelationID:                        flexString(get("correlationid")),
			SessionID:                            flexString(get("sessionid")),
			UniqueTokenIdentifier:                flexString(get("uniquetokenidentifier")),
			ResourceDisplayName:                  flexString(get("resource", "resourcedisplayname")),
			ResourceTenantID:                     flexString(get("resourcetenantid")),
			HomeTenantID:                         flexString(get("hometenantid")),
			ServicePrincipalCredentialKeyID:      flexString(get("credentialkeyid", "serviceprincipalcredentialkeyid")),
			ServicePrincipalCredentialThumbprint: flexString(get("credentialthumbprint", "serviceprincipalcredentialthumbprint")),
			ClientCredentialType:                 flexString(get("clientcredentialtype")),
			IsInteractive:                        flexString(get("isinteractive")),
			Category:                             flexString(get("category")),
			Type:                                 flexString(get("type")),
			AADTenantID:                          flexString(get("aadtenantid")),
			ResourceIdentity:                     flexString(get("resourceidentity")),
			ResultType:                           flexString(get("signinerrorcode", "resulttype", "errorcode")),
			ResultDesc:                           flexString(get("failurereason", "resultdescription")),
		}
		if shape == "sentinel" {
			s.Status = jsonText(get("status"))
			s.LocationDetails = jsonText(get("locationdetails"))
			s.Location = jsonText(get("location"))
		} else {
			s.ResourceID = flexString(get("resourceid"))
			s.csvStatus = get("status")
			s.csvCountry = portalCountry(get("location", "country", "countryorregion"))
		}
		if st := get("signineventtypes", "signineventtype"); st != "" {
			s.SignInEventTypes = jsonText(st)
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
		if strings.TrimSpace(s) != "" {
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
	q := []byte(`"` + key + `"`)
	rest := head
	for {
		i := bytes.Index(rest, q)
		if i < 0 {
			return false
		}
		if i > 0 && rest[i-1] == '\\' {
			rest = rest[i+len(q):]
			continue
		}
		rest = rest[i+len(q):]
		t := bytes.TrimLeft(rest, " \t\r\n")
		if len(t) == 0 || t[0] != ':' {
			continue
		}
		t = bytes.TrimLeft(t[1:], " \t\r\n")
		if len(t) == 0 || t[0] != '"' {
			continue
		}
		t = t[1:]
		for _, v := range values {
			if bytes.HasPrefix(t, []byte(v)) && len(t) > len(v) && t[len(v)] == '"' {
				return true
			}
		}
	}
}
