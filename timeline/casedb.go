package timeline

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	_ "modernc.org/sqlite" // pure-Go SQLite driver, registered as "sqlite"
)

// DB is the case database, case.db (SQLite): what people add to a case —
// assertions, annotations, saved views, users and sessions — with an audit
// trail of every change. Evidence (events) never lives here.
type DB struct {
	db  *sql.DB
	now func() time.Time
}

// Roles of design.md §7.
const (
	RoleAnalyst     = "analyst"     // read, annotate, assert
	RoleViewer      = "viewer"      // read only
	RoleFacilitator = "facilitator" // runs exercises
	RoleParticipant = "participant" // takes part in exercises
)

// ValidRole reports whether r is a defined role.
func ValidRole(r string) bool {
	return r == RoleAnalyst || r == RoleViewer || r == RoleFacilitator || r == RoleParticipant
}

const dbSchema = `
CREATE TABLE IF NOT EXISTS assertions (
  id INTEGER PRIMARY KEY, from_entity TEXT NOT NULL, to_entity TEXT NOT NULL, relation TEXT NOT NULL,
  why TEXT NOT NULL, who TEXT NOT NULL, at TEXT NOT NULL, created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS annotations (
  target TEXT NOT NULL, author TEXT NOT NULL, star INTEGER NOT NULL, tags TEXT NOT NULL, note TEXT NOT NULL,
  updated TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (target, author));
CREATE TABLE IF NOT EXISTS views (
  id INTEGER PRIMARY KEY, name TEXT NOT NULL, state TEXT NOT NULL, author TEXT NOT NULL, created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (
  name TEXT PRIMARY KEY, role TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE, created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
  id_hash TEXT PRIMARY KEY, user TEXT NOT NULL, csrf TEXT NOT NULL, created TEXT NOT NULL, expires TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS audit (
  id INTEGER PRIMARY KEY, at TEXT NOT NULL, who TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL, detail TEXT NOT NULL);
`

// OpenDB opens (creating) the case's database.
func (c *Case) OpenDB() (*DB, error) { return OpenDB(filepath.Join(c.dir, "case.db"), nil) }

// OpenDB opens (creating) the database at path; now is the clock
// (time.Now when nil).
func OpenDB(path string, now func() time.Time) (*DB, error) {
	if now == nil {
		now = time.Now
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open case.db: %w", err)
	}
	if _, err := db.Exec(dbSchema); err != nil {
		db.Close()
		return nil, fmt.Errorf("open case.db: %w", err)
	}
	return &DB{db: db, now: now}, nil
}

// Close closes the database.
func (d *DB) Close() error { return d.db.Close() }

func (d *DB) stamp() string { return d.now().UTC().Format(time.RFC3339Nano) }

func parseStamp(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

// audit records a change in the same transaction as the change.
func audit(ctx context.Context, tx *sql.Tx, at, who, action, target string, detail any) error {
	b, _ := json.Marshal(detail)
	_, err := tx.ExecContext(ctx, `INSERT INTO audit(at, who, action, target, detail) VALUES(?,?,?,?,?)`, at, who, action, target, string(b))
	return err
}

// AddAssertion stores an analyst's or an advisory's edge.
func (d *DB) AddAssertion(ctx context.Context, a Assertion) (Assertion, error) {
	if !a.From.Kind.Valid() || !a.To.Kind.Valid() || a.From.Value == "" || a.To.Value == "" {
		return a, fmt.Errorf("assertion needs two entities, kind:value")
	}
	if strings.TrimSpace(a.Relation) == "" || strings.TrimSpace(a.Why) == "" || strings.TrimSpace(a.Who) == "" {
		return a, errors.New("assertion needs a relation, a reason (why) and who states it")
	}
	now := d.stamp()
	a.Created = parseStamp(now)
	at := ""
	if !a.At.IsZero() {
		at = a.At.UTC().Format(time.RFC3339Nano)
	}
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return a, err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `INSERT INTO assertions(from_entity, to_entity, relation, why, who, at, created) VALUES(?,?,?,?,?,?,?)`,
		a.From.String(), a.To.String(), a.Relation, a.Why, a.Who, at, now)
	if err != nil {
		return a, err
	}
	a.ID, _ = res.LastInsertId()
	if err := audit(ctx, tx, now, a.Who, "assert", a.From.String()+" -> "+a.To.String(), a); err != nil {
		return a, err
	}
	return a, tx.Commit()
}

// Assertions lists every assertion, oldest first.
func (d *DB) Assertions(ctx context.Context) ([]Assertion, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT id, from_entity, to_entity, relation, why, who, at, created FROM assertions ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Assertion
	for rows.Next() {
		var a Assertion
		var from, to, at, created string
		if err := rows.Scan(&a.ID, &from, &to, &a.Relation, &a.Why, &a.Who, &at, &created); err != nil {
			return nil, err
		}
		a.From, _ = ParseEntity(from)
		a.To, _ = ParseEntity(to)
		a.At, a.Created = parseStamp(at), parseStamp(created)
		out = append(out, a)
	}
	return out, rows.Err()
}

