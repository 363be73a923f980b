package samples

import (
	"strconv"
	"time"
)

// Unified Audit Log records (formats.md §3) and the provider's token
// telemetry.

// encUALRow appends one UAL record in the tenant's export shape. i is the
// record's index in the day (Export-Csv numbers each day's search).
func (st *storm) encUALRow(b []byte, t *msTenant, u *ualRec, w *tenantSinks, i int) []byte {
	switch t.def.ual {
	case shSentinel:
		return st.officeActivity(b, t, u)
	case shPurview:
		b = appendGUID(b, u.id)
		b = append(b, ',')
		t.scratch[2] = appendUS(t.scratch[2][:0], u.t)
		b = appendCSVField(b, t.scratch[2], false)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(recordType(u.kind)), 10)
		b = append(b, ',')
		b = append(b, ualOperation(u.kind)...)
		b = append(b, ',')
		b = append(b, ualUserID(u)...)
		b = append(b, ',')
		b = st.auditDataCSV(b, t, u)
		return append(b, ",,"...)
	case shExportCsv:
		b = append(b, '"')
		b = appendGUID(b, w.runspace)
		b = append(b, `","`...)
		b = append(b, recordTypeName(u.kind)...)
		b = append(b, `","`...)
		b = appendGB(b, u.t)
		b = append(b, `","`...)
		b = append(b, ualUserID(u)...)
		b = append(b, `","`...)
		b = append(b, ualOperation(u.kind)...)
		b = append(b, `",`...)
		b = st.auditDataCSV(b, t, u)
		b = append(b, `,"`...)
		b = strconv.AppendInt(b, int64(i+1), 10)
		b = append(b, `","`...)
		b = strconv.AppendInt(b, int64(w.ualDay), 10)
		b = append(b, `","`...)
		b = appendGUID(b, u.id)
		return append(b, `","True","Unchanged"`...)
	}
	return st.auditData(b, t, u)
}

func recordType(k ualKind) int {
	switch k {
	case ualSend:
		return 2
	case ualAlert:
		return 40
	}
	return 50
}

func recordTypeName(k ualKind) string {
	switch k {
	case ualSend:
		return "ExchangeItem"
	case ualAlert:
		return "SecurityComplianceAlerts"
	}
	return "ExchangeItemAggregated"
}

func ualOperation(k ualKind) string {
	switch k {
	case ualSend:
		return "Send"
	case ualAlert:
		return "AlertTriggered"
	}
	return "MailItemsAccessed"
}

func ualUserID(u *ualRec) string {
	if u.kind == ualAlert {
		return "SecurityComplianceAlerts"
	}
	return u.u.upn
}

const exoBuild = " (15.20.6455.020)\r\n"

// exoBuildJSON is exoBuild JSON-escaped (its stray line end sent
// appendEsc byte by byte through every record's OriginatingServer).
const exoBuildJSON = ` (15.20.6455.020)\r\n`

// appendServer appends a record's OriginatingServer, the JSON string of
// the tenant's server prefix, u.serverNo and exoBuild (only the build
// when serverNo is 0), without making the string.
func appendServer(b []byte, t *msTenant, u *ualRec) []byte {
	b = append(b, '"')
	if u.serverNo != 0 {
		b = appendEsc(b, t.def.serverPrefix)
		b = strconv.AppendInt(b, int64(u.serverNo), 10)
	}
	b = append(b, exoBuildJSON...)
	return append(b, '"')
}

// ualParts makes u's constant runs of a UAL AuditData record: from the
// UserKey value to the ClientAppId value, and from ClientInfoString's
// value to the end of MailboxOwnerUPN.
func ualParts(u *msUser) [2]string {
	b := appendStr(nil, u.puid)
	b = append(b, `,"UserType":0,"Version":1,"Workload":"Exchange","UserId":`...)
	b = appendStr(b, u.upn)
	b = append(b, `,"AppId":"`...)
	b = append(b, exoApp...)
	b = append(b, `","ClientAppId":"`...)
	c := append([]byte(nil), `,"ExternalAccess":false,"InternalLogonType":0,"LogonType":0,"LogonUserSid":"`...)
	c = append(c, u.sid...)
	c = append(c, `","MailboxGuid":"`...)
	c = appendGUID(c, u.mailbox)
	c = append(c, `","MailboxOwnerSid":"`...)
	c = append(c, u.sid...)
	c = append(c, `","MailboxOwnerUPN":`...)
	c = appendStr(c, u.upn)
	return [2]string{string(b), string(c)}
}

