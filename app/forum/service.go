package forum

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"jiayuan/app/events"
	"jiayuan/app/fault"
	"jiayuan/app/markup"
)

// Limits on what users write.
const (
	MaxTitleRunes = 200
	MaxBodyBytes  = 64 * 1024
	// MaxDepth is how deep the tree indents; replies below it hang beside their parent
	// and show a "replying to" link instead.
	MaxDepth = 3
)

// Authorizer answers whether a user (0 for a guest) may act on an object in a domain.
type Authorizer interface {
	Allowed(userID int64, domain, object, action string) bool
}

// Renderer turns Markdown source into sanitized HTML.
type Renderer interface {
	Render(src string) string
}

// Publisher receives events after writes have succeeded.
type Publisher interface {
	Publish(e events.Event)
}

// Screener checks what users write against the sensitive-word list: an error refuses
// the text, held asks for a moderator's review, and out is the text to store (with
// masked words replaced).
type Screener interface {
	Screen(text string) (out string, held bool, err error)
}

// Guard refuses writes from users silenced in a board (or everywhere).
type Guard interface {
	CheckSilence(ctx context.Context, userID int64, boardSlug string) error
}

// Auditor records moderation actions in the append-only audit log.
type Auditor interface {
	Audit(ctx context.Context, actorID int64, action, domain, target string, before, after any)
}

// Service is the forum's logic over a Store.
type Service struct {
	store  Store
	auth   Authorizer
	render Renderer
	bus    Publisher
	now    func() time.Time

	screen Screener
	guard  Guard
	audit  Auditor
	ledger Ledger

	boards   atomic.Pointer[boardSet] // nil until loaded; see boardBySlug
	boardGen atomic.Uint64            // bumped by every board change
}

// NewService wires a Service; m is what it consults and records when people moderate.
func NewService(store Store, auth Authorizer, render Renderer, bus Publisher, m Moderation) *Service {
	return &Service{store: store, auth: auth, render: render, bus: bus,
		screen: m.Screen, guard: m.Guard, audit: m.Audit, ledger: m.Ledger,
		now: func() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }}
}

// Moderation is what the forum consults and records when people moderate. Any part may
// be nil: then nothing is screened, nobody is silenced, nothing is recorded.
type Moderation struct {
	Screen Screener
	Guard  Guard
	Audit  Auditor
	Ledger Ledger
}

// BoardDomain is the policy domain of a board.
func BoardDomain(slug string) string { return "board:" + slug }

// require asks the policy whether the user may act on object in b.
func (s *Service) require(userID int64, b *Board, object, action string) error {
	if s.auth.Allowed(userID, BoardDomain(b.Slug), object, action) {
		return nil
	}
	return fault.Deny(userID, "err_not_allowed_to_do")
}

// access asks whether the user may read or post in b, by the board's access level: a
// branch board asks in the branch's domain, and then in the board's (its moderators).
func (s *Service) access(userID int64, b *Board, action string) bool {
	level := b.ReadAccess
	if action == "post" {
		level = b.PostAccess
	}
	if branch, ok := strings.CutPrefix(level, "branch:"); ok {
		if s.auth.Allowed(userID, "branch:"+branch, "board.branch", action) {
			return true
		}
		level = "branch"
	}
	return s.auth.Allowed(userID, BoardDomain(b.Slug), "board."+level, action)
}

// Private says whether a board's very existence is for its readers only: a branch's
// board, or the moderators' own. Outsiders get the answer a missing board gets (404),
// for the board, its threads and its posts, so sequential ids reveal nothing. Staff and
// party boards are not secret: a guest is asked to sign in (401), a signed-in reader
// without the role is refused (403).
func Private(b *Board) bool {
	return b.ReadAccess == AccessModerators || strings.HasPrefix(b.ReadAccess, "branch:")
}

// requireRead checks that the user may read b; what names the thing asked for, for
// the not-found answer of a private board.
func (s *Service) requireRead(userID int64, b *Board, what string) error {
	if s.access(userID, b, "read") {
		return nil
	}
	if Private(b) {
		return fault.NotFound(what)
	}
	if userID == 0 {
		return fault.Unauthorized("err_sign_in_read_board")
	}
	return fault.Forbidden("err_board_open_some_members")
}

