package samples

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"
)

// gcp-sa-key: formats.md §6 and §11. A user-managed key of the CI service
// account ci-builder was left behind when CI moved to workload identity
// federation; the key file sits in an old public repository. On
// 2024-04-16 the actor uses it: recon with PERMISSION_DENIED bursts, then
// CreateServiceAccountKey on deploy-admin (ci-builder holds Service
// Account Key Admin on it, a known escalation path). With the new key it
// lists and downloads raw analytics data, grants a Gmail account Owner on
// the project and starts a GPU instance. The CI's legitimate
// GenerateAccessToken impersonation of deploy-admin (no key: workload
// identity) runs in the background, as do the engineers.

var (
	gcpStart     = time.Date(2024, 4, 8, 0, 0, 0, 0, time.UTC)
	gcpDays      = 14
	gcpAttack    = time.Date(2024, 4, 16, 3, 12, 44, 0, time.UTC)
	gcpDetection = time.Date(2024, 4, 17, 13, 58, 0, 0, time.UTC)
)

const (
	gcpProd     = "acme-analytics-prod"
	gcpCI       = "acme-build-ci"
	gcpDomain   = "acme-analytics.com"
	gcpBucket   = "acme-analytics-raw"
	gcpCISA     = "ci-builder@acme-build-ci.iam.gserviceaccount.com"
	gcpDeploySA = "deploy-admin@acme-analytics-prod.iam.gserviceaccount.com"
	gcpWIF      = "principal://iam.googleapis.com/projects/318273645012/locations/global/workloadIdentityPools/github/subject/repo:acme-analytics/pipelines:ref:refs/heads/main"
)

// gcloudUA is the user agent of a gcloud command (without fmt: it is
// made for many records).
func gcloudUA(command, invocation, clientOS, osVersion string) string {
	return "google-cloud-sdk gcloud/471.0.0 command/gcloud." + command + " invocation-id/" + invocation +
		" environment/None environment-version/None client-os/" + clientOS + " client-os-ver/" + osVersion +
		" client-pltf-arch/x86_64 interactive/True from-script/False python/3.11.8 term/xterm-256color (Linux; U; en-US)"
}

// dotted is the IPv4 address a.b.c.d.
func dotted(a, b, c, d int) string {
	var t [15]byte
	x := strconv.AppendInt(t[:0], int64(a), 10)
	for _, n := range [3]int{b, c, d} {
		x = append(x, '.')
		x = strconv.AppendInt(x, int64(n), 10)
	}
	return string(x)
}

// gcpEvent is one Cloud Audit Logs LogEntry before encoding.
type gcpEvent struct {
	t                        time.Time
	log                      string // "activity" or "data_access"
	project                  string
	service, method, resName string
	principal, subject       string // principalEmail; principalSubject
	delegate                 string // serviceAccountDelegationInfo principalSubject
	keyName                  string // serviceAccountKeyName
	ip, ua                   string
	perm                     string
	denied                   bool
	req, resp                string // JSON objects, keys sorted
	resType, resLabels       string
	opID                     string
	clean                    bool // no string field needs JSON escaping
}

// severity is the LogEntry severity Cloud Audit Logs give the event.
func (e *gcpEvent) severity() string {
	switch {
	case e.denied:
		return "ERROR"
	case e.log == "activity":
		return "NOTICE"
	}
	return "INFO"
}

type gcpScenario struct {
	seed    int64
	scale   int
	attack  []gcpEvent
	devs    []string
	devIPs  []string
	objects []string
	k1, k2  string
}

func gcpKeyName(project, sa, id string) string {
	return "//iam.googleapis.com/projects/" + project + "/serviceAccounts/" + sa + "/keys/" + id
}

