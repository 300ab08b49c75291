package forum

import (
	"context"
	"slices"
	"strconv"
	"time"

	"jiayuan/app/events"
	"jiayuan/app/fault"
)

// Revision is a post's text as it was before an edit.
type Revision struct {
	PostID   int64     `json:"post_id"`
	Body     string    `json:"body"`
	EditorID int64     `json:"editor_id"` // who replaced it
	At       time.Time `json:"at"`        // when it was replaced
}

// Ledger keeps what moderation leaves behind: the edit history of posts, and where
// merged threads went so their old addresses still lead somewhere.
type Ledger interface {
	SaveRevision(ctx context.Context, r *Revision) error
	Revisions(ctx context.Context, postID int64) ([]*Revision, error)
	SetMergedInto(ctx context.Context, from, to int64) error
	// MergedInto returns the thread a merged thread went into (fault.ErrNotFound if none).
	MergedInto(ctx context.Context, from int64) (int64, error)
}

func postTarget(id int64) string   { return "post:" + strconv.FormatInt(id, 10) }
func threadTarget(id int64) string { return "thread:" + strconv.FormatInt(id, 10) }

func (s *Service) saveRevision(ctx context.Context, p *Post, editorID int64, at time.Time) error {
	if s.ledger == nil {
		return nil
	}
	return s.ledger.SaveRevision(ctx, &Revision{PostID: p.ID, Body: p.Body, EditorID: editorID, At: at})
}

func (s *Service) record(ctx context.Context, actorID int64, action string, b *Board, target string, before, after any) {
	if s.audit != nil {
		s.audit.Audit(ctx, actorID, action, BoardDomain(b.Slug), target, before, after)
	}
}

// History returns a post's earlier versions, newest first: for its author and for those
// who may see any post's history (the board's moderators).
func (s *Service) History(ctx context.Context, userID, postID int64) (*Post, []*Revision, error) {
	p, err := s.Post(ctx, userID, postID)
	if err != nil {
		return nil, nil, err
	}
	_, b, err := s.ThreadAndBoard(ctx, p.ThreadID)
	if err != nil {
		return nil, nil, err
	}
	if p.AuthorID != userID || userID == 0 {
		if err := s.require(userID, b, "post", "history"); err != nil {
			return nil, nil, err
		}
	}
	if s.ledger == nil {
		return p, nil, nil
	}
	revs, err := s.ledger.Revisions(ctx, postID)
	return p, revs, err
}

// ThreadChange is a moderator's change to a thread; nil fields stay as they are.
type ThreadChange struct {
	Pinned *bool
	Locked *bool
	Board  *string // slug of the board to move to
	Title  *string
}

// UpdateThread pins, locks, renames or moves a thread. Each change needs its own
// permission in the thread's board (a move also in the board it goes to); all are
// checked before anything is written, and the write is one atomic step.
func (s *Service) UpdateThread(ctx context.Context, userID, threadID int64, ch ThreadChange) (*Thread, error) {
	t, b, err := s.Thread(ctx, userID, threadID)
	if err != nil {
		return nil, err
	}
	var patch ThreadPatch
	var to *Board
	checks := []struct {
		set    bool
		action string
	}{{ch.Pinned != nil, "pin"}, {ch.Locked != nil, "lock"}, {ch.Title != nil, "rename"}, {ch.Board != nil, "move"}}
	any := false
	for _, c := range checks {
		if c.set {
			any = true
			if err := s.require(userID, b, "thread", c.action); err != nil {
				return nil, err
			}
		}
	}
	if !any {
		return nil, fault.Invalid("body", "err_nothing_to_change")
	}
	patch.Pinned, patch.Locked = ch.Pinned, ch.Locked
	if ch.Title != nil {
		title, err := CleanTitle(*ch.Title)
		if err != nil {
			return nil, err
		}
		if title, held, err := s.screenText(title); err != nil {
			return nil, err
		} else if held {
			return nil, fault.Invalid("title", "err_title_needs_review")
		} else {
			patch.Title = &title
		}
	}
	if ch.Board != nil && *ch.Board != b.Slug {
		to, err = s.boardBySlug(ctx, *ch.Board)
		if err != nil {
			return nil, fault.Invalid("board", "err_no_board_named", "board", *ch.Board)
		}
		if err := s.require(userID, to, "thread", "move"); err != nil {
			return nil, fault.Forbidden("err_move_not_allowed", "name", to.Name)
		}
		patch.BoardID = &to.ID
	}
	patch.At = s.now()
	nt, err := s.store.UpdateThread(ctx, threadID, patch)
	if err != nil {
		return nil, fault.Wrap(err, "update thread %v", threadID)
	}
	s.record(ctx, userID, "thread.update", b, threadTarget(t.ID), threadState(t, b.Slug), threadState(nt, slugOr(to, b)))
	s.bus.Publish(events.Event{Type: events.ThreadUpdated, BoardSlug: slugOr(to, b), ThreadID: t.ID, UserID: userID})
	if to != nil {
		s.bus.Publish(events.Event{Type: events.ThreadUpdated, BoardSlug: b.Slug, ThreadID: t.ID, UserID: userID})
	}
	return nt, nil
}

