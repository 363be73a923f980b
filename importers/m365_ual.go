package importers

import (
	"bufio"
	"context"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	json "github.com/goccy/go-json"

	"github.com/causeway-ir/causeway/timeline"
)

// m365UAL imports the Microsoft 365 Unified Audit Log (formats.md §3):
// Management Activity API records (JSON array or NDJSON), Search-
// UnifiedAuditLog | Export-Csv, the Purview portal CSV, the Sentinel
// OfficeActivity table and Elastic exports that keep the record in
// event.original. MailItemsAccessed and the other Exchange operations of
// formats.md §3c–3d get mailbox targets and their token, session and app
// join keys.
type m365UAL struct {
	// slow turns the single-pass reader off: tests compare the two paths.
	slow bool
}

var _ timeline.Importer = m365UAL{}

// Name implements timeline.Importer.
func (m365UAL) Name() string { return "m365.ual" }

// Match implements timeline.Importer: AuditData records (CreationTime with
// Operation and a UAL common field), OfficeActivity rows, or a CSV whose
// header has AuditData beside CreationDate.
func (m365UAL) Match(_ string, head []byte) bool {
	switch firstNonSpace(head) {
	case '{', '[':
		if headHasAny(head, "OfficeWorkload", "OfficeId") && headHasKey(head, "Operation") {
			return true
		}
		if headHasKey(head, "CreationTime") && headHasKey(head, "Operation") &&
			headHasAny(head, "RecordType", "Workload", "UserKey", "OrganizationId") {
			return true
		}
		// Wrappers around AuditData (PowerShell objects, Graph auditLogRecord).
		return headHasAny(head, "AuditData", "auditData") && headHasAny(head, "Operations", "CreationDate", "auditLogRecordType")
	case 0:
		return false
	}
	h := csvHeaderNorm(head)
	return h["auditdata"] && h["creationdate"]
}

// ualRecordOf is a UAL AuditData object (formats.md §3b). Through
// case-insensitive decoding it also reads an OfficeActivity row, whose
// renamed columns are named here too, and an Elastic document's event.
// S is string on the fast path and flexString on the lenient retry of a
// record with a number or boolean where a string belongs; fields that are
// numbers in some renderings are always flexString.
type ualRecordOf[S ~string] struct {
	CreationTime        S          `json:"CreationTime"`
	ID                  S          `json:"Id"`
	Operation           S          `json:"Operation"`
	OrganizationID      S          `json:"OrganizationId"`
	RecordType          flexString `json:"RecordType"`
	ResultStatus        S          `json:"ResultStatus"`
	UserType            flexString `json:"UserType"`
	Workload            S          `json:"Workload"`
	ClientIP            S          `json:"ClientIP"`
	ClientIPAddress     S          `json:"ClientIPAddress"`
	ActorIPAddress      S          `json:"ActorIpAddress"`
	ObjectID            S          `json:"ObjectId"`
	UserID              S          `json:"UserId"`
	AppID               S          `json:"AppId"`
	ClientAppID         S          `json:"ClientAppId"`
	ClientAppName       S          `json:"ClientAppName"`
	ApplicationID       S          `json:"ApplicationId"`
	ClientInfoString    S          `json:"ClientInfoString"`
	UserAgent           S          `json:"UserAgent"`
	SessionID           S          `json:"SessionId"`
	MailboxOwnerUPN     S          `json:"MailboxOwnerUPN"`
	OperationCount      flexString `json:"OperationCount"`
	TokenTenantID       S          `json:"TokenTenantId"`
	InterSystemsID      S          `json:"InterSystemsId"`
	ErrorNumber         flexString `json:"ErrorNumber"`
	LogonError          S          `json:"LogonError"`
	SendAsUserSMTP      S          `json:"SendAsUserSmtp"`
	SendOnBehalfOfSMTP  S          `json:"SendOnBehalfOfUserSmtp"`
	AppAccessContext    ualJSON    `json:"AppAccessContext"`
	Folders             ualJSON    `json:"Folders"`
	OperationProperties ualJSON    `json:"OperationProperties"`
	Parameters          ualJSON    `json:"Parameters"`
	ExtendedProperties  ualJSON    `json:"ExtendedProperties"`
	DeviceProperties    ualJSON    `json:"DeviceProperties"`
	ModifiedProperties  ualJSON    `json:"ModifiedProperties"`
	Item                ualJSON    `json:"Item"`
	AffectedItems       ualJSON    `json:"AffectedItems"`

	// Sentinel OfficeActivity columns (formats.md §3a).
	OfficeID           S `json:"OfficeId"`
	OfficeTenantID     S `json:"OfficeTenantId"`
	OfficeWorkload     S `json:"OfficeWorkload"`
	OfficeObjectID     S `json:"OfficeObjectId"`
	ClientIPAddressCol S `json:"Client_IPAddress"`
	TimeGenerated      S `json:"TimeGenerated"`
	Type               S `json:"Type"`

	// Elastic documents: {"event":{"original":"<AuditData>"}}.
	Event ualJSON `json:"event"`

	// Wrappers that carry AuditData: Search-UnifiedAuditLog objects through
	// ConvertTo-Json (AuditData a JSON string beside Operations, UserIds)
	// and Graph auditLogRecord (auditData an object, createdDateTime).
	AuditData       ualJSON `json:"AuditData"`
	Operations      S       `json:"Operations"`
	UserIDs         S       `json:"UserIds"`
	CreatedDateTime S       `json:"createdDateTime"`

	// bufs, when set, holds the lists of nested values the single-pass
	// reader fills, reused from record to record.
	bufs *ualBufs
}