func planGCP(seed int64, scale int) (*plan, error) {
	r := rand.New(rand.NewPCG(uint64(seed), 0x6c9))
	g := newGCP(r, seed, scale)
	truth := Truth{
		Scenario:    "gcp-sa-key",
		Description: "A leaked service-account key mints a key for a privileged service account, which reads Cloud Storage, grants a Gmail account Owner and starts a GPU instance",
		Root:        "key:" + g.k1,
	}
	resources := truthSet{}
	attackerIPs := []string{"198.51.100.93", "198.51.100.94"}
	python := "google-api-python-client/2.125.0 (gzip) gdcl/2.125.0 gl-python/3.11.8"
	at := gcpAttack
	step := func(lo, hi int) time.Time {
		at = at.Add(time.Duration(lo+r.IntN(hi-lo+1))*time.Second + time.Duration(r.IntN(1e9)))
		return at
	}
	k1Name := gcpKeyName(gcpCI, gcpCISA, g.k1)
	k1 := func(e gcpEvent) {
		e.principal, e.keyName, e.ip, e.ua = gcpCISA, k1Name, attackerIPs[0], python
		g.attack = append(g.attack, e)
		if !e.denied && e.resName != "" && e.method != "google.iam.admin.v1.CreateServiceAccountKey" {
			resources.add("resource:" + e.resName)
		}
	}
	// Recon with the leaked key.
	k1(gcpEvent{t: at, log: "data_access", project: gcpProd, service: "iam.googleapis.com", method: "google.iam.admin.v1.ListServiceAccounts",
		resName: "projects/" + gcpProd, perm: "iam.serviceAccounts.list", resType: "service_account", req: `{"@type":"type.googleapis.com/google.iam.admin.v1.ListServiceAccountsRequest","name":"projects/` + gcpProd + `"}`})
	for _, d := range []struct{ project, service, method, res, perm, typ string }{
		{gcpProd, "storage.googleapis.com", "storage.buckets.list", "projects/_/buckets", "storage.buckets.list", "gcs_bucket"},
		{gcpCI, "storage.googleapis.com", "storage.buckets.list", "projects/_/buckets", "storage.buckets.list", "gcs_bucket"},
		{gcpProd, "compute.googleapis.com", "v1.compute.instances.list", "projects/" + gcpProd + "/zones/us-central1-a/instances", "compute.instances.list", "gce_instance"},
		{gcpProd, "compute.googleapis.com", "v1.compute.instances.list", "projects/" + gcpProd + "/zones/us-east1-b/instances", "compute.instances.list", "gce_instance"},
		{gcpProd, "secretmanager.googleapis.com", "google.cloud.secretmanager.v1.SecretManagerService.ListSecrets", "projects/" + gcpProd, "secretmanager.secrets.list", "audited_resource"},
		{gcpProd, "bigquery.googleapis.com", "google.cloud.bigquery.v2.DatasetService.ListDatasets", "projects/" + gcpProd, "bigquery.datasets.list", "bigquery_project"},
		{gcpProd, "cloudresourcemanager.googleapis.com", "GetIamPolicy", "projects/" + gcpProd, "resourcemanager.projects.getIamPolicy", "project"},
	} {
		k1(gcpEvent{t: step(2, 15), log: "data_access", project: d.project, service: d.service, method: d.method, resName: d.res, perm: d.perm, denied: true, resType: d.typ})
	}
	// The escalation: a new key for deploy-admin.
	t2 := step(60, 240)
	k1(gcpEvent{t: t2, log: "activity", project: gcpProd, service: "iam.googleapis.com", method: "google.iam.admin.v1.CreateServiceAccountKey",
		resName: "projects/-/serviceAccounts/108734529916405233714", perm: "iam.serviceAccountKeys.create", resType: "service_account",
		req: `{"@type":"type.googleapis.com/google.iam.admin.v1.CreateServiceAccountKeyRequest","name":"projects/-/serviceAccounts/` + gcpDeploySA + `","private_key_type":2}`,
		resp: `{"@type":"type.googleapis.com/google.iam.admin.v1.ServiceAccountKey","key_algorithm":2,"key_origin":2,"key_type":1,"name":"projects/` + gcpProd + `/serviceAccounts/` + gcpDeploySA + `/keys/` + g.k2 +
			`","private_key_type":2,"valid_after_time":{"seconds":"` + strconv.FormatInt(t2.Unix(), 10) + `"},"valid_before_time":{"seconds":"253402300799"}}`})
	k2Name := gcpKeyName(gcpProd, gcpDeploySA, g.k2)
	k2 := func(e gcpEvent) {
		e.principal, e.keyName, e.ip, e.ua = gcpDeploySA, k2Name, attackerIPs[1], python
		g.attack = append(g.attack, e)
		if !e.denied && e.resName != "" {
			resources.add("resource:" + e.resName)
		}
	}
	bucketRes := "projects/_/buckets/" + gcpBucket
	k2(gcpEvent{t: step(30, 90), log: "data_access", project: gcpProd, service: "storage.googleapis.com", method: "storage.objects.list", resName: bucketRes, perm: "storage.objects.list",
		resType: "gcs_bucket", resLabels: `{"bucket_name":"` + gcpBucket + `","location":"us-central1","project_id":"` + gcpProd + `"}`})
	for _, obj := range g.objects {
		k2(gcpEvent{t: step(1, 6), log: "data_access", project: gcpProd, service: "storage.googleapis.com", method: "storage.objects.get", resName: bucketRes + "/objects/" + obj, perm: "storage.objects.get",
			resType: "gcs_bucket", resLabels: `{"bucket_name":"` + gcpBucket + `","location":"us-central1","project_id":"` + gcpProd + `"}`})
	}
	k2(gcpEvent{t: step(120, 400), log: "activity", project: gcpProd, service: "cloudresourcemanager.googleapis.com", method: "SetIamPolicy", resName: "projects/" + gcpProd,
		perm: "resourcemanager.projects.setIamPolicy", resType: "project",
		req:  `{"@type":"type.googleapis.com/google.iam.v1.SetIamPolicyRequest","policy":{"bindings":[{"members":["user:maria.gonzalez@` + gcpDomain + `"],"role":"roles/owner"},{"members":["serviceAccount:` + gcpDeploySA + `"],"role":"roles/editor"},{"members":["user:backup.ops.svc2024@gmail.com"],"role":"roles/owner"}],"etag":"BwYWq3m1Xk0="},"resource":"` + gcpProd + `"}`,
		resp: `{"@type":"type.googleapis.com/google.iam.v1.Policy","bindings":[{"members":["user:maria.gonzalez@` + gcpDomain + `"],"role":"roles/owner"},{"members":["serviceAccount:` + gcpDeploySA + `"],"role":"roles/editor"},{"members":["user:backup.ops.svc2024@gmail.com"],"role":"roles/owner"}],"etag":"BwYWq3pQ2cE="}`})
	inst := "projects/" + gcpProd + "/zones/us-central1-a/instances/gke-pool-a7f3k2-node"
	op := "operation-" + strconv.FormatInt(at.UnixMilli(), 10) + "-" + randHex(r, 13) + "-" + randHex(r, 8) + "-" + randHex(r, 8)
	k2(gcpEvent{t: step(60, 200), log: "activity", project: gcpProd, service: "compute.googleapis.com", method: "v1.compute.instances.insert", resName: inst, perm: "compute.instances.create",
		resType: "gce_instance", resLabels: `{"instance_id":"` + strconv.FormatUint(r.Uint64()>>1, 10) + `","project_id":"` + gcpProd + `","zone":"us-central1-a"}`, opID: op,
		req:  `{"@type":"type.googleapis.com/compute.instances.insert","guestAccelerators":[{"acceleratorCount":"8","acceleratorType":"projects/` + gcpProd + `/zones/us-central1-a/acceleratorTypes/nvidia-tesla-a100"}],"machineType":"zones/us-central1-a/machineTypes/a2-highgpu-8g","name":"gke-pool-a7f3k2-node"}`,
		resp: `{"@type":"type.googleapis.com/operation","name":"` + op + `","operationType":"insert","progress":"0","status":"RUNNING"}`})
	last := at
	slices.SortStableFunc(g.attack, func(a, b gcpEvent) int { return a.t.Compare(b.t) })
	// The response, by the project owner.
	admin := g.devs[0]
	for i, e := range []gcpEvent{
		{method: "google.iam.admin.v1.DisableServiceAccountKey", service: "iam.googleapis.com", resName: "projects/-/serviceAccounts/104283746192837465512", perm: "iam.serviceAccountKeys.disable", resType: "service_account",
			req: `{"@type":"type.googleapis.com/google.iam.admin.v1.DisableServiceAccountKeyRequest","name":"projects/-/serviceAccounts/` + gcpCISA + `/keys/` + g.k1 + `"}`},
		{method: "google.iam.admin.v1.DeleteServiceAccountKey", service: "iam.googleapis.com", resName: "projects/-/serviceAccounts/108734529916405233714", perm: "iam.serviceAccountKeys.delete", resType: "service_account",
			req: `{"@type":"type.googleapis.com/google.iam.admin.v1.DeleteServiceAccountKeyRequest","name":"projects/-/serviceAccounts/` + gcpDeploySA + `/keys/` + g.k2 + `"}`},
		{method: "v1.compute.instances.delete", service: "compute.googleapis.com", resName: inst, perm: "compute.instances.delete", resType: "gce_instance"},
	} {
		e.t = gcpDetection.Add(time.Duration(6+4*i) * time.Minute)
		e.log, e.project, e.principal, e.ip = "activity", gcpProd, admin, g.devIPs[0]
		e.ua = gcloudUA("iam.service-accounts.keys", newGUID(r).String(), "LINUX", "6.5.0-27-generic")
		g.attack = append(g.attack, e)
	}
	truth.CompromiseWindow = Window{Start: rfc3339(gcpAttack), End: rfc3339(last)}
	truth.DetectionTime = rfc3339(gcpDetection)
	truth.AttackerKeys = []string{"key:" + g.k1, "key:" + g.k2}
	slices.Sort(truth.AttackerKeys)
	truth.AttackerTokens, truth.ImpactedMailboxes = []string{}, []string{}
	truth.ImpactedResources = resources.sorted()
	truth.ImpactedTenants = []string{"tenant:" + gcpProd}
	truth.AttackerIPs = []string{"ip:" + attackerIPs[0], "ip:" + attackerIPs[1]}

	p := &plan{truth: truth}
	p.jobs = append(p.jobs, job{name: "gcp/workspace", run: g.workspace})
	for d := range gcpDays {
		day := gcpStart.AddDate(0, 0, d)
		p.jobs = append(p.jobs, job{name: "gcp/" + day.Format("2006-01-02"), run: func(ctx context.Context, o *output, r *rand.Rand, _ *rand.PCG) error {
			return g.writeDay(ctx, o, r, day)
		}})
	}
	return p, nil
}

