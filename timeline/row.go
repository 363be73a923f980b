package timeline

import "time"

// row is how an Event is stored in Parquet: the same columns, with the
// time as microseconds since the epoch, so that every year from 1 to
// 9999 survives (time.Time through parquet-go goes by nanoseconds and
// overflows outside 1678–2262).
type row struct {
	ID            string    `parquet:"id"`
	Time          int64     `parquet:"time,timestamp(microsecond:utc)"`
	Source        string    `parquet:"source,dict"`
	Shape         string    `parquet:"shape,dict"`
	Category      Category  `parquet:"category,dict"`
	Action        string    `parquet:"action,dict"`
	Outcome       Outcome   `parquet:"outcome,dict"`
	Reason        string    `parquet:"reason,dict"`
	Actor         string    `parquet:"actor,dict"`
	ActorKind     ActorKind `parquet:"actor_kind,dict"`
	Tenant        string    `parquet:"tenant,dict"`
	ActorTenant   string    `parquet:"actor_tenant,dict"`
	AppID         string    `parquet:"app_id,dict"`
	AppName       string    `parquet:"app_name,dict"`
	ResourceApp   string    `parquet:"resource_app,dict"`
	SessionID     string    `parquet:"session_id"`
	TokenID       string    `parquet:"token_id"`
	KeyID         string    `parquet:"key_id,dict"`
	IssuedKind    string    `parquet:"issued_kind,dict"`
	IssuedID      string    `parquet:"issued_id"`
	SrcIP         string    `parquet:"src_ip,dict"`
	UserAgent     string    `parquet:"user_agent,dict"`
	Country       string    `parquet:"country,dict"`
	Target        string    `parquet:"target"`
	TargetKind    string    `parquet:"target_kind,dict"`
	CorrelationID string    `parquet:"correlation_id"`
	Message       string    `parquet:"message"`
	Raw           string    `parquet:"raw,json"`
	File          string    `parquet:"file,dict"`
	FileSHA256    string    `parquet:"file_sha256,dict"`
	Offset        int64     `parquet:"offset"`
}

func fromRow(r *row, e *Event) {
	*e = Event{
		ID:            r.ID,
		Time:          time.UnixMicro(r.Time).UTC(),
		Source:        r.Source,
		Shape:         r.Shape,
		Category:      r.Category,
		Action:        r.Action,
		Outcome:       r.Outcome,
		Reason:        r.Reason,
		Actor:         r.Actor,
		ActorKind:     r.ActorKind,
		Tenant:        r.Tenant,
		ActorTenant:   r.ActorTenant,
		AppID:         r.AppID,
		AppName:       r.AppName,
		ResourceApp:   r.ResourceApp,
		SessionID:     r.SessionID,
		TokenID:       r.TokenID,
		KeyID:         r.KeyID,
		IssuedKind:    r.IssuedKind,
		IssuedID:      r.IssuedID,
		SrcIP:         r.SrcIP,
		UserAgent:     r.UserAgent,
		Country:       r.Country,
		Target:        r.Target,
		TargetKind:    r.TargetKind,
		CorrelationID: r.CorrelationID,
		Message:       r.Message,
		Raw:           r.Raw,
		File:          r.File,
		FileSHA256:    r.FileSHA256,
		Offset:        r.Offset,
	}
}
