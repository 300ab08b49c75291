// Package records keeps Jiayuan's small collections (reports, silences, branches, the
// audit log, edit history, the word list) as typed Go values stored in one generic shape.
// Each engine implements five methods once instead of a table and a collection per kind;
// the services that own each kind decide what its fields mean.
package records

import (
	"context"
	"encoding/json"
	"time"
)

// Record is one stored value of a kind.
type Record struct {
	ID   int64
	Kind string
	// Key is unique within the kind when it is not empty (a branch's name, say).
	Key string
	// K1 and K2 are indexed fields to filter on (a board and a status, say).
	K1, K2 string
	At     time.Time
	Doc    []byte // JSON of the kind's own type
}

// Filter narrows a listing: K1 among K1s (any when empty) and K2 equal to K2 (any when
// empty).
type Filter struct {
	K1s []string
	K2  string
}

// Any is the ifK2 condition of UpdateRecord that accepts whatever K2 the record has.
const Any = "\x00any"

// Store keeps records. Missing ones are fault.ErrNotFound; a taken Key is
// fault.ErrConflict.
type Store interface {
	// InsertRecord stores r and sets its ID.
	InsertRecord(ctx context.Context, r *Record) error
	RecordByID(ctx context.Context, kind string, id int64) (*Record, error)
	RecordByKey(ctx context.Context, kind, key string) (*Record, error)
	// UpdateRecord replaces K1, K2, At and Doc of the record r.ID if its K2 is still
	// ifK2 (or ifK2 is Any); otherwise it changes nothing and returns a conflict. This
	// is how two moderators resolving one report get one success and one clear answer.
	UpdateRecord(ctx context.Context, r *Record, ifK2 string) error
	// ListRecords returns records of kind with ID < before (0: from the newest), newest
	// first.
	ListRecords(ctx context.Context, kind string, f Filter, before int64, limit int) ([]*Record, error)
}

// New builds a record of kind holding v as JSON.
func New(kind, key, k1, k2 string, at time.Time, v any) (*Record, error) {
	doc, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return &Record{Kind: kind, Key: key, K1: k1, K2: k2, At: at, Doc: doc}, nil
}

// Decode reads the record's document into v.
func (r *Record) Decode(v any) error { return json.Unmarshal(r.Doc, v) }
