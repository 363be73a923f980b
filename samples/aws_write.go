package samples

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
	"unsafe"
)

// awsPartUnits is the most plan units one job writes of a day. Larger
// scales split each day into parts of their own (own random stream, own
// objects, as CloudTrail delivers several objects per region and hour):
// a part's records stay few enough to sort and encode from cache, and
// memory does not grow with the scale. Scale 10 and below is one part.
const awsPartUnits = 800

// awsParts splits units into about equal parts of at most awsPartUnits.
func awsParts(units int) []int {
	n := max(1, (units+awsPartUnits-1)/awsPartUnits)
	parts := make([]int, n)
	for i := range parts {
		parts[i] = units / n
		if i < units%n {
			parts[i]++
		}
	}
	return parts
}

// writeDay writes one day of every account's CloudTrail S3 delivery
// objects, or one part of the day: the normal activity of units plan
// units, with the attack merged in by time when attack is set (the first
// part).
//
// src is r's source (session tokens are drawn when encoded, see
// ctEvent.credKey).
func (a *awsScenario) writeDay(ctx context.Context, o *output, r *rand.Rand, src *rand.PCG, start time.Time, units int, attack bool) error {
	// About what a weekday makes (growing a slice of records costs more
	// than building them).
	all := a.background(r, src, a.accounts[0], start, units, make([]ctEvent, 0, 128*units))
	for _, ac := range a.accounts[1:] {
		all = a.background(r, src, ac, start, units, all)
	}
	// Background addresses and user agents need no JSON escaping
	// (TestClean checks them): encode skips the escape scan for them.
	for i := range all {
		all[i].clean = true
	}
	// The day's attack records go after the background, so that an index
	// names the same record as when each account's records were copied
	// into a slice of their own (the order of equal times is kept).
	for _, ac := range a.accounts {
		if !attack {
			break
		}
		for _, e := range a.attack[ac.id] {
			if !e.t.Before(start) && e.t.Before(start.AddDate(0, 0, 1)) {
				all = append(all, e)
			}
		}
	}
	day := all
	var idx, mine []int
	var keys []int64
	for _, ac := range a.accounts {
		if err := ctx.Err(); err != nil {
			return err
		}
		mine = mine[:0]
		var t0 int64
		for i := range all {
			if all[i].account == ac.id {
				if ns := all[i].t.UnixNano(); len(mine) == 0 || ns < t0 {
					t0 = ns
				}
				mine = append(mine, i)
			}
		}
		// One object per region and hour, as the trail delivers them:
		// records ordered by region (by name), then time, then the order
		// made, with a single sort of keys (region rank above 2⁵² ns,
		// 52 days, of time since the account's first record), so that
		// the grouping below reads the keys, not the records.
		var order []string
		for _, i := range mine {
			if rg := day[i].region; !slices.Contains(order, rg) {
				order = append(order, rg)
			}
		}
		slices.Sort(order)
		keys = keys[:0]
		for _, i := range mine {
			keys = append(keys, int64(slices.Index(order, day[i].region))<<52|(day[i].t.UnixNano()-t0))
		}
		idx = sortIdx(idx, len(mine), func(k int) int64 { return keys[k] })
		sorted := make([]int64, len(idx))
		for k, i := range idx {
			sorted[k] = keys[i]
			idx[k] = mine[i]
		}
		const mask = 1<<52 - 1
		at := func(k int64) time.Time { return time.Unix(0, t0+k&mask).UTC() }
		for len(idx) > 0 {
			rg := order[sorted[0]>>52]
			h := at(sorted[0]).Truncate(time.Hour)
			end := sorted[0]&^mask | (h.Add(time.Hour).UnixNano() - t0)
			n := 0
			for n < len(idx) && sorted[n] < end {
				n++
			}
			lastT := day[idx[n-1]].t
			stamp := lastT.Add(5 * time.Minute).Truncate(5 * time.Minute)
			rel := fmt.Sprintf("AWSLogs/%s/%s/CloudTrail/%s/%s/%s_CloudTrail_%s_%s_%s.json.gz",
				awsOrgID, ac.id, rg, lastT.Format("2006/01/02"), ac.id, rg, stamp.Format("20060102T1504Z"), randFrom(r, alnum, 16))
			// The digest of the hour the file was delivered in: us-east-1,
			// for the incident's days (Saturday to Monday), which is what
			// a responder validating log integrity would pull. Only those
			// files are hashed.
			dh := stamp.Add(-time.Nanosecond).Truncate(time.Hour)
			digested := rg == "us-east-1" && !dh.Before(awsAttack.Truncate(24*time.Hour)) && dh.Before(awsDetection.Truncate(24*time.Hour).AddDate(0, 0, 1))
			var w *fileWriter
			var err error
			if digested {
				w, err = o.createHashed(rel)
			} else {
				w, err = o.create(rel)
			}
			if err != nil {
				return err
			}
			w.writeString(`{"Records":[`)
			for k, i := range idx[:n] {
				prefetchAhead(day, idx, k)
				if o.checkClean && day[i].clean && !(isClean(day[i].ip) && isClean(day[i].ua)) {
					return fmt.Errorf("samples: %s: background record with a string that needs escaping: %q %q", rel, day[i].ip, day[i].ua)
				}
				// Encoded in place, into the object's current stored block
				// (or its buffer).
				b := w.recBuf()
				if k > 0 {
					b = append(b, ',')
				}
				w.endRecord(a.encode(b, r, &day[i]))
			}
			w.writeString("]}")
			if err := w.close(); err != nil {
				return err
			}
			if digested {
				a.mu.Lock()
				if a.digests[ac.id] == nil {
					a.digests[ac.id] = map[time.Time][]digestEntry{}
				}
				a.digests[ac.id][dh] = append(a.digests[ac.id][dh], digestEntry{rel, w.sum(), day[idx[0]].t, lastT})
				a.mu.Unlock()
			}
			idx, sorted = idx[n:], sorted[n:]
		}
	}
	return nil
}

