package mongostore

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"jiayuan/app/forum"
)

type boardDoc struct {
	ID              int64      `bson:"_id"`
	Slug            string     `bson:"slug"`
	Name            string     `bson:"name"`
	NameHant        string     `bson:"name_hant"`
	NameEn          string     `bson:"name_en"`
	Description     string     `bson:"description"`
	DescriptionHant string     `bson:"description_hant"`
	DescriptionEn   string     `bson:"description_en"`
	Position        int        `bson:"position"`
	ThreadCount     int64      `bson:"thread_count"`
	PostCount       int64      `bson:"post_count"`
	LastActivityAt  *time.Time `bson:"last_activity_at"`
	CreatedAt       *time.Time `bson:"created_at"`
}

func (d *boardDoc) board() *forum.Board {
	return &forum.Board{ID: d.ID, Slug: d.Slug, Name: d.Name, NameHant: d.NameHant, NameEn: d.NameEn,
		Description: d.Description, DescriptionHant: d.DescriptionHant, DescriptionEn: d.DescriptionEn,
		Position: d.Position, ThreadCount: d.ThreadCount, PostCount: d.PostCount,
		LastActivityAt: fromTm(d.LastActivityAt), CreatedAt: fromTm(d.CreatedAt)}
}

// CreateBoard stores b and sets its id.
func (s *Store) CreateBoard(ctx context.Context, b *forum.Board) error {
	id, err := s.nextID(ctx, "boards")
	if err != nil {
		return err
	}
	_, err = s.boards.InsertOne(ctx, boardDoc{ID: id, Slug: b.Slug, Name: b.Name, NameHant: b.NameHant, NameEn: b.NameEn,
		Description: b.Description, DescriptionHant: b.DescriptionHant, DescriptionEn: b.DescriptionEn, Position: b.Position,
		ThreadCount: b.ThreadCount, PostCount: b.PostCount, LastActivityAt: tm(b.LastActivityAt), CreatedAt: tm(b.CreatedAt)})
	if err != nil {
		return conflict(err, "board_exists", "board slug taken")
	}
	b.ID = id
	return nil
}

func (s *Store) oneBoard(ctx context.Context, filter bson.M) (*forum.Board, error) {
	var d boardDoc
	if err := s.boards.FindOne(ctx, filter).Decode(&d); err != nil {
		return nil, notFound(err, "board")
	}
	return d.board(), nil
}

// BoardBySlug returns one board.
func (s *Store) BoardBySlug(ctx context.Context, slug string) (*forum.Board, error) {
	return s.oneBoard(ctx, bson.M{"slug": slug})
}

// BoardByID returns one board.
func (s *Store) BoardByID(ctx context.Context, id int64) (*forum.Board, error) {
	return s.oneBoard(ctx, bson.M{"_id": id})
}

// ListBoards returns every board in display order.
func (s *Store) ListBoards(ctx context.Context) ([]*forum.Board, error) {
	cur, err := s.boards.Find(ctx, bson.M{}, options.Find().SetSort(bson.D{{Key: "position", Value: 1}, {Key: "_id", Value: 1}}))
	return all(ctx, cur, err, (*boardDoc).board)
}

// bumpBoard counts new threads and posts on a board. Counters are derived facts kept
// with atomic increments: without multi-document transactions a crash between writes
// can leave them behind, which the repair job recomputes.
func (s *Store) bumpBoard(ctx context.Context, boardID, threads, posts int64, at time.Time) error {
	_, err := s.boards.UpdateOne(ctx, bson.M{"_id": boardID}, bson.M{"$inc": bson.M{"thread_count": threads, "post_count": posts}})
	if err != nil {
		return err
	}
	// $max is not in FerretDB's subset; a conditional $set keeps last activity monotonic.
	_, err = s.boards.UpdateOne(ctx, bson.M{"_id": boardID, "$or": bson.A{bson.M{"last_activity_at": nil}, bson.M{"last_activity_at": bson.M{"$lt": tm(at)}}}},
		bson.M{"$set": bson.M{"last_activity_at": tm(at)}})
	return err
}

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

// CreateThread stores a thread and its opening post. The thread is inserted before the
// post, so a reader never sees a post without its thread.
func (s *Store) CreateThread(ctx context.Context, t *forum.Thread, p *forum.Post) error {
	if _, err := s.BoardByID(ctx, t.BoardID); err != nil {
		return err
	}
	id, err := s.nextID(ctx, "threads")
	if err != nil {
		return err
	}
	t.ID, t.LastSeq, t.ReplyCount = id, 1, 0
	if _, err := s.threads.InsertOne(ctx, newThreadDoc(t)); err != nil {
		return err
	}
	p.ThreadID, p.Seq, p.Path = t.ID, 1, p.PathPrefix+forum.PathSegment(1)
	if err := s.insertPost(ctx, p); err != nil {
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
// with a keyset filter on the sort key (no skip).
func (s *Store) ListThreads(ctx context.Context, boardID int64, after *forum.ThreadCursor, limit int) ([]*forum.Thread, error) {
	filter := bson.M{"board_id": boardID}
	if after != nil {
		at := tm(after.LastActivityAt)
		filter["$or"] = bson.A{
			bson.M{"pinned": bson.M{"$lt": after.Pinned}},
			bson.M{"pinned": after.Pinned, "last_activity_at": bson.M{"$lt": at}},
			bson.M{"pinned": after.Pinned, "last_activity_at": at, "_id": bson.M{"$lt": after.ID}},
		}
	}
	cur, err := s.threads.Find(ctx, filter, options.Find().SetLimit(int64(limit)).
		SetSort(bson.D{{Key: "pinned", Value: -1}, {Key: "last_activity_at", Value: -1}, {Key: "_id", Value: -1}}))
	return all(ctx, cur, err, (*threadDoc).thread)
}