// ualAccessContext is AppAccessContext.
type ualAccessContext struct {
	AADSessionID  flexString `json:"AADSessionId"`
	CorrelationID flexString `json:"CorrelationId"`
	UniqueTokenID flexString `json:"UniqueTokenId"`
	ClientAppID   flexString `json:"ClientAppId"`
	ClientAppName flexString `json:"ClientAppName"`
}

// nameValue is a Parameters, OperationProperties, ExtendedProperties or
// DeviceProperties entry; ModifiedProperties add the old value.
type nameValue struct {
	Name     flexString `json:"Name"`
	Value    flexString `json:"Value"`
	NewValue flexString `json:"NewValue"`
	OldValue flexString `json:"OldValue"`
}

// ualFolder is one of MailItemsAccessed's Folders.
type ualFolder struct {
	Path        flexString `json:"Path"`
	FolderItems []struct{} `json:"FolderItems"` // counted, not kept
}

// ualItem is an ExchangeItem's Item.
type ualItem struct {
	Subject      flexString `json:"Subject"`
	ParentFolder struct {
		Path flexString `json:"Path"`
	} `json:"ParentFolder"`
}

// Import implements timeline.Importer.
func (imp m365UAL) Import(ctx context.Context, r io.Reader, src timeline.Source, out timeline.Emitter) error {
	br := bufio.NewReaderSize(r, headSize)
	head, _ := br.Peek(headSize)
	switch firstNonSpace(head) {
	case '{', '[':
	case 0:
		return nil
	default:
		return imp.importCSV(ctx, br, src, out)
	}
	var envelopes []string
	switch {
	case firstKeyIs(head, "events"):
		envelopes = []string{"events"}
	case firstKeyIs(head, "value") || firstKeyIs(head, "@odata.context"):
		envelopes = []string{"value"}
	}
	d := &ualDecoder{imp: imp, src: src, out: out, envelopes: envelopes}
	d.quick.bufs = new(ualBufs)
	fast := d.read
	if imp.slow {
		fast = nil
	}
	return streamJSONFast(ctx, br, envelopes, imp.Name(), src, out, fast, d.record)
}

// read is the splitter's fast reader (streamJSONFast): it reads the record
// at the start of b in place and returns its length, or fastAside to leave the
// object to the splitter (an envelope, a record the reader does not vouch
// for, or one that goes past b). record then moves what it read to the
// record's own copy instead of reading the record again.
func (d *ualDecoder) read(b []byte) int {
	return d.inPlace.read(b, func(view string) (int, bool) {
		return d.quick.scanAt(view, func(k string) bool { return slices.Contains(d.envelopes, k) })
	})
}

// ualDecoder maps the JSON records of one file.
type ualDecoder struct {
	imp         m365UAL
	src         timeline.Source
	out         timeline.Emitter
	fast, quick ualRecordOf[string] // reused: records are decoded one at a time
	ev          timeline.Event      // reused: the emitter copies what it keeps
	envelopes   []string
	inPlace     inPlace // the record read by read
}