// newGCP makes the scenario's people, addresses and objects.
func newGCP(r *rand.Rand, seed int64, scale int) *gcpScenario {
	g := &gcpScenario{seed: seed, scale: scale, k1: randHex(r, 40), k2: randHex(r, 40)}
	for _, n := range []string{"maria.gonzalez", "tom.becker", "anika.rao", "li.wei", "sam.okafor", "julia.novak", "dev.patel", "noah.kim"} {
		g.devs = append(g.devs, n+"@"+gcpDomain)
		g.devIPs = append(g.devIPs, fmt.Sprintf("%d.%d.%d.%d", []int{24, 73, 98, 108}[r.IntN(4)], r.IntN(256), r.IntN(256), 1+r.IntN(254)))
	}
	for d := range 20 {
		g.objects = append(g.objects, fmt.Sprintf("raw/events/2024-04-%02d/part-%05d.json.gz", 1+d%10, d))
	}
	return g
}

// writeDay writes one day of every project's logs, each as `gcloud
// logging read 'logName="projects/P/logs/cloudaudit.googleapis.com%2FLOG"'
// --format=json` run for that day: a JSON array, newest entry first,
// indented two spaces with sorted keys.
func (g *gcpScenario) writeDay(ctx context.Context, o *output, r *rand.Rand, start time.Time) error {
	// About what a weekday makes (growing a slice of records costs more
	// than building them).
	day := g.background(r, start, make([]gcpEvent, 0, g.scale*(4*len(g.devs)+12)))
	// Background strings are made of names, ids and user agents that
	// need no JSON escaping (TestClean checks them), so they skip the
	// escape scan; the attack's take the usual path.
	for i := range day {
		day[i].clean = true
	}
	for _, e := range g.attack {
		if !e.t.Before(start) && e.t.Before(start.AddDate(0, 0, 1)) {
			day = append(day, e)
		}
	}
	// Newest first, ties in the order made; then split by file in one pass.
	order := sortIdx(nil, len(day), func(i int) int64 { return -day[i].t.UnixNano() })
	projects, logs := [2]string{gcpProd, gcpCI}, [2]string{"activity", "data_access"}
	var files [4][]int
	for _, i := range order {
		e := &day[i]
		for f := range files {
			if e.project == projects[f/2] && e.log == logs[f%2] {
				files[f] = append(files[f], i)
				break
			}
		}
	}
	var rec, pretty []byte
	for f, idx := range files {
		project, log := projects[f/2], logs[f%2]
		if err := ctx.Err(); err != nil {
			return err
		}
		var w *fileWriter
		for _, i := range idx {
			e := &day[i]
			if w == nil {
				var err error
				if w, err = o.create(fmt.Sprintf("gcloud-logging-read/%s/%s/%s.json", project, log, start.Format("2006-01-02"))); err != nil {
					return err
				}
				w.writeString("[\n")
			} else {
				w.writeString(",\n")
			}
			if o.checkClean && e.clean {
				for _, s := range [...]string{e.principal, e.subject, e.delegate, e.keyName, e.resName, e.ip, e.ua} {
					if !isClean(s) {
						return fmt.Errorf("samples: %s: background entry with a string that needs escaping: %q", w.rel, s)
					}
				}
			}
			pretty, rec = g.encodePretty(append(pretty[:0], "  "...), r, e, rec)
			w.record(pretty)
		}
		if w != nil {
			w.writeString("\n]\n")
			if err := w.close(); err != nil {
				return err
			}
		}
	}
	return nil
}

