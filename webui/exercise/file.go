package exercise

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/causeway-ir/causeway/timeline"
	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// File is an exercise file. Times are case times in RFC 3339 ("2023-06-15T13:00:00Z").
//
//	title: Storm-0558: the alert
//	audience: SOC and incident response of a customer tenant
//	case: storm-0558              # the name in the case's case.json
//	start: 2023-06-15T13:00:00Z   # where the clock starts
//	end: 2023-06-17T00:00:00Z     # optional: the clock stops here
//	anchor: 2023-05-15T02:11:00Z  # optional: T+0 (the first malicious event); start when empty
//	speed: 600                    # optional: case seconds per wall second when playing (60)
//	visible:                      # what participants see before any inject
//	  sources: [entra.signin, entra.audit, m365.ual]   # "*" for every source
//	  tenants: [<tenant id>]      # optional: only these tenants' events
//	stages:
//	  - name: Detection
//	    at: 2023-06-15T14:00:00Z
//	injects:
//	  - id: alert
//	    stage: Detection          # or at: <time>
//	    title: The alert fires
//	    text: ...
//	    questions:
//	      - ask: Which other tenants are affected?
//	        expect: [...]
//	    reveals:                  # optional: what this inject releases
//	      sources: [jwt.capture]
//	      tenants: ["*"]
//	      events: [{source: m365.ual, action: MailItemsAccessed}]
type File struct {
	Title    string   `yaml:"title" json:"title"`
	Audience string   `yaml:"audience" json:"audience"`
	Case     string   `yaml:"case" json:"case"`
	Start    string   `yaml:"start" json:"start"`
	End      string   `yaml:"end" json:"end,omitempty"`
	Anchor   string   `yaml:"anchor" json:"anchor,omitempty"`
	Speed    float64  `yaml:"speed" json:"speed,omitempty"`
	Visible  Scope    `yaml:"visible" json:"visible"`
	Stages   []Stage  `yaml:"stages" json:"stages"`
	Injects  []Inject `yaml:"injects" json:"injects"`

	name string    // file name for messages
	doc  *ast.File // for the line of a field
	// Parsed times, set by Validate.
	start, end, anchor time.Time
}

// Scope is a set of sources and tenants. An empty Tenants means every
// tenant; "*" in either list means all.
type Scope struct {
	Sources []string `yaml:"sources" json:"sources,omitempty"`
	Tenants []string `yaml:"tenants" json:"tenants,omitempty"`
}

// Stage is a named point of the exercise in case time.
type Stage struct {
	Name string `yaml:"name" json:"name"`
	At   string `yaml:"at" json:"at"`
	// Note is for the facilitator only.
	Note string `yaml:"note" json:"note,omitempty"`

	at time.Time
}

// Inject is a piece of news the facilitator releases, with questions.
type Inject struct {
	ID        string     `yaml:"id" json:"id"`
	At        string     `yaml:"at" json:"at,omitempty"`
	Stage     string     `yaml:"stage" json:"stage,omitempty"`
	Title     string     `yaml:"title" json:"title"`
	Text      string     `yaml:"text" json:"text"`
	Questions []Question `yaml:"questions" json:"questions"`
	Reveals   Reveal     `yaml:"reveals" json:"reveals"`
	// Note is for the facilitator only.
	Note string `yaml:"note" json:"note,omitempty"`

	at time.Time // when it is due: At, or its stage's time
}

// Question is asked with an inject. Expect lists the answers the
// facilitator looks for; participants never receive it.
type Question struct {
	Ask    string   `yaml:"ask" json:"ask"`
	Expect []string `yaml:"expect" json:"expect,omitempty"`
}

// Reveal is what an inject releases to participants: whole sources, more
// tenants, or the events matching each of Events (every column: value of
// one entry holds; column names are the schema's, design.md §3).
type Reveal struct {
	Sources []string            `yaml:"sources" json:"sources,omitempty"`
	Tenants []string            `yaml:"tenants" json:"tenants,omitempty"`
	Events  []map[string]string `yaml:"events" json:"events,omitempty"`
}

