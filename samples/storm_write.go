package samples

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"
	"unsafe"
)

// writeTenant writes all of one tenant's files, day by day, so that every
// record that joins another (a sign-in and the mail read with its token)
// comes from the same plan.
func (st *storm) writeTenant(ctx context.Context, o *output, r *rand.Rand, t *msTenant) error {
	w, err := st.openSinks(o, r, t)
	if err != nil {
		return err
	}
	defer w.abort()
	var dp dayPlan
	var idx []int
	for d := range stormDays {
		if err := ctx.Err(); err != nil {
			return err
		}
		day := stormStart.AddDate(0, 0, d)
		dp.reset()
		st.planDay(r, t, day, &dp)
		st.addCampaign(t, day, &dp)
		if t.def.signin == shGraph {
			// One paged query returns both kinds, merged by time.
			dp.inter = append(dp.inter, dp.nonInter...)
			dp.nonInter = dp.nonInter[:0]
		}
		// Records are put in time order through index slices: moving the
		// records themselves costs more than building them.
		if idx, err = st.writeSignIns(o, r, t, w.inter, dp.inter, idx); err != nil {
			return err
		}
		if idx, err = st.writeSignIns(o, r, t, w.nonInter, dp.nonInter, idx); err != nil {
			return err
		}
		idx = byTime(idx, len(dp.audit), func(i int) time.Time { return dp.audit[i].t })
		for _, i := range idx {
			b, err := w.audit.begin(dp.audit[i].t)
			if err != nil {
				return err
			}
			w.audit.end(st.encAudit(b, r, t, &dp.audit[i]))
		}
		idx = byTime(idx, len(dp.ual), func(i int) time.Time { return dp.ual[i].t })
		w.ualDay = len(dp.ual)
		for k, i := range idx {
			prefetchUAL(dp.ual, idx, k)
			b, err := w.ual.begin(dp.ual[i].t)
			if err != nil {
				return err
			}
			w.ual.end(st.encUALRow(b, t, &dp.ual[i], w, k))
		}
		idx = byTime(idx, len(dp.tel), func(i int) time.Time { return dp.tel[i].t })
		for _, i := range idx {
			b, err := w.tel.begin(dp.tel[i].t)
			if err != nil {
				return err
			}
			w.tel.end(encTel(b, &dp.tel[i]))
		}
	}
	return w.close()
}

// writeSignIns writes list to s in time order, through idx (returned
// for reuse).
func (st *storm) writeSignIns(o *output, r *rand.Rand, t *msTenant, s sink, list []signIn, idx []int) ([]int, error) {
	idx = byTime(idx, len(list), func(i int) time.Time { return list[i].t })
	for k, i := range idx {
		if k+8 < len(idx) {
			prefetch(unsafe.Pointer(&list[idx[k+8]]), unsafe.Sizeof(signIn{}))
		}
		if o.checkClean && !list[i].isClean() {
			return idx, fmt.Errorf("samples: %s: sign-in marked clean with a string that needs escaping: %+v", t.def.domain, list[i])
		}
		b, err := s.begin(list[i].t)
		if err != nil {
			return idx, err
		}
		s.end(st.encSignIn(b, r, t, &list[i]))
	}
	return idx, nil
}

// prefetchUAL asks for what encoding ual[idx[k+d]] will read, in
// stages (see prefetchAhead): the record 8 ahead, its folders 6 ahead,
// their message lists 4 ahead, the message ids 2 ahead. Records are
// encoded in time order, not in the order they were planned in.
func prefetchUAL(ual []ualRec, idx []int, k int) {
	if k+8 < len(idx) {
		prefetch(unsafe.Pointer(&ual[idx[k+8]]), unsafe.Sizeof(ualRec{}))
	}
	if k+6 < len(idx) {
		if f := ual[idx[k+6]].access.folders; len(f) > 0 {
			prefetch(unsafe.Pointer(&f[0]), uintptr(len(f))*unsafe.Sizeof(mailFolder{}))
		}
	}
	if k+4 < len(idx) {
		for _, f := range ual[idx[k+4]].access.folders {
			if len(f.items) > 0 {
				prefetch(unsafe.Pointer(&f.items[0]), uintptr(len(f.items))*unsafe.Sizeof(mailItem{}))
			}
		}
	}
	if k+2 < len(idx) {
		for _, f := range ual[idx[k+2]].access.folders {
			for _, it := range f.items {
				prefetch(unsafe.Pointer(unsafe.StringData(it.imid)), uintptr(len(it.imid)))
			}
		}
	}
}