// ualPartsCSV is ualParts with every quote doubled, for auditDataCSV.
func ualPartsCSV(p [2]string) [2]string {
	return [2]string{string(appendDoubled(nil, strBytes(p[0]))), string(appendDoubled(nil, strBytes(p[1])))}
}

// auditData appends the AuditData object of a UAL record: the Management
// Activity API's record, and the AuditData column of the CSV exports.
func (st *storm) auditData(b []byte, t *msTenant, u *ualRec) []byte {
	b = append(b, `{"CreationTime":"`...)
	b = appendISO(b, u.t, 0, "")
	b = append(b, `","Id":"`...)
	b = appendGUID(b, u.id)
	b = append(b, `","Operation":"`...)
	b = append(b, ualOperation(u.kind)...)
	b = append(b, `","OrganizationId":"`...)
	b = append(b, t.tid...)
	b = append(b, `","RecordType":`...)
	b = strconv.AppendInt(b, int64(recordType(u.kind)), 10)
	b = append(b, `,"ResultStatus":"Succeeded","UserKey":`...)
	if u.kind == ualAlert {
		b = append(b, `"SecurityComplianceAlerts","UserType":4,"Version":1,"Workload":"SecurityComplianceCenter","ObjectId":"`...)
		b = appendGUID(b, t.alertID)
		b = append(b, `","UserId":"SecurityComplianceAlerts","AlertId":"`...)
		b = appendGUID(b, t.alertID)
		b = append(b, `","AlertLinks":[],"AlertType":"Custom","AssociatedAdminUnits":[],"Category":"ThreatManagement","Comments":"New alert","Data":`...)
		var d []byte
		d = append(d, `{"etype":"User","eid":`...)
		d = appendStr(d, u.u.upn)
		d = append(d, `,"op":"MailItemsAccessed","tdc":"1","suid":`...)
		d = appendStr(d, u.u.upn)
		d = append(d, `,"ut":"Regular","ssic":"0","tid":"`...)
		d = append(d, t.tid...)
		d = append(d, `","cid":"`...)
		d = append(d, st.attackerApp...)
		d = append(d, `","ts":"`...)
		d = appendISO(d, u.t, 0, "")
		d = append(d, `","wl":"Exchange","an":"MailItemsAccessed by an app not seen for this mailbox","sev":"High"}`...)
		b = appendJSONInString(b, d)
		b = append(b, `,"EntityType":"User","Name":"MailItemsAccessed by an app not seen for this mailbox","PolicyId":"`...)
		b = appendGUID(b, t.alertPolID)
		return append(b, `","Severity":"High","Source":"Office 365 Security & Compliance","Status":"Active"}`...)
	}
	b = append(b, u.u.ualPart[0]...)
	b = append(b, u.clientApp...)
	b = append(b, `","ClientIPAddress":`...)
	b = appendStr(b, u.ip)
	b = append(b, `,"ClientInfoString":`...)
	b = appendStr(b, u.info)
	b = append(b, u.u.ualPart[1]...)
	if u.kind == ualMIA {
		b = append(b, `,"OperationProperties":[{"Name":"MailAccessType","Value":"`...)
		if u.access.bind {
			b = append(b, "Bind"...)
		} else {
			b = append(b, "Sync"...)
		}
		b = append(b, `"},{"Name":"IsThrottled","Value":"False"}]`...)
	}
	b = append(b, `,"OrganizationName":"`...)
	b = append(b, t.orgName...)
	b = append(b, `","OriginatingServer":`...)
	b = appendServer(b, t, u)
	if u.hasSession {
		b = append(b, `,"SessionId":"`...)
		b = appendGUID(b, u.session)
		b = append(b, '"')
	}
	b = append(b, `,"TokenTenantId":"`...)
	b = append(b, t.tid...)
	b = append(b, `","AppAccessContext":`...)
	b = st.appAccessContext(b, u)
	if u.kind == ualSend {
		b = append(b, `,"Item":{"Id":"RgAAAAD`...)
		b = append(b, u.u.sent[7:40]...)
		b = append(b, `BwA","InternetMessageId":"`...)
		b = append(b, u.imid...)
		b = append(b, `","ParentFolder":{"Id":"`...)
		b = append(b, u.u.sent...)
		b = append(b, `","Path":"\\Sent Items"},"SizeInBytes":`...)
		b = strconv.AppendInt(b, int64(u.size), 10)
		b = append(b, `,"Subject":`...)
		b = appendStr(b, u.subject)
		return append(b, "}}"...)
	}
	b = append(b, `,"Folders":`...)
	b = appendFolders(b, &u.access)
	b = append(b, `,"OperationCount":`...)
	b = strconv.AppendInt(b, int64(u.access.count), 10)
	return append(b, '}')
}

