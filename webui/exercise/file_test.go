package exercise

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/causeway-ir/causeway/timeline"
	"github.com/google/go-cmp/cmp"
)

// minimal is a valid exercise that the table tests break one line at a time.
const minimal = `title: T
audience: A
case: synthetic
start: 2023-06-15T12:00:00Z
visible:
  sources: [m365.ual]
stages:
  - name: One
    at: 2023-06-15T12:00:00Z
  - name: Two
    at: 2023-06-15T18:00:00Z
injects:
  - id: first
    stage: One
    text: hello
    questions:
      - ask: why?
`

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		yaml     string
		wantLine int
		wantMsg  string
	}{
		{"unknown field", strings.Replace(minimal, "audience: A", "audience: A\nauidence: B", 1), 3, "unknown field"},
		{"wrong type", strings.Replace(minimal, "  sources: [m365.ual]", "  sources: {a: b}", 1), 6, ""},
		{"syntax", strings.Replace(minimal, "text: hello", "text: [hello", 1), 16, "must be specified"},
		{"two documents", minimal + "---\ntitle: again\n", 1, "one YAML document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse(strings.NewReader(tt.yaml))
			var ps Problems
			if !errors.As(err, &ps) || len(ps) != 1 {
				t.Fatalf("Parse error = %v, want one Problem", err)
			}
			if ps[0].Line != tt.wantLine {
				t.Errorf("line = %d, want %d (%s)", ps[0].Line, tt.wantLine, ps[0])
			}
			if !strings.Contains(ps[0].Msg, tt.wantMsg) {
				t.Errorf("message %q does not say %q", ps[0].Msg, tt.wantMsg)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	type want struct {
		Field string
		Line  int
		Warn  bool
	}
	tests := []struct {
		name string
		edit func(string) string
		want []want
		msg  string // in the first problem's message
	}{
		{"valid", func(s string) string { return s }, nil, ""},
		{"missing title", func(s string) string { return strings.Replace(s, "title: T\n", "", 1) }, []want{{"title", 0, false}}, "missing"},
		{"bad start", func(s string) string { return strings.Replace(s, "start: 2023-06-15T12:00:00Z", "start: yesterday", 1) },
			[]want{{"start", 4, false}}, "RFC 3339"},
		{"stage before start", func(s string) string {
			return strings.Replace(s, "at: 2023-06-15T12:00:00Z", "at: 2023-06-14T12:00:00Z", 1)
		},
			[]want{{"stages[0].at", 9, false}}, "before the exercise start"},
		{"stages out of order", func(s string) string {
			return strings.Replace(s, "at: 2023-06-15T18:00:00Z", "at: 2023-06-15T11:00:00Z", 1)
		},
			[]want{{"stages[1].at", 11, false}, {"stages[1].at", 11, false}}, "before the exercise start"},
		{"unknown stage", func(s string) string { return strings.Replace(s, "stage: One", "stage: Three", 1) },
			[]want{{"injects[0].stage", 14, false}}, `no stage named "Three"`},
		{"at and stage", func(s string) string {
			return strings.Replace(s, "stage: One", "stage: One\n    at: 2023-06-15T13:00:00Z", 1)
		},
			[]want{{"injects[0].stage", 14, false}}, "not both"},
		{"empty question", func(s string) string { return strings.Replace(s, "ask: why?", "ask: ''", 1) },
			[]want{{"injects[0].questions[0].ask", 17, false}}, "missing"},
		{"no sources", func(s string) string { return strings.Replace(s, "  sources: [m365.ual]", "  sources: []", 1) },
			[]want{{"visible.sources", 6, false}}, "sources the defenders had"},
		{"bad filter column", func(s string) string {
			return s + "    reveals:\n      events:\n        - {sorce: jwt.capture}\n"
		}, []want{{"injects[0].reveals.events[0]", 20, false}}, `"sorce" is not a column`},
		{"duplicate id", func(s string) string { return s + "  - id: first\n    at: 2023-06-15T13:00:00Z\n    text: again\n" },
			[]want{{"injects[1].id", 18, false}}, "used twice"},
		{"unknown source is a warning", func(s string) string { return strings.Replace(s, "[m365.ual]", "[m365.ual, okta.system]", 1) },
			[]want{{"visible.sources[1]", 6, true}}, "holds no okta.system events"},
	}
	c := newCase(t, synthEvents(300))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, err := Parse(strings.NewReader(tt.edit(minimal)))
			if err != nil {
				t.Fatal(err)
			}
			ps := f.Validate(c)
			var got []want
			for _, p := range ps {
				got = append(got, want{p.Field, p.Line, p.Warning})
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s\n%s", diff, ps)
			}
			if len(ps) > 0 && !strings.Contains(ps[0].Msg, tt.msg) {
				t.Errorf("message %q does not say %q", ps[0].Msg, tt.msg)
			}
			if hasErr := ps.Err() != nil; hasErr != (len(tt.want) > 0 && !tt.want[0].Warn) {
				t.Errorf("Err() = %v", ps.Err())
			}
		})
	}
}