// record maps one record at offset off.
func (d *ualDecoder) record(rec []byte, off int64) error {
	imp, src, out := d.imp, d.src, d.out
	if !imp.slow {
		// The single-pass reader reads the record's text in place; when it
		// steps aside the decoder reads the record again.
		e := &d.ev
		var vouched bool
		if *e, vouched = d.inPlace.event(imp.Name(), "management-api", src, off, rec); !vouched {
			vouched = d.quick.scan(e.Raw)
		}
		if vouched {
			if d.quick.OfficeWorkload != "" || d.quick.OfficeID != "" || strings.EqualFold(d.quick.Type, "OfficeActivity") {
				e.Shape = "sentinel"
			}
			if err := mapUAL(e, &d.quick, e.Shape, ""); err != nil {
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
		e = newEvent(imp.Name(), "management-api", src, off, rec)
		return decodeUAL(&e, rec, &d.fast)
	}, func() error {
		e = newEvent(imp.Name(), "management-api", src, off, rec)
		return decodeUAL(&e, rec, new(ualRecordOf[flexString]))
	})
	if err != nil {
		return err
	}
	if err := finish(&e); err != nil {
		return err
	}
	return out.Emit(&e)
}

// decodeUAL decodes one JSON audit record (AuditData, an OfficeActivity
// row or an Elastic document) into e. A decoding error comes back as it
// is, a record that cannot be normalized as a recordError.
func decodeUAL[S ~string](e *timeline.Event, rec []byte, u *ualRecordOf[S]) error {
	*u = ualRecordOf[S]{}
	if err := json.UnmarshalOf(rec, u); err != nil {
		return err
	}
	if orig, ok := elasticOriginal(u.Event.flex); ok {
		*u = ualRecordOf[S]{}
		if err := json.Unmarshal(orig, u); err != nil {
			return err
		}
		e.Shape = "elastic"
	} else if inner := u.AuditData.flex.Bytes(); isJSONObject(inner) {
		var a ualRecordOf[S]
		if err := json.Unmarshal(inner, &a); err != nil {
			return err
		}
		a.Operation = S(firstNonEmpty(string(a.Operation), string(u.Operation), string(u.Operations)))
		a.UserID = S(firstNonEmpty(string(a.UserID), string(u.UserID), string(u.UserIDs)))
		a.ID = S(firstNonEmpty(string(a.ID), string(u.ID)))
		e.Shape = "powershell"
		if u.CreatedDateTime != "" {
			e.Shape = "graph"
			if a.CreationTime == "" {
				a.CreationTime = u.CreatedDateTime
			}
		}
		*u = a
	} else if u.OfficeWorkload != "" || u.OfficeID != "" || strings.EqualFold(string(u.Type), "OfficeActivity") {
		e.Shape = "sentinel"
	}
	return mapUAL(e, u, e.Shape, "")
}

// elasticOriginal returns the record text an Elastic document keeps in
// event.original.
func elasticOriginal(ev flexJSON) ([]byte, bool) {
	b := ev.Bytes()
	if !isJSONObject(b) {
		return nil, false
	}
	var e struct {
		Original flexJSON `json:"original"`
	}
	if json.Unmarshal(b, &e) != nil {
		return nil, false
	}
	orig := e.Original.Bytes()
	if !isJSONObject(orig) {
		return nil, false
	}
	return orig, true
}

// importCSV reads Search-UnifiedAuditLog | Export-Csv output and the
// Purview portal export. The record is the AuditData column; CreationDate
// is culture-formatted in Export-Csv (d/M or M/d), so the time comes from
// AuditData.CreationTime (UTC without a zone).
func (imp m365UAL) importCSV(ctx context.Context, r io.Reader, src timeline.Source, out timeline.Emitter) error {
	quick := ualRecordOf[string]{bufs: new(ualBufs)} // reused: rows are read one at a time
	return streamCSV(ctx, r, imp.Name(), src, out, func(row *csvRow) error {
		shape := "export-csv"
		if _, ok := row.header["RecordId"]; ok {
			shape = "purview-csv"
		}
		data := row.get("AuditData")
		if strings.TrimSpace(data) == "" {
			return rejectf("empty AuditData")
		}
		var e timeline.Event
		if t := strings.TrimSpace(data); !imp.slow && t[0] == '{' && quick.scan(t) {
			e = newEvent(imp.Name(), shape, src, row.offset, nil)
			if err := ualFromRow(&e, row, &quick); err != nil {
				return err
			}
			e.Raw = row.rawJSON()
			if err := finish(&e); err != nil {
				return err
			}
			return out.Emit(&e)
		}
		err := decodeLenient(func() error {
			e = newEvent(imp.Name(), shape, src, row.offset, nil)
			return decodeUALRow[string](&e, row, jsonText(data).Bytes())
		}, func() error {
			e = newEvent(imp.Name(), shape, src, row.offset, nil)
			return decodeUALRow[flexString](&e, row, jsonText(data).Bytes())
		})
		if err != nil {
			return err
		}
		e.Raw = row.rawJSON()
		if err := finish(&e); err != nil {
			return err
		}
		return out.Emit(&e)
	})
}

// decodeUALRow decodes the AuditData of a CSV row into e, taking what
// AuditData lacks from the row's own columns.
func decodeUALRow[S ~string](e *timeline.Event, row *csvRow, data []byte) error {
	var u ualRecordOf[S]
	if err := json.Unmarshal(data, &u); err != nil {
		return err
	}
	return ualFromRow(e, row, &u)
}

// ualFromRow maps the AuditData u of a CSV row, taking what it lacks from
// the row's own columns.
func ualFromRow[S ~string](e *timeline.Event, row *csvRow, u *ualRecordOf[S]) error {
	if u.Operation == "" {
		u.Operation = S(row.get("Operation", "Operations"))
	}
	if u.UserID == "" {
		u.UserID = S(row.get("UserId", "UserIds"))
	}
	if u.ID == "" {
		u.ID = S(row.get("RecordId"))
	}
	fallback := ""
	if u.CreationTime == "" {
		// Only the Purview export documents CreationDate as US-format
		// UTC; an Export-Csv date is trusted only in ISO form.
		cd := strings.TrimSpace(row.get("CreationDate"))
		if e.Shape == "purview-csv" || (len(cd) > 10 && cd[4] == '-') {
			fallback = cd
		}
	}
	return mapUAL(e, u, e.Shape, fallback)
}

// mapUAL fills e from an AuditData record. fallbackTime is a CSV's
// CreationDate, used only when the record has no CreationTime.
func mapUAL[S ~string](e *timeline.Event, u *ualRecordOf[S], shape, fallbackTime string) error {
	when := string(u.CreationTime)
	if when == "" && shape == "sentinel" {
		// OfficeActivity has no CreationTime column: its TimeGenerated is
		// documented as "the date and time in UTC when the user performed
		// the activity" (the connector copies CreationTime into it), unlike
		// the Entra tables' ingestion-time TimeGenerated.
		when = string(u.TimeGenerated)
	}
	if when == "" {
		when = fallbackTime
	}
	t, err := parseTime(when)
	if err != nil {
		if when == "" {
			return rejectf("no CreationTime")
		}
		return rejectErr(err)
	}
	e.Time = t
	if u.ObjectID == "" {
		u.ObjectID = u.OfficeObjectID // OfficeActivity's name for ObjectId
	}
	op := strings.TrimSpace(string(u.Operation))
	e.Action = op
	e.ID = lower(firstNonEmpty(string(u.ID), string(u.OfficeID)))

	e.Actor = lower(string(u.UserID))
	e.ActorKind = ualActorKind(string(u.UserType), e.Actor)
	e.Tenant = lower(firstNonEmpty(string(u.OrganizationID), guidOnly(string(u.OfficeTenantID))))
	if tt := lower(string(u.TokenTenantID)); tt != "" && tt != e.Tenant {
		e.ActorTenant = tt
	}
	e.SrcIP = msIP(firstNonEmpty(string(u.ClientIPAddress), string(u.ClientIPAddressCol), string(u.ClientIP), string(u.ActorIPAddress)))

	ctxv := u.AppAccessContext.accessContext()
	ext := u.ExtendedProperties.nameValues(u.buf(0))
	dev := u.DeviceProperties.nameValues(u.buf(1))

	e.TokenID = normalizeUTI(string(ctxv.UniqueTokenID))
	e.SessionID = lower(firstNonEmpty(string(ctxv.AADSessionID), string(u.SessionID), nvGet(dev, "SessionId")))
	e.CorrelationID = lower(firstNonEmpty(string(ctxv.CorrelationID), string(u.InterSystemsID)))
	e.AppID = lower(firstNonEmpty(string(u.ClientAppID), string(u.ApplicationID), string(ctxv.ClientAppID)))
	e.AppName = firstNonEmpty(string(u.ClientAppName), string(ctxv.ClientAppName))
	e.ResourceApp = lower(string(u.AppID))
	e.UserAgent = firstNonEmpty(string(u.UserAgent), nvGet(ext, "UserAgent"), string(u.ClientInfoString))

	switch rs := strings.TrimSpace(string(u.ResultStatus)); {
	case lowerIn(rs, "succeeded", "success", "true", "partiallysucceeded"):
		e.Outcome = timeline.OutcomeSuccess
	case lowerIn(rs, "failed", "failure", "false"):
		e.Outcome = timeline.OutcomeFailure
	}

	workload := firstNonEmpty(string(u.Workload), string(u.OfficeWorkload)) // compared lower-cased
	rt := ualRecordType(string(u.RecordType))
	switch {
	case op == "MailItemsAccessed":
		mapMailItemsAccessed(e, u)
	case isInboxRuleOp(op):
		mapInboxRule(e, u, op)
	case op == "Send" || op == "SendAs" || op == "SendOnBehalf":
		mapSend(e, u, op)
	case op == "Set-Mailbox" || op == "Set-MailboxForwarding":
		mapSetMailbox(e, u, op)
	case isMailboxPermissionOp(op):
		mapMailboxPermission(e, u, op)
	case op == "UserLoggedIn" || op == "UserLoginFailed":
		mapUALLogin(e, u, op, ext)
	case lowerIn(workload, "azureactivedirectory") || rt == 8:
		mapUALDirectory(e, u, op)
	case lowerIn(workload, "exchange") && (rt == 2 || rt == 3 || u.MailboxOwnerUPN != ""):
		mapExchangeItem(e, u, op)
	case lowerIn(workload, "sharepoint", "onedrive"):
		e.Category = timeline.CategoryFile
		e.Target, e.TargetKind = string(u.ObjectID), string(timeline.KindResource)
		e.Message = ualMessage(e, op+" "+string(u.ObjectID))
	case lowerIn(workload, "exchange"):
		e.Category = timeline.CategoryAdmin
		e.Target, e.TargetKind = string(u.ObjectID), targetKindFor(string(u.ObjectID))
		e.Message = ualMessage(e, "ran "+op+onText(string(u.ObjectID)))
	default:
		e.Target, e.TargetKind = string(u.ObjectID), targetKindFor(string(u.ObjectID))
		e.Message = ualMessage(e, op+onText(string(u.ObjectID)))
	}
	return nil
}

// mapMailItemsAccessed maps the Storm-0558 record (formats.md §3c): who
// read which mailbox, with which app and token, Bind (items listed) or
// Sync (whole folders).
func mapMailItemsAccessed[S ~string](e *timeline.Event, u *ualRecordOf[S]) {
	e.Category = timeline.CategoryMail
	owner := e.Actor // lower(UserId): one's own mailbox, most often
	if u.MailboxOwnerUPN != u.UserID {
		owner = lower(string(u.MailboxOwnerUPN))
	}
	e.Target, e.TargetKind = owner, string(timeline.KindMailbox)
	props := u.OperationProperties.nameValues(u.buf(2))
	access := nvGet(props, "MailAccessType")
	throttled := strings.EqualFold(nvGet(props, "IsThrottled"), "true")
	folders := u.Folders.folders(u.folderBuf())
	items := 0
	var paths []string
	for _, f := range folders {
		items += len(f.FolderItems)
		if f.Path != "" {
			paths = append(paths, string(f.Path))
		}
	}
	if items == 0 {
		items, _ = strconv.Atoi(strings.TrimSpace(string(u.OperationCount)))
	}
	var b strings.Builder
	actor := firstNonEmpty(e.Actor, "unknown user")
	where := strings.Join(paths, ", ")
	if owner != "" && owner != e.Actor {
		where = strings.TrimSpace(owner + "'s mailbox " + where)
	}
	client := clientName(string(u.ClientInfoString))
	b.Grow(len(actor) + len(where) + len(client) + len(e.SrcIP) + len(access) + 64)
	b.WriteString(actor)
	if strings.EqualFold(access, "Sync") {
		b.WriteString(" synced ")
		b.WriteString(firstNonEmpty(where, "mailbox folders"))
	} else {
		switch items {
		case 0:
			b.WriteString(" read items")
		case 1:
			b.WriteString(" read 1 item")
		default:
			b.WriteString(" read ")
			var num [20]byte
			b.Write(strconv.AppendInt(num[:0], int64(items), 10))
			b.WriteString(" items")
		}
		if where != "" {
			b.WriteString(" in ")
			b.WriteString(where)
		}
	}
	if client != "" {
		b.WriteString(" via ")
		b.WriteString(client)
	}
	if e.SrcIP != "" {
		b.WriteString(" from ")
		b.WriteString(e.SrcIP)
	}
	if access != "" {
		b.WriteString(" (")
		b.WriteString(access)
		b.WriteString(")")
	}
	if throttled {
		b.WriteString(" (throttled: further access is not logged for 24 h)")
	}
	e.Message = b.String()
}

func isInboxRuleOp(op string) bool {
	switch op {
	case "New-InboxRule", "Set-InboxRule", "Enable-InboxRule", "Disable-InboxRule", "Remove-InboxRule", "UpdateInboxRules":
		return true
	}
	return false
}

// mapInboxRule maps inbox rule changes, a classic persistence step: the
// message names the rule and what it forwards, moves or deletes.
func mapInboxRule[S ~string](e *timeline.Event, u *ualRecordOf[S], op string) {
	e.Category = timeline.CategoryMail
	params := u.Parameters.nameValues(u.buf(3))
	props := u.OperationProperties.nameValues(u.buf(2))
	mbx := firstNonEmpty(nvGet(params, "Mailbox"), string(u.MailboxOwnerUPN))
	if mbx == "" {
		if id := nvGet(params, "Identity"); strings.Contains(id, "\\") {
			mbx, _, _ = strings.Cut(id, "\\")
		}
	}
	if mbx == "" {
		mbx = e.Actor // a rule on one's own mailbox names none
	}
	e.Target, e.TargetKind = lower(mbx), string(timeline.KindMailbox)
	name := firstNonEmpty(nvGet(params, "Name"), nvGet(props, "RuleName"), nvGet(params, "Identity"))
	var parts []string
	for _, p := range [...]struct{ key, text string }{
		{"ForwardTo", "forward to "}, {"ForwardAsAttachmentTo", "forward as attachment to "},
		{"RedirectTo", "redirect to "}, {"MoveToFolder", "move to "}, {"SubjectContainsWords", "subject contains "},
		{"BodyContainsWords", "body contains "}, {"From", "from "},
	} {
		if v := firstNonEmpty(nvGet(params, p.key), nvGet(props, p.key)); v != "" {
			parts = append(parts, p.text+v)
		}
	}
	for _, flag := range []string{"DeleteMessage", "MarkAsRead", "StopProcessingRules"} {
		if strings.EqualFold(nvGet(params, flag), "true") {
			parts = append(parts, strings.ToLower(flag[:1])+flag[1:])
		}
	}
	what := op
	if name != "" {
		what += " \"" + name + "\""
	}
	what += " on " + e.Target
	if len(parts) > 0 {
		what += ": " + strings.Join(parts, "; ")
	}
	e.Message = ualMessage(e, what)
}

// mapSend maps Send, SendAs and SendOnBehalf.
func mapSend[S ~string](e *timeline.Event, u *ualRecordOf[S], op string) {
	e.Category = timeline.CategoryMail
	mbx := lower(firstNonEmpty(string(u.SendAsUserSMTP), string(u.SendOnBehalfOfSMTP), string(u.MailboxOwnerUPN)))
	e.Target, e.TargetKind = mbx, string(timeline.KindMailbox)
	subject := u.Item.itemSubject()
	what := "sent"
	switch op {
	case "SendAs":
		what = "sent as " + mbx
	case "SendOnBehalf":
		what = "sent on behalf of " + mbx
	default:
		if mbx != "" && mbx != e.Actor {
			what = "sent from " + mbx
		}
	}
	if subject != "" {
		what += " \"" + truncate(subject, 100) + "\""
	}
	if c := clientName(string(u.ClientInfoString)); c != "" {
		what += " via " + c
	}
	e.Message = ualMessage(e, what)
}

// mapSetMailbox maps Set-Mailbox; with forwarding parameters it is mail
// forwarding (exfiltration), otherwise an admin change.
func mapSetMailbox[S ~string](e *timeline.Event, u *ualRecordOf[S], op string) {
	params := u.Parameters.nameValues(u.buf(3))
	mbx := firstNonEmpty(nvGet(params, "Identity"), string(u.ObjectID))
	e.Target, e.TargetKind = lower(mbx), string(timeline.KindMailbox)
	fwd := firstNonEmpty(nvGet(params, "ForwardingSmtpAddress"), nvGet(params, "ForwardingAddress"))
	if fwd != "" || nvHas(params, "ForwardingSmtpAddress") || nvHas(params, "ForwardingAddress") {
		e.Category = timeline.CategoryMail
		if fwd == "" {
			e.Message = ualMessage(e, "removed forwarding of "+mbx)
			return
		}
		what := "set forwarding of " + mbx + " to " + fwd
		if strings.EqualFold(nvGet(params, "DeliverToMailboxAndForward"), "true") {
			what += " (keeping a copy)"
		}
		e.Message = ualMessage(e, what)
		return
	}
	e.Category = timeline.CategoryAdmin
	e.Message = ualMessage(e, "ran "+op+onText(mbx))
}

func isMailboxPermissionOp(op string) bool {
	switch op {
	case "Add-MailboxPermission", "Remove-MailboxPermission", "Add-RecipientPermission", "Remove-RecipientPermission",
		"Add-MailboxFolderPermission", "Set-MailboxFolderPermission", "Remove-MailboxFolderPermission":
		return true
	}
	return false
}

// mapMailboxPermission maps grants of access to a mailbox or folder.
func mapMailboxPermission[S ~string](e *timeline.Event, u *ualRecordOf[S], op string) {
	e.Category = timeline.CategoryAdmin
	params := u.Parameters.nameValues(u.buf(3))
	id := firstNonEmpty(nvGet(params, "Identity"), string(u.ObjectID))
	mbx, _, _ := strings.Cut(id, ":\\") // folder permissions name "mailbox:\Folder"
	e.Target, e.TargetKind = lower(mbx), string(timeline.KindMailbox)
	who := firstNonEmpty(nvGet(params, "User"), nvGet(params, "Trustee"))
	rights := nvGet(params, "AccessRights")
	verb := "granted"
	if strings.HasPrefix(op, "Remove-") {
		verb = "removed"
	}
	what := verb + " " + firstNonEmpty(rights, "permissions") + " on " + id
	if who != "" {
		if verb == "granted" {
			what += " to " + who
		} else {
			what += " from " + who
		}
	}
	e.Message = ualMessage(e, what+" ("+op+")")
}

// mapUALLogin maps UserLoggedIn/UserLoginFailed (RecordType 15): ObjectId
// is the resource app, ApplicationId the client.
func mapUALLogin[S ~string](e *timeline.Event, u *ualRecordOf[S], op string, ext []nameValue) {
	e.Category = timeline.CategorySignin
	if _, ok := parseGUID(string(u.ObjectID)); ok {
		e.ResourceApp = lower(string(u.ObjectID))
	}
	if op == "UserLoginFailed" {
		e.Outcome = timeline.OutcomeFailure
	}
	code := strings.TrimSpace(string(u.ErrorNumber))
	if e.Outcome == timeline.OutcomeFailure || (code != "" && code != "0") {
		e.Reason = strings.TrimSpace(strings.Join(nonEmpty(code, firstNonEmpty(string(u.LogonError), nvGet(ext, "ResultStatusDetail"))), ": "))
	}
	what := "signed in"
	if e.Outcome == timeline.OutcomeFailure {
		what = "tried to sign in"
	}
	if r := firstNonEmpty(e.ResourceApp, string(u.ObjectID)); r != "" {
		what += " to " + r
	}
	if e.AppID != "" {
		what += " with " + e.AppID
	}
	e.Message = ualMessage(e, what)
}

// mapUALDirectory maps Entra directory changes as the UAL carries them
// (RecordType 8): the same activities as entra.audit under other names
// ("Add service principal credentials." with a period), ModifiedProperties
// with Name/NewValue/OldValue, InterSystemsId = the Entra correlationId.
func mapUALDirectory[S ~string](e *timeline.Event, u *ualRecordOf[S], op string) {
	e.Category = auditCategory(op)
	target := string(u.ObjectID)
	e.Target, e.TargetKind = lower(target), targetKindFor(target)
	if e.Category == timeline.CategoryCredential {
		e.TargetKind = string(timeline.KindApp)
	}
	var added []string
	if isCredentialAdd(op) {
		for _, m := range u.ModifiedProperties.nameValues(u.buf(4)) {
			if strings.EqualFold(string(m.Name), "KeyDescription") {
				added = append(added, addedKeyIDs(string(m.OldValue), string(m.NewValue))...)
			}
		}
		if len(added) > 0 && e.Outcome != timeline.OutcomeFailure {
			e.IssuedKind, e.IssuedID = timeline.IssuedKey, added[0]
		}
	}
	what := strings.TrimRight(strings.TrimSpace(op), ".") + onText(target)
	if len(added) > 0 {
		what += " (added key " + strings.Join(added, ", ") + ")"
	}
	e.Message = ualMessage(e, what)
}

// mapExchangeItem maps mailbox item operations (Create, Update,
// SoftDelete, HardDelete, MoveToDeletedItems, …).
func mapExchangeItem[S ~string](e *timeline.Event, u *ualRecordOf[S], op string) {
	e.Category = timeline.CategoryMail
	owner := lower(string(u.MailboxOwnerUPN))
	e.Target, e.TargetKind = owner, string(timeline.KindMailbox)
	what := op
	if subject := u.Item.itemSubject(); subject != "" {
		what += " \"" + truncate(subject, 100) + "\""
	}
	if n := u.AffectedItems.affectedCount(); n > 0 {
		what += " (" + strconv.Itoa(n) + " items)"
	}
	if owner != "" && owner != e.Actor {
		what += " in " + owner + "'s mailbox"
	}
	if c := clientName(string(u.ClientInfoString)); c != "" {
		what += " via " + c
	}
	e.Message = ualMessage(e, what)
}

// ualMessage writes "<actor> <what> from <ip>: <outcome>".
func ualMessage(e *timeline.Event, what string) string {
	actor := firstNonEmpty(e.Actor, "unknown user")
	reason := ""
	if e.Outcome == timeline.OutcomeFailure {
		reason = truncate(e.Reason, 120)
	}
	var b strings.Builder
	b.Grow(len(actor) + 1 + len(what) + 6 + len(e.SrcIP) + 11 + len(reason))
	b.WriteString(actor)
	b.WriteString(" ")
	b.WriteString(what)
	if e.SrcIP != "" {
		b.WriteString(" from ")
		b.WriteString(e.SrcIP)
	}
	if e.Outcome == timeline.OutcomeFailure {
		b.WriteString(": failed")
		if reason != "" {
			b.WriteString(" (")
			b.WriteString(reason)
			b.WriteString(")")
		}
	}
	return b.String()
}

// lowerIn reports whether strings.ToLower(s) is one of ts (lower-case
// ASCII), without lower-casing an ASCII s.
func lowerIn(s string, ts ...string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return slices.Contains(ts, strings.ToLower(s))
		}
	}
	for _, t := range ts {
		if strings.EqualFold(s, t) {
			return true
		}
	}
	return false
}