// background appends a day of normal activity in both projects.
func (g *gcpScenario) background(r *rand.Rand, day time.Time, out []gcpEvent) []gcpEvent {
	if day.Weekday() == time.Saturday || day.Weekday() == time.Sunday {
		return out
	}
	at := func(fromH, toH int) time.Time {
		return day.Add(time.Duration(fromH*3600+r.IntN((toH-fromH)*3600))*time.Second + time.Duration(r.IntN(1e9)))
	}
	bucketLabels := `{"bucket_name":"` + gcpBucket + `","location":"us-central1","project_id":"` + gcpProd + `"}`
	for range g.scale {
		for i, dev := range g.devs {
			if r.IntN(5) < 2 {
				continue
			}
			ip := g.devIPs[i]
			ua := gcloudUA("storage.cp", newGUID(r).String(), "MACOSX", "23.4.0")
			for n := 2 + r.IntN(6); n > 0; n-- {
				t := at(14, 23)
				switch r.IntN(3) {
				case 0:
					obj := g.objects[r.IntN(len(g.objects))]
					out = append(out, gcpEvent{t: t, log: "data_access", project: gcpProd, service: "storage.googleapis.com", method: "storage.objects.get",
						resName: "projects/_/buckets/" + gcpBucket + "/objects/" + obj, perm: "storage.objects.get", principal: dev, ip: ip, ua: ua, resType: "gcs_bucket", resLabels: bucketLabels})
				case 1:
					job := "bquxjob_" + randHex(r, 8) + "_" + randHex(r, 12)
					out = append(out, gcpEvent{t: t, log: "data_access", project: gcpProd, service: "bigquery.googleapis.com", method: "google.cloud.bigquery.v2.JobService.InsertJob",
						resName: "projects/" + gcpProd + "/jobs/" + job, perm: "bigquery.jobs.create", principal: dev, ip: ip,
						ua: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36,gzip(gfe),gzip(gfe)", resType: "bigquery_project",
						resLabels: `{"location":"US","project_id":"` + gcpProd + `"}`})
				default:
					out = append(out, gcpEvent{t: t, log: "data_access", project: gcpProd, service: "compute.googleapis.com", method: "v1.compute.instances.list",
						resName: "projects/" + gcpProd + "/zones/us-central1-a/instances", perm: "compute.instances.list", principal: dev, ip: ip,
						ua: gcloudUA("compute.instances.list", newGUID(r).String(), "LINUX", "6.5.0-27-generic"), resType: "gce_instance"})
				}
			}
		}
		// CI deploys through workload identity federation: it impersonates
		// deploy-admin without any key.
		for n := 2 + r.IntN(6); n > 0; n-- {
			t := at(13, 23)
			out = append(out, gcpEvent{t: t, log: "data_access", project: gcpProd, service: "iamcredentials.googleapis.com", method: "GenerateAccessToken",
				resName: "projects/-/serviceAccounts/108734529916405233714", perm: "iam.serviceAccounts.getAccessToken", subject: gcpWIF,
				ip: dotted(4, 148+r.IntN(8), r.IntN(256), 1+r.IntN(254)), ua: "Go-http-client/2.0,gzip(gfe)", resType: "service_account",
				resLabels: `{"email_id":"` + gcpDeploySA + `","project_id":"` + gcpProd + `","unique_id":"108734529916405233714"}`,
				req:       `{"@type":"type.googleapis.com/google.iam.credentials.v1.GenerateAccessTokenRequest","name":"projects/-/serviceAccounts/` + gcpDeploySA + `"}`})
			rev := "api-" + randHex(r, 5)
			out = append(out, gcpEvent{t: t.Add(time.Duration(20+r.IntN(60)) * time.Second), log: "activity", project: gcpProd, service: "run.googleapis.com",
				method: "google.cloud.run.v1.Services.ReplaceService", resName: "namespaces/" + gcpProd + "/services/api", perm: "run.services.update",
				principal: gcpDeploySA, delegate: gcpWIF, ip: dotted(4, 148+r.IntN(8), r.IntN(256), 1+r.IntN(254)),
				ua: "google-cloud-sdk gcloud/471.0.0 command/gcloud.run.deploy invocation-id/" + newGUID(r).String() + " environment/GitHubActions", resType: "cloud_run_revision",
				resLabels: `{"configuration_name":"","location":"us-central1","project_id":"` + gcpProd + `","revision_name":"` + rev + `","service_name":"api"}`})
		}
	}
	return out
}

