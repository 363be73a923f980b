package timeline

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"
	"unsafe"
)

// SchemaVersion is the version of the Event schema written into case.json.
// It changes whenever a column is added, removed or changes meaning.
const SchemaVersion = 1

// Event is one provider record, normalized. Its fields are exactly the
// columns of design.md §3; the Parquet and JSON names are the snake_case names
// there. A field the provider did not give stays empty: importers never
// invent values.
type Event struct {
	// ID is the provider's record id, else FallbackID of the file and offset.
	ID string `parquet:"id" json:"id"`
	// Time is when it happened (event time, never ingestion time), in UTC.
	Time time.Time `parquet:"-" json:"time"` // stored as µs: see row
	// Source is the importer name, e.g. "aws.cloudtrail".
	Source string `parquet:"source,dict" json:"source"`
	// Shape is the export variant detected, e.g. "s3", "graph", "sentinel".
	Shape string `parquet:"shape,dict" json:"shape"`
	// Category is the coarse kind of activity.
	Category Category `parquet:"category,dict" json:"category"`
	// Action is the provider's own operation name.
	Action string `parquet:"action,dict" json:"action"`
	// Outcome is success, failure or unknown.
	Outcome Outcome `parquet:"outcome,dict" json:"outcome"`
	// Reason is the provider's error code or message.
	Reason string `parquet:"reason,dict" json:"reason"`
	// Actor is the principal (UPN, ARN, email, service principal id).
	Actor string `parquet:"actor,dict" json:"actor"`
	// ActorKind says what sort of principal Actor is.
	ActorKind ActorKind `parquet:"actor_kind,dict" json:"actor_kind"`
	// Tenant is the organization the event happened in (Entra tenant, AWS
	// account, GCP project, Okta org).
	Tenant string `parquet:"tenant,dict" json:"tenant"`
	// ActorTenant is the actor's home organization when it differs.
	ActorTenant string `parquet:"actor_tenant,dict" json:"actor_tenant"`
	// AppID is the client application id.
	AppID string `parquet:"app_id,dict" json:"app_id"`
	// AppName is the client application's display name.
	AppName string `parquet:"app_name,dict" json:"app_name"`
	// ResourceApp is the resource or audience called.
	ResourceApp string `parquet:"resource_app,dict" json:"resource_app"`
	// SessionID is the provider session.
	SessionID string `parquet:"session_id" json:"session_id"`
	// TokenID is the token presented.
	TokenID string `parquet:"token_id" json:"token_id"`
	// KeyID is the long-lived credential presented or that signed the token.
	KeyID string `parquet:"key_id,dict" json:"key_id"`
	// IssuedKind is what this event created: IssuedToken or IssuedKey.
	IssuedKind string `parquet:"issued_kind,dict" json:"issued_kind"`
	// IssuedID is the id of the token or key this event created.
	IssuedID string `parquet:"issued_id" json:"issued_id"`
	// SrcIP is the client address, port stripped.
	SrcIP string `parquet:"src_ip,dict" json:"src_ip"`
	// UserAgent is the client's user agent.
	UserAgent string `parquet:"user_agent,dict" json:"user_agent"`
	// Country is the client's country when the provider gives one.
	Country string `parquet:"country,dict" json:"country"`
	// Target is what was acted on: a mailbox, resource, identity or app.
	Target string `parquet:"target" json:"target"`
	// TargetKind is the EntityKind name of Target.
	TargetKind string `parquet:"target_kind,dict" json:"target_kind"`
	// CorrelationID is the request or correlation id.
	CorrelationID string `parquet:"correlation_id" json:"correlation_id"`
	// Message is one readable line describing the event.
	Message string `parquet:"message" json:"message"`
	// Raw is the original record, byte for byte (JSON records as they were;
	// a CSV row or text line as a JSON string holding its exact text).
	Raw string `parquet:"raw,json" json:"raw,omitempty"`
	// File is the path of the imported file the record came from.
	File string `parquet:"file,dict" json:"file"`
	// FileSHA256 is the hex SHA-256 of that file as read (after gzip or zip).
	FileSHA256 string `parquet:"file_sha256,dict" json:"file_sha256"`
	// Offset is the byte offset of the record in that file.
	Offset int64 `parquet:"offset" json:"offset"`
}

// Columns lists the schema column names in order, as in design.md §3.
var columns = [...]string{
	"id", "time", "source", "shape", "category", "action", "outcome", "reason",
	"actor", "actor_kind", "tenant", "actor_tenant", "app_id", "app_name", "resource_app",
	"session_id", "token_id", "key_id", "issued_kind", "issued_id", "src_ip", "user_agent",
	"country", "target", "target_kind", "correlation_id", "message", "raw",
	"file", "file_sha256", "offset",
}

// Columns returns the schema column names in order.
func Columns() []string { return append([]string(nil), columns[:]...) }

