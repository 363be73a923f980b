package exercise

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// savedState is a session's state as exercise.db keeps it. While Running,
// the clock is Clock + (now − Since) × Speed.
type savedState struct {
	Clock    time.Time `json:"clock"`
	Running  bool      `json:"running"`
	Since    time.Time `json:"since"`
	Speed    float64   `json:"speed"`
	Stage    int       `json:"stage"` // index of the last stage stepped to, −1 before any
	Released []string  `json:"released"`
	Version  int64     `json:"version"`
}

// Errors of session actions (the API answers 409 or 400 to them).
var (
	ErrBackwards   = errors.New("the clock only moves forward: participants cannot unsee events")
	ErrNoStage     = errors.New("no further stage")
	ErrNoInject    = errors.New("no such inject")
	ErrNotReleased = errors.New("that inject has not been released yet")
	ErrBadAnswer   = errors.New("bad answer")
)

// defaultSpeed is case seconds per wall second when the file gives none.
const defaultSpeed = 60

// maxAnswer bounds an answer or a note, in bytes.
const maxAnswer = 8000

// Session is a running exercise: the clock, the released injects, and the
// participants' answers. Its methods are safe for concurrent use; every
// change is saved to exercise.db at once and announced to subscribers.
type Session struct {
	id    string
	file  *File
	store *store
	now   func() time.Time

	mu    sync.Mutex
	s     savedState
	subs  map[chan struct{}]string // subscriber → principal name
	names map[string]string        // participant → role, seen on the stream or answering
}

// newSession restores the session id from st, or starts it at the file's
// start. f must have been validated.
func newSession(ctx context.Context, id string, f *File, st *store, now func() time.Time) (*Session, error) {
	s := &Session{id: id, file: f, store: st, now: now, subs: map[chan struct{}]string{}, names: map[string]string{}}
	saved, ok, err := st.loadState(ctx, id)
	if err != nil {
		return nil, err
	}
	if ok {
		s.s = saved
		s.s.Running = false // a restart pauses: the room has to be ready again
		// Drop injects the file no longer has.
		s.s.Released = slices.DeleteFunc(s.s.Released, func(id string) bool { return f.inject(id) == nil })
	} else {
		s.s = savedState{Clock: f.start, Speed: f.Speed, Stage: -1, Released: []string{}}
	}
	if s.s.Speed <= 0 {
		s.s.Speed = defaultSpeed
	}
	return s, nil
}

func (f *File) inject(id string) *Inject {
	for i := range f.Injects {
		if f.Injects[i].ID == id {
			return &f.Injects[i]
		}
	}
	return nil
}

// clockLocked returns the clock now, capped at the file's end.
func (s *Session) clockLocked() time.Time {
	c := s.s.Clock
	if s.s.Running {
		el := s.now().Sub(s.s.Since)
		c = c.Add(time.Duration(float64(el) * s.s.Speed)).Truncate(time.Second)
		if c.Before(s.s.Clock) {
			c = s.s.Clock
		}
	}
	if !s.file.end.IsZero() && c.After(s.file.end) {
		c = s.file.end
	}
	return c
}

// Clock returns the exercise clock (case time).
func (s *Session) Clock() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.clockLocked()
}

// Visibility returns what participants may see now.
func (s *Session) Visibility() Visibility {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.file.Visibility(s.clockLocked(), s.s.Released)
}

// change applies fn under the lock, saves the state and notifies the
// subscribers. fn returns the detail to log, or an error to leave the state
// as it was.
func (s *Session) change(ctx context.Context, who, action string, fn func(st *savedState) (any, error)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := s.s
	next.Released = slices.Clone(s.s.Released)
	detail, err := fn(&next)
	if err != nil {
		return err
	}
	next.Version++
	if err := s.store.saveState(ctx, s.id, next, s.now(), who, action, detail); err != nil {
		return fmt.Errorf("exercise: save state: %w", err)
	}
	s.s = next
	s.notifyLocked()
	return nil
}

// freeze sets the clock base to the current clock, so that a change of
// speed or position starts from where the clock is.
func (s *Session) freeze(st *savedState) {
	st.Clock = s.clockLocked()
	st.Since = s.now()
}