// Problem is one thing wrong (or, with Warning, doubtful) in an exercise
// file, at a field and line.
type Problem struct {
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Field   string `json:"field,omitempty"` // e.g. "injects[2].at"
	Msg     string `json:"message"`
	Warning bool   `json:"warning,omitempty"`
}

// String formats the problem as "file:line: field: message", the way
// compilers do, so that editors can jump to it.
func (p Problem) String() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		b.WriteByte(':')
	}
	if p.Line > 0 {
		b.WriteString(strconv.Itoa(p.Line))
		b.WriteByte(':')
	}
	if b.Len() > 0 {
		b.WriteByte(' ')
	}
	if p.Warning {
		b.WriteString("warning: ")
	}
	if p.Field != "" {
		b.WriteString(p.Field)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Problems is the list of problems of a file; as an error it holds at
// least one that is not a warning.
type Problems []Problem

// Error lists the problems, one a line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Err returns ps as an error when one of them is not a warning, else nil.
func (ps Problems) Err() error {
	for _, p := range ps {
		if !p.Warning {
			return ps
		}
	}
	return nil
}

// maxFileSize bounds an exercise file.
const maxFileSize = 4 << 20

// ParseFile reads and parses the exercise file at path.
func ParseFile(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("exercise %s: %w", path, err)
	}
	defer fh.Close()
	f, err := parse(fh, path)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// Parse parses an exercise file. Syntax errors, unknown fields and values
// of the wrong type come back as Problems with their line.
func Parse(r io.Reader) (*File, error) { return parse(r, "") }

func parse(r io.Reader, name string) (*File, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("exercise %s: %w", name, err)
	}
	if len(data) > maxFileSize {
		return nil, Problems{{File: name, Msg: fmt.Sprintf("file is larger than %d MiB", maxFileSize>>20)}}
	}
	return decode(data, name)
}

// decode parses data. go-yaml v1.19.2 panics on some malformed documents
// (a tag on a sequence value: FuzzParse found one), so a panic there
// becomes a problem instead of taking the server down.
func decode(data []byte, name string) (f *File, err error) {
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, Problems{{File: name, Msg: fmt.Sprintf("the YAML parser failed on this file (%v): check its syntax", r)}}
		}
	}()
	doc, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, Problems{yamlProblem(name, err)}
	}
	if len(doc.Docs) != 1 || doc.Docs[0].Body == nil {
		return nil, Problems{{File: name, Line: 1, Msg: "want one YAML document (an exercise), found " + strconv.Itoa(len(doc.Docs))}}
	}
	f = &File{name: name, doc: doc}
	if err := yaml.NodeToValue(doc.Docs[0].Body, f, yaml.DisallowUnknownField()); err != nil {
		return nil, Problems{yamlProblem(name, err)}
	}
	return f, nil
}

// yamlProblem turns a go-yaml error into a Problem with its line.
func yamlProblem(name string, err error) Problem {
	p := Problem{File: name, Msg: err.Error()}
	var ye yaml.Error
	if errors.As(err, &ye) {
		p.Msg = ye.GetMessage()
		if tk := ye.GetToken(); tk != nil && tk.Position != nil {
			p.Line, p.Column = tk.Position.Line, tk.Position.Column
		}
	}
	return p
}

// Name returns the file name given to ParseFile ("" for Parse).
func (f *File) Name() string { return f.name }

// problem records a problem at a field, with the field's line when the
// file was parsed from YAML.
func (f *File) problem(ps *Problems, warn bool, field, format string, args ...any) {
	p := Problem{File: f.name, Field: field, Msg: fmt.Sprintf(format, args...), Warning: warn}
	p.Line, p.Column = f.position(field)
	*ps = append(*ps, p)
}

// position finds the line of a field path like "injects[2].at", falling
// back to the nearest parent that exists.
func (f *File) position(field string) (line, col int) {
	if f.doc == nil {
		return 0, 0
	}
	defer func() { // go-yaml's path code is as fragile as its decoder
		if recover() != nil {
			line, col = 0, 0
		}
	}()
	for field != "" {
		if path, err := yaml.PathString("$." + field); err == nil {
			if n, err := path.FilterFile(f.doc); err == nil && n != nil {
				if tk := n.GetToken(); tk != nil && tk.Position != nil {
					return tk.Position.Line, tk.Position.Column
				}
			}
		}
		i := strings.LastIndexAny(field, ".[")
		if i < 0 {
			break
		}
		field = field[:i]
	}
	return 0, 0
}