// Field returns the value of the column named col as text ("" for an unknown
// column). Time is RFC 3339 with microseconds; Offset is decimal.
func (e *Event) Field(col string) string {
	switch col {
	case "id":
		return e.ID
	case "time":
		if e.Time.IsZero() {
			return ""
		}
		return e.Time.UTC().Format(TimeFormat)
	case "source":
		return e.Source
	case "shape":
		return e.Shape
	case "category":
		return string(e.Category)
	case "action":
		return e.Action
	case "outcome":
		return string(e.Outcome)
	case "reason":
		return e.Reason
	case "actor":
		return e.Actor
	case "actor_kind":
		return string(e.ActorKind)
	case "tenant":
		return e.Tenant
	case "actor_tenant":
		return e.ActorTenant
	case "app_id":
		return e.AppID
	case "app_name":
		return e.AppName
	case "resource_app":
		return e.ResourceApp
	case "session_id":
		return e.SessionID
	case "token_id":
		return e.TokenID
	case "key_id":
		return e.KeyID
	case "issued_kind":
		return e.IssuedKind
	case "issued_id":
		return e.IssuedID
	case "src_ip":
		return e.SrcIP
	case "user_agent":
		return e.UserAgent
	case "country":
		return e.Country
	case "target":
		return e.Target
	case "target_kind":
		return e.TargetKind
	case "correlation_id":
		return e.CorrelationID
	case "message":
		return e.Message
	case "raw":
		return e.Raw
	case "file":
		return e.File
	case "file_sha256":
		return e.FileSHA256
	case "offset":
		return fmt.Sprint(e.Offset)
	}
	return ""
}

// IsColumn reports whether name is a schema column.
func IsColumn(name string) bool {
	for _, c := range columns {
		if c == name {
			return true
		}
	}
	return false
}

// TimeFormat is how times are written in text output: RFC 3339, UTC, with
// the fraction trimmed.
const TimeFormat = time.RFC3339Nano

// Category is the coarse kind of activity of an Event.
type Category string

// Categories of design.md §3.
const (
	CategorySignin     Category = "signin"
	CategoryToken      Category = "token"
	CategoryCredential Category = "credential"
	CategoryMail       Category = "mail"
	CategoryFile       Category = "file"
	CategoryAdmin      Category = "admin"
	CategoryResource   Category = "resource"
	CategoryOther      Category = "other"
)

// Valid reports whether c is one of the defined categories.
func (c Category) Valid() bool {
	switch c {
	case CategorySignin, CategoryToken, CategoryCredential, CategoryMail, CategoryFile,
		CategoryAdmin, CategoryResource, CategoryOther:
		return true
	}
	return false
}

// Outcome is whether the action succeeded.
type Outcome string

// Outcomes.
const (
	OutcomeSuccess Outcome = "success"
	OutcomeFailure Outcome = "failure"
	OutcomeUnknown Outcome = "unknown"
)

// Valid reports whether o is one of the defined outcomes.
func (o Outcome) Valid() bool {
	return o == OutcomeSuccess || o == OutcomeFailure || o == OutcomeUnknown
}

// ActorKind says what sort of principal acted.
type ActorKind string

// Actor kinds of design.md §3.
const (
	ActorUser             ActorKind = "user"
	ActorServicePrincipal ActorKind = "service_principal"
	ActorManagedIdentity  ActorKind = "managed_identity"
	ActorRole             ActorKind = "role"
	ActorRoot             ActorKind = "root"
	ActorService          ActorKind = "service"
	ActorAnonymous        ActorKind = "anonymous"
	ActorUnknown          ActorKind = "unknown"
)

// Valid reports whether k is empty or one of the defined actor kinds.
func (k ActorKind) Valid() bool {
	switch k {
	case "", ActorUser, ActorServicePrincipal, ActorManagedIdentity, ActorRole, ActorRoot,
		ActorService, ActorAnonymous, ActorUnknown:
		return true
	}
	return false
}

// Values of Event.IssuedKind.
const (
	IssuedToken = "token"
	IssuedKey   = "key"
)

// Validation errors returned (wrapped) by Event.Validate.
var (
	ErrMissingID     = errors.New("event has no id")
	ErrMissingTime   = errors.New("event has no time")
	ErrMissingSource = errors.New("event has no source")
	ErrBadValue      = errors.New("event has an invalid value")
)