// prefetchAhead asks for what encoding day[idx[k+d]] will read, in
// stages, so that each stage's pointers are in cache when the next
// stage follows them: the record 16 ahead, its identity and JSON texts
// 8 ahead, the identity's JSON 4 ahead. Records are encoded in time
// order, far from where they were made: each was a chain of cache
// misses (record, identity, identity JSON).
func prefetchAhead(day []ctEvent, idx []int, k int) {
	if k+16 < len(idx) {
		prefetch(unsafe.Pointer(&day[idx[k+16]]), unsafe.Sizeof(ctEvent{}))
	}
	if k+8 < len(idx) {
		e := &day[idx[k+8]]
		prefetch(unsafe.Pointer(e.ident), unsafe.Sizeof(ctIdentity{}))
		for _, s := range [...]string{e.req, e.res, e.resp, e.extra} {
			if len(s) > 0 {
				prefetch(unsafe.Pointer(unsafe.StringData(s)), uintptr(len(s)))
			}
		}
	}
	if k+4 < len(idx) {
		if j := day[idx[k+4]].ident.json; len(j) > 0 {
			prefetch(unsafe.Pointer(unsafe.StringData(j)), uintptr(len(j)))
		}
	}
}

// digestEntry is one log file as a CloudTrail digest lists it.
type digestEntry struct {
	object, sha256 string
	oldest, newest time.Time
}

const awsTrailBucket = "acme-org-cloudtrail-logs"

// writeDigests writes, after every day's job, the hourly CloudTrail-Digest
// files collected by writeDay: each lists the hour's files with
// their SHA-256 and chains to the previous digest. The signatures (kept in
// S3 object metadata, not here) are not modelled; previousDigestSignature
// is random hex.
func (a *awsScenario) writeDigests(o *output, r *rand.Rand) error {
	fingerprint := randHex(r, 32)
	for _, ac := range a.accounts {
		if err := a.writeAccountDigests(o, r, ac, a.digests[ac.id], fingerprint); err != nil {
			return err
		}
	}
	return nil
}