func onText(target string) string {
	if strings.TrimSpace(target) == "" {
		return ""
	}
	return " on " + target
}

// targetKindFor guesses nothing: a UPN-looking target is an identity, any
// other non-empty one a resource.
func targetKindFor(target string) string {
	switch {
	case strings.TrimSpace(target) == "":
		return ""
	case strings.Contains(target, "@") && !strings.ContainsAny(target, "/\\ "):
		return string(timeline.KindIdentity)
	}
	return string(timeline.KindResource)
}

// ualActorKind maps UserType (an int in AuditData, a name in
// OfficeActivity: formats.md §3b).
func ualActorKind(userType, actor string) timeline.ActorKind {
	if actor == "" {
		return ""
	}
	if actor == "s-1-5-18" || strings.HasPrefix(actor, "nt authority\\") {
		return timeline.ActorService // Exchange's own system account (formats.md §3d)
	}
	switch ut := strings.TrimSpace(userType); {
	case lowerIn(ut, "0", "regular", "2", "admin", "1", "reserved"):
		return timeline.ActorUser
	case lowerIn(ut, "3", "dcadmin", "4", "system"):
		return timeline.ActorService
	case lowerIn(ut, "5", "application", "6", "serviceprincipal"):
		return timeline.ActorServicePrincipal
	case ut == "":
		if strings.Contains(actor, "@") {
			return timeline.ActorUser
		}
	}
	return timeline.ActorUnknown
}

