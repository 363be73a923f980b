package exercise

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	_ "modernc.org/sqlite" // pure-Go SQLite driver, registered as "sqlite"
)

// store is exercise.db in the case directory: the sessions' state,
// participants' answers, facilitators' notes and a log of every action,
// all keyed by exercise session id. It is separate from case.db so that
// an exercise never writes to the investigation's database.
type store struct {
	db *sql.DB
}

const storeSchema = `
CREATE TABLE IF NOT EXISTS state (
  session TEXT PRIMARY KEY, state TEXT NOT NULL, updated TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS answers (
  id INTEGER PRIMARY KEY, session TEXT NOT NULL, participant TEXT NOT NULL, inject TEXT NOT NULL,
  question INTEGER NOT NULL, answer TEXT NOT NULL, at TEXT NOT NULL, clock TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS answers_session ON answers(session, id);
CREATE TABLE IF NOT EXISTS notes (
  id INTEGER PRIMARY KEY, session TEXT NOT NULL, author TEXT NOT NULL, note TEXT NOT NULL, at TEXT NOT NULL, clock TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS log (
  id INTEGER PRIMARY KEY, session TEXT NOT NULL, at TEXT NOT NULL, who TEXT NOT NULL, action TEXT NOT NULL, detail TEXT NOT NULL);
`

func openStore(path string) (*store, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if _, err := db.Exec(storeSchema); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return &store{db: db}, nil
}

func (s *store) close() error { return s.db.Close() }

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func unstamp(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

// loadState returns the saved state of a session, if any.
func (s *store) loadState(ctx context.Context, session string) (savedState, bool, error) {
	var st savedState
	var text string
	err := s.db.QueryRowContext(ctx, `SELECT state FROM state WHERE session=?`, session).Scan(&text)
	if errors.Is(err, sql.ErrNoRows) {
		return st, false, nil
	}
	if err != nil {
		return st, false, err
	}
	if err := json.Unmarshal([]byte(text), &st); err != nil {
		return st, false, fmt.Errorf("exercise.db: state of %s: %w", session, err)
	}
	return st, true, nil
}

// saveState stores the state and logs the action that changed it, in one
// transaction.
func (s *store) saveState(ctx context.Context, session string, st savedState, now time.Time, who, action string, detail any) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	d, _ := json.Marshal(detail)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO state(session, state, updated) VALUES(?,?,?)
		ON CONFLICT(session) DO UPDATE SET state=excluded.state, updated=excluded.updated`, session, string(b), stamp(now)); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO log(session, at, who, action, detail) VALUES(?,?,?,?,?)`,
		session, stamp(now), who, action, string(d)); err != nil {
		return err
	}
	return tx.Commit()
}

// Answer is one participant's answer to one question of an inject.
type Answer struct {
	ID          int64     `json:"id"`
	Participant string    `json:"participant"`
	Inject      string    `json:"inject"`
	Question    int       `json:"question"` // index in the inject's questions
	Ask         string    `json:"ask,omitempty"`
	Answer      string    `json:"answer"`
	At          time.Time `json:"at"`    // wall time
	Clock       time.Time `json:"clock"` // exercise clock (case time)
}

// Note is a facilitator's note.
type Note struct {
	ID     int64     `json:"id"`
	Author string    `json:"author"`
	Note   string    `json:"note"`
	At     time.Time `json:"at"`
	Clock  time.Time `json:"clock"`
}

// LogEntry is one recorded action of a session.
type LogEntry struct {
	At     time.Time       `json:"at"`
	Who    string          `json:"who"`
	Action string          `json:"action"`
	Detail json.RawMessage `json:"detail"`
}

func (s *store) addAnswer(ctx context.Context, session string, a Answer) (Answer, error) {
	res, err := s.db.ExecContext(ctx, `INSERT INTO answers(session, participant, inject, question, answer, at, clock) VALUES(?,?,?,?,?,?,?)`,
		session, a.Participant, a.Inject, a.Question, a.Answer, stamp(a.At), stamp(a.Clock))
	if err != nil {
		return a, err
	}
	a.ID, _ = res.LastInsertId()
	return a, nil
}

// answers returns a session's answers, oldest first (at most limit, the
// latest, when limit > 0).
func (s *store) answers(ctx context.Context, session string, limit int) ([]Answer, error) {
	q := `SELECT id, participant, inject, question, answer, at, clock FROM answers WHERE session=? ORDER BY id`
	args := []any{session}
	if limit > 0 {
		q = `SELECT * FROM (SELECT id, participant, inject, question, answer, at, clock FROM answers WHERE session=? ORDER BY id DESC LIMIT ?) ORDER BY id`
		args = append(args, limit)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Answer{}
	for rows.Next() {
		var a Answer
		var at, clock string
		if err := rows.Scan(&a.ID, &a.Participant, &a.Inject, &a.Question, &a.Answer, &at, &clock); err != nil {
			return nil, err
		}
		a.At, a.Clock = unstamp(at), unstamp(clock)
		out = append(out, a)
	}
	return out, rows.Err()
}

func (s *store) addNote(ctx context.Context, session string, n Note) (Note, error) {
	res, err := s.db.ExecContext(ctx, `INSERT INTO notes(session, author, note, at, clock) VALUES(?,?,?,?,?)`,
		session, n.Author, n.Note, stamp(n.At), stamp(n.Clock))
	if err != nil {
		return n, err
	}
	n.ID, _ = res.LastInsertId()
	return n, nil
}

func (s *store) notes(ctx context.Context, session string) ([]Note, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, author, note, at, clock FROM notes WHERE session=? ORDER BY id`, session)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Note{}
	for rows.Next() {
		var n Note
		var at, clock string
		if err := rows.Scan(&n.ID, &n.Author, &n.Note, &at, &clock); err != nil {
			return nil, err
		}
		n.At, n.Clock = unstamp(at), unstamp(clock)
		out = append(out, n)
	}
	return out, rows.Err()
}

func (s *store) log(ctx context.Context, session string) ([]LogEntry, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT at, who, action, detail FROM log WHERE session=? ORDER BY id`, session)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []LogEntry{}
	for rows.Next() {
		var l LogEntry
		var at, detail string
		if err := rows.Scan(&at, &l.Who, &l.Action, &detail); err != nil {
			return nil, err
		}
		l.At, l.Detail = unstamp(at), json.RawMessage(detail)
		out = append(out, l)
	}
	return out, rows.Err()
}