func (a *awsScenario) writeAccountDigests(o *output, r *rand.Rand, ac *awsAccount, digests map[time.Time][]digestEntry, fingerprint string) error {
	hours := make([]time.Time, 0, len(digests))
	for h := range digests {
		hours = append(hours, h)
		// Files of one hour may come from two days' jobs: a stable order.
		slices.SortFunc(digests[h], func(x, y digestEntry) int { return strings.Compare(x.object, y.object) })
	}
	slices.SortFunc(hours, func(x, y time.Time) int { return x.Compare(y) })
	var prevObject, prevHash string
	var b []byte
	for _, h := range hours {
		end := h.Add(time.Hour)
		rel := fmt.Sprintf("AWSLogs/%s/%s/CloudTrail-Digest/us-east-1/%s/%s_CloudTrail-Digest_us-east-1_org-trail_us-east-1_%s.json.gz",
			awsOrgID, ac.id, h.Format("2006/01/02"), ac.id, end.Format("20060102T150405Z"))
		files := digests[h]
		oldest, newest := files[0].oldest, files[0].newest
		for _, f := range files {
			if f.oldest.Before(oldest) {
				oldest = f.oldest
			}
			if f.newest.After(newest) {
				newest = f.newest
			}
		}
		b = append(b[:0], `{"awsAccountId":"`...)
		b = append(b, ac.id...)
		b = append(b, `","digestStartTime":"`...)
		b = appendISO(b, h, 0, "Z")
		b = append(b, `","digestEndTime":"`...)
		b = appendISO(b, end, 0, "Z")
		b = append(b, `","digestS3Bucket":"`+awsTrailBucket+`","digestS3Object":"`...)
		b = append(b, rel...)
		b = append(b, `","digestPublicKeyFingerprint":"`...)
		b = append(b, fingerprint...)
		b = append(b, `","digestSignatureAlgorithm":"SHA256withRSA","newestEventTime":"`...)
		b = appendISO(b, newest, 0, "Z")
		b = append(b, `","oldestEventTime":"`...)
		b = appendISO(b, oldest, 0, "Z")
		b = append(b, `","previousDigestS3Bucket":`...)
		if prevObject == "" {
			b = append(b, `null,"previousDigestS3Object":null,"previousDigestHashValue":null,"previousDigestHashAlgorithm":null,"previousDigestSignature":null`...)
		} else {
			b = append(b, `"`+awsTrailBucket+`","previousDigestS3Object":"`...)
			b = append(b, prevObject...)
			b = append(b, `","previousDigestHashValue":"`...)
			b = append(b, prevHash...)
			b = append(b, `","previousDigestHashAlgorithm":"SHA-256","previousDigestSignature":"`...)
			b = appendRand(b, r, hexDigits, 512)
			b = append(b, '"')
		}
		b = append(b, `,"logFiles":[`...)
		for i, f := range files {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"s3Bucket":"`+awsTrailBucket+`","s3Object":"`...)
			b = append(b, f.object...)
			b = append(b, `","hashValue":"`...)
			b = append(b, f.sha256...)
			b = append(b, `","hashAlgorithm":"SHA-256","newestEventTime":"`...)
			b = appendISO(b, f.newest, 0, "Z")
			b = append(b, `","oldestEventTime":"`...)
			b = appendISO(b, f.oldest, 0, "Z")
			b = append(b, `"}`...)
		}
		b = append(b, "]}"...)
		w, err := o.createHashed(rel)
		if err != nil {
			return err
		}
		w.write(b) // a digest holds no events
		if err := w.close(); err != nil {
			return err
		}
		prevObject, prevHash = rel, w.sum()
	}
	return nil
}