// maySee says whether the user may see p itself, in a board they may read: a post held
// for review is for its author and the board's reviewers, a hidden (deleted) one for
// those who may restore it. Everyone else is answered as if it did not exist.
func (s *Service) maySee(userID int64, b *Board, p *Post) bool {
	switch {
	case p.Held:
		return (userID != 0 && p.AuthorID == userID) || s.auth.Allowed(userID, BoardDomain(b.Slug), "post", "review")
	case p.Deleted:
		return s.auth.Allowed(userID, BoardDomain(b.Slug), "post", "restore")
	}
	return true
}

// MayShow says whether p, found outside its thread page (a search hit), may be shown
// to the user: b must be the board its thread is in now (an index or a cache can lag
// behind a move), readable by the user, and p itself visible to them.
func (s *Service) MayShow(userID int64, b *Board, p *Post) bool {
	return s.access(userID, b, "read") && s.maySee(userID, b, p)
}

func (s *Service) requirePost(ctx context.Context, userID int64, b *Board) error {
	if userID == 0 {
		return fault.Unauthorized("err_sign_in_first")
	}
	if b.Archived {
		return fault.Forbidden("err_board_archived_nobody_can")
	}
	if !s.access(userID, b, "post") {
		return fault.Forbidden("err_may_not_post_in")
	}
	if s.guard != nil {
		return s.guard.CheckSilence(ctx, userID, b.Slug)
	}
	return nil
}

// CanRead checks that the user may read a board, for callers serving cached pages.
func (s *Service) CanRead(userID int64, slug string) error {
	b, err := s.boardBySlug(context.Background(), slug)
	if err != nil {
		return err
	}
	return s.requireRead(userID, b, "board")
}

// AllBoards lists every board in display order, readable or not; callers filter with
// Readable before showing them.
func (s *Service) AllBoards(ctx context.Context) ([]*Board, error) {
	return s.store.ListBoards(ctx)
}

// Readable keeps the boards the user may read; it does not change all.
func (s *Service) Readable(userID int64, all []*Board) []*Board {
	out := make([]*Board, 0, len(all))
	for _, b := range all {
		if s.access(userID, b, "read") {
			out = append(out, b)
		}
	}
	return out
}

// Boards lists the boards the user may read, in display order.
func (s *Service) Boards(ctx context.Context, userID int64) ([]*Board, error) {
	all, err := s.store.ListBoards(ctx)
	if err != nil {
		return nil, fault.Wrap(err, "list boards")
	}
	return s.Readable(userID, all), nil
}

// Board returns a board the user may read, without its counters (see boardBySlug).
func (s *Service) Board(ctx context.Context, userID int64, slug string) (*Board, error) {
	b, err := s.boardBySlug(ctx, slug)
	if err != nil {
		return nil, err
	}
	if err := s.requireRead(userID, b, "board"); err != nil {
		return nil, err
	}
	return b, nil
}

// Threads returns one page of a board's threads and the cursor of the next page (nil at
// the end).
func (s *Service) Threads(ctx context.Context, userID int64, slug string, after *ThreadCursor, limit int) (*Board, []*Thread, *ThreadCursor, error) {
	// The board is shown with its counters, which the copy behind Board does not hold
	// (see boardBySlug): read it from the store, as the board list does.
	b, err := s.store.BoardBySlug(ctx, slug)
	if err != nil {
		return nil, nil, nil, notFound(err, "board")
	}
	if err := s.requireRead(userID, b, "board"); err != nil {
		return nil, nil, nil, err
	}
	ts, err := s.store.ListThreads(ctx, b.ID, after, limit+1)
	if err != nil {
		return nil, nil, nil, fault.Wrap(err, "list threads of board %v", b.ID)
	}
	var next *ThreadCursor
	if len(ts) > limit {
		ts = ts[:limit]
		last := ts[limit-1]
		next = &ThreadCursor{Pinned: last.Pinned, LastActivityAt: last.LastActivityAt, ID: last.ID}
	}
	return b, ts, next, nil
}

