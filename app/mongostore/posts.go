package mongostore

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"jiayuan/app/fault"
	"jiayuan/app/forum"
)

type postDoc struct {
	ID         int64      `bson:"_id"`
	ThreadID   int64      `bson:"thread_id"`
	Seq        int64      `bson:"seq"`
	AuthorID   int64      `bson:"author_id"`
	Body       string     `bson:"body"`
	HTML       string     `bson:"html"`
	ReplyTo    int64      `bson:"reply_to"`
	ReplyToSeq int64      `bson:"reply_to_seq"`
	Depth      int        `bson:"depth"`
	Path       string     `bson:"path"`
	CreatedAt  *time.Time `bson:"created_at"`
	EditedAt   *time.Time `bson:"edited_at"`
	Deleted    bool       `bson:"deleted"`
	DeletedAt  *time.Time `bson:"deleted_at"`
	ChangedAt  *time.Time `bson:"changed_at"`
}

func (d *postDoc) post() *forum.Post {
	return &forum.Post{ID: d.ID, ThreadID: d.ThreadID, Seq: d.Seq, AuthorID: d.AuthorID, Body: d.Body, HTML: d.HTML,
		ReplyTo: d.ReplyTo, ReplyToSeq: d.ReplyToSeq, Depth: d.Depth, Path: d.Path, CreatedAt: fromTm(d.CreatedAt),
		EditedAt: fromTm(d.EditedAt), Deleted: d.Deleted, DeletedAt: fromTm(d.DeletedAt), ChangedAt: fromTm(d.ChangedAt)}
}

func newPostDoc(p *forum.Post) postDoc {
	return postDoc{ID: p.ID, ThreadID: p.ThreadID, Seq: p.Seq, AuthorID: p.AuthorID, Body: p.Body, HTML: p.HTML,
		ReplyTo: p.ReplyTo, ReplyToSeq: p.ReplyToSeq, Depth: p.Depth, Path: p.Path, CreatedAt: tm(p.CreatedAt),
		EditedAt: tm(p.EditedAt), Deleted: p.Deleted, DeletedAt: tm(p.DeletedAt), ChangedAt: tm(p.ChangedAt)}
}

func (s *Store) insertPost(ctx context.Context, p *forum.Post) error {
	id, err := s.nextID(ctx, "posts")
	if err != nil {
		return err
	}
	p.ID, p.ChangedAt = id, p.CreatedAt
	_, err = s.posts.InsertOne(ctx, newPostDoc(p))
	return err
}

// CreatePost appends p to its thread. The seq comes from an atomic $inc on the thread
// document, so concurrent replies never share one. With no transactions, a crash
// between the $inc and the insert leaves a gap in seq that the repair job closes.
func (s *Store) CreatePost(ctx context.Context, p *forum.Post) error {
	var t threadDoc
	err := s.threads.FindOneAndUpdate(ctx, bson.M{"_id": p.ThreadID},
		bson.M{"$inc": bson.M{"last_seq": int64(1), "reply_count": int64(1)}},
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&t)
	if err != nil {
		return notFound(err, "thread")
	}
	p.Seq, p.Path = t.LastSeq, p.PathPrefix+forum.PathSegment(t.LastSeq)
	if err := s.insertPost(ctx, p); err != nil {
		return err
	}
	at := tm(p.CreatedAt)
	if _, err := s.threads.UpdateOne(ctx, bson.M{"_id": p.ThreadID, "last_activity_at": bson.M{"$lt": at}},
		bson.M{"$set": bson.M{"last_activity_at": at}}); err != nil {
		return err
	}
	return s.bumpBoard(ctx, t.BoardID, 0, 1, p.CreatedAt)
}

// PostByID returns one post.
func (s *Store) PostByID(ctx context.Context, id int64) (*forum.Post, error) {
	var d postDoc
	if err := s.posts.FindOne(ctx, bson.M{"_id": id}).Decode(&d); err != nil {
		return nil, notFound(err, "post")
	}
	return d.post(), nil
}

// ListPosts returns a thread's posts after a seq, in seq order.
func (s *Store) ListPosts(ctx context.Context, threadID, afterSeq int64, limit int) ([]*forum.Post, error) {
	cur, err := s.posts.Find(ctx, bson.M{"thread_id": threadID, "seq": bson.M{"$gt": afterSeq}},
		options.Find().SetSort(bson.D{{Key: "seq", Value: 1}}).SetLimit(int64(limit)))
	return all(ctx, cur, err, (*postDoc).post)
}