// addCampaign adds the actor's records of this tenant and day: the token
// telemetry (always: it is the provider's), the mail reads (only where
// MailItemsAccessed is logged), and the alert.
func (st *storm) addCampaign(t *msTenant, day time.Time, dp *dayPlan) {
	next := day.AddDate(0, 0, 1)
	for _, fs := range t.forged {
		if fs.t0.Before(day) || !fs.t0.Before(next) {
			continue
		}
		dp.tel = append(dp.tel, telRec{t: fs.t0, ip: fs.ip, ua: fs.ua, jwt: fs.jwt, status: 200})
		if !t.def.mia {
			continue
		}
		u := &t.users[fs.user]
		for i, a := range fs.accesses {
			// Ids come from the session's own stream so they do not depend
			// on the background.
			r := rand.New(rand.NewPCG(uint64(st.seed), uint64(a.t.UnixNano())^uint64(i)))
			dp.ual = append(dp.ual, ualRec{kind: ualMIA, t: a.t, id: newGUID(r), u: u, ip: fs.ip, clientApp: st.attackerApp,
				info: "Client=REST;Client=RESTSystem;;", uti: fs.uti, iat: fs.iat, access: a,
				serverNo: 1000 + r.IntN(9000)})
		}
	}
	if !t.alertAt.IsZero() && !t.alertAt.Before(day) && t.alertAt.Before(next) {
		dp.ual = append(dp.ual, ualRec{kind: ualAlert, t: t.alertAt, id: t.alertID, u: &t.users[t.alertUser]})
	}
}

// byTime returns the indexes 0..n-1 ordered by at, stably.
func byTime(idx []int, n int, at func(int) time.Time) []int {
	return sortIdx(idx, n, func(i int) int64 { return at(i).UnixNano() })
}

// tenantSinks are the open outputs of one tenant.
type tenantSinks struct {
	inter, nonInter, audit, ual, tel sink
	ualDay                           int // the day's record count, for Export-Csv's ResultCount
	runspace                         guid
	all                              []sink
}

func (w *tenantSinks) close() error {
	for _, s := range w.all {
		if err := s.close(); err != nil {
			return err
		}
	}
	w.all = nil
	return nil
}

func (w *tenantSinks) abort() {
	for _, s := range w.all {
		s.close()
	}
}