func slugOr(to, b *Board) string {
	if to != nil {
		return to.Slug
	}
	return b.Slug
}

func threadState(t *Thread, board string) map[string]any {
	return map[string]any{"title": t.Title, "pinned": t.Pinned, "locked": t.Locked, "board": board}
}

// RestorePost brings back a hidden post.
func (s *Service) RestorePost(ctx context.Context, userID, postID int64) (*Post, error) {
	p, err := s.Post(ctx, userID, postID)
	if err != nil {
		return nil, err
	}
	_, b, err := s.ThreadAndBoard(ctx, p.ThreadID)
	if err != nil {
		return nil, err
	}
	if err := s.require(userID, b, "post", "restore"); err != nil {
		return nil, err
	}
	if !p.Deleted {
		return p, nil
	}
	at := s.now()
	if err := s.store.SetPostDeleted(ctx, postID, false, at); err != nil {
		return nil, fault.Wrap(err, "restore post %v", postID)
	}
	p.Deleted, p.DeletedAt, p.ChangedAt = false, time.Time{}, at
	s.record(ctx, userID, "post.restore", b, postTarget(p.ID), map[string]bool{"deleted": true}, map[string]bool{"deleted": false})
	s.bus.Publish(events.Event{Type: events.PostUpdated, BoardSlug: b.Slug, ThreadID: p.ThreadID, PostID: p.ID, Seq: p.Seq, UserID: userID})
	return p, nil
}

// HeldPosts lists the posts waiting for review in the boards the user may review.
func (s *Service) HeldPosts(ctx context.Context, userID int64, limit int) ([]*Post, map[int64]*Thread, map[int64]*Board, error) {
	all, err := s.store.ListBoards(ctx)
	if err != nil {
		return nil, nil, nil, fault.Wrap(err, "list boards")
	}
	boards := map[int64]*Board{}
	for _, b := range all {
		if s.auth.Allowed(userID, BoardDomain(b.Slug), "post", "review") {
			boards[b.ID] = b
		}
	}
	if len(boards) == 0 {
		return nil, nil, nil, fault.Deny(userID, "err_moderate_no_board")
	}
	ps, err := s.store.HeldPosts(ctx, 500)
	if err != nil {
		return nil, nil, nil, fault.Wrap(err, "list held posts")
	}
	threads := map[int64]*Thread{}
	var out []*Post
	for _, p := range ps {
		t, err := s.store.ThreadByID(ctx, p.ThreadID)
		if err != nil || boards[t.BoardID] == nil || len(out) >= limit {
			continue
		}
		out = append(out, p)
		threads[t.ID] = t
	}
	return out, threads, boards, nil
}

// Pending returns the user's own posts in a thread that wait for review, oldest
// first: they see them marked pending, nobody else sees them at all.
func (s *Service) Pending(ctx context.Context, userID, threadID int64) ([]*Post, error) {
	if userID == 0 {
		return nil, nil
	}
	ps, err := s.store.HeldPostsBy(ctx, threadID, userID)
	return ps, fault.Wrap(err, "list held posts")
}

