package mongostore

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"

	"jiayuan/app/fault"
	"jiayuan/app/forum"
)

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
	moving := patch.BoardID != nil && *patch.BoardID != t.BoardID
	if moving {
		if _, err := s.BoardByID(ctx, *patch.BoardID); err != nil {
			return nil, err
		}
		set["board_id"] = *patch.BoardID
	}
	if len(set) > 0 {
		if _, err := s.threads.UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$set": set}); err != nil {
			return nil, err
		}
	}
	if moving {
		n, err := s.posts.CountDocuments(ctx, bson.M{"thread_id": id})
		if err != nil {
			return nil, err
		}
		if err := s.bumpBoard(ctx, t.BoardID, -1, -n, time.Time{}); err != nil {
			return nil, err
		}
		if err := s.bumpBoard(ctx, *patch.BoardID, 1, n, t.LastActivityAt); err != nil {
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
	if newID != 0 {
		target.ID, target.LastSeq, target.ReplyCount = newID, 0, 0
		if _, err := s.threads.InsertOne(ctx, newThreadDoc(target)); err != nil {
			return err
		}
		if err := s.bumpBoard(ctx, target.BoardID, 1, 0, target.LastActivityAt); err != nil {
			return err
		}
	} else if _, err := s.ThreadByID(ctx, target.ID); err != nil {
		return err
	}
	var maxSeq int64
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
		maxSeq = max(maxSeq, m.Seq)
		if c := fromTm(d.CreatedAt); c.After(last) {
			last = c
		}
	}
	count := int64(len(moves))
	if _, err := s.threads.UpdateOne(ctx, bson.M{"_id": from}, bson.M{"$inc": bson.M{"reply_count": -count}}); err != nil {
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
		if err := s.bumpBoard(ctx, src.BoardID, -1, 0, time.Time{}); err != nil {
			return err
		}
	}
	total, err := s.posts.CountDocuments(ctx, bson.M{"thread_id": target.ID})
	if err != nil {
		return err
	}
	maxes := bson.M{"last_seq": maxSeq}
	if t := tm(last); t != nil {
		maxes["last_activity_at"] = t
	}
	if _, err := s.threads.UpdateOne(ctx, bson.M{"_id": target.ID}, bson.M{"$max": maxes, "$set": bson.M{"reply_count": total - 1}}); err != nil {
		return err
	}
	if src.BoardID != target.BoardID {
		if err := s.bumpBoard(ctx, src.BoardID, 0, -count, time.Time{}); err != nil {
			return err
		}
		if err := s.bumpBoard(ctx, target.BoardID, 0, count, time.Time{}); err != nil {
			return err
		}
	}
	t, err := s.ThreadByID(ctx, target.ID)
	if err != nil {
		return err
	}
	*target = *t
	return nil
}