func (st *storm) openSinks(o *output, r *rand.Rand, t *msTenant) (*tenantSinks, error) {
	dir := t.def.domain + "/"
	w := &tenantSinks{runspace: newGUID(r)}
	var err error
	add := func(s sink, e error) sink {
		if e != nil {
			err = e
			return nil
		}
		w.all = append(w.all, s)
		return s
	}
	stamp := "20230619" + fmt.Sprintf("%06d", 90000+r.IntN(80000))
	diagPath := func(container string) func(time.Time) string {
		return func(h time.Time) string {
			return fmt.Sprintf("%s%s/resourceId=/tenants/%s/providers/Microsoft.aadiam/y=%d/m=%s/d=%s/h=%s/m=00/PT1H.json",
				dir, container, t.tid, h.Year(), twoDigit(int(h.Month())), twoDigit(h.Day()), twoDigit(h.Hour()))
		}
	}
	switch t.def.signin {
	case shGraph:
		w.inter = add(&graphPager{o: o, dir: dir + "graph/signIns", context: "https://graph.microsoft.com/beta/$metadata#auditLogs/signIns",
			nextBase: "https://graph.microsoft.com/beta/auditLogs/signIns?$filter=createdDateTime+ge+2023-05-08T00%3a00%3a00Z+and+(signInEventTypes%2fany(t%3a+t+eq+%27interactiveUser%27+or+t+eq+%27nonInteractiveUser%27))&$top=250&$skiptoken=",
			pageSize: 250, rng: r}, nil)
		w.nonInter = w.inter
	case shPwsh:
		w.inter = add(newPSArray(o, dir+"EntraID/20230619-SignInLogs/interactiveUser/"+stamp+"-interactiveUser-SignInLogs.json", true)) // signInPS
		w.nonInter = add(newPSArray(o, dir+"EntraID/20230619-SignInLogs/nonInteractiveUser/"+stamp+"-nonInteractiveUser-SignInLogs.json", true))
	case shDiag:
		w.inter = add(&hourlySink{o: o, pathFor: diagPath("insights-logs-signinlogs")}, nil)
		w.nonInter = add(&hourlySink{o: o, pathFor: diagPath("insights-logs-noninteractiveusersigninlogs")}, nil)
	case shSentinel:
		w.inter = add(newNDJSON(o, dir+"sentinel/SigninLogs.json"))
		w.nonInter = add(newNDJSON(o, dir+"sentinel/AADNonInteractiveUserSignInLogs.json"))
	}
	switch t.def.audit {
	case shGraph:
		w.audit = add(&graphPager{o: o, dir: dir + "graph/directoryAudits", context: "https://graph.microsoft.com/v1.0/$metadata#auditLogs/directoryAudits",
			nextBase: "https://graph.microsoft.com/v1.0/auditLogs/directoryAudits?$top=100&$skiptoken=", pageSize: 100, rng: r}, nil)
	case shPwsh:
		w.audit = add(newPSArray(o, dir+"EntraID/20230619-Auditlogs/"+stamp+"-AuditLogs.json", false))
	case shDiag:
		w.audit = add(&hourlySink{o: o, pathFor: diagPath("insights-logs-auditlogs")}, nil)
	case shSentinel:
		w.audit = add(newNDJSON(o, dir+"sentinel/AuditLogs.json"))
	}
	switch t.def.ual {
	case shMgmtAPI:
		w.ual = add(&dailyArraySink{o: o, pathFor: func(d time.Time) string {
			return fmt.Sprintf("%smanagement-api/Audit.Exchange/%s/%s.json", dir, d.Format("2006-01-02"), d.Format("20060102")+"000000"+strconv.Itoa(100+d.YearDay())+"$"+d.Format("20060102")+"235959999$audit_exchange$Audit_Exchange$na0034")
		}}, nil)
	case shPurview:
		w.ual = add(&csvSink{o: o, pathFor: func(part int) string {
			if part == 1 {
				return dir + "purview/AuditLog_2023-05-08_2023-06-19.csv"
			}
			return fmt.Sprintf("%spurview/AuditLog_2023-05-08_2023-06-19 (%d).csv", dir, part-1)
		}, header: "RecordId,CreationDate,RecordType,Operation,UserId,AuditData,AssociatedAdminUnits,AssociatedAdminUnitsNames\r\n", bom: true, crlf: true, maxRows: 50000}, nil)
	case shExportCsv:
		w.ual = add(&csvSink{o: o, pathFor: func(int) string { return dir + "ual/UnifiedAuditLog-20230508-20230619.csv" },
			header: `"RunspaceId","RecordType","CreationDate","UserIds","Operations","AuditData","ResultIndex","ResultCount","Identity","IsValid","ObjectState"` + "\r\n",
			bom:    true, crlf: true}, nil)
	case shSentinel:
		w.ual = add(newNDJSON(o, dir+"sentinel/OfficeActivity.json"))
	}
	w.tel = add(newNDJSON(o, "microsoft-provided/owa-GetAccessTokenForResource/tenant="+t.tid+"/part-00000.json"))
	if err != nil {
		w.abort()
		return nil, err
	}
	return w, nil
}

// Sign-in records.

// isClean reports whether s is not marked clean, or is and none of the
// strings its writers quote without the escape scan needs escaping
// (output.checkClean: tests).
func (s *signIn) isClean() bool {
	if !s.clean {
		return true
	}
	for _, v := range []string{s.ip, s.ua, s.os, s.browser, s.u.name, s.u.upn, s.app.name, s.app.clientApp, s.app.resName} {
		if !isClean(v) {
			return false
		}
	}
	return true
}

// The values a sign-in's fields take, as JSON text, stated once for
// the writers that lay them out (signInGraph, signInPS, signInSentinel).

// casStatus is conditionalAccessStatus: a wrong password is stopped
// before Conditional Access applies.
func (s *signIn) casStatus() string {
	if s.errCode == 50126 {
		return `"notApplied"`
	}
	return `"success"`
}

