package moderation

import (
	"context"
	"strconv"

	"jiayuan/app/forum"
	"jiayuan/app/records"
)

const (
	kindRevision = "revision"
	kindMerge    = "merge"
)

// ledger keeps edit history and merges as records for the forum.
type ledger struct{ store records.Store }

func (l ledger) SaveRevision(ctx context.Context, rev *forum.Revision) error {
	r, err := records.New(kindRevision, "", itoa(rev.PostID), "", rev.At, rev)
	if err != nil {
		return err
	}
	return l.store.InsertRecord(ctx, r)
}

func (l ledger) Revisions(ctx context.Context, postID int64) ([]*forum.Revision, error) {
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

func (l ledger) SetMergedInto(ctx context.Context, from, to int64) error {
	r, err := records.New(kindMerge, itoa(from), itoa(to), "", forumNow(), map[string]int64{"from": from, "into": to})
	if err != nil {
		return err
	}
	return l.store.InsertRecord(ctx, r)
}

func (l ledger) MergedInto(ctx context.Context, from int64) (int64, error) {
	r, err := l.store.RecordByKey(ctx, kindMerge, itoa(from))
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(r.K1, 10, 64)
}