// Play starts the clock at speed case seconds per wall second (the current
// speed when speed is 0).
func (s *Session) Play(ctx context.Context, who string, speed float64) error {
	if speed < 0 || speed > 1e7 {
		return fmt.Errorf("%w: speed must be between 0 and 10000000 case seconds per second", ErrBadAnswer)
	}
	return s.change(ctx, who, "play", func(st *savedState) (any, error) {
		s.freeze(st)
		st.Running = true
		if speed > 0 {
			st.Speed = speed
		}
		return map[string]any{"clock": st.Clock, "speed": st.Speed}, nil
	})
}

// Pause stops the clock.
func (s *Session) Pause(ctx context.Context, who string) error {
	return s.change(ctx, who, "pause", func(st *savedState) (any, error) {
		s.freeze(st)
		st.Running = false
		return map[string]any{"clock": st.Clock}, nil
	})
}

// Advance moves the clock forward to t (never backwards, never past end).
func (s *Session) Advance(ctx context.Context, who string, t time.Time) error {
	return s.change(ctx, who, "advance", func(st *savedState) (any, error) {
		s.freeze(st)
		t = t.UTC()
		if t.Before(st.Clock) {
			return nil, fmt.Errorf("%w (the clock is at %s)", ErrBackwards, st.Clock.Format(time.RFC3339))
		}
		if !s.file.end.IsZero() && t.After(s.file.end) {
			t = s.file.end
		}
		from := st.Clock
		st.Clock = t
		return map[string]any{"from": from, "to": t}, nil
	})
}

// stageLocked returns the index of the current stage: the later of the
// last stage stepped to and the last stage the clock has reached.
func (s *Session) stageLocked(clock time.Time, st *savedState) int {
	cur := st.Stage
	for i, g := range s.file.Stages {
		if !g.at.After(clock) && i > cur {
			cur = i
		}
	}
	return cur
}

// Step moves to the stage after the last one stepped to: the clock goes to
// the stage's time (if it is later), the clock pauses, and the stage's
// injects are released.
func (s *Session) Step(ctx context.Context, who string) error {
	return s.change(ctx, who, "step", func(st *savedState) (any, error) {
		s.freeze(st)
		// Stages are walked in order, so that every stage's injects are
		// released even when the clock has already passed its time.
		next := st.Stage + 1
		if next >= len(s.file.Stages) {
			return nil, ErrNoStage
		}
		g := s.file.Stages[next]
		if g.at.After(st.Clock) {
			st.Clock = g.at
		}
		st.Stage, st.Running = next, false
		var released []string
		for _, in := range s.file.Injects {
			if in.Stage == g.Name && !slices.Contains(st.Released, in.ID) {
				st.Released = append(st.Released, in.ID)
				released = append(released, in.ID)
			}
		}
		return map[string]any{"stage": g.Name, "clock": st.Clock, "released": released}, nil
	})
}

// Release releases an inject to the participants (again: it becomes the
// current inject).
func (s *Session) Release(ctx context.Context, who, id string) error {
	if s.file.inject(id) == nil {
		return fmt.Errorf("%w %q", ErrNoInject, id)
	}
	return s.change(ctx, who, "release", func(st *savedState) (any, error) {
		st.Released = slices.DeleteFunc(st.Released, func(x string) bool { return x == id })
		st.Released = append(st.Released, id)
		return map[string]any{"inject": id, "clock": s.clockLocked()}, nil
	})
}

// AddNote records a facilitator's note at the current clock.
func (s *Session) AddNote(ctx context.Context, who, text string) (Note, error) {
	text = strings.TrimSpace(text)
	if text == "" || len(text) > maxAnswer || !utf8.ValidString(text) {
		return Note{}, fmt.Errorf("%w: a note is 1 to %d bytes of text", ErrBadAnswer, maxAnswer)
	}
	n := Note{Author: who, Note: text, At: s.now().UTC(), Clock: s.Clock()}
	n, err := s.store.addNote(ctx, s.id, n)
	if err != nil {
		return n, fmt.Errorf("exercise: save note: %w", err)
	}
	s.touch()
	return n, nil
}