// parseTime parses a case time of the file.
func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time like 2023-06-15T13:00:00Z", s)
	}
	return t.UTC(), nil
}

// Validate checks the file on its own and, when c is not nil, against the
// case: sources that the case does not hold, times outside the case and a
// case name that differs are warnings. It returns every problem found; use
// Problems.Err to tell whether the file can run.
func (f *File) Validate(c *timeline.Case) Problems {
	var ps Problems
	need := func(field, v string) {
		if strings.TrimSpace(v) == "" {
			f.problem(&ps, false, field, "missing: give a %s", field)
		}
	}
	need("title", f.Title)
	need("audience", f.Audience)
	need("case", f.Case)
	timeField := func(field, v string, required bool) time.Time {
		if strings.TrimSpace(v) == "" {
			if required {
				f.problem(&ps, false, field, "missing: give a case time like 2023-06-15T13:00:00Z")
			}
			return time.Time{}
		}
		t, err := parseTime(v)
		if err != nil {
			f.problem(&ps, false, field, "%v", err)
		}
		return t
	}
	f.start = timeField("start", f.Start, true)
	f.end = timeField("end", f.End, false)
	f.anchor = timeField("anchor", f.Anchor, false)
	if f.anchor.IsZero() {
		f.anchor = f.start
	}
	if !f.end.IsZero() && !f.start.IsZero() && !f.end.After(f.start) {
		f.problem(&ps, false, "end", "must be after start (%s)", f.Start)
	}
	if f.Speed < 0 {
		f.problem(&ps, false, "speed", "must be positive (case seconds per wall second)")
	}
	if len(f.Visible.Sources) == 0 {
		f.problem(&ps, false, "visible.sources", "missing: list the sources the defenders had (or \"*\" for all)")
	}
	f.checkScope(&ps, "visible", f.Visible.Sources, f.Visible.Tenants)

	stages := map[string]int{}
	var prev time.Time
	for i := range f.Stages {
		s := &f.Stages[i]
		field := fmt.Sprintf("stages[%d]", i)
		if strings.TrimSpace(s.Name) == "" {
			f.problem(&ps, false, field+".name", "missing: every stage needs a name")
		} else if _, dup := stages[s.Name]; dup {
			f.problem(&ps, false, field+".name", "stage %q is defined twice", s.Name)
		} else {
			stages[s.Name] = i
		}
		s.at = timeField(field+".at", s.At, true)
		f.checkWindow(&ps, field+".at", s.at)
		if !s.at.IsZero() && !prev.IsZero() && s.at.Before(prev) {
			f.problem(&ps, false, field+".at", "stages must be in time order: %s is before the previous stage", s.At)
		}
		if !s.at.IsZero() {
			prev = s.at
		}
	}
	if len(f.Injects) == 0 {
		f.problem(&ps, false, "injects", "missing: an exercise needs at least one inject")
	}
	ids := map[string]bool{}
	for i := range f.Injects {
		in := &f.Injects[i]
		field := fmt.Sprintf("injects[%d]", i)
		switch {
		case strings.TrimSpace(in.ID) == "":
			f.problem(&ps, false, field+".id", "missing: every inject needs an id")
		case ids[in.ID]:
			f.problem(&ps, false, field+".id", "inject id %q is used twice", in.ID)
		case !validID(in.ID):
			f.problem(&ps, false, field+".id", "%q: use letters, digits, '-' and '_' only", in.ID)
		}
		ids[in.ID] = true
		if strings.TrimSpace(in.Text) == "" {
			f.problem(&ps, false, field+".text", "missing: what do participants learn?")
		}
		switch {
		case in.At == "" && in.Stage == "":
			f.problem(&ps, false, field, "give either at (a case time) or stage (a stage name)")
		case in.At != "" && in.Stage != "":
			f.problem(&ps, false, field+".stage", "give either at or stage, not both")
		case in.At != "":
			in.at = timeField(field+".at", in.At, true)
			f.checkWindow(&ps, field+".at", in.at)
		default:
			si, ok := stages[in.Stage]
			if !ok {
				f.problem(&ps, false, field+".stage", "no stage named %q (stages: %s)", in.Stage, strings.Join(stageNames(f.Stages), ", "))
			} else {
				in.at = f.Stages[si].at
			}
		}
		for j, q := range in.Questions {
			if strings.TrimSpace(q.Ask) == "" {
				f.problem(&ps, false, fmt.Sprintf("%s.questions[%d].ask", field, j), "missing: the question to ask")
			}
		}
		f.checkScope(&ps, field+".reveals", in.Reveals.Sources, in.Reveals.Tenants)
		for j, m := range in.Reveals.Events {
			ef := fmt.Sprintf("%s.reveals.events[%d]", field, j)
			if len(m) == 0 {
				f.problem(&ps, false, ef, "an event filter needs at least one column: value")
			}
			for _, col := range sortedKeys(m) {
				if !timeline.IsColumn(col) || col == "raw" || col == "time" {
					f.problem(&ps, false, ef, "%q is not a column an event filter can use (see design.md §3)", col)
				}
			}
		}
	}
	if c != nil {
		f.checkCase(&ps, c)
	}
	return ps
}