// ualRecordType reads RecordType as a number (AuditData, Purview) or the
// few enum names that matter here (Search-UnifiedAuditLog objects).
func ualRecordType(s string) int {
	s = strings.TrimSpace(s)
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	switch strings.ToLower(s) {
	case "exchangeadmin":
		return 1
	case "exchangeitem":
		return 2
	case "exchangeitemgroup":
		return 3
	case "azureactivedirectory":
		return 8
	case "azureactivedirectorystslogon":
		return 15
	case "exchangeitemaggregated":
		return 50
	}
	return 0
}

// clientName shortens ClientInfoString ("Client=REST;;",
// "Client=OWA;Action=ViaProxy") to the client's name.
func clientName(info string) string {
	info = strings.TrimSpace(info)
	if rest, ok := strings.CutPrefix(info, "Client="); ok {
		name, _, _ := strings.Cut(rest, ";")
		return name
	}
	return ""
}

// nvGet returns the value of the named entry (case-insensitive name).
func nvGet(list []nameValue, name string) string {
	for _, nv := range list {
		if strings.EqualFold(string(nv.Name), name) {
			return firstNonEmpty(string(nv.Value), string(nv.NewValue))
		}
	}
	return ""
}

// nvHas reports whether the named entry is present, empty or not.
func nvHas(list []nameValue, name string) bool {
	for _, nv := range list {
		if strings.EqualFold(string(nv.Name), name) {
			return true
		}
	}
	return false
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			out = append(out, s)
		}
	}
	return out
}

