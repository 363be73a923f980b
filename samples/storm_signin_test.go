package samples

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// TestSignInLayoutsAgree checks that a sign-in says the same thing in
// every layout a tenant may export it in: the Graph record (which
// signInPS is checked against in TestSignInPS, and which the diagnostic
// settings' properties hold) and the Sentinel row, field by field, for
// every sign-in of every tenant's first week at two seeds and scale 3.
func TestSignInLayoutsAgree(t *testing.T) {
	t.Parallel()
	// Graph's field and the Sentinel column that carries it.
	fields := []struct{ graph, sentinel string }{
		{"conditionalAccessStatus", "ConditionalAccessStatus"},
		{"status.errorCode", "ResultType"},
		{"status.errorCode", "Status.errorCode"},
		{"authenticationRequirement", "AuthenticationRequirement"},
		{"incomingTokenType", "IncomingTokenType"},
		{"autonomousSystemNumber", "AutonomousSystemNumber"},
		{"isInteractive", "IsInteractive"},
		{"id", "Id"},
		{"appId", "AppId"},
		{"appDisplayName", "AppDisplayName"},
		{"userId", "UserId"},
		{"userPrincipalName", "UserPrincipalName"},
		{"ipAddress", "IPAddress"},
		{"userAgent", "UserAgent"},
		{"clientAppUsed", "ClientAppUsed"},
		{"correlationId", "CorrelationId"},
		{"uniqueTokenIdentifier", "UniqueTokenIdentifier"},
		{"deviceDetail.browser", "DeviceDetail.browser"},
		{"location.countryOrRegion", "LocationDetails.countryOrRegion"},
		{"createdDateTime", "CreatedDateTime"},
	}
	n, failed := 0, 0
	r := rand.New(rand.NewPCG(1, 2))
	eachPlannedDay(func(seed int64, st *storm, tn *msTenant, d int, dp *dayPlan) {
		for _, list := range [][]signIn{dp.inter, dp.nonInter} {
			for i := range list {
				s := &list[i]
				graph := decodeObject(t, st.signInGraph(nil, tn, s, false))
				sentinel := decodeObject(t, st.signInSentinel(nil, r, tn, s))
				for _, f := range fields {
					g, gok := lookPath(graph, f.graph)
					v, vok := lookPath(sentinel, f.sentinel)
					if f.graph == "createdDateTime" { // Sentinel gives seven digits of fraction
						g, v = instant(g), instant(v)
					}
					if g != v || gok != vok {
						if failed++; failed <= 10 {
							t.Errorf("seed %d, %s, sign-in %d of day %d: Graph %s = %s (%v), Sentinel %s = %s (%v)",
								seed, tn.def.domain, i, d, f.graph, g, gok, f.sentinel, v, vok)
						}
					}
				}
				// Graph says "Other." for a success, Sentinel nothing.
				if s.errCode != 0 {
					g, _ := lookPath(graph, "status.failureReason")
					v, _ := lookPath(sentinel, "Status.failureReason")
					if g != v || g == "" {
						t.Errorf("seed %d, %s, sign-in %d of day %d: failureReason: Graph %q, Sentinel %q", seed, tn.def.domain, i, d, g, v)
					}
				}
				n++
			}
		}
	})
	if n != 1221 {
		t.Fatalf("checked %d sign-ins, want 1,221", n)
	}
}

// instant is an RFC 3339 time as its instant, or the text when it is none.
func instant(s string) string {
	if tm, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return tm.UTC().Format(time.RFC3339Nano)
	}
	return s
}

// decodeObject decodes one JSON object, failing the test on anything else.
func decodeObject(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%v in %s", err, b)
	}
	return m
}

// lookPath follows a dotted path of keys, decoding a string that holds an
// object on the way (Sentinel's dynamic columns in the non-interactive
// table), and gives the value as text: numbers and numeric strings alike,
// so that Graph's errorCode 50126 and Sentinel's ResultType "50126" agree.
func lookPath(m map[string]any, path string) (string, bool) {
	var v any = m
	for key := range strings.SplitSeq(path, ".") {
		if s, ok := v.(string); ok && strings.HasPrefix(s, "{") {
			var o map[string]any
			if json.Unmarshal([]byte(s), &o) == nil {
				v = o
			}
		}
		o, ok := v.(map[string]any)
		if !ok {
			return "", false
		}
		if v, ok = o[key]; !ok {
			return "", false
		}
	}
	switch v := v.(type) {
	case nil:
		return "", true
	case string:
		return v, true
	case float64:
		return fmt.Sprint(int64(v)), true
	default:
		return fmt.Sprint(v), true
	}
}