// incomingTokenType: non-interactive sign-ins redeem a refresh token.
func (s *signIn) incomingTokenType() string {
	if s.interactive {
		return `"none"`
	}
	return `"refreshToken"`
}

// eventType is the one entry of signInEventTypes.
func (s *signIn) eventType() string {
	if s.interactive {
		return `"interactiveUser"`
	}
	return `"nonInteractiveUser"`
}

// authRequirement is authenticationRequirement.
func (s *signIn) authRequirement() string {
	if s.mfa {
		return `"multiFactorAuthentication"`
	}
	return `"singleFactorAuthentication"`
}

// asn is autonomousSystemNumber: the phone's carrier or Microsoft's.
func (s *signIn) asn() string {
	if s.onPhone() {
		return "21928"
	}
	return "8075"
}

// additionalDetails names what a 50074 (strong authentication
// required) asked for; other sign-ins have none.
func (s *signIn) additionalDetails() string {
	if s.errCode == 50074 {
		return `"MFA required in Azure AD"`
	}
	return "null"
}

// onPhone reports whether s came from its user's phone address (located
// by country only, appendLocation).
func (s *signIn) onPhone() bool { return s.ip == s.u.phoneIP }

func (st *storm) encSignIn(b []byte, r *rand.Rand, t *msTenant, s *signIn) []byte {
	switch t.def.signin {
	case shDiag:
		return st.signInDiag(b, t, s)
	case shSentinel:
		return st.signInSentinel(b, r, t, s)
	case shPwsh:
		return st.signInPS(b, t, s)
	}
	return st.signInGraph(b, t, s, false)
}

func failureReason(code int) string {
	switch code {
	case 0:
		return "Other."
	case 50126:
		return "Error validating credentials due to invalid username or password."
	case 50074:
		return "Strong Authentication is required."
	}
	return "Other."
}

// signInGraph appends the Graph beta signIn object (formats.md §1a).
// local writes createdDateTime in the tenant's offset with 7 digits, as
// diagnostic-settings properties do.
func (st *storm) signInGraph(b []byte, t *msTenant, s *signIn, local bool) []byte {
	b = append(b, `{"id":"`...)
	b = appendGUID(b, s.id)
	b = append(b, `","createdDateTime":"`...)
	if local {
		b = appendLocal(b, s.t, t.def.tz)
	} else {
		b = appendISO(b, s.t, 0, "Z")
	}
	parts := t.signInApp[s.app]
	if parts == nil { // an app signInParts does not list
		parts = t.appParts(s.app)
	}
	b = append(b, s.u.signInPart...)
	b = append(b, parts.app...)
	b = appendStrIf(b, s.clean, s.ip)
	b = append(b, parts.client...)
	b = appendStrIf(b, s.clean, s.ua)
	b = append(b, `,"correlationId":"`...)
	b = appendGUID(b, s.corr)
	b = append(b, `","conditionalAccessStatus":`...)
	b = append(b, s.casStatus()...)
	b = append(b, `,"originalRequestId":"`...)
	b = appendGUID(b, s.req)
	b = append(b, `","isInteractive":`...)
	b = strconv.AppendBool(b, s.interactive)
	b = append(b, `,"tokenIssuerName":"","tokenIssuerType":"AzureAD","authenticationProtocol":"none","incomingTokenType":`...)
	b = append(b, s.incomingTokenType()...)
	b = append(b, parts.resource...)
	b = appendGUID(b, s.session)
	b = append(b, `","uniqueTokenIdentifier":"`...)
	b = appendUTI(b, s.id)
	b = append(b, `","signInEventTypes":[`...)
	b = append(b, s.eventType()...)
	b = append(b, `],"authenticationRequirement":`...)
	b = append(b, s.authRequirement()...)
	b = append(b, `,"autonomousSystemNumber":`...)
	b = append(b, s.asn()...)
	b = append(b, `,"crossTenantAccessType":"none","riskDetail":"none","riskLevelAggregated":"none","riskLevelDuringSignIn":"none","riskState":"none","riskEventTypes_v2":[],"status":{"errorCode":`...)
	b = strconv.AppendInt(b, int64(s.errCode), 10)
	b = append(b, `,"failureReason":`...)
	b = appendStr(b, failureReason(s.errCode))
	b = append(b, `,"additionalDetails":`...)
	b = append(b, s.additionalDetails()...)
	b = append(b, `},"deviceDetail":{"deviceId":"","displayName":"","operatingSystem":`...)
	b = appendStrIf(b, s.clean, s.os)
	b = append(b, `,"browser":`...)
	b = appendStrIf(b, s.clean, s.browser)
	b = append(b, `,"isCompliant":false,"isManaged":false,"trustType":""},"location":`...)
	b = appendLocation(b, t, s)
	b = append(b, '}')
	return b
}

