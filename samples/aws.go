package samples

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// aws-leaked-key: formats.md §5 and §11. A CI pipeline's IAM user key
// (AKIA…) is pushed to a public repository on Friday evening. From
// Saturday 01:52 UTC the actor checks it (GetCallerIdentity), probes with
// bursts of AccessDenied, assumes the pipeline's deploy role in the
// production account, chains from there into the data account's reader
// role, lists and downloads customer exports, and creates a backdoor IAM
// user with a key, a console password and AdministratorAccess. On Sunday
// it comes back with the backdoor key. On Monday morning an engineer
// notices and responds. Colleagues assume the same roles with their own
// keys before and after; those sessions are not part of the chain.

var (
	awsStart     = time.Date(2024, 3, 4, 0, 0, 0, 0, time.UTC) // Monday
	awsDays      = 14
	awsAttack    = time.Date(2024, 3, 9, 1, 52, 13, 0, time.UTC)
	awsReturn    = time.Date(2024, 3, 10, 16, 7, 41, 0, time.UTC)
	awsDetection = time.Date(2024, 3, 11, 8, 5, 0, 0, time.UTC)
)

const awsOrgID = "o-7k2xq9w4mb"

type awsAccount struct {
	id, name string
	trail    string
	data     bool // data events (S3 object reads) are logged
	// appServerRes is the resources of an instance profile's AssumeRole
	// of the account's app-server role, made once.
	appServerRes string
}

// ctIdentity is a CloudTrail userIdentity, encoded once.
type ctIdentity struct {
	json      string
	accessKey string
}

// ctEvent is one CloudTrail record before encoding.
type ctEvent struct {
	t                     time.Time
	ident                 *ctIdentity
	source, name, region  string
	ip, ua                string
	errCode, errMsg       string
	req, resp, extra, res string // JSON text or ""
	// credKey, when set, makes responseElements the credentials of a
	// new session (AssumeRole), written by encode (appendCreds): this
	// access key, a session token of sessionTokenLen characters drawn
	// from cred (a copy of the random source where the token was drawn,
	// skipToken), the expiration credDur after t, and resp after the
	// expiration's date. The token is a third of an AssumeRole record;
	// made with the record, it was an allocation, and copying it when
	// records are encoded in time order, far from where they were made, a
	// run of cache misses.
	credKey                 string
	cred                    rand.PCG
	credDur                 time.Duration
	readOnly, data, service bool
	account                 string
	shared                  guid // sharedEventID, when hasShared
	hasShared               bool
	eventType               string
	clean                   bool // ip and ua need no JSON escaping
}

type awsScenario struct {
	seed     int64
	accounts []*awsAccount
	attack   map[string][]ctEvent // by account id
	people   []*awsPerson
	roles    map[string]string // role name → AROA id
	ci       *awsPerson
	// Made once by planAWS (read only afterwards): the IAM identities in
	// the CI account by access key, the resources of background
	// AssumeRole calls by account and role, UpdateFunctionCode's
	// response.
	ciIdents   map[string]*ctIdentity
	roleRes    map[[2]string]string
	lambdaResp string

	mu      sync.Mutex
	digests map[string]map[time.Time][]digestEntry // account → hour → log files, for the digests
}

// awsPerson is an IAM user with a long-term key.
type awsPerson struct {
	name, account, aida, key, key2 string
	ips                            []string
	ua                             string
	// uas holds ua with each background command's suffix (uaWhoami …),
	// made once: a string made per record is one more cache miss when
	// the records are encoded in time order, far from where they were
	// made.
	uas [len(uaCommands)]string
}

// The CLI commands of the background, as user agents end in them.
const (
	uaWhoami = iota
	uaAssume
	uaDescribe
	uaUpdate
	uaGetFn
	uaCp
)

var uaCommands = [...]string{"sts.get-caller-identity", "sts.assume-role", "cloudformation.describe-stacks", "lambda.update-function-code", "lambda.get-function", "s3.cp"}