// Thread returns a thread and its board, if the user may read the board.
func (s *Service) Thread(ctx context.Context, userID, id int64) (*Thread, *Board, error) {
	return s.thread(ctx, userID, id, "thread")
}

// thread is Thread, answering a private board's outsiders that what was not found.
func (s *Service) thread(ctx context.Context, userID, id int64, what string) (*Thread, *Board, error) {
	t, err := s.store.ThreadByID(ctx, id)
	if err != nil {
		return nil, nil, notFound(err, what)
	}
	b, err := s.store.BoardByID(ctx, t.BoardID)
	if err != nil {
		return nil, nil, fault.Wrap(err, "read board %v", t.BoardID)
	}
	if err := s.requireRead(userID, b, what); err != nil {
		return nil, nil, err
	}
	return t, b, nil
}

// Page is one page of a thread's posts.
type Page struct {
	Thread    *Thread
	Board     *Board
	Posts     []*Post
	NextAfter int64  // seq to continue after in time order; 0 at the end
	NextPath  string // path to continue after in tree order; "" at the end
	NextSeq   int64  // the seq of the next page's first post, in either order; 0 at the end
	LastStart int64  // in tree order, the seq of the last page's first post; 0 on it
}

// Posts returns the posts of a thread after seq, in time order.
func (s *Service) Posts(ctx context.Context, userID, threadID, afterSeq int64, limit int) (*Page, error) {
	t, b, err := s.Thread(ctx, userID, threadID)
	if err != nil {
		return nil, err
	}
	ps, err := s.store.ListPosts(ctx, threadID, afterSeq, limit+1)
	if err != nil {
		return nil, fault.Wrap(err, "list posts of thread %v", threadID)
	}
	pg := &Page{Thread: t, Board: b, Posts: ps}
	if len(ps) > limit {
		pg.Posts = ps[:limit]
		pg.NextAfter, pg.NextSeq = pg.Posts[limit-1].Seq, ps[limit].Seq
	}
	return pg, nil
}

// Tree returns the posts of a thread after path, in conversation (tree) order.
func (s *Service) Tree(ctx context.Context, userID, threadID int64, afterPath string, limit int) (*Page, error) {
	t, b, err := s.Thread(ctx, userID, threadID)
	if err != nil {
		return nil, err
	}
	ps, err := s.store.ListPostsByPath(ctx, threadID, afterPath, limit+1)
	if err != nil {
		return nil, fault.Wrap(err, "list posts by path of thread %v", threadID)
	}
	pg := &Page{Thread: t, Board: b, Posts: ps}
	if len(ps) > limit {
		pg.Posts = ps[:limit]
		pg.NextPath, pg.NextSeq = pg.Posts[limit-1].Path, ps[limit].Seq
		last, err := s.store.LastPostsByPath(ctx, threadID, limit)
		if err != nil {
			return nil, fault.Wrap(err, "list the last posts by path of thread %v", threadID)
		}
		if len(last) > 0 && last[0].Path > pg.Posts[0].Path {
			pg.LastStart = last[0].Seq
		}
	}
	return pg, nil
}

// CreateThread opens a thread in a board with its first post.
func (s *Service) CreateThread(ctx context.Context, userID int64, slug, title, body string) (*Thread, *Post, error) {
	b, err := s.Board(ctx, userID, slug)
	if err != nil {
		return nil, nil, err
	}
	if err := s.requirePost(ctx, userID, b); err != nil {
		return nil, nil, err
	}
	title, err = CleanTitle(title)
	if err != nil {
		return nil, nil, err
	}
	if err := CheckBody(body); err != nil {
		return nil, nil, err
	}
	title, titleHeld, err := s.screenText(title)
	if err != nil {
		return nil, nil, err
	}
	if titleHeld {
		// A thread's title is shown in every list, so it cannot wait hidden like a post.
		return nil, nil, fault.Invalid("title", "err_title_needs_review")
	}
	body, held, err := s.screenText(body)
	if err != nil {
		return nil, nil, err
	}
	now := s.now()
	t := &Thread{BoardID: b.ID, Title: title, AuthorID: userID, CreatedAt: now, LastActivityAt: now}
	p := &Post{AuthorID: userID, Body: body, HTML: s.render.Render(body), CreatedAt: now, Held: held}
	if err := s.store.CreateThread(ctx, t, p); err != nil {
		return nil, nil, fault.Wrap(err, "create thread")
	}
	s.bus.Publish(events.Event{Type: events.ThreadCreated, BoardSlug: slug, ThreadID: t.ID, PostID: p.ID, Seq: p.Seq, UserID: userID})
	s.publishPost(b, p, userID)
	return t, p, nil
}