// appendLocation appends s's location: the tenant's offices, or only
// its country from a phone's address.
func appendLocation(b []byte, t *msTenant, s *signIn) []byte {
	if s.onPhone() {
		return append(b, t.phoneLocation...)
	}
	return append(b, t.location...)
}

// appendLocationOf appends a sign-in's location JSON (the tenant's
// msTenant.location and phoneLocation).
func appendLocationOf(b []byte, city, state, country string, lat, lon float64) []byte {
	b = append(b, `{"city":`...)
	b = appendStr(b, city)
	b = append(b, `,"state":`...)
	b = appendStr(b, state)
	b = append(b, `,"countryOrRegion":"`...)
	b = append(b, country...)
	b = append(b, `","geoCoordinates":{"altitude":null,"latitude":`...)
	b = strconv.AppendFloat(b, lat, 'f', -1, 64)
	b = append(b, `,"longitude":`...)
	b = strconv.AppendFloat(b, lon, 'f', -1, 64)
	return append(b, `}}`...)
}

// appendLocal appends t in the tenant's offset with 7 fraction digits:
// 2023-05-15T06:11:12.0000000-04:00.
func appendLocal(b []byte, t time.Time, tz int) []byte {
	b = appendISO(b, t.Add(time.Duration(tz)*time.Hour), 7, "")
	if tz < 0 {
		b = append(b, '-')
		tz = -tz
	} else {
		b = append(b, '+')
	}
	b = append2(b, tz)
	return append(b, ":00"...)
}

// signInDiag appends a diagnostic-settings sign-in record (formats.md §1b).
func (st *storm) signInDiag(b []byte, t *msTenant, s *signIn) []byte {
	b = append(b, `{"time":"`...)
	b = appendISO(b, s.t, 7, "Z")
	b = append(b, `","resourceId":"/tenants/`...)
	b = append(b, t.tid...)
	b = append(b, `/providers/Microsoft.aadiam","operationName":"Sign-in activity","operationVersion":"1.0","category":`...)
	if s.interactive {
		b = append(b, `"SignInLogs"`...)
	} else {
		b = append(b, `"NonInteractiveUserSignInLogs"`...)
	}
	b = append(b, `,"tenantId":"`...)
	b = append(b, t.tid...)
	b = append(b, `","resultType":"`...)
	b = strconv.AppendInt(b, int64(s.errCode), 10)
	b = append(b, `","resultSignature":"None","resultDescription":`...)
	if s.errCode == 0 {
		b = append(b, `""`...)
	} else {
		b = appendStr(b, failureReason(s.errCode))
	}
	b = append(b, `,"durationMs":0,"callerIpAddress":`...)
	b = appendStrIf(b, s.clean, s.ip)
	b = append(b, `,"correlationId":"`...)
	b = appendGUID(b, s.corr)
	b = append(b, `","identity":`...)
	b = appendStrIf(b, s.clean, s.u.name)
	b = append(b, `,"Level":4,"location":"`...)
	b = append(b, t.def.country...)
	b = append(b, `","properties":`...)
	return append(st.signInGraph(b, t, s, true), '}')
}