func TestProblemString(t *testing.T) {
	t.Parallel()
	p := Problem{File: "x.yaml", Line: 7, Field: "injects[0].at", Msg: "bad"}
	if got, want := p.String(), "x.yaml:7: injects[0].at: bad"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestAllows(t *testing.T) {
	t.Parallel()
	clock := t0
	ev := func(src, tenant string, at time.Time) *timeline.Event {
		return &timeline.Event{ID: "x", Source: src, Tenant: tenant, Time: at}
	}
	v := Visibility{Clock: clock, Sources: map[string]bool{"m365.ual": true}, Tenants: map[string]bool{tenantA: true},
		Filters: [][]timeline.Cond{{{Column: "source", Value: "jwt.capture"}, {Column: "tenant", Value: strings.ToUpper(tenantB)}}}}
	tests := []struct {
		name string
		e    *timeline.Event
		want bool
	}{
		{"at the clock", ev("m365.ual", tenantA, clock), true},
		{"a microsecond after", ev("m365.ual", tenantA, clock.Add(time.Microsecond)), false},
		{"other source", ev("entra.signin", tenantA, clock), false},
		{"other tenant", ev("m365.ual", tenantB, clock), false},
		{"tenant in capitals", ev("m365.ual", strings.ToUpper(tenantA), clock), true},
		{"filter match", ev("jwt.capture", tenantB, clock), true},
		{"filter match after the clock", ev("jwt.capture", tenantB, clock.Add(time.Second)), false},
		{"filter half match", ev("jwt.capture", tenantA, clock), false},
		{"no time", ev("m365.ual", tenantA, time.Time{}), false},
	}
	for _, tt := range tests {
		if got := v.Allows(tt.e); got != tt.want {
			t.Errorf("%s: Allows = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestRelative(t *testing.T) {
	t.Parallel()
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "T+0m"},
		{45 * time.Minute, "T+45m"},
		{2*time.Hour + 5*time.Minute, "T+2h 5m"},
		{3*24*time.Hour + 4*time.Hour + 59*time.Minute, "T+3d 4h"},
		{-90 * time.Minute, "T-1h 30m"},
	}
	for _, tt := range tests {
		if got := Relative(t0.Add(tt.d), t0); got != tt.want {
			t.Errorf("Relative(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestNewTemplatePassesCheck(t *testing.T) {
	t.Parallel()
	c := newCase(t, synthEvents(90))
	var b bytes.Buffer
	if err := New(&b, c); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ex.yaml")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	ok, err := Check(&out, path, c)
	if err != nil || !ok {
		t.Fatalf("Check = %v, %v:\n%s\n--- template:\n%s", ok, err, out.String(), b.String())
	}
	f, _ := ParseFile(path)
	if strings.Contains(strings.Join(f.Visible.Sources, ","), "jwt.capture") || f.Injects[1].Reveals.Sources[0] != "jwt.capture" {
		t.Errorf("template shows provider telemetry from the start: %+v", f.Visible)
	}
	// Check reports a broken file with its line and says no.
	if err := os.WriteFile(path, []byte(strings.Replace(b.String(), "stage: Scoping", "stage: Scopin", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	ok, err = Check(&out, path, c)
	if err != nil || ok || !strings.Contains(out.String(), path+":") || !strings.Contains(out.String(), `no stage named "Scopin"`) {
		t.Errorf("Check of a broken file = %v, %v:\n%s", ok, err, out.String())
	}
}

// FuzzParse checks that no input makes Parse or Validate panic, and that
// every problem names a line or a field.
func FuzzParse(f *testing.F) {
	f.Add(minimal)
	f.Add(testYAML)
	if b, err := Builtin("storm-0558"); err == nil {
		f.Add(string(b))
	}
	f.Add("injects: [{id: a, at: x, reveals: {events: [{}]}}]")
	f.Fuzz(func(t *testing.T, s string) {
		ex, err := Parse(strings.NewReader(s))
		if err != nil {
			return
		}
		for _, p := range ex.Validate(nil) {
			if p.Line == 0 && p.Field == "" {
				t.Errorf("problem without a place: %s", p)
			}
		}
		v := ex.Visibility(t0, []string{"a"})
		v.Allows(&timeline.Event{ID: "x", Source: "m365.ual", Time: t0})
	})
}