// Answer records a participant's answer to question q of a released
// inject.
func (s *Session) Answer(ctx context.Context, who, inject string, q int, text string) (Answer, error) {
	text = strings.TrimSpace(text)
	in := s.file.inject(inject)
	if in == nil {
		return Answer{}, fmt.Errorf("%w %q", ErrNoInject, inject)
	}
	s.mu.Lock()
	released := slices.Contains(s.s.Released, inject)
	clock := s.clockLocked()
	s.mu.Unlock()
	if !released {
		return Answer{}, ErrNotReleased
	}
	if len(in.Questions) > 0 && (q < 0 || q >= len(in.Questions)) {
		return Answer{}, fmt.Errorf("%w: inject %q has %d questions, not %d", ErrBadAnswer, inject, len(in.Questions), q+1)
	}
	if len(in.Questions) == 0 && q != 0 {
		return Answer{}, fmt.Errorf("%w: inject %q has no questions; answer as question 0", ErrBadAnswer, inject)
	}
	if text == "" || len(text) > maxAnswer || !utf8.ValidString(text) {
		return Answer{}, fmt.Errorf("%w: an answer is 1 to %d bytes of text", ErrBadAnswer, maxAnswer)
	}
	a, err := s.store.addAnswer(ctx, s.id, Answer{Participant: who, Inject: inject, Question: q, Answer: text, At: s.now().UTC(), Clock: clock})
	if err != nil {
		return a, fmt.Errorf("exercise: save answer: %w", err)
	}
	s.mu.Lock()
	if _, ok := s.names[who]; !ok {
		s.names[who] = ""
	}
	s.mu.Unlock()
	s.touch()
	return a, nil
}

// touch announces a change that is not in the saved state (an answer, a
// note, someone joining).
func (s *Session) touch() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.s.Version++
	s.notifyLocked()
}

func (s *Session) notifyLocked() {
	for ch := range s.subs {
		select {
		case ch <- struct{}{}:
		default: // a notice is already pending
		}
	}
}

// subscribe returns a channel that receives a value after every change,
// and a function to unsubscribe. name and role are of who follows (the
// facilitator sees who is connected).
func (s *Session) subscribe(name, role string) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	s.mu.Lock()
	s.subs[ch] = name
	s.names[name] = role
	s.s.Version++
	s.notifyLocked()
	s.mu.Unlock()
	return ch, func() {
		s.mu.Lock()
		delete(s.subs, ch)
		s.s.Version++
		s.notifyLocked()
		s.mu.Unlock()
	}
}

// Relative formats clock − anchor as "T+3d 4h", "T+2h 5m" or "T-45m".
func Relative(clock, anchor time.Time) string {
	d := clock.Sub(anchor)
	sign := "+"
	if d < 0 {
		sign, d = "-", -d
	}
	days := int64(d / (24 * time.Hour))
	h := int64(d%(24*time.Hour)) / int64(time.Hour)
	m := int64(d%time.Hour) / int64(time.Minute)
	switch {
	case days > 0:
		return fmt.Sprintf("T%s%dd %dh", sign, days, h)
	case h > 0:
		return fmt.Sprintf("T%s%dh %dm", sign, h, m)
	default:
		return fmt.Sprintf("T%s%dm", sign, m)
	}
}

// PublicInject is an inject as participants receive it: no expected
// answers, no facilitator note, no reveal details.
type PublicInject struct {
	ID        string   `json:"id"`
	Title     string   `json:"title"`
	Text      string   `json:"text"`
	Questions []string `json:"questions"`
	Stage     string   `json:"stage,omitempty"`
}

func publicInject(in *Inject) PublicInject {
	p := PublicInject{ID: in.ID, Title: in.Title, Text: in.Text, Stage: in.Stage, Questions: []string{}}
	for _, q := range in.Questions {
		p.Questions = append(p.Questions, q.Ask)
	}
	return p
}

// ParticipantState is what every participant's browser receives.
type ParticipantState struct {
	Title    string         `json:"title"`
	Audience string         `json:"audience"`
	Clock    time.Time      `json:"clock"`
	Relative string         `json:"relative"`
	Running  bool           `json:"running"`
	Speed    float64        `json:"speed"`
	Stage    string         `json:"stage"`
	Current  *PublicInject  `json:"current"`
	Released []PublicInject `json:"released"`
	Sources  []string       `json:"sources"` // sources visible now ("*" for all)
	Version  int64          `json:"version"`
	Ended    bool           `json:"ended"`
}

// StageView is a stage as the facilitator sees it.
type StageView struct {
	Name    string    `json:"name"`
	At      time.Time `json:"at"`
	Note    string    `json:"note,omitempty"`
	Reached bool      `json:"reached"`
}

// InjectView is an inject as the facilitator sees it.
type InjectView struct {
	Inject
	Due      time.Time `json:"due"`
	IsDue    bool      `json:"is_due"`
	Released bool      `json:"released"`
}