// Review approves a held post (it appears, is pushed and indexed) or rejects it (it is
// hidden).
func (s *Service) Review(ctx context.Context, userID, postID int64, approve bool) (*Post, error) {
	p, err := s.store.PostByID(ctx, postID)
	if err != nil {
		return nil, notFound(err, "post")
	}
	_, b, err := s.ThreadAndBoard(ctx, p.ThreadID)
	if err != nil {
		return nil, err
	}
	if err := s.require(userID, b, "post", "review"); err != nil {
		return nil, err
	}
	if !p.Held {
		return nil, fault.Conflict("not_held", "err_post_not_held")
	}
	at := s.now()
	if !approve {
		if err := s.store.SetPostDeleted(ctx, postID, true, at); err != nil {
			return nil, fault.Wrap(err, "hide post %v", postID)
		}
	}
	if err := s.store.SetPostHeld(ctx, postID, false, at); err != nil {
		return nil, fault.Wrap(err, "release held post %v", postID)
	}
	p.Held = false
	action, typ := "post.approve", events.PostCreated
	if !approve {
		action, typ, p.Deleted = "post.reject", events.PostDeleted, true
	}
	s.record(ctx, userID, action, b, postTarget(p.ID), map[string]bool{"held": true}, map[string]bool{"held": false, "deleted": p.Deleted})
	s.bus.Publish(events.Event{Type: typ, BoardSlug: b.Slug, ThreadID: p.ThreadID, PostID: p.ID, Seq: p.Seq, UserID: p.AuthorID})
	return p, nil
}

// allPosts reads every post of a thread, held ones included, in seq order.
func (s *Service) allPosts(ctx context.Context, threadID int64) ([]*Post, error) {
	var out []*Post
	for after := int64(0); ; {
		ps, err := s.store.ListPosts(ctx, threadID, after, 1000)
		if err != nil {
			return nil, fault.Wrap(err, "list posts of thread %v", threadID)
		}
		out = append(out, ps...)
		if len(ps) < 1000 {
			break
		}
		after = ps[len(ps)-1].Seq
	}
	held, err := s.store.HeldPosts(ctx, 10000)
	if err != nil {
		return nil, fault.Wrap(err, "list held posts")
	}
	for _, p := range held {
		if p.ThreadID == threadID {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b *Post) int { return int(a.Seq - b.Seq) })
	return out, nil
}

// MergeThreads moves every post of thread from into thread into, after its own posts,
// keeping their conversation tree; from's address then leads to into.
func (s *Service) MergeThreads(ctx context.Context, userID, from, into int64) (*Thread, error) {
	if from == into {
		return nil, fault.Invalid("into", "err_merge_into_itself")
	}
	src, sb, err := s.Thread(ctx, userID, from)
	if err != nil {
		return nil, err
	}
	dst, db, err := s.Thread(ctx, userID, into)
	if err != nil {
		return nil, err
	}
	for _, b := range []*Board{sb, db} {
		if err := s.require(userID, b, "thread", "merge"); err != nil {
			return nil, err
		}
	}
	if dst.Locked {
		return nil, fault.Locked("err_merge_into_locked")
	}
	posts, err := s.allPosts(ctx, from)
	if err != nil {
		return nil, err
	}
	off := dst.LastSeq
	moves := make([]Relocation, len(posts))
	for i, p := range posts {
		m := Relocation{PostID: p.ID, Seq: p.Seq + off, Depth: p.Depth, ReplyTo: p.ReplyTo}
		if p.ReplyToSeq > 0 {
			m.ReplyToSeq = p.ReplyToSeq + off
		}
		m.Path = shiftPath(p.Path, off)
		moves[i] = m
	}
	if err := s.store.RelocatePosts(ctx, dst, from, moves, s.now()); err != nil {
		return nil, fault.Wrap(err, "relocate posts")
	}
	if s.ledger != nil {
		if err := s.ledger.SetMergedInto(ctx, from, into); err != nil {
			return nil, err
		}
	}
	s.record(ctx, userID, "thread.merge", db, threadTarget(into), map[string]any{"from": from, "posts": len(posts), "from_board": sb.Slug}, map[string]any{"into": into})
	s.bus.Publish(events.Event{Type: events.ThreadUpdated, BoardSlug: sb.Slug, ThreadID: src.ID, UserID: userID})
	s.bus.Publish(events.Event{Type: events.ThreadUpdated, BoardSlug: db.Slug, ThreadID: dst.ID, UserID: userID})
	return dst, nil
}

// shiftPath adds off to every seq of a path, keeping its shape.
func shiftPath(path string, off int64) string {
	w := len(PathSegment(0))
	out := make([]byte, 0, len(path))
	for i := 0; i+w <= len(path); i += w {
		n, _ := strconv.ParseInt(path[i:i+w-1], 10, 64)
		out = append(out, PathSegment(n+off)...)
	}
	return string(out)
}