// Reply adds a post to a thread, optionally answering an earlier post of it.
func (s *Service) Reply(ctx context.Context, userID, threadID int64, body string, replyTo int64) (*Post, error) {
	t, b, err := s.Thread(ctx, userID, threadID)
	if err != nil {
		return nil, err
	}
	if err := s.requirePost(ctx, userID, b); err != nil {
		return nil, err
	}
	if t.Locked {
		return nil, fault.Locked("err_thread_locked")
	}
	if err := CheckBody(body); err != nil {
		return nil, err
	}
	body, held, err := s.screenText(body)
	if err != nil {
		return nil, err
	}
	p := &Post{ThreadID: threadID, AuthorID: userID, Body: body, HTML: s.render.Render(body), CreatedAt: s.now(), Held: held}
	if replyTo != 0 {
		// Only a post that is not there, or is in another thread, is the caller's
		// mistake; a failed lookup is the server's, and must not read as theirs.
		parent, err := s.store.PostByID(ctx, replyTo)
		// A post that is not there, is in another thread, or that the writer may not see
		// (held, hidden) is answered as one of another thread.
		if errors.Is(err, fault.ErrNotFound) || err == nil && (parent.ThreadID != threadID || !s.maySee(userID, b, parent)) {
			return nil, fault.Invalid("reply_to", "err_reply_to_not_in_thread")
		}
		if err != nil {
			return nil, fmt.Errorf("look up reply_to post %d: %w", replyTo, err)
		}
		hang(p, parent)
	}
	if err := s.store.CreatePost(ctx, p); err != nil {
		var fe *fault.Error
		if errors.As(err, &fe) {
			return nil, err // the caller's answer (the thread is gone), as it is
		}
		return nil, fmt.Errorf("create post in thread %d: %w", threadID, err)
	}
	s.publishPost(b, p, userID)
	return p, nil
}

// screenText runs the word screen, if there is one.
func (s *Service) screenText(text string) (string, bool, error) {
	if s.screen == nil {
		return text, false, nil
	}
	return s.screen.Screen(text)
}

// publishPost announces a new post: to everyone, or only to the moderators' queue
// while it is held.
func (s *Service) publishPost(b *Board, p *Post, userID int64) {
	typ := events.PostCreated
	if p.Held {
		typ = events.PostHeld
	}
	s.bus.Publish(events.Event{Type: typ, BoardSlug: b.Slug, ThreadID: p.ThreadID, PostID: p.ID, Seq: p.Seq, UserID: userID})
}

// hang places p in the tree under parent: one level deeper, or beside parent once the
// tree is MaxDepth deep. Answers to the opening post are top-level, like answers to the
// thread itself.
func hang(p, parent *Post) {
	p.ReplyTo, p.ReplyToSeq = parent.ID, parent.Seq
	switch {
	case parent.Seq == 1:
		p.PathPrefix, p.Depth = "", 0
	case parent.Depth >= MaxDepth:
		p.PathPrefix, p.Depth = strings.TrimSuffix(parent.Path, PathSegment(parent.Seq)), parent.Depth
	default:
		p.PathPrefix, p.Depth = parent.Path, parent.Depth+1
	}
}