// encode appends one CloudTrail record, fields in CloudTrail's order.
func (a *awsScenario) encode(b []byte, r *rand.Rand, e *ctEvent) []byte {
	b = append(b, `{"eventVersion":"1.09","userIdentity":`...)
	b = append(b, e.ident.json...)
	b = append(b, `,"eventTime":"`...)
	b = appendISO(b, e.t, 0, "Z")
	b = append(b, `","eventSource":"`...)
	b = append(b, e.source...)
	b = append(b, `","eventName":"`...)
	b = append(b, e.name...)
	b = append(b, `","awsRegion":"`...)
	b = append(b, e.region...)
	b = append(b, `","sourceIPAddress":`...)
	b = appendStrIf(b, e.clean, e.ip)
	b = append(b, `,"userAgent":`...)
	b = appendStrIf(b, e.clean, e.ua)
	if e.errCode != "" {
		b = append(b, `,"errorCode":`...)
		b = appendStr(b, e.errCode)
		b = append(b, `,"errorMessage":`...)
		b = appendStr(b, e.errMsg)
	}
	b = append(b, `,"requestParameters":`...)
	if e.req == "" {
		b = append(b, "null"...)
	} else {
		b = append(b, e.req...)
	}
	b = append(b, `,"responseElements":`...)
	switch {
	case e.credKey != "":
		b = appendCreds(b, e)
	case e.resp == "":
		b = append(b, "null"...)
	default:
		b = append(b, e.resp...)
	}
	if e.extra != "" {
		b = append(b, `,"additionalEventData":`...)
		b = append(b, e.extra...)
	}
	b = append(b, `,"requestID":"`...)
	if e.source == "s3.amazonaws.com" {
		b = appendRand(b, r, "0123456789ABCDEF", 16)
	} else {
		b = appendGUID(b, newGUID(r))
	}
	b = append(b, `","eventID":"`...)
	b = appendGUID(b, newGUID(r))
	b = append(b, '"')
	if e.eventType != "AwsConsoleSignIn" {
		b = append(b, `,"readOnly":`...)
		b = strconv.AppendBool(b, e.readOnly)
	}
	if e.res != "" {
		b = append(b, `,"resources":`...)
		b = append(b, e.res...)
	}
	b = append(b, `,"eventType":"`...)
	switch {
	case e.eventType != "":
		b = append(b, e.eventType...)
	case e.service:
		b = append(b, "AwsServiceEvent"...)
	default:
		b = append(b, "AwsApiCall"...)
	}
	b = append(b, `","managementEvent":`...)
	b = strconv.AppendBool(b, !e.data)
	b = append(b, `,"recipientAccountId":"`...)
	b = append(b, e.account...)
	b = append(b, '"')
	if e.hasShared {
		b = append(b, `,"sharedEventID":"`...)
		b = appendGUID(b, e.shared)
		b = append(b, '"')
	}
	if e.data {
		b = append(b, `,"eventCategory":"Data"`...)
	} else {
		b = append(b, `,"eventCategory":"Management"`...)
	}
	if e.ip != "" && e.ip[0] >= '0' && e.ip[0] <= '9' {
		b = append(b, `,"tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"`...)
		b = append(b, e.source...)
		b = append(b, `"}`...)
	}
	return append(b, '}')
}

