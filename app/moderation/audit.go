package moderation

import (
	"context"
	"encoding/json"
	"time"

	"jiayuan/app/fault"
	"jiayuan/app/records"
)

const kindAudit = "audit"

// Entry is one line of the audit log: who did what to what, when, and the state
// before and after. The log is append-only: nothing updates or deletes an entry.
type Entry struct {
	ID      int64           `json:"id"`
	ActorID int64           `json:"actor_id"`
	Action  string          `json:"action"`
	Domain  string          `json:"domain"`
	Target  string          `json:"target"`
	Before  json.RawMessage `json:"before,omitempty"`
	After   json.RawMessage `json:"after,omitempty"`
	At      time.Time       `json:"at"`
}

// Audit appends an entry. The action it records has already happened, so a failure
// is logged, not returned.
func (s *Guards) Audit(ctx context.Context, actorID int64, action, domain, target string, before, after any) {
	e := Entry{ActorID: actorID, Action: action, Domain: domain, Target: target, At: s.now()}
	if before != nil {
		e.Before, _ = json.Marshal(before)
	}
	if after != nil {
		e.After, _ = json.Marshal(after)
	}
	r, err := records.New(kindAudit, "", itoa(actorID), action, e.At, e)
	if err == nil {
		err = s.store.InsertRecord(ctx, r)
	}
	if err != nil {
		s.log.Error("audit log write failed", "action", action, "target", target, "err", err)
	}
}

// AuditLog returns entries before the id before (0: the newest), newest first; admins
// only. action filters by action when not empty.
func (s *Service) AuditLog(ctx context.Context, userID int64, action string, before int64, limit int) ([]*Entry, error) {
	if err := s.requireSite(userID, "audit", "read"); err != nil {
		return nil, err
	}
	rs, err := s.store.ListRecords(ctx, kindAudit, records.Filter{K2: action}, before, limit)
	if err != nil {
		return nil, fault.Wrap(err, "list audit records")
	}
	out := make([]*Entry, 0, len(rs))
	for _, r := range rs {
		var e Entry
		if err := r.Decode(&e); err != nil {
			return nil, err
		}
		e.ID = r.ID
		out = append(out, &e)
	}
	return out, nil
}
