// Package audit is the append-only log of what moderators, admins and the command line
// did: who did what to what, when, and the state before and after. It is stored as
// records (app/records), on either engine.
package audit

import (
	"context"
	"encoding/json"
	"log/slog"
	"strconv"
	"time"

	"jiayuan/app/fault"
	"jiayuan/app/records"
)

const kindAudit = "audit"

// Console is the actor id the log shows for the command line, whose user has the
// database in hand and so needs no permission.
const Console = 0

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

// Authorizer answers whether a user may act on an object in a domain.
type Authorizer interface {
	Allowed(userID int64, domain, object, action string) bool
}

// Log is the audit log over a store.
type Log struct {
	store records.Store
	auth  Authorizer
	log   *slog.Logger
	now   func() time.Time
}

// New returns the log over st; auth says who may read it. log receives the writes that
// fail, and may be nil for slog's default.
func New(st records.Store, auth Authorizer, log *slog.Logger) *Log {
	if log == nil {
		log = slog.Default()
	}
	return &Log{store: st, auth: auth, log: log,
		now: func() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }}
}

// Audit appends an entry. The action it records has already happened, so a failure
// is logged, not returned.
func (l *Log) Audit(ctx context.Context, actorID int64, action, domain, target string, before, after any) {
	e := Entry{ActorID: actorID, Action: action, Domain: domain, Target: target, At: l.now()}
	if before != nil {
		e.Before, _ = json.Marshal(before)
	}
	if after != nil {
		e.After, _ = json.Marshal(after)
	}
	r, err := records.New(kindAudit, "", strconv.FormatInt(actorID, 10), action, e.At, e)
	if err == nil {
		err = l.store.InsertRecord(ctx, r)
	}
	if err != nil {
		l.log.Error("audit log write failed", "action", action, "target", target, "err", err)
	}
}

// List returns entries before the id before (0: the newest), newest first; admins
// only. action filters by action when not empty.
func (l *Log) List(ctx context.Context, userID int64, action string, before int64, limit int) ([]*Entry, error) {
	if !l.auth.Allowed(userID, "*", "audit", "read") {
		return nil, fault.Deny(userID, "err_only_admins_may_do")
	}
	rs, err := l.store.ListRecords(ctx, kindAudit, records.Filter{K2: action}, before, limit)
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