// encode appends a LogEntry with keys in sorted order, as gcloud prints it.
func (g *gcpScenario) encode(b []byte, r *rand.Rand, e *gcpEvent) []byte {
	b = append(b, `{"insertId":"`...)
	b = append(b, randFrom(r, "abcdefghijklmnopqrstuvwxyz0123456789", 12)...)
	b = append(b, `","logName":"projects/`...)
	b = append(b, e.project...)
	b = append(b, `/logs/cloudaudit.googleapis.com%2F`...)
	b = append(b, e.log...)
	b = append(b, '"')
	if e.opID != "" {
		b = append(b, `,"operation":{"first":true,"id":"`...)
		b = append(b, e.opID...)
		b = append(b, `","producer":"`...)
		b = append(b, e.service...)
		b = append(b, `"}`...)
	}
	b = append(b, `,"protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","authenticationInfo":{`...)
	switch {
	case e.principal != "":
		b = append(b, `"principalEmail":`...)
		b = appendStr(b, e.principal)
	case e.subject != "":
		b = append(b, `"principalSubject":`...)
		b = appendStr(b, e.subject)
	}
	if e.delegate != "" {
		b = append(b, `,"serviceAccountDelegationInfo":[{"principalSubject":`...)
		b = appendStr(b, e.delegate)
		b = append(b, `}]`...)
	}
	if e.keyName != "" {
		b = append(b, `,"serviceAccountKeyName":`...)
		b = appendStr(b, e.keyName)
	}
	b = append(b, `},"authorizationInfo":[{`...)
	if !e.denied {
		b = append(b, `"granted":true,`...)
	}
	b = append(b, `"permission":"`...)
	b = append(b, e.perm...)
	b = append(b, `","resource":`...)
	b = appendStr(b, e.resName)
	b = append(b, `,"resourceAttributes":{}}]`...)
	if e.service == "iamcredentials.googleapis.com" {
		b = append(b, `,"metadata":{"identityDelegationChain":["projects/-/serviceAccounts/`...)
		b = append(b, gcpDeploySA...)
		b = append(b, `"]}`...)
	}
	b = append(b, `,"methodName":"`...)
	b = append(b, e.method...)
	b = append(b, '"')
	if e.req != "" {
		b = append(b, `,"request":`...)
		b = append(b, e.req...)
	}
	b = append(b, `,"requestMetadata":{"callerIp":`...)
	b = appendStr(b, e.ip)
	b = append(b, `,"callerSuppliedUserAgent":`...)
	b = appendStr(b, e.ua)
	b = append(b, `,"destinationAttributes":{},"requestAttributes":{"auth":{},"time":"`...)
	b = appendISO(b, e.t.Add(-time.Duration(r.IntN(9e6))), 9, "Z")
	b = append(b, `"}},"resourceName":`...)
	b = appendStr(b, e.resName)
	if e.resp != "" {
		b = append(b, `,"response":`...)
		b = append(b, e.resp...)
	}
	b = append(b, `,"serviceName":"`...)
	b = append(b, e.service...)
	b = append(b, `","status":`...)
	if e.denied {
		b = append(b, `{"code":7,"message":"PERMISSION_DENIED"}`...)
	} else {
		b = append(b, "{}"...)
	}
	b = append(b, `},"receiveTimestamp":"`...)
	b = appendISO(b, e.t.Add(time.Duration(300+r.IntN(2000))*time.Millisecond), 9, "Z")
	b = append(b, `","resource":{"labels":`...)
	if e.resLabels != "" {
		b = append(b, e.resLabels...)
	} else {
		b = append(b, `{"project_id":"`...)
		b = append(b, e.project...)
		b = append(b, `"}`...)
	}
	b = append(b, `,"type":"`...)
	b = append(b, e.resType...)
	b = append(b, `"},"severity":"`...)
	b = append(b, e.severity()...)
	b = append(b, `","timestamp":"`...)
	b = appendISO(b, e.t, 9, "Z")
	return append(b, `"}`...)
}