// guidOnly returns s when it is a GUID: OfficeActivity's OfficeTenantId can
// hold a connector placeholder such as "$RestApiTenantId$".
func guidOnly(s string) string {
	if _, ok := parseGUID(strings.TrimSpace(s)); ok {
		return s
	}
	return ""
}

// reprField finds `Key: 'value'`, `'Key': 'value'` or `Key=value` in the
// Python-repr-like rendering some CSV exports give AppAccessContext
// (formats.md §3b).
var reprField = regexp.MustCompile(`(?i)['"]?(AADSessionId|CorrelationId|UniqueTokenId|ClientAppId|ClientAppName)['"]?\s*[:=]\s*['"]?([^'",}\s]+)`)

// decodeLoose decodes an AppAccessContext that is JSON (possibly in a
// string) or, failing that, a repr-like string.
func decodeLoose(f flexJSON, v *ualAccessContext) {
	if f.Decode(v) == nil {
		return
	}
	*v = ualAccessContext{}
	var s string
	if json.Unmarshal(f.Bytes(), &s) != nil {
		s = string(f.Bytes())
	}
	for _, m := range reprField.FindAllStringSubmatch(s, -1) {
		val := flexString(m[2])
		switch strings.ToLower(m[1]) {
		case "aadsessionid":
			v.AADSessionID = val
		case "correlationid":
			v.CorrelationID = val
		case "uniquetokenid":
			v.UniqueTokenID = val
		case "clientappid":
			v.ClientAppID = val
		case "clientappname":
			v.ClientAppName = val
		}
	}
}