// background appends one day of an account's normal activity: units
// plan units of it.
func (a *awsScenario) background(r *rand.Rand, src *rand.PCG, ac *awsAccount, day time.Time, units int, out []ctEvent) []ctEvent {
	weekday := day.Weekday() != time.Saturday && day.Weekday() != time.Sunday
	data := a.accounts[2]
	at := func(fromH, toH int) time.Time {
		return day.Add(time.Duration(fromH*3600+r.IntN((toH-fromH)*3600)) * time.Second)
	}
	add := func(e ctEvent) { out = append(out, e) }
	switch ac.name {
	case "ci-tools":
		// The pipeline deploys with the CI key (the new one after the
		// response), and engineers use their own keys.
		for range units {
			if !weekday {
				break
			}
			for n := 2 + r.IntN(5); n > 0; n-- {
				t := at(13, 23)
				key := a.ci.key
				if !t.Before(awsDetection) {
					key = a.ci.key2
				}
				a.deploy(r, src, add, t, a.ci, key, a.ci.ips[r.IntN(len(a.ci.ips))], false)
			}
			for _, p := range a.people[1:] {
				if r.IntN(3) == 0 {
					continue
				}
				t := at(14, 22)
				add(ctEvent{t: t, ident: a.ciUser(p, p.key), source: "sts.amazonaws.com", name: "GetCallerIdentity", region: "us-east-1", ip: p.ips[0], ua: p.uas[uaWhoami], readOnly: true, account: ac.id})
				a.deploy(r, src, add, t.Add(time.Duration(20+r.IntN(300))*time.Second), p, p.key, p.ips[0], p.name == "marcus.lee")
			}
		}
	case "prod", "data":
		// Instance-profile credentials, AWS Config, and the nightly export.
		for range units {
			for n := 8 + r.IntN(8); n > 0; n-- {
				t := at(0, 24)
				key := awsKey(r, "ASIA")
				sess := "i-0" + randHex(r, 16)
				shared := newGUID(r)
				cred := skipToken(src) // written by encode
				add(ctEvent{t: t, ident: awsServiceEC2, source: "sts.amazonaws.com", name: "AssumeRole", region: "us-east-1",
					ip: "ec2.amazonaws.com", ua: "ec2.amazonaws.com", service: true, readOnly: true, account: ac.id, shared: shared, hasShared: true,
					req:     `{"roleArn":"arn:aws:iam::` + ac.id + `:role/app-server","roleSessionName":"` + sess + `"}`,
					credKey: key, cred: cred, credDur: 6 * time.Hour, resp: `"}}`,
					res: ac.appServerRes})
				ident := a.assumedRole(ac.id, "app-server", sess, key, t)
				ip := "10.40." + strconv.Itoa(r.IntN(16)) + "." + strconv.Itoa(4+r.IntN(250))
				for k := 1 + r.IntN(3); k > 0; k-- {
					t = t.Add(time.Duration(1+r.IntN(50)) * time.Minute)
					switch r.IntN(3) {
					case 0:
						add(ctEvent{t: t, ident: ident, source: "ssm.amazonaws.com", name: "GetParameter", region: "us-east-1", ip: ip, ua: "aws-sdk-go-v2/1.25.2 os/linux lang/go#1.22.0 md/GOOS#linux md/GOARCH#amd64 api/ssm#1.49.0",
							req: `{"name":"/app/prod/db-url","withDecryption":true}`, readOnly: true, account: ac.id})
					case 1:
						add(ctEvent{t: t, ident: ident, source: "kms.amazonaws.com", name: "Decrypt", region: "us-east-1", ip: ip, ua: "aws-sdk-go-v2/1.25.2 os/linux lang/go#1.22.0 api/kms#1.29.1",
							req: `{"encryptionAlgorithm":"SYMMETRIC_DEFAULT"}`, readOnly: true, account: ac.id,
							res: `[{"accountId":"` + ac.id + `","type":"AWS::KMS::Key","ARN":"arn:aws:kms:us-east-1:` + ac.id + `:key/` + newGUID(r).String() + `"}]`})
					default:
						add(ctEvent{t: t, ident: ident, source: "secretsmanager.amazonaws.com", name: "GetSecretValue", region: "us-east-1", ip: ip, ua: "aws-sdk-go-v2/1.25.2 os/linux lang/go#1.22.0 api/secretsmanager#1.28.1",
							req: `{"secretId":"prod/app/api-keys"}`, readOnly: true, account: ac.id})
					}
				}
			}
			for n := 2 + r.IntN(4); n > 0; n-- {
				t := at(0, 24)
				ident := a.assumedRoleX(ac.id, "AWSServiceRoleForConfig", "AWSConfig-Describe", awsKey(r, "ASIA"), t.Add(-time.Duration(r.IntN(3000))*time.Second), `,"invokedBy":"config.amazonaws.com"`)
				add(ctEvent{t: t, ident: ident, source: "ec2.amazonaws.com", name: []string{"DescribeInstances", "DescribeSecurityGroups", "DescribeVolumes"}[r.IntN(3)],
					region: []string{"us-east-1", "us-west-2"}[r.IntN(2)], ip: "config.amazonaws.com", ua: "config.amazonaws.com", readOnly: true, account: ac.id})
			}
			if ac == data {
				t := at(3, 4)
				key := awsKey(r, "ASIA")
				sess := "GlueJobRunnerSession"
				ident := a.assumedRole(ac.id, "OrganizationAccountAccessRole", sess, key, t)
				for n := 2 + r.IntN(3); n > 0; n-- {
					t = t.Add(time.Duration(5+r.IntN(60)) * time.Second)
					obj := fmt.Sprintf("exports/%s/customers-%04d.csv.gz", t.Format("2006/01"), r.IntN(10000))
					add(ctEvent{t: t, ident: ident, source: "s3.amazonaws.com", name: "PutObject", region: "us-east-1", ip: "glue.amazonaws.com", ua: "[aws-sdk-java/1.12.470 Linux/5.10 OpenJDK_64-Bit_Server_VM/25.372-b08 java/1.8.0_372 scala/2.12.15 vendor/Amazon.com_Inc. cfg/retry-mode/standard]",
						req:   `{"bucketName":"acme-customer-exports","Host":"acme-customer-exports.s3.us-east-1.amazonaws.com","key":"` + obj + `"}`,
						extra: s3Extra(r, 0), res: s3ObjectRes("acme-customer-exports", obj, ac.id), data: true, account: ac.id})
				}
			}
		}
	}
	return out
}

// sessionTokenLen is the length of a session token's random part.
const sessionTokenLen = 600

// skipToken returns a copy of src where a session token's draws start,
// and steps src past them: the token is drawn from the copy when the
// record is encoded (ctEvent.cred, appendCreds), and the stream goes on
// as if it had been drawn here.
func skipToken(src *rand.PCG) rand.PCG {
	cred := *src
	skipRand(src, sessionTokenLen)
	return cred
}

