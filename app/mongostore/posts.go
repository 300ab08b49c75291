package mongostore

import (
	"context"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"jiayuan/app/fault"
	"jiayuan/app/forum"
)

var _ forum.PostStore = (*Store)(nil)

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
	Held       bool       `bson:"held"`
}

func (d *postDoc) post() *forum.Post {
	return &forum.Post{ID: d.ID, ThreadID: d.ThreadID, Seq: d.Seq, AuthorID: d.AuthorID, Body: d.Body, HTML: d.HTML,
		ReplyTo: d.ReplyTo, ReplyToSeq: d.ReplyToSeq, Depth: d.Depth, Path: d.Path, CreatedAt: fromTm(d.CreatedAt),
		EditedAt: fromTm(d.EditedAt), Deleted: d.Deleted, DeletedAt: fromTm(d.DeletedAt), ChangedAt: fromTm(d.ChangedAt), Held: d.Held}
}

func newPostDoc(p *forum.Post) postDoc {
	return postDoc{ID: p.ID, ThreadID: p.ThreadID, Seq: p.Seq, AuthorID: p.AuthorID, Body: p.Body, HTML: p.HTML,
		ReplyTo: p.ReplyTo, ReplyToSeq: p.ReplyToSeq, Depth: p.Depth, Path: p.Path, CreatedAt: tm(p.CreatedAt),
		EditedAt: tm(p.EditedAt), Deleted: p.Deleted, DeletedAt: tm(p.DeletedAt), ChangedAt: tm(p.ChangedAt), Held: p.Held}
}

func (s *Store) insertPost(ctx context.Context, p *forum.Post) error {
	p.ChangedAt = p.CreatedAt
	_, err := s.posts.InsertOne(ctx, newPostDoc(p))
	return err
}

// CreatePost appends p to its thread. The seq comes from one atomic findAndModify on
// the thread ($inc last_seq and reply_count, $max last activity), so concurrent replies
// never share one, and a missing thread writes nothing; the unique (thread_id, seq)
// index refuses any duplicate. The seq and the insert are one transaction where the
// deployment has them. Without, a crash between the two leaves a seq no post has and
// counters one ahead: `jiayuan repair` recounts reply_count and reports the gap, and
// since last_seq never goes back the seq is never handed out twice.
//
// Two writes stay outside the transaction on purpose, as atomic increments of hot
// documents that every post touches (inside transactions concurrent posts would
// conflict on them and retry): the post id, taken first (an id a failed write never
// uses is harmless), and the board's counters, bumped after (a crash in between leaves
// them behind until the repair recounts them).
func (s *Store) CreatePost(ctx context.Context, p *forum.Post) error {
	id, err := s.nextID(ctx, "posts")
	if err != nil {
		return err
	}
	var boardID int64
	err = s.atomically(ctx, func(ctx context.Context) error {
		var t threadDoc
		err := s.threads.FindOneAndUpdate(ctx, bson.M{"_id": p.ThreadID},
			bumpLast(bson.M{"$inc": bson.M{"last_seq": int64(1), "reply_count": int64(1)}}, p.CreatedAt),
			options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&t)
		if err != nil {
			return notFound(err, "thread")
		}
		p.ID, boardID = id, t.BoardID
		p.Place(t.LastSeq)
		return s.insertPost(ctx, p)
	})
	if err != nil {
		return err
	}
	return s.bumpBoards(ctx, forum.AddPost(boardID, p))
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
	if limit < 1 {
		return nil, nil
	}
	return find(ctx, s.posts, bson.M{"thread_id": threadID, "seq": bson.M{"$gt": afterSeq}, "held": bson.M{"$ne": true}},
		page(limit, bson.E{Key: "seq", Value: 1}), (*postDoc).post)
}

// ListPostsByPath returns a thread's posts after a path, in tree order.
func (s *Store) ListPostsByPath(ctx context.Context, threadID int64, afterPath string, limit int) ([]*forum.Post, error) {
	if limit < 1 {
		return nil, nil
	}
	return find(ctx, s.posts, bson.M{"thread_id": threadID, "path": bson.M{"$gt": afterPath}, "held": bson.M{"$ne": true}},
		page(limit, bson.E{Key: "path", Value: 1}), (*postDoc).post)
}

