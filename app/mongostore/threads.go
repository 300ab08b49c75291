package mongostore

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"jiayuan/app/fault"
	"jiayuan/app/forum"
)

type threadDoc struct {
	ID             int64      `bson:"_id"`
	BoardID        int64      `bson:"board_id"`
	Title          string     `bson:"title"`
	AuthorID       int64      `bson:"author_id"`
	ReplyCount     int64      `bson:"reply_count"`
	LastSeq        int64      `bson:"last_seq"`
	Pinned         bool       `bson:"pinned"`
	Locked         bool       `bson:"locked"`
	CreatedAt      *time.Time `bson:"created_at"`
	LastActivityAt *time.Time `bson:"last_activity_at"`
}

func (d *threadDoc) thread() *forum.Thread {
	return &forum.Thread{ID: d.ID, BoardID: d.BoardID, Title: d.Title, AuthorID: d.AuthorID, ReplyCount: d.ReplyCount,
		LastSeq: d.LastSeq, Pinned: d.Pinned, Locked: d.Locked, CreatedAt: fromTm(d.CreatedAt), LastActivityAt: fromTm(d.LastActivityAt)}
}

func newThreadDoc(t *forum.Thread) threadDoc {
	return threadDoc{ID: t.ID, BoardID: t.BoardID, Title: t.Title, AuthorID: t.AuthorID, ReplyCount: t.ReplyCount, LastSeq: t.LastSeq,
		Pinned: t.Pinned, Locked: t.Locked, CreatedAt: tm(t.CreatedAt), LastActivityAt: tm(t.LastActivityAt)}
}

// CreateThread stores a thread and its opening post, then counts both on the board.
// The thread and its post are one transaction where the deployment has them; without,
// the thread goes in first, so a reader never sees a post without its thread, and a
// crash in between leaves an empty thread that `jiayuan repair` deletes. The ids come
// before and the board's counters after, outside the transaction, as in CreatePost.
func (s *Store) CreateThread(ctx context.Context, t *forum.Thread, p *forum.Post) error {
	if _, err := s.BoardByID(ctx, t.BoardID); err != nil {
		return err
	}
	tid, err := s.nextID(ctx, "threads")
	if err != nil {
		return err
	}
	pid, err := s.nextID(ctx, "posts")
	if err != nil {
		return err
	}
	err = s.atomically(ctx, func(ctx context.Context) error {
		t.ID, t.LastSeq, t.ReplyCount = tid, 1, 0
		if _, err := s.threads.InsertOne(ctx, newThreadDoc(t)); err != nil {
			return err
		}
		p.ID, p.ThreadID, p.Seq, p.Path = pid, t.ID, 1, p.PathPrefix+forum.PathSegment(1)
		return s.insertPost(ctx, p)
	})
	if err != nil {
		return err
	}
	return s.bumpBoard(ctx, t.BoardID, 1, 1, t.LastActivityAt)
}

// ThreadByID returns one thread.
func (s *Store) ThreadByID(ctx context.Context, id int64) (*forum.Thread, error) {
	var d threadDoc
	if err := s.threads.FindOne(ctx, bson.M{"_id": id}).Decode(&d); err != nil {
		return nil, notFound(err, "thread")
	}
	return d.thread(), nil
}

// ListThreads pages through a board's threads, pinned first, then by last activity,
// newest first, then by id: a keyset filter on that sort key, never a skip.
func (s *Store) ListThreads(ctx context.Context, boardID int64, after *forum.ThreadCursor, limit int) ([]*forum.Thread, error) {
	if limit < 1 {
		return nil, nil
	}
	filter := bson.M{"board_id": boardID}
	if after != nil {
		at := tm(after.LastActivityAt)
		filter["$or"] = bson.A{
			bson.M{"pinned": bson.M{"$lt": after.Pinned}},
			bson.M{"pinned": after.Pinned, "last_activity_at": bson.M{"$lt": at}},
			bson.M{"pinned": after.Pinned, "last_activity_at": at, "_id": bson.M{"$lt": after.ID}},
		}
	}
	return find(ctx, s.threads, filter,
		page(limit, bson.E{Key: "pinned", Value: -1}, bson.E{Key: "last_activity_at", Value: -1}, bson.E{Key: "_id", Value: -1}),
		(*threadDoc).thread)
}

// ImportThread bulk-loads a thread with all its posts, for seeding demos and benchmarks:
// posts[0] becomes seq 1, a post's ReplyToSeq names the earlier post it answers, and
// the counters end as if each post had been created one by one. The post ids come from
// the counter as one block, and the posts go in with one InsertMany.
func (s *Store) ImportThread(ctx context.Context, t *forum.Thread, posts []*forum.Post) error {
	if len(posts) == 0 {
		return fault.Invalid("posts", "err_thread_needs_opening_post")
	}
	if _, err := s.BoardByID(ctx, t.BoardID); err != nil {
		return err
	}
	n := int64(len(posts))
	lastPost, err := s.nextIDs(ctx, "posts", n)
	if err != nil {
		return err
	}
	id, err := s.nextID(ctx, "threads")
	if err != nil {
		return err
	}
	t.ID, t.LastSeq, t.ReplyCount, t.LastActivityAt = id, n, n-1, posts[n-1].CreatedAt
	docs := make([]any, len(posts))
	for i, p := range posts {
		p.ID, p.ThreadID, p.Seq, p.ChangedAt = lastPost-n+1+int64(i), t.ID, int64(i+1), p.CreatedAt
		p.Path = p.PathPrefix + forum.PathSegment(p.Seq)
		if p.ReplyToSeq > 0 && p.ReplyToSeq < p.Seq && p.ReplyTo == 0 {
			p.ReplyTo = posts[p.ReplyToSeq-1].ID
		}
		docs[i] = newPostDoc(p)
	}
	// Thread first, as in CreateThread without transactions: a crash part way leaves a
	// thread short of its posts, never posts without a thread. This bulk load (demos,
	// benchmarks) never runs in a transaction, which would cap its size.
	if _, err := s.threads.InsertOne(ctx, newThreadDoc(t)); err != nil {
		return err
	}
	if _, err := s.posts.InsertMany(ctx, docs); err != nil {
		return err
	}
	return s.bumpBoard(ctx, t.BoardID, 1, n, t.LastActivityAt)
}
