package mongostore

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"

	"jiayuan/app/fault"
	"jiayuan/app/forum"
)

var _ forum.ThreadStore = (*Store)(nil)

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
	var board forum.BoardDelta
	err = s.atomically(ctx, func(ctx context.Context) error {
		board, t.ID = forum.OpenThread(t, p), tid
		if _, err := s.threads.InsertOne(ctx, newThreadDoc(t)); err != nil {
			return err
		}
		p.ID, p.ThreadID = pid, t.ID
		return s.insertPost(ctx, p)
	})
	if err != nil {
		return err
	}
	return s.bumpBoards(ctx, board)
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

// UpdateThread applies a patch, in one transaction where the deployment has them.
// Everything is checked before the first write (the thread and the target board
// exist); the thread's own fields change in one update. A move then shifts the
// counters of both boards: without a transaction a crash in between leaves counters
// that `jiayuan repair` recomputes, never a thread in two boards.
func (s *Store) UpdateThread(ctx context.Context, id int64, patch forum.ThreadPatch) (*forum.Thread, error) {
	var out *forum.Thread
	err := s.atomically(ctx, func(ctx context.Context) (err error) {
		out, err = s.updateThread(ctx, id, patch)
		return err
	})
	return out, err
}

func (s *Store) updateThread(ctx context.Context, id int64, patch forum.ThreadPatch) (*forum.Thread, error) {
	t, err := s.ThreadByID(ctx, id)
	if err != nil {
		return nil, err
	}
	set := bson.M{}
	if patch.Pinned != nil {
		set["pinned"] = *patch.Pinned
	}
	if patch.Locked != nil {
		set["locked"] = *patch.Locked
	}
	if patch.Title != nil {
		set["title"] = *patch.Title
	}
	from := patch.Apply(t)
	if from != 0 {
		if _, err := s.BoardByID(ctx, t.BoardID); err != nil {
			return nil, err
		}
		set["board_id"] = t.BoardID
	}
	if len(set) > 0 {
		if _, err := s.threads.UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$set": set}); err != nil {
			return nil, err
		}
	}
	if from != 0 {
		n, err := s.posts.CountDocuments(ctx, bson.M{"thread_id": id})
		if err != nil {
			return nil, err
		}
		if err := s.bumpBoards(ctx, forum.MoveThread(t, from, n)...); err != nil {
			return nil, err
		}
		// The posts' board changed with the thread's: the search indexer catches up by
		// changed_at, so a lost reindex is redone.
		if _, err := s.posts.UpdateMany(ctx, bson.M{"thread_id": id}, bson.M{"$set": bson.M{"changed_at": tm(patch.At)}}); err != nil {
			return nil, err
		}
	}
	return s.ThreadByID(ctx, id)
}

// RelocatePosts moves posts between threads, in one transaction where the deployment
// has them. Every move is checked against the source thread before anything is
// written; then each post is updated on its own, guarded by the source thread id, and
// the counters follow. Without a transaction, a crash part way leaves some posts moved
// and counters stale: a second run of the same merge or split moves the rest, and
// `jiayuan repair` recounts.
func (s *Store) RelocatePosts(ctx context.Context, target *forum.Thread, from int64, moves []forum.Relocation, at time.Time) error {
	var newID int64
	if target.ID == 0 {
		// Taken outside the transaction, as every new thread's id is (see CreatePost).
		if _, err := s.BoardByID(ctx, target.BoardID); err != nil {
			return err
		}
		id, err := s.nextID(ctx, "threads")
		if err != nil {
			return err
		}
		newID = id
	}
	orig := *target
	return s.atomically(ctx, func(ctx context.Context) error {
		*target = orig // a retried transaction starts again from the caller's thread
		return s.relocate(ctx, target, newID, from, moves, at)
	})
}

// relocate is RelocatePosts' body; newID, when not 0, is the id of the thread to create.
func (s *Store) relocate(ctx context.Context, target *forum.Thread, newID, from int64, moves []forum.Relocation, at time.Time) error {
	src, err := s.ThreadByID(ctx, from)
	if err != nil {
		return err
	}
	ids := make([]int64, len(moves))
	for i, m := range moves {
		ids[i] = m.PostID
	}
	n, err := s.posts.CountDocuments(ctx, bson.M{"_id": bson.M{"$in": ids}, "thread_id": from})
	if err != nil {
		return err
	}
	if int(n) != len(moves) {
		return fault.NotFound("post")
	}
	r := forum.Relocate(src, target, moves)
	if newID != 0 {
		target.ID = newID
		if _, err := s.threads.InsertOne(ctx, newThreadDoc(target)); err != nil {
			return err
		}
	} else if _, err := s.ThreadByID(ctx, target.ID); err != nil {
		return err
	}
	var last time.Time
	for _, m := range moves {
		var d postDoc
		err := s.posts.FindOneAndUpdate(ctx, bson.M{"_id": m.PostID, "thread_id": from}, bson.M{"$set": bson.M{
			"thread_id": target.ID, "seq": m.Seq, "path": m.Path, "depth": m.Depth, "reply_to": m.ReplyTo,
			"reply_to_seq": m.ReplyToSeq, "changed_at": tm(at)}}).Decode(&d)
		if mongo.IsDuplicateKeyError(err) {
			return fault.Conflict("seq_taken", "err_seq_taken")
		} else if err != nil {
			return notFound(err, "post")
		}
		if c := fromTm(d.CreatedAt); c.After(last) {
			last = c
		}
	}
	if _, err := s.threads.UpdateOne(ctx, bson.M{"_id": from}, bson.M{"$inc": bson.M{"reply_count": -r.Moved}}); err != nil {
		return err
	}
	left, err := s.posts.CountDocuments(ctx, bson.M{"thread_id": from})
	if err != nil {
		return err
	}
	if left == 0 {
		if _, err := s.threads.DeleteOne(ctx, bson.M{"_id": from}); err != nil {
			return err
		}
		if err := s.bumpBoards(ctx, r.Emptied); err != nil {
			return err
		}
	}
	total, err := s.posts.CountDocuments(ctx, bson.M{"thread_id": target.ID})
	if err != nil {
		return err
	}
	maxes := bson.M{"last_seq": r.LastSeq}
	if t := tm(last); t != nil {
		maxes["last_activity_at"] = t
	}
	if _, err := s.threads.UpdateOne(ctx, bson.M{"_id": target.ID}, bson.M{"$max": maxes, "$set": bson.M{"reply_count": total - 1}}); err != nil {
		return err
	}
	if err := s.bumpBoards(ctx, r.Boards...); err != nil {
		return err
	}
	t, err := s.ThreadByID(ctx, target.ID)
	if err != nil {
		return err
	}
	*target = *t
	return nil
}