// Person is someone following the session or who answered.
type Person struct {
	Name      string `json:"name"`
	Role      string `json:"role,omitempty"`
	Connected bool   `json:"connected"`
	Answers   int    `json:"answers"`
}

// FacilitatorState is what the facilitator's console receives.
type FacilitatorState struct {
	ParticipantState
	Start     time.Time    `json:"start"`
	End       time.Time    `json:"end,omitzero"`
	Anchor    time.Time    `json:"anchor"`
	Stages    []StageView  `json:"stages"`
	Injects   []InjectView `json:"injects"`
	Next      *StageView   `json:"next"`
	Answers   []Answer     `json:"answers"`
	Notes     []Note       `json:"notes"`
	People    []Person     `json:"people"`
	Questions int          `json:"questions"`
	Visible   Scope        `json:"visible"` // what participants see before any reveal
}

// Participant returns the participants' view of the session.
func (s *Session) Participant() ParticipantState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.participantLocked()
}

func (s *Session) participantLocked() ParticipantState {
	clock := s.clockLocked()
	p := ParticipantState{
		Title: s.file.Title, Audience: s.file.Audience, Clock: clock, Relative: Relative(clock, s.file.anchor),
		Running: s.s.Running, Speed: s.s.Speed, Version: s.s.Version, Released: []PublicInject{},
		Ended: !s.file.end.IsZero() && !clock.Before(s.file.end),
	}
	if i := s.stageLocked(clock, &s.s); i >= 0 {
		p.Stage = s.file.Stages[i].Name
	}
	for _, id := range s.s.Released {
		if in := s.file.inject(id); in != nil {
			p.Released = append(p.Released, publicInject(in))
		}
	}
	if n := len(p.Released); n > 0 {
		cur := p.Released[n-1]
		p.Current = &cur
	}
	v := s.file.Visibility(clock, s.s.Released)
	if v.Sources == nil {
		p.Sources = []string{"*"}
	} else {
		// Sources whose events a released filter shows count too.
		set := maps.Clone(v.Sources)
		for _, conds := range v.Filters {
			for _, c := range conds {
				if c.Column == "source" {
					set[c.Value] = true
				}
			}
		}
		p.Sources = sortedKeys(set)
	}
	return p
}

// Facilitator returns the facilitator's view of the session, with the
// latest answers.
func (s *Session) Facilitator(ctx context.Context) (FacilitatorState, error) {
	answers, err := s.store.answers(ctx, s.id, 500)
	if err != nil {
		return FacilitatorState{}, err
	}
	notes, err := s.store.notes(ctx, s.id)
	if err != nil {
		return FacilitatorState{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	clock := s.clockLocked()
	f := FacilitatorState{ParticipantState: s.participantLocked(), Start: s.file.start, End: s.file.end, Anchor: s.file.anchor,
		Answers: answers, Notes: notes, Stages: []StageView{}, Injects: []InjectView{}, People: []Person{}, Visible: s.file.Visible}
	cur := s.stageLocked(clock, &s.s)
	for i, g := range s.file.Stages {
		sv := StageView{Name: g.Name, At: g.at, Note: g.Note, Reached: i <= cur}
		f.Stages = append(f.Stages, sv)
		if i == s.s.Stage+1 {
			f.Next = &sv
		}
	}
	for _, in := range s.file.Injects {
		f.Injects = append(f.Injects, InjectView{Inject: in, Due: in.at, IsDue: !in.at.After(clock), Released: slices.Contains(s.s.Released, in.ID)})
		f.Questions += len(in.Questions)
	}
	counts := map[string]int{}
	for _, a := range answers {
		counts[a.Participant]++
	}
	for i := range f.Answers {
		if in := s.file.inject(f.Answers[i].Inject); in != nil && f.Answers[i].Question < len(in.Questions) {
			f.Answers[i].Ask = in.Questions[f.Answers[i].Question].Ask
		}
	}
	connected := map[string]bool{}
	for _, name := range s.subs {
		connected[name] = true
	}
	for _, name := range sortedKeys(s.names) {
		f.People = append(f.People, Person{Name: name, Role: s.names[name], Connected: connected[name], Answers: counts[name]})
	}
	return f, nil
}

// visibility returns what participants may see now and the released
// injects as a key (with the clock, they determine what is visible).
func (s *Session) visibility() (Visibility, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.file.Visibility(s.clockLocked(), s.s.Released), strings.Join(s.s.Released, ",")
}

// running reports whether the clock runs.
func (s *Session) running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.s.Running
}