// Annotation is one person's star, tags and note on an event
// ("event:<id>") or an entity ("kind:value").
type Annotation struct {
	Target  string    `json:"target"`
	Author  string    `json:"author"`
	Star    bool      `json:"star"`
	Tags    []string  `json:"tags"`
	Note    string    `json:"note"`
	Updated time.Time `json:"updated"`
	Version int64     `json:"version"`
}

// ValidAnnotationTarget reports whether t names an event or an entity.
func ValidAnnotationTarget(t string) bool {
	if id, ok := strings.CutPrefix(t, "event:"); ok {
		return id != "" && len(id) <= 1024
	}
	_, err := ParseEntity(t)
	return err == nil && len(t) <= 2048
}

// PutAnnotation stores an author's annotation of a target, replacing that
// author's previous one; each author keeps their own, so people annotating
// the same thing at once never overwrite each other. It reports whether
// the annotation is new.
func (d *DB) PutAnnotation(ctx context.Context, a Annotation) (Annotation, bool, error) {
	if !ValidAnnotationTarget(a.Target) {
		return a, false, fmt.Errorf("annotation target must be event:ID or kind:value, got %q", a.Target)
	}
	if a.Author == "" {
		return a, false, errors.New("annotation needs an author")
	}
	tags := normalizeTags(a.Tags)
	a.Tags = tags
	tb, _ := json.Marshal(tags)
	now := d.stamp()
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return a, false, err
	}
	defer tx.Rollback()
	var version int64
	err = tx.QueryRowContext(ctx, `SELECT version FROM annotations WHERE target=? AND author=?`, a.Target, a.Author).Scan(&version)
	created := errors.Is(err, sql.ErrNoRows)
	if err != nil && !created {
		return a, false, err
	}
	a.Version = version + 1
	a.Updated = parseStamp(now)
	_, err = tx.ExecContext(ctx, `INSERT INTO annotations(target, author, star, tags, note, updated, version) VALUES(?,?,?,?,?,?,?)
		ON CONFLICT(target, author) DO UPDATE SET star=excluded.star, tags=excluded.tags, note=excluded.note, updated=excluded.updated, version=excluded.version`,
		a.Target, a.Author, a.Star, string(tb), a.Note, now, a.Version)
	if err != nil {
		return a, false, err
	}
	if err := audit(ctx, tx, now, a.Author, "annotate", a.Target, a); err != nil {
		return a, false, err
	}
	return a, created, tx.Commit()
}

func normalizeTags(tags []string) []string {
	out := []string{}
	for _, t := range tags {
		t = strings.TrimSpace(t)
		if t != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	slices.Sort(out)
	return out
}

// Annotations lists the annotations of a target (all targets when
// target is ""), by target then author.
func (d *DB) Annotations(ctx context.Context, target string) ([]Annotation, error) {
	q := `SELECT target, author, star, tags, note, updated, version FROM annotations`
	var args []any
	if target != "" {
		q += ` WHERE target=?`
		args = append(args, target)
	}
	rows, err := d.db.QueryContext(ctx, q+` ORDER BY target, author`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Annotation{}
	for rows.Next() {
		var a Annotation
		var tags, updated string
		if err := rows.Scan(&a.Target, &a.Author, &a.Star, &tags, &a.Note, &updated, &a.Version); err != nil {
			return nil, err
		}
		json.Unmarshal([]byte(tags), &a.Tags)
		a.Updated = parseStamp(updated)
		out = append(out, a)
	}
	return out, rows.Err()
}

// View is a saved view: a name and the view's state (the web app's URL
// state, as JSON).
type View struct {
	ID      int64           `json:"id"`
	Name    string          `json:"name"`
	State   json.RawMessage `json:"state"`
	Author  string          `json:"author"`
	Created time.Time       `json:"created"`
}

// SaveView stores a view.
func (d *DB) SaveView(ctx context.Context, v View) (View, error) {
	if strings.TrimSpace(v.Name) == "" || v.Author == "" {
		return v, errors.New("a view needs a name and an author")
	}
	if !json.Valid(v.State) {
		return v, errors.New("view state must be JSON")
	}
	now := d.stamp()
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return v, err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `INSERT INTO views(name, state, author, created) VALUES(?,?,?,?)`, v.Name, string(v.State), v.Author, now)
	if err != nil {
		return v, err
	}
	v.ID, _ = res.LastInsertId()
	v.Created = parseStamp(now)
	if err := audit(ctx, tx, now, v.Author, "save-view", v.Name, v); err != nil {
		return v, err
	}
	return v, tx.Commit()
}

// Views lists saved views, newest first.
func (d *DB) Views(ctx context.Context) ([]View, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT id, name, state, author, created FROM views ORDER BY id DESC`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []View{}
	for rows.Next() {
		var v View
		var state, created string
		if err := rows.Scan(&v.ID, &v.Name, &state, &v.Author, &created); err != nil {
			return nil, err
		}
		v.State, v.Created = json.RawMessage(state), parseStamp(created)
		out = append(out, v)
	}
	return out, rows.Err()
}

// User is a person who may use the case's web app.
type User struct {
	Name    string    `json:"name"`
	Role    string    `json:"role"`
	Created time.Time `json:"created"`
}

// ErrNoUser is returned for an unknown token or session.
var ErrNoUser = errors.New("no such user or session")

func hashSecret(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// NewSecret returns a random URL-safe secret of 32 bytes.
func NewSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// AddUser creates a user (or replaces the token and role of one) and
// returns the user's login token. Only the token's hash is stored.
func (d *DB) AddUser(ctx context.Context, name, role, who string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 128 {
		return "", errors.New("a user needs a name of at most 128 bytes")
	}
	if !ValidRole(role) {
		return "", fmt.Errorf("role must be analyst, viewer, facilitator or participant, got %q", role)
	}
	token := NewSecret()
	now := d.stamp()
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return "", err
	}
	defer tx.Rollback()
	_, err = tx.ExecContext(ctx, `INSERT INTO users(name, role, token_hash, created) VALUES(?,?,?,?)
		ON CONFLICT(name) DO UPDATE SET role=excluded.role, token_hash=excluded.token_hash`, name, role, hashSecret(token), now)
	if err != nil {
		return "", err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user=?`, name); err != nil {
		return "", err
	}
	if err := audit(ctx, tx, now, who, "add-user", name, map[string]string{"role": role}); err != nil {
		return "", err
	}
	return token, tx.Commit()
}