// Validate checks the invariants every stored event keeps: an id, a time, a
// source, known category, outcome and actor kind, a known issued kind and
// entity kind, and a non-negative offset.
func (e *Event) Validate() error {
	switch {
	case e.ID == "":
		return ErrMissingID
	case e.Time.IsZero():
		return ErrMissingTime
	case e.Source == "":
		return ErrMissingSource
	case !e.Category.Valid():
		return fmt.Errorf("%w: category %q", ErrBadValue, e.Category)
	case !e.Outcome.Valid():
		return fmt.Errorf("%w: outcome %q", ErrBadValue, e.Outcome)
	case !e.ActorKind.Valid():
		return fmt.Errorf("%w: actor_kind %q", ErrBadValue, e.ActorKind)
	case e.IssuedKind != "" && e.IssuedKind != IssuedToken && e.IssuedKind != IssuedKey:
		return fmt.Errorf("%w: issued_kind %q", ErrBadValue, e.IssuedKind)
	case e.IssuedKind != "" && e.IssuedID == "":
		return fmt.Errorf("%w: issued_kind without issued_id", ErrBadValue)
	case e.TargetKind != "" && !EntityKind(e.TargetKind).Valid():
		return fmt.Errorf("%w: target_kind %q", ErrBadValue, e.TargetKind)
	case e.Offset < 0:
		return fmt.Errorf("%w: offset %d", ErrBadValue, e.Offset)
	case e.Time.Location() != time.UTC:
		return fmt.Errorf("%w: time not in UTC", ErrBadValue)
	}
	return nil
}

// FallbackID is the id of a record whose provider gave none: a stable hash of
// the file's SHA-256 and the record's offset, so re-importing the same file
// yields the same ids.
func FallbackID(fileSHA256 string, offset int64) string {
	h := sha256.New()
	h.Write([]byte(fileSHA256))
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(offset))
	h.Write(b[:])
	return "h:" + base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:15])
}

// EntityKind is the kind of a graph entity.
type EntityKind string

// Entity kinds of design.md §4.
const (
	KindKey      EntityKind = "key"
	KindToken    EntityKind = "token"
	KindSession  EntityKind = "session"
	KindIdentity EntityKind = "identity"
	KindApp      EntityKind = "app"
	KindTenant   EntityKind = "tenant"
	KindIP       EntityKind = "ip"
	KindMailbox  EntityKind = "mailbox"
	KindResource EntityKind = "resource"
)

// EntityKinds lists every kind in a stable order.
func EntityKinds() []EntityKind {
	return []EntityKind{KindKey, KindToken, KindSession, KindIdentity, KindApp, KindTenant, KindIP, KindMailbox, KindResource}
}

// Valid reports whether k is a defined entity kind.
func (k EntityKind) Valid() bool {
	switch k {
	case KindKey, KindToken, KindSession, KindIdentity, KindApp, KindTenant, KindIP, KindMailbox, KindResource:
		return true
	}
	return false
}

// String returns the kind's name.
func (k EntityKind) String() string { return string(k) }

// Entity names one thing in the graph: a kind and a value.
type Entity struct {
	Kind  EntityKind
	Value string
}

// String returns the entity id, "kind:value".
func (e Entity) String() string { return string(e.Kind) + ":" + e.Value }

// ErrBadEntity is returned by ParseEntity for text that is not "kind:value".
var ErrBadEntity = errors.New("entity must be kind:value")

// ParseEntity parses "kind:value". The value may itself contain colons
// (ARNs do).
func ParseEntity(s string) (Entity, error) {
	k, v, ok := strings.Cut(s, ":")
	if !ok || v == "" || !EntityKind(k).Valid() {
		return Entity{}, fmt.Errorf("%w: %q", ErrBadEntity, s)
	}
	return Entity{Kind: EntityKind(k), Value: v}, nil
}

// Assertion is an edge an analyst or an advisory states, stored in the
// case database with who and when; chains draw it with evidence "asserted".
type Assertion struct {
	ID       int64     `json:"id"`
	From     Entity    `json:"-"`
	To       Entity    `json:"-"`
	Relation string    `json:"relation"`
	Why      string    `json:"why"`
	Who      string    `json:"who"`
	At       time.Time `json:"at"` // when the edge holds from (the asserted event time); zero if unknown
	Created  time.Time `json:"created"`
}

// Clone returns a copy of e whose strings share no memory with e's. An
// importer may hand an emitter an event whose strings are views of its
// read buffers (valid only during Emit); whoever keeps such an event keeps
// its clone. The copy is one allocation for all the strings.
func (e *Event) Clone() Event {
	c := *e
	fields := c.stringFields()
	n := 0
	for _, p := range fields {
		n += len(*p)
	}
	buf := make([]byte, 0, n)
	for _, p := range fields {
		at := len(buf)
		buf = append(buf, *p...)
		*p = unsafe.String(unsafe.SliceData(buf[at:]), len(*p))
	}
	return c
}

// stringFields points at e's string fields, the enums' too (their
// underlying type is string).
func (e *Event) stringFields() [29]*string {
	return [...]*string{
		&e.ID, &e.Source, &e.Shape, (*string)(&e.Category), &e.Action, (*string)(&e.Outcome), &e.Reason, &e.Actor,
		(*string)(&e.ActorKind), &e.Tenant, &e.ActorTenant, &e.AppID, &e.AppName, &e.ResourceApp, &e.SessionID,
		&e.TokenID, &e.KeyID, &e.IssuedKind, &e.IssuedID, &e.SrcIP, &e.UserAgent, &e.Country, &e.Target,
		&e.TargetKind, &e.CorrelationID, &e.Message, &e.Raw, &e.File, &e.FileSHA256,
	}
}