// signInSentinel appends a SigninLogs or AADNonInteractiveUserSignInLogs
// row as a Log Analytics JSON export gives it (formats.md §1c):
// PascalCase, TenantId the workspace, ingestion lag in TimeGenerated, and
// in the non-interactive table the dynamic columns as strings.
func (st *storm) signInSentinel(b []byte, r *rand.Rand, t *msTenant, s *signIn) []byte {
	b = append(b, `{"TenantId":"`...)
	b = appendGUID(b, t.ws)
	b = append(b, `","SourceSystem":"Azure AD","TimeGenerated":"`...)
	b = appendISO(b, s.t.Add(time.Duration(90+r.IntN(900))*time.Second+time.Duration(r.IntN(1000))*time.Millisecond), 3, "Z")
	b = append(b, `","ResourceId":"/tenants/`...)
	b = append(b, t.tid...)
	b = append(b, `/providers/Microsoft.aadiam","OperationName":"Sign-in activity","OperationVersion":"1.0","Category":`...)
	table := "SigninLogs"
	if s.interactive {
		b = append(b, `"SignInLogs"`...)
	} else {
		b = append(b, `"NonInteractiveUserSignInLogs"`...)
		table = "AADNonInteractiveUserSignInLogs"
	}
	b = append(b, `,"ResultType":"`...)
	b = strconv.AppendInt(b, int64(s.errCode), 10)
	b = append(b, `","ResultSignature":"None","ResultDescription":`...)
	if s.errCode == 0 {
		b = append(b, `""`...)
	} else {
		b = appendStr(b, failureReason(s.errCode))
	}
	b = append(b, `,"DurationMs":"0","CorrelationId":"`...)
	b = appendGUID(b, s.corr)
	b = append(b, `","Resource":"Microsoft.aadiam","ResourceGroup":"Microsoft.aadiam","Level":"4","Location":"`...)
	b = append(b, t.def.country...)
	b = append(b, `","AppDisplayName":`...)
	b = appendStrIf(b, s.clean, s.app.name)
	b = append(b, `,"AppId":"`...)
	b = append(b, s.app.id...)
	b = append(b, `","AuthenticationRequirement":`...)
	b = append(b, s.authRequirement()...)
	b = append(b, `,"ClientAppUsed":`...)
	b = appendStrIf(b, s.clean, s.app.clientApp)
	b = append(b, `,"ConditionalAccessStatus":`...)
	b = append(b, s.casStatus()...)
	b = append(b, `,"CreatedDateTime":"`...)
	b = appendISO(b, s.t, 7, "Z")
	b = append(b, `","DeviceDetail":`...)
	dyn := t.scratch[0][:0]
	defer func() { t.scratch[0] = dyn }()
	dyn = append(dyn, `{"operatingSystem":`...)
	dyn = appendStrIf(dyn, s.clean, s.os)
	dyn = append(dyn, `,"browser":`...)
	dyn = appendStrIf(dyn, s.clean, s.browser)
	dyn = append(dyn, `}`...)
	b = appendDynamic(b, dyn, !s.interactive)
	b = append(b, `,"IsInteractive":`...)
	b = strconv.AppendBool(b, s.interactive)
	b = append(b, `,"Id":"`...)
	b = appendGUID(b, s.id)
	b = append(b, `","IPAddress":`...)
	b = appendStrIf(b, s.clean, s.ip)
	b = append(b, `,"LocationDetails":`...)
	b = appendDynamic(b, appendLocation(dyn[:0], t, s), !s.interactive)
	b = append(b, `,"ResourceDisplayName":`...)
	b = appendStrIf(b, s.clean, s.app.resName)
	b = append(b, `,"ResourceIdentity":"`...)
	b = append(b, s.app.resID...)
	b = append(b, `","Status":`...)
	dyn = append(dyn[:0], `{"errorCode":`...)
	dyn = strconv.AppendInt(dyn, int64(s.errCode), 10)
	if s.errCode != 0 {
		dyn = append(dyn, `,"failureReason":`...)
		dyn = appendStr(dyn, failureReason(s.errCode))
	}
	dyn = append(dyn, '}')
	b = appendDynamic(b, dyn, !s.interactive)
	b = append(b, `,"UserAgent":`...)
	b = appendStrIf(b, s.clean, s.ua)
	b = append(b, `,"UserDisplayName":`...)
	b = appendStrIf(b, s.clean, s.u.name)
	b = append(b, `,"UserId":"`...)
	b = appendGUID(b, s.u.id)
	b = append(b, `","UserPrincipalName":`...)
	b = appendStrIf(b, s.clean, s.u.upn)
	b = append(b, `,"AADTenantId":"`...)
	b = append(b, t.tid...)
	b = append(b, `","UserType":"Member","HomeTenantId":"`...)
	b = append(b, t.tid...)
	b = append(b, `","ResourceTenantId":"`...)
	b = append(b, t.tid...)
	b = append(b, `","IncomingTokenType":`...)
	b = append(b, s.incomingTokenType()...)
	b = append(b, `,"AuthenticationProtocol":"none","TokenIssuerType":"AzureAD","CrossTenantAccessType":"none","AutonomousSystemNumber":`...)
	b = append(b, s.asn()...)
	b = append(b, `,"OriginalRequestId":"`...)
	b = appendGUID(b, s.req)
	b = append(b, `","SessionId":"`...)
	b = appendGUID(b, s.session)
	b = append(b, `","UniqueTokenIdentifier":"`...)
	b = appendUTI(b, s.id)
	b = append(b, `","Type":"`...)
	b = append(b, table...)
	return append(b, `"}`...)
}