// UserByToken finds the user a login token belongs to.
func (d *DB) UserByToken(ctx context.Context, token string) (User, error) {
	var u User
	var created string
	err := d.db.QueryRowContext(ctx, `SELECT name, role, created FROM users WHERE token_hash=?`, hashSecret(token)).Scan(&u.Name, &u.Role, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return u, ErrNoUser
	}
	u.Created = parseStamp(created)
	return u, err
}

// Users lists the users.
func (d *DB) Users(ctx context.Context) ([]User, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT name, role, created FROM users ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		var u User
		var created string
		if err := rows.Scan(&u.Name, &u.Role, &created); err != nil {
			return nil, err
		}
		u.Created = parseStamp(created)
		out = append(out, u)
	}
	return out, rows.Err()
}

// Session is a browser's login: the cookie value is the session id (only
// its hash is stored) and every state-changing request must carry CSRF.
type Session struct {
	ID      string
	User    string
	CSRF    string
	Expires time.Time
}

// NewSession starts a session for a user, valid for ttl.
func (d *DB) NewSession(ctx context.Context, user string, ttl time.Duration) (Session, error) {
	s := Session{ID: NewSecret(), User: user, CSRF: NewSecret(), Expires: d.now().UTC().Add(ttl)}
	_, err := d.db.ExecContext(ctx, `INSERT INTO sessions(id_hash, user, csrf, created, expires) VALUES(?,?,?,?,?)`,
		hashSecret(s.ID), user, s.CSRF, d.stamp(), s.Expires.Format(time.RFC3339Nano))
	return s, err
}

// SessionByID returns a live session.
func (d *DB) SessionByID(ctx context.Context, id string) (Session, error) {
	s := Session{ID: id}
	var expires string
	err := d.db.QueryRowContext(ctx, `SELECT user, csrf, expires FROM sessions WHERE id_hash=?`, hashSecret(id)).Scan(&s.User, &s.CSRF, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return s, ErrNoUser
	}
	if err != nil {
		return s, err
	}
	s.Expires = parseStamp(expires)
	if !d.now().Before(s.Expires) {
		return s, ErrNoUser
	}
	return s, nil
}

// CheckCSRF compares a request's CSRF token with the session's in
// constant time.
func (s Session) CheckCSRF(token string) bool {
	return token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(s.CSRF)) == 1
}

// AuditEntry is one recorded change.
type AuditEntry struct {
	ID     int64           `json:"id"`
	At     time.Time       `json:"at"`
	Who    string          `json:"who"`
	Action string          `json:"action"`
	Target string          `json:"target"`
	Detail json.RawMessage `json:"detail"`
}

// Audit lists the recorded changes, oldest first (at most limit; all
// when limit is 0).
func (d *DB) Audit(ctx context.Context, limit int) ([]AuditEntry, error) {
	q := `SELECT id, at, who, action, target, detail FROM audit ORDER BY id`
	if limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", limit)
	}
	rows, err := d.db.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var a AuditEntry
		var at, detail string
		if err := rows.Scan(&a.ID, &at, &a.Who, &a.Action, &a.Target, &detail); err != nil {
			return nil, err
		}
		a.At, a.Detail = parseStamp(at), json.RawMessage(detail)
		out = append(out, a)
	}
	return out, rows.Err()
}

// EndSession ends a session (logout). Ending an unknown session is no
// error.
func (d *DB) EndSession(ctx context.Context, id string) error {
	_, err := d.db.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash=?`, hashSecret(id))
	return err
}