// SplitThread moves some replies of a thread into a new thread (in the same board, or
// in board when given) whose opening post is the first of them. A moved reply keeps
// its place under a parent that moves with it and becomes top-level otherwise.
func (s *Service) SplitThread(ctx context.Context, userID, threadID int64, postIDs []int64, title, board string) (*Thread, error) {
	t, b, err := s.Thread(ctx, userID, threadID)
	if err != nil {
		return nil, err
	}
	if err := s.require(userID, b, "thread", "split"); err != nil {
		return nil, err
	}
	to := b
	if board != "" && board != b.Slug {
		if to, err = s.boardBySlug(ctx, board); err != nil {
			return nil, fault.Invalid("board", "err_no_board_named", "board", board)
		}
		if err := s.require(userID, to, "thread", "split"); err != nil {
			return nil, err
		}
	}
	if title, err = CleanTitle(title); err != nil {
		return nil, err
	}
	if len(postIDs) == 0 || len(postIDs) > 1000 {
		return nil, fault.Invalid("post_ids", "err_split_count")
	}
	found, err := s.store.PostsByIDs(ctx, postIDs)
	if err != nil {
		return nil, fault.Wrap(err, "read posts")
	}
	var posts []*Post
	for _, id := range postIDs {
		p, ok := found[id]
		if !ok || p.ThreadID != threadID {
			return nil, fault.Invalid("post_ids", "err_post_not_in_thread", "id", id)
		}
		if p.Seq == 1 {
			return nil, fault.Invalid("post_ids", "err_split_opening_post")
		}
		if !slices.Contains(posts, p) {
			posts = append(posts, p)
		}
	}
	slices.SortFunc(posts, func(a, b *Post) int { return int(a.Seq - b.Seq) })
	now := s.now()
	nt := &Thread{BoardID: to.ID, Title: title, AuthorID: posts[0].AuthorID, CreatedAt: now, LastActivityAt: posts[0].CreatedAt}
	moved := map[int64]*Relocation{}
	moves := make([]Relocation, len(posts))
	for i, p := range posts {
		m := &moves[i]
		m.PostID, m.Seq = p.ID, int64(i+1)
		parent, ok := moved[p.ReplyTo]
		switch {
		case i == 0 || !ok:
			m.Path = PathSegment(m.Seq)
			if ok {
				m.ReplyTo, m.ReplyToSeq = p.ReplyTo, parent.Seq
			}
		case parent.Seq == 1:
			m.Path, m.ReplyTo, m.ReplyToSeq = PathSegment(m.Seq), p.ReplyTo, 1
		default:
			hung := &Post{}
			hang(hung, &Post{ID: parent.PostID, Seq: parent.Seq, Depth: parent.Depth, Path: parent.Path})
			m.Path, m.Depth, m.ReplyTo, m.ReplyToSeq = hung.PathPrefix+PathSegment(m.Seq), hung.Depth, p.ReplyTo, parent.Seq
		}
		moved[p.ID] = m
	}
	if err := s.store.RelocatePosts(ctx, nt, threadID, moves, now); err != nil {
		return nil, fault.Wrap(err, "relocate posts of thread %v", threadID)
	}
	s.record(ctx, userID, "thread.split", b, threadTarget(t.ID), map[string]any{"posts": postIDs}, map[string]any{"thread": nt.ID, "board": to.Slug, "title": title})
	s.bus.Publish(events.Event{Type: events.ThreadCreated, BoardSlug: to.Slug, ThreadID: nt.ID, PostID: moves[0].PostID, Seq: 1, UserID: userID})
	s.bus.Publish(events.Event{Type: events.ThreadUpdated, BoardSlug: to.Slug, ThreadID: nt.ID, UserID: userID})
	s.bus.Publish(events.Event{Type: events.ThreadUpdated, BoardSlug: b.Slug, ThreadID: t.ID, UserID: userID})
	return nt, nil
}

// MergedInto tells where a merged thread went, for its old address.
func (s *Service) MergedInto(ctx context.Context, from int64) (int64, bool) {
	if s.ledger == nil {
		return 0, false
	}
	to, err := s.ledger.MergedInto(ctx, from)
	return to, err == nil && to != 0
}