// checkScope checks a list of sources and tenants.
func (f *File) checkScope(ps *Problems, field string, sources, tenants []string) {
	for i, s := range sources {
		if strings.TrimSpace(s) == "" {
			f.problem(ps, false, fmt.Sprintf("%s.sources[%d]", field, i), "empty source name")
		}
	}
	for i, t := range tenants {
		if strings.TrimSpace(t) == "" {
			f.problem(ps, false, fmt.Sprintf("%s.tenants[%d]", field, i), "empty tenant")
		}
	}
}

// checkWindow checks that t lies within start and end.
func (f *File) checkWindow(ps *Problems, field string, t time.Time) {
	if t.IsZero() || f.start.IsZero() {
		return
	}
	if t.Before(f.start) {
		f.problem(ps, false, field, "%s is before the exercise start %s", t.Format(time.RFC3339), f.start.Format(time.RFC3339))
	}
	if !f.end.IsZero() && t.After(f.end) {
		f.problem(ps, false, field, "%s is after the exercise end %s", t.Format(time.RFC3339), f.end.Format(time.RFC3339))
	}
}

// checkCase compares the file with the case it will run on.
func (f *File) checkCase(ps *Problems, c *timeline.Case) {
	m := c.Manifest()
	if f.Case != "" && m.Name != "" && f.Case != m.Name {
		f.problem(ps, true, "case", "the file is written for case %q but this case is %q", f.Case, m.Name)
	}
	if len(m.Parts) == 0 {
		f.problem(ps, true, "case", "the case holds no events yet: import logs first")
		return
	}
	have := map[string]bool{}
	var lo, hi time.Time
	for _, p := range m.Parts {
		have[p.Source] = true
		if lo.IsZero() || p.MinTime.Before(lo) {
			lo = p.MinTime
		}
		if p.MaxTime.After(hi) {
			hi = p.MaxTime
		}
	}
	checkSources := func(field string, sources []string) {
		for i, s := range sources {
			if s != "*" && s != "" && !have[s] {
				f.problem(ps, true, fmt.Sprintf("%s[%d]", field, i), "the case holds no %s events (it has %s)", s, strings.Join(sortedKeys(have), ", "))
			}
		}
	}
	checkSources("visible.sources", f.Visible.Sources)
	for i, in := range f.Injects {
		checkSources(fmt.Sprintf("injects[%d].reveals.sources", i), in.Reveals.Sources)
	}
	if !f.start.IsZero() && (f.start.Before(lo.Add(-24*time.Hour)) || f.start.After(hi)) {
		f.problem(ps, true, "start", "%s is outside the case's events (%s to %s)", f.Start, lo.UTC().Format(time.RFC3339), hi.UTC().Format(time.RFC3339))
	}
}

func validID(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return len(s) <= 64
}

func stageNames(ss []Stage) []string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		out = append(out, strconv.Quote(s.Name))
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