// appendCreds appends the responseElements of e, an AssumeRole with
// credentials (ctEvent.credKey).
func appendCreds(b []byte, e *ctEvent) []byte {
	b = append(b, `{"credentials":{"accessKeyId":"`...)
	b = append(b, e.credKey...)
	b = append(b, `","sessionToken":"IQoJb3JpZ2luX2VjE`...)
	src := e.cred // a copy: the role account's copy of the record draws the same token
	b = appendRandPCG(b, &src, b64std, sessionTokenLen)
	b = append(b, `","expiration":"`...)
	b = appendSTSDate(b, e.t.Add(e.credDur))
	return append(b, e.resp...)
}

// deploy is one pipeline run or engineer session: AssumeRole into the
// production deploy role (logged in both accounts), a few calls with the
// session, and for analysts a chain into the data account's reader role.
func (a *awsScenario) deploy(r *rand.Rand, src *rand.PCG, add func(ctEvent), t time.Time, p *awsPerson, key, ip string, analyst bool) {
	ci, prod, data := a.accounts[0], a.accounts[1], a.accounts[2]
	asia := awsKey(r, "ASIA")
	sess := p.name + "-" + strconv.FormatInt(t.Unix(), 10)
	if p == a.ci {
		sess = "ci-deploy-" + strconv.FormatInt(t.Unix(), 10)
	}
	a.assumeRole(r, src, add, t, a.ciUser(p, key), ci.id, prod.id, "ci-deploy", sess, asia, ip, p.uas[uaAssume], 3600)
	ident := a.assumedRole(prod.id, "ci-deploy", sess, asia, t)
	for n := 2 + r.IntN(3); n > 0; n-- {
		t = t.Add(time.Duration(5+r.IntN(90)) * time.Second)
		switch r.IntN(3) {
		case 0:
			add(ctEvent{t: t, ident: ident, source: "cloudformation.amazonaws.com", name: "DescribeStacks", region: "us-east-1", ip: ip, ua: p.uas[uaDescribe],
				req: `{"stackName":"acme-api-prod"}`, readOnly: true, account: prod.id})
		case 1:
			add(ctEvent{t: t, ident: ident, source: "lambda.amazonaws.com", name: "UpdateFunctionCode20150331v2", region: "us-east-1", ip: ip, ua: p.uas[uaUpdate],
				req: `{"functionName":"acme-api-handler","s3Bucket":"acme-prod-artifacts","s3Key":"builds/api-` + randHex(r, 7) + `.zip","publish":true}`, account: prod.id,
				resp: a.lambdaResp})
		default:
			add(ctEvent{t: t, ident: ident, source: "lambda.amazonaws.com", name: "GetFunction20150331v2", region: "us-east-1", ip: ip, ua: p.uas[uaGetFn],
				req: `{"functionName":"acme-api-handler"}`, readOnly: true, account: prod.id})
		}
	}
	if !analyst {
		return
	}
	asia2 := awsKey(r, "ASIA")
	sess2 := p.name + "-analytics-" + strconv.FormatInt(t.Unix(), 10)
	t = t.Add(time.Duration(10+r.IntN(60)) * time.Second)
	a.assumeRole(r, src, add, t, ident, prod.id, data.id, "analytics-reader", sess2, asia2, ip, p.uas[uaAssume], 3600)
	ident2 := a.assumedRole(data.id, "analytics-reader", sess2, asia2, t)
	for n := 1 + r.IntN(4); n > 0; n-- {
		t = t.Add(time.Duration(5+r.IntN(120)) * time.Second)
		obj := fmt.Sprintf("reports/weekly/%s-summary-%d.parquet", t.Format("2006-01-02"), n)
		add(ctEvent{t: t, ident: ident2, source: "s3.amazonaws.com", name: "GetObject", region: "us-east-1", ip: ip, ua: p.uas[uaCp],
			req:   `{"bucketName":"acme-customer-exports","Host":"acme-customer-exports.s3.us-east-1.amazonaws.com","key":"` + obj + `"}`,
			extra: s3Extra(r, 100000+r.IntN(4<<20)), res: s3ObjectRes("acme-customer-exports", obj, data.id), readOnly: true, data: true, account: data.id})
	}
}