// appendDynamic appends a dynamic column: as the object, or as a string
// holding it (AADNonInteractiveUserSignInLogs, formats.md §1c).
func appendDynamic(b, obj []byte, asString bool) []byte {
	if asString {
		return appendJSONInString(b, obj)
	}
	return append(b, obj...)
}

// Directory audit records.

func (st *storm) encAudit(b []byte, r *rand.Rand, t *msTenant, a *auditRec) []byte {
	switch t.def.audit {
	case shDiag:
		b = append(b, `{"time":"`...)
		b = appendISO(b, a.t, 7, "Z")
		b = append(b, `","resourceId":"/tenants/`...)
		b = append(b, t.tid...)
		b = append(b, `/providers/Microsoft.aadiam","operationName":`...)
		b = appendStr(b, a.activity)
		b = append(b, `,"operationVersion":"1.0","category":"AuditLogs","tenantId":"`...)
		b = append(b, t.tid...)
		b = append(b, `","resultSignature":"None","durationMs":0,"callerIpAddress":`...)
		b = appendStr(b, a.ip)
		b = append(b, `,"correlationId":"`...)
		b = appendGUID(b, a.corr)
		b = append(b, `","identity":`...)
		b = appendStr(b, a.actor.name)
		b = append(b, `,"Level":"4","properties":`...)
		return append(auditGraph(b, a, true), '}')
	case shSentinel:
		return auditSentinel(b, r, t, a)
	}
	return auditGraph(b, a, false)
}

func auditID(b []byte, a *auditRec) []byte {
	b = append(b, "Directory_"...)
	b = appendGUID(b, a.corr)
	b = append(b, '_')
	b = append(b, upperDigits[a.n%26], upperDigits[a.n/26%26], upperDigits[a.n/676%26], upperDigits[a.n/17576%26], upperDigits[a.n/456976%26])
	b = append(b, '_')
	return strconv.AppendInt(b, int64(a.n), 10)
}

func auditInitiator(b []byte, a *auditRec) []byte {
	b = append(b, `{"app":null,"user":{"id":"`...)
	b = appendGUID(b, a.actor.id)
	b = append(b, `","displayName":null,"userPrincipalName":`...)
	b = appendStr(b, a.actor.upn)
	b = append(b, `,"ipAddress":`...)
	b = appendStr(b, a.ip)
	return append(b, `,"userType":null,"homeTenantId":null,"homeTenantName":null}}`...)
}

func auditTargets(b []byte, a *auditRec) []byte {
	b = append(b, `[{"id":"`...)
	b = appendGUID(b, a.targetID)
	b = append(b, `","displayName":`...)
	if a.targetType == "User" {
		b = append(b, "null"...)
	} else {
		b = appendStr(b, a.targetName)
	}
	b = append(b, `,"type":"`...)
	b = append(b, a.targetType...)
	b = append(b, `","userPrincipalName":`...)
	if a.targetUPN == "" {
		b = append(b, "null"...)
	} else {
		b = appendStr(b, a.targetUPN)
	}
	b = append(b, `,"groupType":null,"modifiedProperties":[`...)
	if a.prop != "" {
		b = append(b, `{"displayName":`...)
		b = appendStr(b, a.prop)
		b = append(b, `,"oldValue":`...)
		if a.oldV == "" {
			b = append(b, "null"...)
		} else {
			b = appendStr(b, a.oldV)
		}
		b = append(b, `,"newValue":`...)
		b = appendStr(b, a.newV)
		b = append(b, `},{"displayName":"Included Updated Properties","oldValue":null,"newValue":`...)
		b = appendStr(b, `"`+a.prop+`"`)
		b = append(b, '}')
	}
	return append(b, `]}]`...)
}