// EditPost replaces a post's body. Authors edit their own; others need edit_any.
func (s *Service) EditPost(ctx context.Context, userID, postID int64, body string) (*Post, error) {
	p, b, err := s.ownPost(ctx, userID, postID, "edit")
	if err != nil {
		return nil, err
	}
	if p.Deleted {
		return nil, fault.Conflict("post_deleted", "err_edit_post_deleted")
	}
	if err := CheckBody(body); err != nil {
		return nil, err
	}
	body, held, err := s.screenText(body)
	if err != nil {
		return nil, err
	}
	if body == p.Body {
		return p, nil
	}
	at := s.now()
	// The text being replaced goes to the edit history first: a crash between the two
	// writes leaves a history entry equal to the current text, never a lost version.
	if err := s.saveRevision(ctx, p, userID, at); err != nil {
		return nil, err
	}
	html := s.render.Render(body)
	if err := s.store.UpdatePostBody(ctx, postID, body, html, at); err != nil {
		return nil, fault.Wrap(err, "update the body of post %v", postID)
	}
	if held && !p.Held {
		if err := s.store.SetPostHeld(ctx, postID, true, at); err != nil {
			return nil, fault.Wrap(err, "hold post %v", postID)
		}
		p.Held = true
	}
	p.Body, p.HTML, p.EditedAt = body, html, at
	typ := events.PostUpdated
	if p.Held {
		typ = events.PostHeld
	}
	s.bus.Publish(events.Event{Type: typ, BoardSlug: b.Slug, ThreadID: p.ThreadID, PostID: p.ID, Seq: p.Seq, UserID: userID})
	if p.AuthorID != userID && s.audit != nil {
		s.audit.Audit(ctx, userID, "post.edit", BoardDomain(b.Slug), postTarget(p.ID), nil, map[string]any{"edited_at": at})
	}
	return p, nil
}

// DeletePost soft-deletes a post: it stays in the database and can be restored.
func (s *Service) DeletePost(ctx context.Context, userID, postID int64) error {
	_, _, err := s.HidePost(ctx, userID, postID, "")
	return err
}

// HidePost soft-deletes a post, its author's or, for a moderator, anyone's with the
// reason given (kept in the audit log, for the author to be told). changed says it was
// not hidden before.
func (s *Service) HidePost(ctx context.Context, userID, postID int64, reason string) (p *Post, changed bool, err error) {
	reason = strings.TrimSpace(reason)
	if !utf8.ValidString(reason) {
		return nil, false, fault.Invalid("reason", "err_reason_not_utf8")
	}
	if utf8.RuneCountInString(reason) > 500 {
		return nil, false, fault.Invalid("reason", "err_reason_at_most_500")
	}
	p, b, err := s.ownPost(ctx, userID, postID, "delete")
	if err != nil {
		return nil, false, err
	}
	if p.Deleted {
		return p, false, nil
	}
	at := s.now()
	if err := s.store.SetPostDeleted(ctx, postID, true, at); err != nil {
		return nil, false, fault.Wrap(err, "hide post %v", postID)
	}
	p.Deleted, p.DeletedAt = true, at
	s.bus.Publish(events.Event{Type: events.PostDeleted, BoardSlug: b.Slug, ThreadID: p.ThreadID, PostID: p.ID, Seq: p.Seq, UserID: userID})
	if p.AuthorID != userID {
		after := map[string]any{"deleted": true}
		if reason != "" {
			after["reason"] = reason
		}
		s.record(ctx, userID, "post.hide", b, postTarget(p.ID), map[string]bool{"deleted": false}, after)
	}
	return p, true, nil
}

// PostFor returns a post the user may change with verb ("edit" or "delete"), for
// pages that show the form before the change.
func (s *Service) PostFor(ctx context.Context, userID, postID int64, verb string) (*Post, error) {
	p, _, err := s.ownPost(ctx, userID, postID, verb)
	return p, err
}

// ownPost loads a post and checks verb_own (for its author) or verb_any (for others).
func (s *Service) ownPost(ctx context.Context, userID, postID int64, verb string) (*Post, *Board, error) {
	if userID == 0 {
		return nil, nil, fault.Unauthorized("err_sign_in_first")
	}
	p, b, err := s.postAndBoard(ctx, userID, postID)
	if err != nil {
		return nil, nil, err
	}
	action := verb + "_any"
	if p.AuthorID == userID {
		action = verb + "_own"
	}
	if !s.auth.Allowed(userID, BoardDomain(b.Slug), "post", action) {
		return nil, nil, fault.Forbidden("err_can_only_change_own")
	}
	if p.AuthorID == userID && s.guard != nil {
		if err := s.guard.CheckSilence(ctx, userID, b.Slug); err != nil {
			return nil, nil, err
		}
	}
	return p, b, nil
}

