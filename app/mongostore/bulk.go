package mongostore

import (
	"context"

	"jiayuan/app/fault"
	"jiayuan/app/forum"
)

// Bulk loading, for seeding demos and the benchmark: no domain service writes this way.

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
	board := forum.ImportThread(t, posts)
	t.ID = id
	docs := make([]any, len(posts))
	for i, p := range posts {
		p.ID = lastPost - n + 1 + int64(i)
		forum.PlaceImported(posts, i, t.ID)
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
	return s.bumpBoards(ctx, board)
}