// ListPostsByPath returns a thread's posts after a path, in tree order.
func (s *Store) ListPostsByPath(ctx context.Context, threadID int64, afterPath string, limit int) ([]*forum.Post, error) {
	cur, err := s.posts.Find(ctx, bson.M{"thread_id": threadID, "path": bson.M{"$gt": afterPath}},
		options.Find().SetSort(bson.D{{Key: "path", Value: 1}}).SetLimit(int64(limit)))
	return all(ctx, cur, err, (*postDoc).post)
}

// PostsChangedSince pages through posts in the order they last changed.
func (s *Store) PostsChangedSince(ctx context.Context, since time.Time, afterID int64, limit int) ([]*forum.Post, error) {
	at := tm(since)
	filter := bson.M{"$or": bson.A{
		bson.M{"changed_at": bson.M{"$gt": at}},
		bson.M{"changed_at": at, "_id": bson.M{"$gt": afterID}},
	}}
	if at == nil {
		filter = bson.M{"$or": bson.A{bson.M{"changed_at": bson.M{"$ne": nil}}, bson.M{"changed_at": nil, "_id": bson.M{"$gt": afterID}}}}
	}
	cur, err := s.posts.Find(ctx, filter, options.Find().SetSort(bson.D{{Key: "changed_at", Value: 1}, {Key: "_id", Value: 1}}).SetLimit(int64(limit)))
	return all(ctx, cur, err, (*postDoc).post)
}

// PostsByIDs returns the posts that exist among ids.
func (s *Store) PostsByIDs(ctx context.Context, ids []int64) (map[int64]*forum.Post, error) {
	out := make(map[int64]*forum.Post, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	cur, err := s.posts.Find(ctx, bson.M{"_id": bson.M{"$in": ids}})
	ps, err := all(ctx, cur, err, (*postDoc).post)
	for _, p := range ps {
		out[p.ID] = p
	}
	return out, err
}

// UpdatePostBody replaces a post's source and rendering.
func (s *Store) UpdatePostBody(ctx context.Context, id int64, body, html string, editedAt time.Time) error {
	return s.updatePost(ctx, id, bson.M{"body": body, "html": html, "edited_at": tm(editedAt), "changed_at": tm(editedAt)})
}

// SetPostDeleted hides or restores a post.
func (s *Store) SetPostDeleted(ctx context.Context, id int64, deleted bool, at time.Time) error {
	changed := at
	if !deleted {
		at = time.Time{}
	}
	return s.updatePost(ctx, id, bson.M{"deleted": deleted, "deleted_at": tm(at), "changed_at": tm(changed)})
}

func (s *Store) updatePost(ctx context.Context, id int64, set bson.M) error {
	res, err := s.posts.UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$set": set})
	if err != nil {
		return err
	}
	if res.MatchedCount == 0 {
		return fault.NotFound("post")
	}
	return nil
}

// ImportThread bulk-loads a thread with all its posts, for seeding demos and benchmarks;
// a post's ReplyToSeq names the earlier post it answers.
func (s *Store) ImportThread(ctx context.Context, t *forum.Thread, posts []*forum.Post) error {
	if len(posts) == 0 {
		return fault.Invalid("posts", "a thread needs at least its opening post")
	}
	id, err := s.nextID(ctx, "threads")
	if err != nil {
		return err
	}
	n := int64(len(posts))
	t.ID, t.LastSeq, t.ReplyCount, t.LastActivityAt = id, n, n-1, posts[n-1].CreatedAt
	if _, err := s.threads.InsertOne(ctx, newThreadDoc(t)); err != nil {
		return err
	}
	docs := make([]any, len(posts))
	for i, p := range posts {
		if p.ID, err = s.nextID(ctx, "posts"); err != nil {
			return err
		}
		p.ThreadID, p.Seq, p.ChangedAt = t.ID, int64(i+1), p.CreatedAt
		p.Path = p.PathPrefix + forum.PathSegment(p.Seq)
		if p.ReplyToSeq > 0 && p.ReplyToSeq < p.Seq && p.ReplyTo == 0 {
			p.ReplyTo = posts[p.ReplyToSeq-1].ID
		}
		docs[i] = newPostDoc(p)
	}
	if _, err := s.posts.InsertMany(ctx, docs); err != nil {
		return err
	}
	return s.bumpBoard(ctx, t.BoardID, 1, n, t.LastActivityAt)
}