func (st *storm) appAccessContext(b []byte, u *ualRec) []byte {
	b = append(b, '{')
	if u.hasSession {
		b = append(b, `"AADSessionId":"`...)
		b = appendGUID(b, u.session)
		b = append(b, `",`...)
	}
	b = append(b, `"ClientAppId":"`...)
	b = append(b, u.clientApp...)
	b = append(b, `","IssuedAtTime":"`...)
	b = appendISO(b, u.iat, 0, "")
	b = append(b, `","UniqueTokenId":"`...)
	if u.uti != "" {
		b = append(b, u.uti...)
	} else {
		b = appendUTI(b, u.token)
	}
	return append(b, `"}`...)
}

// auditDataCSV appends what appendCSVField(b, auditData(…), true)
// appends: the AuditData column of the CSV exports, quoted, with every
// quote of the JSON doubled. Mail reads and sends are written in that
// form directly, their text's quotes doubled in the constants here and in
// msUser.ualPartCSV, not by a second pass over a record built first (that
// pass, appendCSVField, was 7% of storm-0558's CPU time at scale 50).
// The values appended as they are hold no quotes: ids, times, numbers,
// message ids (JSON-escaped); strings that could go through appendStrCSV.
// The alert, one record a tenant, is built and quoted.
func (st *storm) auditDataCSV(b []byte, t *msTenant, u *ualRec) []byte {
	if u.kind == ualAlert {
		ad := st.auditData(t.scratch[1][:0], t, u)
		t.scratch[1] = ad
		return appendCSVField(b, ad, true)
	}
	b = append(b, `"{""CreationTime"":""`...)
	b = appendISO(b, u.t, 0, "")
	b = append(b, `"",""Id"":""`...)
	b = appendGUID(b, u.id)
	b = append(b, `"",""Operation"":""`...)
	b = append(b, ualOperation(u.kind)...)
	b = append(b, `"",""OrganizationId"":""`...)
	b = append(b, t.tid...)
	b = append(b, `"",""RecordType"":`...)
	b = strconv.AppendInt(b, int64(recordType(u.kind)), 10)
	b = append(b, `,""ResultStatus"":""Succeeded"",""UserKey"":`...)
	b = append(b, u.u.ualPartCSV[0]...)
	b = append(b, u.clientApp...)
	b = append(b, `"",""ClientIPAddress"":`...)
	b = appendStrCSV(b, u.ip)
	b = append(b, `,""ClientInfoString"":`...)
	b = appendStrCSV(b, u.info)
	b = append(b, u.u.ualPartCSV[1]...)
	if u.kind == ualMIA {
		if u.access.bind {
			b = append(b, `,""OperationProperties"":[{""Name"":""MailAccessType"",""Value"":""Bind""},{""Name"":""IsThrottled"",""Value"":""False""}]`...)
		} else {
			b = append(b, `,""OperationProperties"":[{""Name"":""MailAccessType"",""Value"":""Sync""},{""Name"":""IsThrottled"",""Value"":""False""}]`...)
		}
	}
	b = append(b, `,""OrganizationName"":""`...)
	b = append(b, t.orgName...)
	b = append(b, `"",""OriginatingServer"":""`...)
	if u.serverNo != 0 {
		b = appendEsc(b, t.def.serverPrefix)
		b = strconv.AppendInt(b, int64(u.serverNo), 10)
	}
	b = append(b, exoBuildJSON...)
	b = append(b, `""`...)
	if u.hasSession {
		b = append(b, `,""SessionId"":""`...)
		b = appendGUID(b, u.session)
		b = append(b, `""`...)
	}
	b = append(b, `,""TokenTenantId"":""`...)
	b = append(b, t.tid...)
	b = append(b, `"",""AppAccessContext"":{`...)
	if u.hasSession {
		b = append(b, `""AADSessionId"":""`...)
		b = appendGUID(b, u.session)
		b = append(b, `"",`...)
	}
	b = append(b, `""ClientAppId"":""`...)
	b = append(b, u.clientApp...)
	b = append(b, `"",""IssuedAtTime"":""`...)
	b = appendISO(b, u.iat, 0, "")
	b = append(b, `"",""UniqueTokenId"":""`...)
	if u.uti != "" {
		b = append(b, u.uti...)
	} else {
		b = appendUTI(b, u.token)
	}
	b = append(b, `""}`...)
	if u.kind == ualSend {
		b = append(b, `,""Item"":{""Id"":""RgAAAAD`...)
		b = append(b, u.u.sent[7:40]...)
		b = append(b, `BwA"",""InternetMessageId"":""`...)
		b = append(b, u.imid...)
		b = append(b, `"",""ParentFolder"":{""Id"":""`...)
		b = append(b, u.u.sent...)
		b = append(b, `"",""Path"":""\\Sent Items""},""SizeInBytes"":`...)
		b = strconv.AppendInt(b, int64(u.size), 10)
		b = append(b, `,""Subject"":`...)
		b = appendStrCSV(b, u.subject)
		return append(b, `}}"`...)
	}
	b = append(b, `,""Folders"":[`...)
	for i, f := range u.access.folders {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		if len(f.items) > 0 {
			b = append(b, `""FolderItems"":[`...)
			for j, it := range f.items {
				if j > 0 {
					b = append(b, ',')
				}
				b = append(b, `{""InternetMessageId"":""`...)
				b = append(b, it.imid...)
				b = append(b, `"",""SizeInBytes"":`...)
				b = strconv.AppendInt(b, int64(it.size), 10)
				b = append(b, '}')
			}
			b = append(b, "],"...)
		}
		b = append(b, `""Id"":""`...)
		b = append(b, f.id...)
		b = append(b, `"",""Path"":`...)
		b = appendDoubled(b, strBytes(f.path))
		b = append(b, '}')
	}
	b = append(b, `],""OperationCount"":`...)
	b = strconv.AppendInt(b, int64(u.access.count), 10)
	return append(b, `}"`...)
}

