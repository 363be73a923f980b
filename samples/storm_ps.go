package samples

import "strconv"

// PowerShell sign-ins written in their final layout. psArraySink used to
// take each sign-in compact and indent it (psIndent), a second pass over
// every byte that was 18% of storm-0558's user time: sign-ins are 92% of
// the PowerShell exports' bytes. A Graph sign-in is the same run of
// constant text between its values at every record (a nested object's
// indentation follows from its key), so that text is laid out once per
// tenant, by psIndent itself, and signInPS appends it with the values.

// psSignIn holds a tenant's constant runs of a sign-in in PowerShell's
// layout, each from the end of one value to the start of the next (see
// signInGraph, whose order signInPS follows).
type psSignIn struct {
	head, created, corr, cas, origReq, interactive, tokenType,
	uti, eventTypes, requirement, asn, status, failure, details,
	os, browser, location, end string
	// loc and phoneLoc are msTenant.location and phoneLocation laid out.
	loc, phoneLoc string
}

// psBuilder lays out compact JSON text one run at a time: run returns
// the PowerShell layout of its run, given all the text before it (a
// record starting at column 4, as psArraySink writes them). psIndent
// reads ahead one byte only after an opening bracket, so runs must not
// split an empty "[]" or "{}".
type psBuilder struct {
	compact []byte
	laidOut int // len(psIndent of compact)
}

func (p *psBuilder) run(s string) string {
	p.compact = append(p.compact, s...)
	out := psIndent([]byte("    "), p.compact, 4)
	r := string(out[p.laidOut:])
	p.laidOut = len(out)
	return r
}

// value adds a value's text (a JSON scalar: copied as it is).
func (p *psBuilder) value(s string) { p.run(s) }

// fork is a copy of p to lay out one of several runs that may follow.
func (p *psBuilder) fork() *psBuilder {
	return &psBuilder{compact: append([]byte(nil), p.compact...), laidOut: p.laidOut}
}

// psSignInParts lays out t's sign-in runs, its users' (signInPartPS) and
// its apps' (signInAppParts' PS fields), in the context of a sample
// sign-in: values are scalars, so their lengths do not change the layout
// of what follows them.
func (t *msTenant) psSignInParts() {
	ps := &psSignIn{}
	b := &psBuilder{laidOut: len("    ")} // psIndent is given the record's indentation
	ps.head = b.run(`{"id":"`)
	b.value("00000000-0000-0000-0000-000000000000")
	ps.created = b.run(`","createdDateTime":"`)
	b.value("2023-05-08T00:00:00Z")
	for i := range t.users {
		u := &t.users[i]
		u.signInPartPS = b.fork().run(u.signInPart)
	}
	b.run(t.users[0].signInPart)
	for _, parts := range t.signInApp {
		f := b.fork()
		parts.appPS = f.run(parts.app)
		f.value(`"1.2.3.4"`)
		parts.clientPS = f.run(parts.client)
	}
	parts := t.signInApp[appOWA]
	b.run(parts.app)
	b.value(`"1.2.3.4"`)
	b.run(parts.client)
	b.value(`"ua"`)
	ps.corr = b.run(`,"correlationId":"`)
	b.value("00000000-0000-0000-0000-000000000000")
	ps.cas = b.run(`","conditionalAccessStatus":`)
	b.value(`"success"`)
	ps.origReq = b.run(`,"originalRequestId":"`)
	b.value("00000000-0000-0000-0000-000000000000")
	ps.interactive = b.run(`","isInteractive":`)
	b.value("true")
	ps.tokenType = b.run(`,"tokenIssuerName":"","tokenIssuerType":"AzureAD","authenticationProtocol":"none","incomingTokenType":`)
	b.value(`"none"`)
	for _, parts := range t.signInApp {
		parts.resourcePS = b.fork().run(parts.resource)
	}
	b.run(parts.resource)
	b.value("00000000-0000-0000-0000-000000000000")
	ps.uti = b.run(`","uniqueTokenIdentifier":"`)
	b.value("AAAAAAAAAAAAAAAAAAAAAA")
	ps.eventTypes = b.run(`","signInEventTypes":[`)
	b.value(`"interactiveUser"`)
	ps.requirement = b.run(`],"authenticationRequirement":`)
	b.value(`"multiFactorAuthentication"`)
	ps.asn = b.run(`,"autonomousSystemNumber":`)
	b.value("8075")
	ps.status = b.run(`,"crossTenantAccessType":"none","riskDetail":"none","riskLevelAggregated":"none","riskLevelDuringSignIn":"none","riskState":"none","riskEventTypes_v2":[],"status":{"errorCode":`)
	b.value("0")
	ps.failure = b.run(`,"failureReason":`)
	b.value(`"Other."`)
	ps.details = b.run(`,"additionalDetails":`)
	b.value("null")
	ps.os = b.run(`},"deviceDetail":{"deviceId":"","displayName":"","operatingSystem":`)
	b.value(`"Windows10"`)
	ps.browser = b.run(`,"browser":`)
	b.value(`"Edge"`)
	ps.location = b.run(`,"isCompliant":false,"isManaged":false,"trustType":""},"location":`)
	ps.phoneLoc = b.fork().run(t.phoneLocation)
	ps.loc = b.run(t.location)
	ps.end = b.run("}")
	t.ps = ps
}