// wsActivity is one Google Workspace Reports API activity with one event.
type wsActivity struct {
	t          time.Time
	app        string // "login" or "token"
	actor, ip  string
	profile    string
	typ, name  string
	params     string // the parameters array, JSON
	uniqueQual int64
}

// workspace writes the Workspace Reports API activities the engineers'
// Google accounts leave: sign-ins to Google (login) and OAuth grants to the
// Cloud SDK (token). None involves the leaked key, which is the point: a
// service-account key needs no sign-in, so nothing here shows the attack.
// Files are what a script saving every page of activities.list writes:
// {"kind":"admin#reports#activities","etag","items":[…],"nextPageToken"},
// newest first.
func (g *gcpScenario) workspace(ctx context.Context, o *output, r *rand.Rand, _ *rand.PCG) error {
	profiles := map[string]string{}
	for _, d := range g.devs {
		profiles[d] = "10" + strconv.FormatInt(1e18+r.Int64N(8e18), 10)
	}
	var acts []wsActivity
	for d := range gcpDays {
		day := gcpStart.AddDate(0, 0, d)
		if day.Weekday() == time.Saturday || day.Weekday() == time.Sunday {
			continue
		}
		for range g.scale {
			for i, dev := range g.devs {
				if r.IntN(5) == 0 {
					continue
				}
				t := day.Add(time.Duration(13*3600+r.IntN(3*3600))*time.Second + time.Duration(r.IntN(1000))*time.Millisecond)
				if r.IntN(25) == 0 {
					acts = append(acts, wsActivity{t: t.Add(-40 * time.Second), app: "login", actor: dev, ip: g.devIPs[i], typ: "login", name: "login_failure",
						params: `[{"name":"login_type","value":"google_password"},{"name":"login_challenge_method","multiValue":["password"]},{"name":"login_failure_type","value":"login_failure_invalid_password"},{"name":"is_suspicious","boolValue":false}]`})
				}
				acts = append(acts, wsActivity{t: t, app: "login", actor: dev, ip: g.devIPs[i], typ: "login", name: "login_success",
					params: `[{"name":"login_type","value":"google_password"},{"name":"login_challenge_method","multiValue":["password","google_prompt"]},{"name":"is_suspicious","boolValue":false},{"name":"is_second_factor","boolValue":true}]`})
				if r.IntN(6) == 0 {
					acts = append(acts, wsActivity{t: t.Add(time.Duration(60+r.IntN(3600)) * time.Second), app: "token", actor: dev, ip: g.devIPs[i], typ: "auth", name: "authorize",
						params: `[{"name":"client_id","value":"32555940559.apps.googleusercontent.com"},{"name":"app_name","value":"Google Cloud SDK"},{"name":"client_type","value":"NATIVE_DESKTOP"},{"name":"scope","multiValue":["https://www.googleapis.com/auth/cloud-platform","https://www.googleapis.com/auth/appengine.admin","https://www.googleapis.com/auth/sqlservice.login","https://www.googleapis.com/auth/compute","https://www.googleapis.com/auth/accounts.reauth","openid","https://www.googleapis.com/auth/userinfo.email"]}]`})
				}
			}
		}
	}
	// The owner signs in to respond.
	acts = append(acts, wsActivity{t: gcpDetection.Add(-3 * time.Minute), app: "login", actor: g.devs[0], ip: g.devIPs[0], typ: "login", name: "login_success",
		params: `[{"name":"login_type","value":"google_password"},{"name":"login_challenge_method","multiValue":["password","security_key"]},{"name":"is_suspicious","boolValue":false},{"name":"is_second_factor","boolValue":true}]`})
	for i := range acts {
		acts[i].profile = profiles[acts[i].actor]
		acts[i].uniqueQual = -r.Int64N(1 << 62)
	}
	for _, app := range []string{"login", "token"} {
		var mine []wsActivity
		for _, a := range acts {
			if a.app == app {
				mine = append(mine, a)
			}
		}
		order := sortIdx(nil, len(mine), func(i int) int64 { return -mine[i].t.UnixNano() }) // newest first
		sorted := make([]wsActivity, len(mine))
		for k, i := range order {
			sorted[k] = mine[i]
		}
		mine = sorted
		const pageSize = 1000
		var b []byte
		for page := 0; page*pageSize < len(mine); page++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			items := mine[page*pageSize : min(len(mine), (page+1)*pageSize)]
			w, err := o.create(fmt.Sprintf("workspace-reports/%s/page-%03d.json", app, page+1))
			if err != nil {
				return err
			}
			w.writeString(`{"kind":"admin#reports#activities","etag":"\"`)
			w.writeString(randFrom(r, alnum+"-_", 27))
			w.writeString(`/`)
			w.writeString(randFrom(r, alnum+"-_", 27))
			w.writeString(`\"","items":[`)
			for k := range items {
				a := &items[k]
				if k > 0 {
					w.writeString(",")
				}
				b = append(b[:0], `{"kind":"admin#reports#activity","id":{"time":"`...)
				b = appendISO(b, a.t, 3, "Z")
				b = append(b, `","uniqueQualifier":"`...)
				b = strconv.AppendInt(b, a.uniqueQual, 10)
				b = append(b, `","applicationName":"`...)
				b = append(b, a.app...)
				b = append(b, `","customerId":"C03az79cb"},"etag":"\"`...)
				b = appendRand(b, r, alnum+"-_", 27)
				b = append(b, `/`...)
				b = appendRand(b, r, alnum+"-_", 27)
				b = append(b, `\"","actor":{"email":`...)
				b = appendStr(b, a.actor)
				b = append(b, `,"profileId":"`...)
				b = append(b, a.profile...)
				b = append(b, `"},"ipAddress":`...)
				b = appendStr(b, a.ip)
				b = append(b, `,"events":[{"type":"`...)
				b = append(b, a.typ...)
				b = append(b, `","name":"`...)
				b = append(b, a.name...)
				b = append(b, `","parameters":`...)
				b = append(b, a.params...)
				b = append(b, `}]}`...)
				w.record(b)
			}
			w.writeString("]")
			if (page+1)*pageSize < len(mine) {
				w.writeString(`,"nextPageToken":"`)
				w.writeString(randFrom(r, alnum, 40))
				w.writeString(`"`)
			}
			w.writeString("}\n")
			if err := w.close(); err != nil {
				return err
			}
		}
	}
	return nil
}

