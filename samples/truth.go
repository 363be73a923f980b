package samples

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// Truth is the content of truth.json (notes/truth-format.md): the attack
// chain a scenario's logs contain, as entity ids ("kind:value") normalized
// the way the importers normalize them.
type Truth struct {
	Scenario          string   `json:"scenario"`
	Description       string   `json:"description"`
	Root              string   `json:"root"`
	CompromiseWindow  Window   `json:"compromise_window"`
	DetectionTime     string   `json:"detection_time"`
	AttackerKeys      []string `json:"attacker_keys"`
	AttackerTokens    []string `json:"attacker_tokens"`
	ImpactedMailboxes []string `json:"impacted_mailboxes"`
	ImpactedResources []string `json:"impacted_resources"`
	ImpactedTenants   []string `json:"impacted_tenants"`
	AttackerIPs       []string `json:"attacker_ips"`
}

// Window is a time span as RFC 3339 text.
type Window struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

// truthSet collects the entity ids of a Truth as the attack is planned.
type truthSet map[string]struct{}

func (s truthSet) add(id string) { s[id] = struct{}{} }

// sorted returns the ids in order, never nil (truth.json writes [] for none).
func (s truthSet) sorted() []string {
	out := make([]string, 0, len(s))
	for id := range s {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// writeTruth writes truth.json into the output root.
func (o *output) writeTruth(t Truth) error {
	b, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return fmt.Errorf("samples: truth.json: %w", err)
	}
	b = append(b, '\n')
	if o.discard {
		return nil
	}
	path := filepath.Join(o.root, "truth.json")
	if err := os.MkdirAll(o.root, 0o755); err != nil {
		return fmt.Errorf("samples: %w", err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("samples: %w", err)
	}
	o.mu.Lock()
	o.files++
	o.bytes += int64(len(b))
	o.mu.Unlock()
	return nil
}
