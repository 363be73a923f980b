package importers

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/causeway-ir/causeway/timeline"
)

// TestNonMicrosoftMutations is a deterministic companion of the fuzz
// targets: seeded random mutations (byte flips, cuts, deletions, inserted
// JSON punctuation, duplicated spans) of every fixture, checking that each
// import ends within seconds, never panics and emits only valid events.
// (The fuzz engine needs an idle machine to get far; this runs anywhere.)
func TestNonMicrosoftMutations(t *testing.T) {
	t.Parallel()
	sets := []struct {
		imp   timeline.Importer
		files []string
	}{
		{cloudTrail{}, []string{"cloudtrail_shapes.jsonl", "cloudtrail_lookup_envelope.json", "cloudtrail_digest.json", "cloudtrail_lake_results.json", "cloudtrail_athena_results.json", "cloudtrail_cloudwatch.json"}},
		{gcpAudit{}, []string{"gcp_audit_array.json", "gcp_audit_entries.json"}},
		{okta{}, []string{"okta_event_hook.json", "okta_api_array.json"}},
		{gworkspace{}, []string{"gworkspace_api.json"}},
		{jwtCapture{}, []string{"jwt_proxy.ndjson", "jwt_lines.txt", "jwt_jwks.json"}},
	}
	rng := rand.New(rand.NewPCG(11, 13))
	for _, set := range sets {
		var seeds [][]byte
		for _, f := range set.files {
			b, err := os.ReadFile(filepath.Join("testdata", f))
			if err != nil {
				t.Fatal(err)
			}
			seeds = append(seeds, b)
		}
		n, events := 0, 0
		start := time.Now()
		for iter := 0; iter < 800; iter++ {
			in := bytes.Clone(seeds[rng.IntN(len(seeds))])
			for range 1 + rng.IntN(6) {
				if len(in) == 0 {
					break
				}
				i := rng.IntN(len(in))
				switch rng.IntN(5) {
				case 0:
					in[i] = byte(rng.IntN(256))
				case 1:
					in = in[:i]
				case 2:
					in = append(in[:i], in[min(len(in), i+1+rng.IntN(40)):]...)
				case 3:
					x := rng.IntN(9)
					in = append(in[:i], append([]byte("{}[]\",:\\\n"[x:x+1]), in[i:]...)...)
				case 4:
					j := rng.IntN(len(in))
					a, b := min(i, j), max(i, j)
					in = append(in[:b], append(bytes.Clone(in[a:b]), in[b:]...)...)
				}
			}
			done := make(chan *recorder, 1)
			go func() {
				rec := &recorder{}
				_ = set.imp.Match("m", in[:min(len(in), headSize)])
				_ = set.imp.Import(t.Context(), bytes.NewReader(in), timeline.Source{File: "m", SHA256: "00"}, rec)
				done <- rec
			}()
			select {
			case rec := <-done:
				for _, e := range rec.events {
					if err := e.Validate(); err != nil {
						t.Fatalf("%s: invalid event: %v", set.imp.Name(), err)
					}
				}
				events += len(rec.events)
				if set.imp.Name() == "jwt.capture" {
					// No replayable token survives: no decodable token of
					// the input appears whole in an event or a reject. (A
					// damaged copy, say with a stray comma inside, may keep
					// its signature: it is not a token as written.)
					for _, tok := range findJWTs(in, true) {
						whole := in[tok.start:tok.end]
						if tok.end-tok.sigStart < 8 {
							continue
						}
						for _, e := range rec.events {
							if strings.Contains(e.Raw, string(whole)) || strings.Contains(e.Message, string(whole)) {
								t.Fatalf("jwt.capture keeps token %q", whole)
							}
						}
						for _, r := range rec.rejects {
							if bytes.Contains(r.Raw, whole) {
								t.Fatalf("jwt.capture reject keeps token %q", whole)
							}
						}
					}
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("%s: no result after 5s on %q", set.imp.Name(), in)
			}
			n++
		}
		t.Logf("%s: %d mutated inputs, %d events, %v", set.imp.Name(), n, events, time.Since(start))
	}
}