func awsKey(r *rand.Rand, prefix string) string {
	return prefix + randFrom(r, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
}

func planAWS(seed int64, scale int) (*plan, error) {
	src := rand.NewPCG(uint64(seed), 0xa75)
	r := rand.New(src)
	acct := func() string { return strconv.Itoa(1+r.IntN(9)) + fmt.Sprintf("%011d", r.Int64N(1e11)) }
	a := &awsScenario{seed: seed, attack: map[string][]ctEvent{}, roles: map[string]string{}}
	ciAcct := &awsAccount{id: acct(), name: "ci-tools", trail: "org-trail"}
	prodAcct := &awsAccount{id: acct(), name: "prod", trail: "org-trail"}
	dataAcct := &awsAccount{id: acct(), name: "data", trail: "org-trail", data: true}
	a.accounts = []*awsAccount{ciAcct, prodAcct, dataAcct}
	for _, role := range []string{"ci-deploy", "analytics-reader", "app-server", "AWSServiceRoleForConfig", "OrganizationAccountAccessRole"} {
		a.roles[role] = "AROA" + randFrom(r, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 17)
	}
	person := func(name, account, ua string, ips ...string) *awsPerson {
		return &awsPerson{name: name, account: account, aida: "AIDA" + randFrom(r, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 17),
			key: awsKey(r, "AKIA"), key2: awsKey(r, "AKIA"), ips: ips, ua: ua}
	}
	const cliUA = "aws-cli/2.15.21 Python/3.11.6 Darwin/23.3.0 exe/x86_64 prompt/off command/"
	a.ci = person("ci-deployer", ciAcct.id, "aws-cli/2.15.19 Python/3.11.6 Linux/6.5.0-1015-azure exe/x86_64.ubuntu.22 prompt/off command/", "20.57.81.14", "20.85.112.233", "4.227.19.60")
	priya := person("priya.shah", ciAcct.id, cliUA, "73.162.41.18")
	marcus := person("marcus.lee", ciAcct.id, strings.Replace(cliUA, "Darwin/23.3.0", "Linux/6.6.10-arch1-1", 1), "98.207.144.71")
	a.people = []*awsPerson{a.ci, priya, marcus}
	// What the background repeats per record, made once (and shared by
	// the records, so that they are read from the cache when encoded).
	a.ciIdents = map[string]*ctIdentity{}
	for _, p := range a.people {
		for i, c := range uaCommands {
			p.uas[i] = p.ua + c
		}
		for _, key := range []string{p.key, p.key2} {
			a.ciIdents[key] = a.iamUser(p, ciAcct.id, key)
		}
	}
	for _, ac := range a.accounts {
		ac.appServerRes = `[{"accountId":"` + ac.id + `","type":"AWS::IAM::Role","ARN":"arn:aws:iam::` + ac.id + `:role/app-server"}]`
	}
	a.roleRes = map[[2]string]string{}
	for _, ar := range [][2]string{{prodAcct.id, "ci-deploy"}, {dataAcct.id, "analytics-reader"}} {
		a.roleRes[ar] = roleRes(ar[0], ar[1])
	}
	a.lambdaResp = `{"functionName":"acme-api-handler","functionArn":"arn:aws:lambda:us-east-1:` + prodAcct.id + `:function:acme-api-handler","runtime":"python3.12","state":"Active"}`

	attackerIPs := []string{"203.0.113.77", "203.0.113.78", "192.0.2.211"}
	cli := "aws-cli/2.13.25 Python/3.11.5 Linux/5.15.0-91-generic exe/x86_64.kali.2023 prompt/off command/"
	boto := "Boto3/1.34.51 md/Botocore#1.34.51 ua/2.0 os/linux#6.5.0-kali3-amd64 md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.51"
	truth := Truth{
		Scenario:    "aws-leaked-key",
		Description: "A CI access key leaked in a public repository is used for recon, AssumeRole and role chaining into the data account, S3 exfiltration and IAM persistence",
		Root:        "key:" + a.ci.key,
	}
	keys, tokens, resources, tenants, ips := truthSet{}, truthSet{}, truthSet{}, truthSet{}, truthSet{}
	keys.add(truth.Root)
	for _, ip := range attackerIPs {
		ips.add("ip:" + ip)
	}
	at := awsAttack
	step := func(min, max int) time.Time {
		at = at.Add(time.Duration(min+r.IntN(max-min+1)) * time.Second)
		return at
	}
	ciIdent := a.iamUser(a.ci, ciAcct.id, a.ci.key)
	ip0 := attackerIPs[0]
	add := func(e ctEvent) {
		a.attack[e.account] = append(a.attack[e.account], e)
	}
	// 1. Is the key alive?
	add(ctEvent{t: at, ident: ciIdent, source: "sts.amazonaws.com", name: "GetCallerIdentity", region: "us-east-1", ip: ip0, ua: cli + "sts.get-caller-identity", readOnly: true, account: ciAcct.id})
	// 2. Recon: what may it do? Mostly AccessDenied.
	denied := func(source, name, region, action, resource string, ro bool) {
		msg := fmt.Sprintf("User: arn:aws:iam::%s:user/ci-deployer is not authorized to perform: %s on resource: %s because no identity-based policy allows the %s action", ciAcct.id, action, resource, action)
		code := "AccessDenied"
		if source == "ec2.amazonaws.com" {
			code, msg = "Client.UnauthorizedOperation", "You are not authorized to perform this operation. User: arn:aws:iam::"+ciAcct.id+":user/ci-deployer is not authorized to perform: "+action+" because no identity-based policy allows the "+action+" action"
		}
		add(ctEvent{t: step(1, 9), ident: ciIdent, source: source, name: name, region: region, ip: ip0, ua: cli + strings.ToLower(strings.Split(source, ".")[0]) + "." + kebab(name),
			errCode: code, errMsg: msg, readOnly: ro, account: ciAcct.id})
	}
	step(20, 60)
	{ // the burst is the same at every scale
		denied("iam.amazonaws.com", "ListUsers", "us-east-1", "iam:ListUsers", "arn:aws:iam::"+ciAcct.id+":user/", true)
		denied("iam.amazonaws.com", "ListRoles", "us-east-1", "iam:ListRoles", "arn:aws:iam::"+ciAcct.id+":role/", true)
		denied("s3.amazonaws.com", "ListBuckets", "us-east-1", "s3:ListAllMyBuckets", "*", true)
		for _, region := range []string{"us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-1"} {
			denied("ec2.amazonaws.com", "DescribeInstances", region, "ec2:DescribeInstances", "*", true)
		}
		denied("iam.amazonaws.com", "ListAccessKeys", "us-east-1", "iam:ListAccessKeys", "arn:aws:iam::"+ciAcct.id+":user/ci-deployer", true)
		denied("secretsmanager.amazonaws.com", "ListSecrets", "us-east-1", "secretsmanager:ListSecrets", "*", true)
		denied("lambda.amazonaws.com", "ListFunctions20150331", "us-east-1", "lambda:ListFunctions", "*", true)
	}
	add(ctEvent{t: step(5, 20), ident: ciIdent, source: "iam.amazonaws.com", name: "ListAttachedUserPolicies", region: "us-east-1", ip: ip0, ua: cli + "iam.list-attached-user-policies",
		req: `{"userName":"ci-deployer"}`, readOnly: true, account: ciAcct.id})
	add(ctEvent{t: step(5, 20), ident: ciIdent, source: "iam.amazonaws.com", name: "GetPolicyVersion", region: "us-east-1", ip: ip0, ua: cli + "iam.get-policy-version",
		req: `{"policyArn":"arn:aws:iam::` + ciAcct.id + `:policy/ci-deploy-assume","versionId":"v3"}`, readOnly: true, account: ciAcct.id})
	resources.add("resource:arn:aws:iam::" + ciAcct.id + ":policy/ci-deploy-assume")
	// 3. AssumeRole into production with the leaked key.
	asia1 := awsKey(r, "ASIA")
	sess1 := "ci-deploy-" + strconv.FormatInt(at.Unix()+97, 10)
	t1 := step(30, 90)
	a.assumeRole(r, src, add, t1, ciIdent, ciAcct.id, prodAcct.id, "ci-deploy", sess1, asia1, ip0, cli+"sts.assume-role", 3600)
	tokens.add("token:" + asia1)
	ident1 := a.assumedRole(prodAcct.id, "ci-deploy", sess1, asia1, t1)
	use1 := func(source, name, req, resp, res string, ro bool) {
		add(ctEvent{t: step(3, 40), ident: ident1, source: source, name: name, region: "us-east-1", ip: attackerIPs[1], ua: boto, req: req, resp: resp, res: res, readOnly: ro, account: prodAcct.id})
	}
	use1("sts.amazonaws.com", "GetCallerIdentity", "", "", "", true)
	use1("s3.amazonaws.com", "ListBuckets", `{"Host":"s3.amazonaws.com"}`, "", "", true)
	for _, bkt := range []string{"acme-prod-artifacts", "acme-prod-app-config"} {
		use1("s3.amazonaws.com", "GetBucketPolicy", `{"bucketName":"`+bkt+`","Host":"`+bkt+`.s3.amazonaws.com","policy":""}`, "", s3BucketRes(bkt, prodAcct.id), true)
		resources.add("resource:arn:aws:s3:::" + bkt)
	}
	use1("iam.amazonaws.com", "ListRoles", "", "", "", true)
	// 4. Persistence in production.
	backdoor := &awsPerson{name: "svc-backup", account: prodAcct.id, aida: "AIDA" + randFrom(r, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 17), key: awsKey(r, "AKIA")}
	use1("iam.amazonaws.com", "CreateUser", `{"userName":"svc-backup"}`,
		`{"user":{"path":"/","userName":"svc-backup","userId":"`+backdoor.aida+`","arn":"arn:aws:iam::`+prodAcct.id+`:user/svc-backup","createDate":"`+stsDate(at.Add(2*time.Second))+`"}}`, "", false)
	use1("iam.amazonaws.com", "CreateAccessKey", `{"userName":"svc-backup"}`,
		`{"accessKey":{"userName":"svc-backup","accessKeyId":"`+backdoor.key+`","status":"Active","createDate":"`+stsDate(at.Add(time.Second))+`"}}`, "", false)
	keys.add("key:" + backdoor.key)
	use1("iam.amazonaws.com", "CreateLoginProfile", `{"userName":"svc-backup","passwordResetRequired":false}`,
		`{"loginProfile":{"userName":"svc-backup","createDate":"`+stsDate(at.Add(time.Second))+`","passwordResetRequired":false}}`, "", false)
	use1("iam.amazonaws.com", "AttachUserPolicy", `{"userName":"svc-backup","policyArn":"arn:aws:iam::aws:policy/AdministratorAccess"}`, "", "", false)
	// 5. Role chaining into the data account.
	asia2 := awsKey(r, "ASIA")
	sess2 := "analytics-" + strconv.FormatInt(at.Unix()+211, 10)
	t2 := step(40, 120)
	a.assumeRole(r, src, add, t2, ident1, prodAcct.id, dataAcct.id, "analytics-reader", sess2, asia2, attackerIPs[1], boto, 3600)
	tokens.add("token:" + asia2)
	ident2 := a.assumedRole(dataAcct.id, "analytics-reader", sess2, asia2, t2)
	const bucket = "acme-customer-exports"
	add(ctEvent{t: step(5, 30), ident: ident2, source: "s3.amazonaws.com", name: "ListObjects", region: "us-east-1", ip: attackerIPs[1], ua: boto,
		req:   `{"list-type":"2","bucketName":"` + bucket + `","Host":"` + bucket + `.s3.us-east-1.amazonaws.com","prefix":"exports/2024/"}`,
		extra: s3Extra(r, 0), res: s3BucketRes(bucket, dataAcct.id), readOnly: true, data: true, account: dataAcct.id})
	resources.add("resource:arn:aws:s3:::" + bucket)
	for i := range 36 {
		key := fmt.Sprintf("exports/2024/%02d/customers-%04d.csv.gz", 1+i%3, i)
		add(ctEvent{t: step(2, 14), ident: ident2, source: "s3.amazonaws.com", name: "GetObject", region: "us-east-1", ip: attackerIPs[1], ua: boto,
			req:   `{"bucketName":"` + bucket + `","Host":"` + bucket + `.s3.us-east-1.amazonaws.com","key":"` + key + `"}`,
			extra: s3Extra(r, 2<<20+r.IntN(40<<20)), res: s3ObjectRes(bucket, key, dataAcct.id), readOnly: true, data: true, account: dataAcct.id})
		resources.add("resource:arn:aws:s3:::" + bucket + "/" + key)
	}
	var last time.Time
	// 6. Sunday: back with the backdoor key, from another address.
	at = awsReturn
	bdIdent := a.iamUser(backdoor, prodAcct.id, backdoor.key)
	add(ctEvent{t: at, ident: bdIdent, source: "sts.amazonaws.com", name: "GetCallerIdentity", region: "us-east-1", ip: attackerIPs[2], ua: cli + "sts.get-caller-identity", readOnly: true, account: prodAcct.id})
	add(ctEvent{t: step(10, 40), ident: bdIdent, source: "iam.amazonaws.com", name: "ListUsers", region: "us-east-1", ip: attackerIPs[2], ua: cli + "iam.list-users", readOnly: true, account: prodAcct.id})
	add(ctEvent{t: step(10, 40), ident: bdIdent, source: "s3.amazonaws.com", name: "ListBuckets", region: "us-east-1", ip: attackerIPs[2], ua: cli + "s3api.list-buckets", req: `{"Host":"s3.amazonaws.com"}`, readOnly: true, account: prodAcct.id})
	// The console password works too (a sign-in carries no key).
	add(ctEvent{t: step(60, 200), ident: &ctIdentity{json: `{"type":"IAMUser","principalId":"` + backdoor.aida + `","arn":"arn:aws:iam::` + prodAcct.id + `:user/svc-backup","accountId":"` + prodAcct.id + `","userName":"svc-backup"}`},
		source: "signin.amazonaws.com", name: "ConsoleLogin", region: "us-east-1", ip: attackerIPs[2],
		ua:   "Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0",
		resp: `{"ConsoleLogin":"Success"}`, extra: `{"LoginTo":"https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true","MobileVersion":"No","MFAUsed":"No"}`,
		eventType: "AwsConsoleSignIn", account: prodAcct.id})
	last = at
	for _, ac := range a.accounts {
		tenants.add("tenant:" + ac.id)
		slices.SortStableFunc(a.attack[ac.id], func(x, y ctEvent) int { return x.t.Compare(y.t) })
	}
	// 7. Monday: the response, with the responder's own credentials.
	respAt := awsDetection.Add(14 * time.Minute)
	pIdent := a.iamUser(priya, ciAcct.id, priya.key)
	a.attack[ciAcct.id] = append(a.attack[ciAcct.id],
		ctEvent{t: respAt, ident: pIdent, source: "iam.amazonaws.com", name: "UpdateAccessKey", region: "us-east-1", ip: priya.ips[0], ua: priya.ua + "iam.update-access-key",
			req: `{"userName":"ci-deployer","accessKeyId":"` + a.ci.key + `","status":"Inactive"}`, account: ciAcct.id},
		ctEvent{t: respAt.Add(3 * time.Minute), ident: pIdent, source: "iam.amazonaws.com", name: "CreateAccessKey", region: "us-east-1", ip: priya.ips[0], ua: priya.ua + "iam.create-access-key",
			req: `{"userName":"ci-deployer"}`, resp: `{"accessKey":{"userName":"ci-deployer","accessKeyId":"` + a.ci.key2 + `","status":"Active","createDate":"` + stsDate(respAt.Add(3*time.Minute)) + `"}}`, account: ciAcct.id})
	truth.CompromiseWindow = Window{Start: rfc3339(awsAttack), End: rfc3339(last)}
	truth.DetectionTime = rfc3339(awsDetection)
	truth.AttackerKeys, truth.AttackerTokens = keys.sorted(), tokens.sorted()
	truth.ImpactedMailboxes, truth.ImpactedResources = []string{}, resources.sorted()
	truth.ImpactedTenants, truth.AttackerIPs = tenants.sorted(), ips.sorted()

	p := &plan{truth: truth, finish: a.writeDigests}
	a.digests = map[string]map[time.Time][]digestEntry{}
	for d := range awsDays {
		day := awsStart.AddDate(0, 0, d)
		for k, units := range awsParts(scale) {
			name := "aws/" + day.Format("2006-01-02")
			if k > 0 {
				name += "/" + strconv.Itoa(k+1)
			}
			// A weekend day writes about 0.69 of a weekday's bytes (the
			// pipeline and the engineers rest): weekdays start first.
			weight := 3 * units
			if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday {
				weight = 2 * units
			}
			p.jobs = append(p.jobs, job{name: name, weight: weight, run: func(ctx context.Context, o *output, r *rand.Rand, src *rand.PCG) error {
				return a.writeDay(ctx, o, r, src, day, units, k == 0)
			}})
		}
	}
	return p, nil
}

// kebab turns ListAttachedUserPolicies into list-attached-user-policies
// (the CLI command in the user agent).
func kebab(s string) string {
	var b strings.Builder
	for i, c := range s {
		if c >= 'A' && c <= 'Z' {
			if i > 0 {
				b.WriteByte('-')
			}
			c += 'a' - 'A'
		}
		if c >= '0' && c <= '9' {
			break
		}
		b.WriteRune(c)
	}
	return b.String()
}

// stsDate is how CloudTrail writes dates inside STS and IAM responses:
// "Mar 9, 2024 2:13:07 AM" (formats.md §5b).
func stsDate(t time.Time) string {
	var b [32]byte
	return string(appendSTSDate(b[:0], t))
}

// appendSTSDate appends stsDate(t) without time.Format.
func appendSTSDate(b []byte, t time.Time) []byte {
	t = t.UTC()
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	b = append(b, mo.String()[:3]...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(d), 10)
	b = append(b, ", "...)
	b = strconv.AppendInt(b, int64(y), 10)
	b = append(b, ' ')
	return appendClock12(b, h, mi, s)
}

// bstr returns b's bytes as a string without copying them: for a
// record's text built once in a buffer of its own that nothing changes
// afterwards.
func bstr(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

func s3BucketRes(bucket, acct string) string {
	return `[{"accountId":"` + acct + `","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::` + bucket + `"}]`
}

func s3ObjectRes(bucket, key, acct string) string {
	return `[{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::` + bucket + "/" + key + `"},{"accountId":"` + acct + `","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::` + bucket + `"}]`
}

func s3Extra(r *rand.Rand, out int) string {
	return `{"SignatureVersion":"SigV4","CipherSuite":"TLS_AES_128_GCM_SHA256","bytesTransferredIn":0,"AuthenticationMethod":"AuthHeader","x-amz-id-2":"` +
		randFrom(r, alnum, 56) + `=","bytesTransferredOut":` + strconv.Itoa(out) + `}`
}

// ciUser is iamUser in the CI account, made once per key at plan time.
func (a *awsScenario) ciUser(p *awsPerson, key string) *ctIdentity {
	if id := a.ciIdents[key]; id != nil {
		return id
	}
	return a.iamUser(p, a.accounts[0].id, key)
}

// roleRes is the resources of an AssumeRole of role in acct.
func roleRes(acct, role string) string {
	return `[{"accountId":"` + acct + `","type":"AWS::IAM::Role","ARN":"arn:aws:iam::` + acct + ":role/" + role + `"}]`
}

// awsServiceEC2 is the identity of an instance profile's AssumeRole.
var awsServiceEC2 = &ctIdentity{json: `{"type":"AWSService","invokedBy":"ec2.amazonaws.com"}`}

func (a *awsScenario) iamUser(p *awsPerson, acct, key string) *ctIdentity {
	return &ctIdentity{accessKey: key, json: `{"type":"IAMUser","principalId":"` + p.aida + `","arn":"arn:aws:iam::` + acct + `:user/` + p.name +
		`","accountId":"` + acct + `","accessKeyId":"` + key + `","userName":"` + p.name + `"}`}
}

func (a *awsScenario) assumedRole(acct, role, session, key string, created time.Time) *ctIdentity {
	return a.assumedRoleX(acct, role, session, key, created, "")
}

// assumedRoleX is assumedRole with extra members (`,"invokedBy":…`)
// before the closing brace.
func (a *awsScenario) assumedRoleX(acct, role, session, key string, created time.Time, extra string) *ctIdentity {
	aroa := a.roles[role]
	// Room for all of it (the constant text is 339 bytes, the date 20):
	// growing the buffer at the end cost an allocation and a copy.
	b := make([]byte, 0, 360+2*len(aroa)+4*len(acct)+3*len(role)+2*len(session)+len(key)+len(extra))
	b = append(b, `{"type":"AssumedRole","principalId":"`...)
	b = append(b, aroa...)
	b = append(b, ':')
	b = append(b, session...)
	b = append(b, `","arn":"arn:aws:sts::`...)
	b = append(b, acct...)
	b = append(b, ":assumed-role/"...)
	b = append(b, role...)
	b = append(b, '/')
	b = append(b, session...)
	b = append(b, `","accountId":"`...)
	b = append(b, acct...)
	b = append(b, `","accessKeyId":"`...)
	b = append(b, key...)
	b = append(b, `","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"`...)
	b = append(b, aroa...)
	b = append(b, `","arn":"arn:aws:iam::`...)
	b = append(b, acct...)
	b = append(b, ":role/"...)
	b = append(b, role...)
	b = append(b, `","accountId":"`...)
	b = append(b, acct...)
	b = append(b, `","userName":"`...)
	b = append(b, role...)
	b = append(b, `"},"webIdFederationData":{},"attributes":{"creationDate":"`...)
	b = appendISO(b, created, 0, "Z") // time.RFC3339 of a UTC time
	b = append(b, `","mfaAuthenticated":"false"}}`...)
	b = append(b, extra...)
	b = append(b, '}')
	return &ctIdentity{accessKey: key, json: bstr(b)}
}

// assumeRole adds an AssumeRole call: in the caller's account with the
// caller's identity, and, when the role is in another account, the copy
// CloudTrail writes in the role's account (identity type AWSAccount,
// the same sharedEventID).
//
// src is r's source: the session token is drawn here (skipToken) and
// written when the record is encoded (ctEvent.credKey).
func (a *awsScenario) assumeRole(r *rand.Rand, src *rand.PCG, add func(ctEvent), t time.Time, caller *ctIdentity, callerAcct, roleAcct, role, session, key, ip, ua string, dur int) {
	aroa := a.roles[role]
	req := `{"roleArn":"arn:aws:iam::` + roleAcct + ":role/" + role + `","roleSessionName":"` + session + `","durationSeconds":` + strconv.Itoa(dur) + `}`
	cred := skipToken(src)
	// What follows the credentials, which encode writes: all of it, no
	// growing.
	b := make([]byte, 0, 80+len(aroa)+len(roleAcct)+len(role)+2*len(session))
	b = append(b, `"},"assumedRoleUser":{"assumedRoleId":"`...)
	b = append(b, aroa...)
	b = append(b, ':')
	b = append(b, session...)
	b = append(b, `","arn":"arn:aws:sts::`...)
	b = append(b, roleAcct...)
	b = append(b, ":assumed-role/"...)
	b = append(b, role...)
	b = append(b, '/')
	b = append(b, session...)
	b = append(b, `"}}`...)
	resp := bstr(b)
	credDur := time.Duration(dur) * time.Second
	res, ok := a.roleRes[[2]string{roleAcct, role}]
	if !ok {
		res = roleRes(roleAcct, role)
	}
	shared := newGUID(r)
	add(ctEvent{t: t, ident: caller, source: "sts.amazonaws.com", name: "AssumeRole", region: "us-east-1", ip: ip, ua: ua, req: req, resp: resp, res: res,
		readOnly: true, account: callerAcct, shared: shared, hasShared: true, credKey: key, cred: cred, credDur: credDur})
	if roleAcct != callerAcct {
		var principal string
		if i := strings.Index(caller.json, `"principalId":"`); i >= 0 {
			rest := caller.json[i+15:]
			principal = rest[:strings.IndexByte(rest, '"')]
		}
		add(ctEvent{t: t, ident: &ctIdentity{json: `{"type":"AWSAccount","principalId":"` + principal + `","accountId":"` + callerAcct + `"}`},
			source: "sts.amazonaws.com", name: "AssumeRole", region: "us-east-1", ip: ip, ua: ua, req: req, resp: resp, res: res,
			readOnly: true, account: roleAcct, shared: shared, hasShared: true, credKey: key, cred: cred, credDur: credDur})
	}
}