// CleanTitle trims a title and checks its length and characters. Line breaks and other
// control characters are refused; invisible format characters (bidi overrides,
// zero-width joiners) are dropped, so a title cannot show one text and hold another.
func CleanTitle(title string) (string, error) {
	if !utf8.ValidString(title) {
		return "", fault.Invalid("title", "err_title_not_utf8")
	}
	if strings.IndexFunc(title, unicode.IsControl) >= 0 {
		return "", fault.Invalid("title", "err_title_control")
	}
	title = strings.TrimSpace(markup.StripControls(title))
	n := utf8.RuneCountInString(title)
	if n == 0 {
		return "", fault.Invalid("title", "err_title_not_empty")
	}
	if n > MaxTitleRunes {
		return "", fault.Invalid("title", "err_title_too_long", "max", MaxTitleRunes, "has", n)
	}
	return title, nil
}

// CheckBody checks a post body's encoding and size.
func CheckBody(body string) error {
	if !utf8.ValidString(body) {
		return fault.Invalid("body", "err_post_body_not_utf8")
	}
	if strings.TrimSpace(body) == "" {
		return fault.Invalid("body", "err_body_not_empty")
	}
	if len(body) > MaxBodyBytes {
		return fault.Invalid("body", "err_body_too_long", "has", len(body))
	}
	if strings.ContainsRune(body, 0) {
		return fault.Invalid("body", "err_body_nul")
	}
	return nil
}

func notFound(err error, what string) error {
	if errors.Is(err, fault.ErrNotFound) {
		return fault.NotFound(what)
	}
	return fault.Wrap(err, "read %s", what)
}

// Post returns one post, if the user may read it: its board, and the post itself
// while it is held or hidden (see maySee). Every page and answer that shows a post by
// its id (report, history, edit, delete, restore, reply previews) comes through here.
func (s *Service) Post(ctx context.Context, userID, postID int64) (*Post, error) {
	p, _, err := s.postAndBoard(ctx, userID, postID)
	return p, err
}

func (s *Service) postAndBoard(ctx context.Context, userID, postID int64) (*Post, *Board, error) {
	const what = "post"
	p, err := s.store.PostByID(ctx, postID)
	if err != nil {
		return nil, nil, notFound(err, what)
	}
	_, b, err := s.thread(ctx, userID, p.ThreadID, what)
	if err != nil {
		return nil, nil, err
	}
	if !s.maySee(userID, b, p) {
		return nil, nil, fault.NotFound(what)
	}
	return p, b, nil
}

// MayRead says whether the user may read p, as Post decides; for derived views (a
// notification is only for someone who may read what it points at). Errors other
// than a refusal are returned.
func (s *Service) MayRead(ctx context.Context, userID int64, p *Post) (bool, error) {
	_, b, err := s.ThreadAndBoard(ctx, p.ThreadID)
	if errors.Is(err, fault.ErrNotFound) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	return s.access(userID, b, "read") && s.maySee(userID, b, p), nil
}

// The reads below check no permission: they serve derived views (realtime pushes, the
// search index) whose readers were authorized when they subscribed.

// PostByID returns one post.
func (s *Service) PostByID(ctx context.Context, id int64) (*Post, error) {
	p, err := s.store.PostByID(ctx, id)
	return p, notFound(err, "post")
}

// PostsAfter returns up to limit posts of a thread with seq > after.
func (s *Service) PostsAfter(ctx context.Context, threadID, after int64, limit int) ([]*Post, error) {
	return s.store.ListPosts(ctx, threadID, after, limit)
}

// ThreadAndBoard returns a thread and its board.
func (s *Service) ThreadAndBoard(ctx context.Context, id int64) (*Thread, *Board, error) {
	t, err := s.store.ThreadByID(ctx, id)
	if err != nil {
		return nil, nil, notFound(err, "thread")
	}
	b, err := s.store.BoardByID(ctx, t.BoardID)
	return t, b, err
}

// PostsByIDs returns the posts that exist among ids.
func (s *Service) PostsByIDs(ctx context.Context, ids []int64) (map[int64]*Post, error) {
	return s.store.PostsByIDs(ctx, ids)
}