// signInPS appends what psIndent(signInGraph(s)) appends for a record at
// column 4 (TestCommitted and the committed PowerShell exports hold it
// byte for byte). A sign-in of an app signInParts does not list is built
// compact and indented.
func (st *storm) signInPS(b []byte, t *msTenant, s *signIn) []byte {
	ps := t.ps
	parts := t.signInApp[s.app]
	if parts == nil {
		c := st.signInGraph(t.scratch[0][:0], t, s, false)
		t.scratch[0] = c
		return psIndent(b, c, 4)
	}
	b = append(b, ps.head...)
	b = appendGUID(b, s.id)
	b = append(b, ps.created...)
	b = appendISO(b, s.t, 0, "Z")
	b = append(b, s.u.signInPartPS...)
	b = append(b, parts.appPS...)
	b = appendStrIf(b, s.clean, s.ip)
	b = append(b, parts.clientPS...)
	b = appendStrIf(b, s.clean, s.ua)
	b = append(b, ps.corr...)
	b = appendGUID(b, s.corr)
	b = append(b, ps.cas...)
	b = append(b, s.casStatus()...)
	b = append(b, ps.origReq...)
	b = appendGUID(b, s.req)
	b = append(b, ps.interactive...)
	b = strconv.AppendBool(b, s.interactive)
	b = append(b, ps.tokenType...)
	b = append(b, s.incomingTokenType()...)
	b = append(b, parts.resourcePS...)
	b = appendGUID(b, s.session)
	b = append(b, ps.uti...)
	b = appendUTI(b, s.id)
	b = append(b, ps.eventTypes...)
	b = append(b, s.eventType()...)
	b = append(b, ps.requirement...)
	b = append(b, s.authRequirement()...)
	b = append(b, ps.asn...)
	b = append(b, s.asn()...)
	b = append(b, ps.status...)
	b = strconv.AppendInt(b, int64(s.errCode), 10)
	b = append(b, ps.failure...)
	b = appendStr(b, failureReason(s.errCode))
	b = append(b, ps.details...)
	b = append(b, s.additionalDetails()...)
	b = append(b, ps.os...)
	b = appendStrIf(b, s.clean, s.os)
	b = append(b, ps.browser...)
	b = appendStrIf(b, s.clean, s.browser)
	b = append(b, ps.location...)
	if s.onPhone() {
		b = append(b, ps.phoneLoc...)
	} else {
		b = append(b, ps.loc...)
	}
	return append(b, ps.end...)
}