// auditGraph appends the Graph directoryAudit object (formats.md §2).
func auditGraph(b []byte, a *auditRec, seven bool) []byte {
	b = append(b, `{"id":"`...)
	b = auditID(b, a)
	b = append(b, `","category":"`...)
	b = append(b, a.category...)
	b = append(b, `","correlationId":"`...)
	b = appendGUID(b, a.corr)
	b = append(b, `","result":"`...)
	b = append(b, a.result...)
	b = append(b, `","resultReason":"","activityDisplayName":`...)
	b = appendStr(b, a.activity)
	b = append(b, `,"activityDateTime":"`...)
	if seven {
		b = appendISO(b, a.t, 7, "Z")
	} else {
		b = appendISO(b, a.t, 6, "Z")
	}
	b = append(b, `","loggedByService":`...)
	b = appendStr(b, a.service)
	b = append(b, `,"operationType":"`...)
	b = append(b, a.opType...)
	b = append(b, `","userAgent":`...)
	b = appendStr(b, a.ua)
	b = append(b, `,"initiatedBy":`...)
	b = auditInitiator(b, a)
	b = append(b, `,"targetResources":`...)
	b = auditTargets(b, a)
	b = append(b, `,"additionalDetails":[{"key":"User-Agent","value":`...)
	b = appendStr(b, a.ua)
	return append(b, `}]}`...)
}

// auditSentinel appends an AuditLogs table row (formats.md §2; corpus:
// entra-audit/otrf__GoldenSAML_AADAuditEvents_sentinel.json).
func auditSentinel(b []byte, r *rand.Rand, t *msTenant, a *auditRec) []byte {
	b = append(b, `{"TenantId":"`...)
	b = appendGUID(b, t.ws)
	b = append(b, `","SourceSystem":"Azure AD","TimeGenerated":"`...)
	b = appendISO(b, a.t.Add(time.Duration(60+r.IntN(400))*time.Second), 3, "Z")
	b = append(b, `","ResourceId":"/tenants/`...)
	b = append(b, t.tid...)
	b = append(b, `/providers/Microsoft.aadiam","OperationName":`...)
	b = appendStr(b, a.activity)
	b = append(b, `,"OperationVersion":"1.0","Category":"`...)
	b = append(b, a.category...)
	b = append(b, `","ResultSignature":"None","CorrelationId":"`...)
	b = appendGUID(b, a.corr)
	b = append(b, `","Resource":"Microsoft.aadiam","ResourceGroup":"Microsoft.aadiam","Level":"4","AdditionalDetails":`...)
	j := t.scratch[0][:0]
	defer func() { t.scratch[0] = j }()
	j = append(j, `[{"key":"User-Agent","value":`...)
	j = appendStr(j, a.ua)
	j = append(j, `}]`...)
	b = appendJSONInString(b, j)
	b = append(b, `,"Id":"`...)
	b = auditID(b, a)
	b = append(b, `","InitiatedBy":`...)
	b = appendJSONInString(b, auditInitiator(j[:0], a))
	b = append(b, `,"LoggedByService":`...)
	b = appendStr(b, a.service)
	b = append(b, `,"Result":"`...)
	b = append(b, a.result...)
	b = append(b, `","ResultReason":"","TargetResources":`...)
	b = appendJSONInString(b, auditTargets(j[:0], a))
	b = append(b, `,"AADTenantId":"`...)
	b = append(b, t.tid...)
	b = append(b, `","ActivityDisplayName":`...)
	b = appendStr(b, a.activity)
	b = append(b, `,"ActivityDateTime":"`...)
	b = appendISO(b, a.t, 7, "Z")
	b = append(b, `","AADOperationType":"`...)
	b = append(b, a.opType...)
	b = append(b, `","Identity":`...)
	b = appendStr(b, a.actor.name)
	b = append(b, `,"Type":"AuditLogs"}`...)
	return b
}
