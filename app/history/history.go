// Package history keeps what the forum leaves behind when posts are edited and threads
// merged: each post's earlier revisions, and which thread a merged one went into. It
// is the forum's Ledger, stored as records (app/records), on either engine.
package history

import (
	"context"
	"strconv"
	"time"

	"jiayuan/app/forum"
	"jiayuan/app/records"
)

const (
	kindRevision = "revision"
	kindMerge    = "merge"
)

// Ledger keeps edit history and merges as records for the forum.
type Ledger struct{ store records.Store }

// New returns the ledger over st.
func New(st records.Store) *Ledger { return &Ledger{store: st} }

var _ forum.Ledger = (*Ledger)(nil)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// SaveRevision keeps a post's text as it was before an edit.
func (l *Ledger) SaveRevision(ctx context.Context, rev *forum.Revision) error {
	r, err := records.New(kindRevision, "", itoa(rev.PostID), "", rev.At, rev)
	if err != nil {
		return err
	}
	return l.store.InsertRecord(ctx, r)
}

// Revisions returns a post's earlier revisions, newest first.
func (l *Ledger) Revisions(ctx context.Context, postID int64) ([]*forum.Revision, error) {
	rs, err := l.store.ListRecords(ctx, kindRevision, records.Filter{K1s: []string{itoa(postID)}}, 0, 200)
	if err != nil {
		return nil, err
	}
	out := make([]*forum.Revision, 0, len(rs))
	for _, r := range rs {
		var rev forum.Revision
		if err := r.Decode(&rev); err != nil {
			return nil, err
		}
		out = append(out, &rev)
	}
	return out, nil
}

// SetMergedInto records that thread from was merged into thread to.
func (l *Ledger) SetMergedInto(ctx context.Context, from, to int64) error {
	at := time.Now().UTC().Truncate(time.Millisecond)
	r, err := records.New(kindMerge, itoa(from), itoa(to), "", at, map[string]int64{"from": from, "into": to})
	if err != nil {
		return err
	}
	return l.store.InsertRecord(ctx, r)
}

// MergedInto returns the thread that thread from was merged into.
func (l *Ledger) MergedInto(ctx context.Context, from int64) (int64, error) {
	r, err := l.store.RecordByKey(ctx, kindMerge, itoa(from))
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(r.K1, 10, 64)
}