// LastPostsByPath returns a thread's last posts in tree order.
func (s *Store) LastPostsByPath(ctx context.Context, threadID int64, limit int) ([]*forum.Post, error) {
	if limit < 1 {
		return nil, nil
	}
	ps, err := find(ctx, s.posts, bson.M{"thread_id": threadID, "held": bson.M{"$ne": true}},
		page(limit, bson.E{Key: "path", Value: -1}), (*postDoc).post)
	slices.Reverse(ps)
	return ps, err
}

// PostsChangedSince pages through posts in the order they last changed.
func (s *Store) PostsChangedSince(ctx context.Context, since time.Time, afterID int64, limit int) ([]*forum.Post, error) {
	if limit < 1 {
		return nil, nil
	}
	at := tm(since)
	filter := bson.M{"$or": bson.A{
		bson.M{"changed_at": bson.M{"$gt": at}},
		bson.M{"changed_at": at, "_id": bson.M{"$gt": afterID}},
	}}
	if at == nil {
		filter = bson.M{"$or": bson.A{bson.M{"changed_at": bson.M{"$ne": nil}}, bson.M{"changed_at": nil, "_id": bson.M{"$gt": afterID}}}}
	}
	return find(ctx, s.posts, filter, page(limit, bson.E{Key: "changed_at", Value: 1}, bson.E{Key: "_id", Value: 1}), (*postDoc).post)
}

// ThreadPostsChangedSince returns up to limit posts of one thread with seq <= upTo
// that changed after since and after they were written, in the order they changed.
// "After they were written" compares two fields of a document, which FerretDB cannot
// filter on: it is checked here, reading on in pages past the posts written (not
// changed) after since, which are few (seq <= upTo: the client had them).
func (s *Store) ThreadPostsChangedSince(ctx context.Context, threadID, upTo int64, since time.Time, limit int) ([]*forum.Post, error) {
	if limit < 1 {
		return nil, nil
	}
	var out []*forum.Post
	filter := bson.M{"thread_id": threadID, "seq": bson.M{"$lte": upTo}, "changed_at": bson.M{"$gt": tm(since)}}
	if since.IsZero() {
		filter["changed_at"] = bson.M{"$ne": nil}
	}
	for {
		ps, err := find(ctx, s.posts, filter, page(limit, bson.E{Key: "changed_at", Value: 1}, bson.E{Key: "_id", Value: 1}), (*postDoc).post)
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			if p.ChangedAt.After(p.CreatedAt) {
				if out = append(out, p); len(out) == limit {
					return out, nil
				}
			}
		}
		if len(ps) < limit {
			return out, nil
		}
		// The next page: after the last one read, in (changed_at, _id) order.
		last := ps[len(ps)-1]
		at := tm(last.ChangedAt)
		filter = bson.M{"thread_id": threadID, "seq": bson.M{"$lte": upTo}, "$or": bson.A{
			bson.M{"changed_at": bson.M{"$gt": at}},
			bson.M{"changed_at": at, "_id": bson.M{"$gt": last.ID}},
		}}
	}
}

// PostsByIDs returns the posts that exist among ids.
func (s *Store) PostsByIDs(ctx context.Context, ids []int64) (map[int64]*forum.Post, error) {
	return byIDs(ctx, s.posts, ids, (*postDoc).post, func(p *forum.Post) int64 { return p.ID })
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

// SetPostHeld holds a post for review or releases it.
func (s *Store) SetPostHeld(ctx context.Context, id int64, held bool, at time.Time) error {
	return s.updatePost(ctx, id, bson.M{"held": held, "changed_at": tm(at)})
}

// HeldPosts returns the posts waiting for review, oldest first.
func (s *Store) HeldPosts(ctx context.Context, limit int) ([]*forum.Post, error) {
	return find(ctx, s.posts, bson.M{"held": true}, page(limit, bson.E{Key: "_id", Value: 1}), (*postDoc).post)
}

func (s *Store) HeldPostsBy(ctx context.Context, threadID, authorID int64) ([]*forum.Post, error) {
	return find(ctx, s.posts, bson.M{"held": true, "thread_id": threadID, "author_id": authorID},
		options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}), (*postDoc).post)
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
