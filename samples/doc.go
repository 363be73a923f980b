// Package samples writes synthetic incidents as provider-native logs: the
// files an investigator would receive from Microsoft, AWS and Google, with
// their real envelopes, field casing and quirks (formats.md), plus a
// truth.json that names the attack chain the logs contain (notes/truth-format.md).
//
// Three scenarios exist (see Scenarios):
//
//   - storm-0558: a consumer (MSA) signing key mints tokens offline for
//     enterprise users of several tenants; the tokens read Exchange Online
//     mailboxes through OWA with an unusual ClientAppId, and no sign-in
//     exists for them anywhere. Twelve tenants with weeks of normal life,
//     each exporting its logs in a different real shape.
//   - aws-leaked-key: a CI access key leaks; recon with AccessDenied bursts,
//     AssumeRole and role chaining across three accounts, S3 reads and IAM
//     persistence, as gzipped CloudTrail S3-delivery objects.
//   - gcp-sa-key: a service-account key committed to a public repository is
//     used to mint a second key for a privileged service account, which
//     reads Cloud Storage, widens the project's IAM policy and starts a
//     miner. This third incident was chosen because it is the commonest
//     GCP compromise in public incident reports, and because its chain is
//     followable from audit logs alone: every call made with a key carries
//     authenticationInfo.serviceAccountKeyName, and CreateServiceAccountKey
//     names the new key. A stolen gcloud refresh token or GenerateAccessToken
//     impersonation, by contrast, leaves no token identifier in Cloud Audit
//     Logs, so no log could link the stolen credential to what it touched;
//     the scenario still shows legitimate GenerateAccessToken impersonation
//     by a CI workload in the background, and Google Workspace sign-ins
//     that show nothing of the attack.
//
// Generation is deterministic for a seed (math/rand/v2 PCG, fixed base
// dates, never the wall clock) and fast: records are built with appends
// from precomputed parts, never through encoding/json reflection, and
// output files are written concurrently, each from its own random stream.
// Scale 0 is the demo size; scale N grows the background (the normal
// activity) linearly to about N × 100k events; the attack is the same at
// every scale.
//
// The small copies under data/ are the default seed and scale, committed
// and embedded (Embedded) so that `causeway demo` needs no generation
// step; a test regenerates them and compares byte for byte.
//
// Package samples imports nothing of this module: it only writes files.
package samples