func appendFolders(b []byte, a *mailAccess) []byte {
	b = append(b, '[')
	for i, f := range a.folders {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		if len(f.items) > 0 {
			b = append(b, `"FolderItems":[`...)
			for j, it := range f.items {
				if j > 0 {
					b = append(b, ',')
				}
				b = append(b, `{"InternetMessageId":"`...)
				b = append(b, it.imid...)
				b = append(b, `","SizeInBytes":`...)
				b = strconv.AppendInt(b, int64(it.size), 10)
				b = append(b, '}')
			}
			b = append(b, "],"...)
		}
		b = append(b, `"Id":"`...)
		b = append(b, f.id...)
		b = append(b, `","Path":`...)
		b = append(b, f.path...)
		b = append(b, '}')
	}
	return append(b, ']')
}

// officeActivity appends a Sentinel OfficeActivity row (formats.md §3a;
// corpus: m365-ual/otrf__GoldenSAML_OfficeActivityEvents_sentinel.json):
// renamed columns (Client_IPAddress, Logon_Type, OfficeId), RecordType as
// a string, nested values as JSON strings.
func (st *storm) officeActivity(b []byte, t *msTenant, u *ualRec) []byte {
	b = append(b, `{"TenantId":"`...)
	b = appendGUID(b, t.ws)
	b = append(b, `","RecordType":"`...)
	b = strconv.AppendInt(b, int64(recordType(u.kind)), 10)
	b = append(b, `","TimeGenerated":"`...)
	b = appendISO(b, u.t.Add(7*time.Minute+time.Duration(u.id[0])*time.Second), 0, "Z")
	b = append(b, `","Operation":"`...)
	b = append(b, ualOperation(u.kind)...)
	b = append(b, `","OrganizationId":"`...)
	b = append(b, t.tid...)
	b = append(b, `","UserType":"Regular","UserKey":`...)
	b = appendStr(b, u.u.puid)
	b = append(b, `,"OfficeWorkload":"Exchange","ResultStatus":"Succeeded","UserId":`...)
	b = appendStr(b, u.u.upn)
	b = append(b, `,"ExternalAccess":"False","OriginatingServer":`...)
	b = appendServer(b, t, u)
	b = append(b, `,"OrganizationName":"`...)
	b = append(b, t.orgName...)
	b = append(b, `","Logon_Type":"Owner","MailboxGuid":"`...)
	b = appendGUID(b, u.u.mailbox)
	b = append(b, `","MailboxOwnerUPN":`...)
	b = appendStr(b, u.u.upn)
	b = append(b, `,"MailboxOwnerSid":"`...)
	b = append(b, u.u.sid...)
	b = append(b, `","LogonUserSid":"`...)
	b = append(b, u.u.sid...)
	b = append(b, `","ClientInfoString":`...)
	b = appendStr(b, u.info)
	b = append(b, `,"Client_IPAddress":`...)
	b = appendStr(b, u.ip)
	if u.kind == ualMIA {
		b = append(b, `,"Folders":`...)
		t.scratch[2] = appendFolders(t.scratch[2][:0], &u.access)
		b = appendJSONInString(b, t.scratch[2])
		b = append(b, `,"OperationProperties":`...)
		if u.access.bind {
			b = append(b, `"[{\"Name\":\"MailAccessType\",\"Value\":\"Bind\"},{\"Name\":\"IsThrottled\",\"Value\":\"False\"}]"`...)
		} else {
			b = append(b, `"[{\"Name\":\"MailAccessType\",\"Value\":\"Sync\"},{\"Name\":\"IsThrottled\",\"Value\":\"False\"}]"`...)
		}
	}
	if u.hasSession {
		b = append(b, `,"SessionId":"`...)
		b = appendGUID(b, u.session)
		b = append(b, '"')
	}
	b = append(b, `,"AppAccessContext":`...)
	t.scratch[2] = st.appAccessContext(t.scratch[2][:0], u)
	b = appendJSONInString(b, t.scratch[2])
	b = append(b, `,"SourceSystem":"OfficeActivityManager","OfficeId":"`...)
	b = appendGUID(b, u.id)
	b = append(b, `","SourceRecordId":"`...)
	b = appendGUID(b, u.id)
	b = append(b, `","Start_Time":"`...)
	b = appendISO(b, u.t, 0, "Z")
	b = append(b, `","OfficeTenantId":"`...)
	b = append(b, t.tid...)
	b = append(b, `","AppId":"`...)
	b = append(b, exoApp...)
	b = append(b, `","ClientAppId":"`...)
	b = append(b, u.clientApp...)
	return append(b, `","Type":"OfficeActivity"}`...)
}

// encTel appends one line of the provider's OWA token telemetry: the
// bearer token presented to GetAccessTokenForResource, for jwt.capture.
func encTel(b []byte, r *telRec) []byte {
	b = append(b, `{"PreciseTimeStamp":"`...)
	b = appendISO(b, r.t, 7, "Z")
	b = append(b, `","Role":"OwaService","Operation":"GetAccessTokenForResource","ResourceUri":"https://outlook.office.com/","ClientIp":`...)
	b = appendStr(b, r.ip)
	b = append(b, `,"UserAgent":`...)
	b = appendStr(b, r.ua)
	b = append(b, `,"HttpStatus":`...)
	b = strconv.AppendInt(b, int64(r.status), 10)
	b = append(b, `,"Authorization":"Bearer `...)
	b = append(b, r.jwt...)
	return append(b, `"}`...)
}