// Indentation of gcloud's JSON (prettyJSON's layout) at each depth of a
// LogEntry written as an element of the top-level array.
const (
	gd1 = "\n  "
	gd2 = "\n    "
	gd3 = "\n      "
	gd4 = "\n        "
	gd5 = "\n          "
	gd6 = "\n            "
)

// encodePretty appends what prettyJSON(encode(e), 1) gives, built in its
// final form: the layout is fixed, so only the request, response and
// resource labels (JSON made elsewhere) go through prettyJSON. It draws
// the same random numbers as encode, in the same order. An entry with
// neither principal nor subject (never made) takes the long way.
func (g *gcpScenario) encodePretty(b []byte, r *rand.Rand, e *gcpEvent, scratch []byte) ([]byte, []byte) {
	if e.principal == "" && e.subject == "" {
		scratch = g.encode(scratch[:0], r, e)
		return prettyJSON(b, scratch, 1), scratch
	}
	b = append(b, "{"+gd2+`"insertId": "`...)
	b = appendRand(b, r, "abcdefghijklmnopqrstuvwxyz0123456789", 12)
	b = append(b, `",`+gd2+`"logName": "projects/`...)
	b = append(b, e.project...)
	b = append(b, `/logs/cloudaudit.googleapis.com%2F`...)
	b = append(b, e.log...)
	b = append(b, '"')
	if e.opID != "" {
		b = append(b, ","+gd2+`"operation": {`+gd3+`"first": true,`+gd3+`"id": "`...)
		b = append(b, e.opID...)
		b = append(b, `",`+gd3+`"producer": "`...)
		b = append(b, e.service...)
		b = append(b, `"`+gd2+"}"...)
	}
	b = append(b, ","+gd2+`"protoPayload": {`+gd3+`"@type": "type.googleapis.com/google.cloud.audit.AuditLog",`+gd3+`"authenticationInfo": {`+gd4...)
	if e.principal != "" {
		b = append(b, `"principalEmail": `...)
		b = appendStrIf(b, e.clean, e.principal)
	} else {
		b = append(b, `"principalSubject": `...)
		b = appendStrIf(b, e.clean, e.subject)
	}
	if e.delegate != "" {
		b = append(b, ","+gd4+`"serviceAccountDelegationInfo": [`+gd5+"{"+gd6+`"principalSubject": `...)
		b = appendStrIf(b, e.clean, e.delegate)
		b = append(b, gd5+"}"+gd4+"]"...)
	}
	if e.keyName != "" {
		b = append(b, ","+gd4+`"serviceAccountKeyName": `...)
		b = appendStrIf(b, e.clean, e.keyName)
	}
	b = append(b, gd3+"},"+gd3+`"authorizationInfo": [`+gd4+"{"+gd5...)
	if !e.denied {
		b = append(b, `"granted": true,`+gd5...)
	}
	b = append(b, `"permission": "`...)
	b = append(b, e.perm...)
	b = append(b, `",`+gd5+`"resource": `...)
	b = appendStrIf(b, e.clean, e.resName)
	b = append(b, ","+gd5+`"resourceAttributes": {}`+gd4+"}"+gd3+"]"...)
	if e.service == "iamcredentials.googleapis.com" {
		b = append(b, ","+gd3+`"metadata": {`+gd4+`"identityDelegationChain": [`+gd5+`"projects/-/serviceAccounts/`+gcpDeploySA+`"`+gd4+"]"+gd3+"}"...)
	}
	b = append(b, ","+gd3+`"methodName": "`...)
	b = append(b, e.method...)
	b = append(b, '"')
	if e.req != "" {
		b = append(b, ","+gd3+`"request": `...)
		b = prettyJSON(b, strBytes(e.req), 3)
	}
	b = append(b, ","+gd3+`"requestMetadata": {`+gd4+`"callerIp": `...)
	b = appendStrIf(b, e.clean, e.ip)
	b = append(b, ","+gd4+`"callerSuppliedUserAgent": `...)
	b = appendStrIf(b, e.clean, e.ua)
	b = append(b, ","+gd4+`"destinationAttributes": {},`+gd4+`"requestAttributes": {`+gd5+`"auth": {},`+gd5+`"time": "`...)
	b = appendISO(b, e.t.Add(-time.Duration(r.IntN(9e6))), 9, "Z")
	b = append(b, `"`+gd4+"}"+gd3+"},"+gd3+`"resourceName": `...)
	b = appendStrIf(b, e.clean, e.resName)
	if e.resp != "" {
		b = append(b, ","+gd3+`"response": `...)
		b = prettyJSON(b, strBytes(e.resp), 3)
	}
	b = append(b, ","+gd3+`"serviceName": "`...)
	b = append(b, e.service...)
	b = append(b, `",`+gd3+`"status": `...)
	if e.denied {
		b = append(b, "{"+gd4+`"code": 7,`+gd4+`"message": "PERMISSION_DENIED"`+gd3+"}"...)
	} else {
		b = append(b, "{}"...)
	}
	b = append(b, gd2+"},"+gd2+`"receiveTimestamp": "`...)
	b = appendISO(b, e.t.Add(time.Duration(300+r.IntN(2000))*time.Millisecond), 9, "Z")
	b = append(b, `",`+gd2+`"resource": {`+gd3+`"labels": `...)
	if e.resLabels != "" {
		b = prettyJSON(b, strBytes(e.resLabels), 3)
	} else {
		b = append(b, "{"+gd4+`"project_id": "`...)
		b = append(b, e.project...)
		b = append(b, `"`+gd3+"}"...)
	}
	b = append(b, ","+gd3+`"type": "`...)
	b = append(b, e.resType...)
	b = append(b, `"`+gd2+"},"+gd2+`"severity": "`...)
	b = append(b, e.severity()...)
	b = append(b, `",`+gd2+`"timestamp": "`...)
	b = appendISO(b, e.t, 9, "Z")
	return append(b, `"`+gd1+"}"...), scratch
}
