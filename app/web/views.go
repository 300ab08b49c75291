package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"jiayuan/app/accounts"
	"jiayuan/app/events"
	"jiayuan/app/fault"
	"jiayuan/app/forum"
)

// Reads are served from a cache of ready-made pages and JSON bodies, each built for
// every reader alike and tied to the thread or board it shows. Events invalidate them
// the moment a write commits; permission is still checked on every request.

func threadScope(id int64) string   { return "thread:" + strconv.FormatInt(id, 10) }
func boardScope(slug string) string { return "board:" + slug }

// boardsScope covers what every page shows of the boards (names, counters).
const boardsScope = "boards"

// Handle follows the event bus, to keep the page cache fresh: whatever a write touched
// is rebuilt on next read.
func (s *Server) Handle(e events.Event) {
	switch e.Type {
	case events.Notification, events.AccessChanged, events.PolicyChanged, events.WordsChanged:
		// Nothing a cached page holds: it is the same for every reader, and who may read
		// it is decided on every request.
		return
	}
	scopes := []string{boardsScope}
	if e.ThreadID != 0 {
		scopes = append(scopes, threadScope(e.ThreadID))
	}
	if e.BoardSlug != "" {
		scopes = append(scopes, boardScope(e.BoardSlug))
	}
	s.cache.Invalidate(scopes...)
}

// threadView is one page of a thread, ready to render.
type threadView struct {
	Page  *forum.Page   // the thread, its board and the next-page cursor; Posts is nil
	Posts template.HTML // the posts fragment, in the key's language
}

type cursorQuery struct {
	tree  bool
	from  string // tree order: the path to continue after
	after int64  // time order: the seq to continue after
	limit int
}

// threadPage returns a page of a thread for userID, from the cache when it can.
func (s *Server) threadPage(c *fiber.Ctx, id int64, q cursorQuery, lang string) (*threadView, error) {
	uid := userID(c)
	key := fmt.Sprintf("tp|%d|%t|%s|%d|%d|%s", id, q.tree, q.from, q.after, q.limit, lang)
	if v, ok := s.cache.Get(key); ok {
		tv := v.(*threadView)
		return tv, threadReadable(s.Forum.CanRead(uid, tv.Page.Board.Slug))
	}
	stamp := s.cache.Stamp(threadScope(id), boardsScope)
	var pg *forum.Page
	var err error
	if q.tree {
		pg, err = s.Forum.Tree(c.UserContext(), uid, id, q.from, q.limit)
	} else {
		pg, err = s.Forum.Posts(c.UserContext(), uid, id, q.after, q.limit)
	}
	if err != nil {
		return nil, err
	}
	users, err := s.authorsOf(c, pg)
	if err != nil {
		return nil, err
	}
	html, err := s.pages.fragment("posts", fiber.Map{"T": s.pages.catalogs[lang], "Lang": lang,
		"Thread": pg.Thread, "Tree": q.tree, "Posts": pg.Posts, "Users": users})
	if err != nil {
		return nil, err
	}
	// The rendered fragment is all a page needs of the posts: keep only that.
	page := *pg
	page.Posts = nil
	tv := &threadView{Page: &page, Posts: html}
	s.cache.Put(key, stamp, tv, len(html)+512)
	return tv, nil
}

// cachedJSON is an encoded response and the board it belongs to, for the permission check.
type cachedJSON struct {
	board string
	body  []byte
}

// threadReadable answers a cached thread's reader who may not read its board as the
// uncached path does: a private board's thread is a missing thread, not a missing board.
func threadReadable(err error) error {
	if errors.Is(err, fault.ErrNotFound) {
		return fault.NotFound("thread")
	}
	return err
}

// threadJSON returns the encoded GET /api/v1/threads/{id} answer.
func (s *Server) threadJSON(c *fiber.Ctx, id, after int64, limit int) ([]byte, error) {
	key := fmt.Sprintf("tj|%d|%d|%d", id, after, limit)
	if v, ok := s.cache.Get(key); ok {
		cj := v.(*cachedJSON)
		return cj.body, threadReadable(s.Forum.CanRead(userID(c), cj.board))
	}
	stamp := s.cache.Stamp(threadScope(id), boardsScope)
	pg, err := s.Forum.Posts(c.UserContext(), userID(c), id, after, limit)
	if err != nil {
		return nil, err
	}
	users, err := s.authorsOf(c, pg)
	if err != nil {
		return nil, err
	}
	posts := make([]postJSON, len(pg.Posts))
	for i, p := range pg.Posts {
		posts[i] = toPost(p, users)
	}
	var next *int64
	if pg.NextAfter != 0 {
		next = &pg.NextAfter
	}
	body, err := json.Marshal(fiber.Map{"thread": toThread(pg.Thread, pg.Board.Slug, users), "posts": posts, "next_after": next})
	if err != nil {
		return nil, err
	}
	s.cache.Put(key, stamp, &cachedJSON{board: pg.Board.Slug, body: body}, len(body)+64)
	return body, nil
}

// boardView is one page of a board's threads.
type boardView struct {
	Board   *forum.Board
	Threads []*forum.Thread
	Users   map[int64]*accounts.User
	Next    *forum.ThreadCursor
}

// boardPage returns a page of a board's threads, from the cache when it can.
func (s *Server) boardPage(c *fiber.Ctx, slug string, cur *forum.ThreadCursor, limit int) (*boardView, error) {
	key := fmt.Sprintf("bp|%s|%v|%d", slug, encodeCursorString(cur), limit)
	if v, ok := s.cache.Get(key); ok {
		return v.(*boardView), s.Forum.CanRead(userID(c), slug)
	}
	stamp := s.cache.Stamp(boardScope(slug), boardsScope)
	b, ts, next, err := s.Forum.Threads(c.UserContext(), userID(c), slug, cur, limit)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(ts))
	for i, t := range ts {
		ids[i] = t.AuthorID
	}
	users, err := s.Accounts.Users(c.UserContext(), ids)
	if err != nil {
		return nil, err
	}
	bv := &boardView{Board: b, Threads: ts, Users: users, Next: next}
	s.cache.Put(key, stamp, bv, 512+len(ts)*400)
	return bv, nil
}

// boardHTML is a board page's thread list rendered in one language.
type boardHTML struct {
	view    *boardView
	threads template.HTML
}

// boardPageHTML returns a page of a board with its thread list rendered, from the cache
// when it can.
func (s *Server) boardPageHTML(c *fiber.Ctx, slug string, cur *forum.ThreadCursor, limit int, lang string) (*boardView, template.HTML, error) {
	curStr := encodeCursorString(cur)
	key := fmt.Sprintf("bh|%s|%s|%d|%s", slug, curStr, limit, lang)
	if v, ok := s.cache.Get(key); ok {
		bh := v.(*boardHTML)
		return bh.view, bh.threads, s.Forum.CanRead(userID(c), slug)
	}
	stamp := s.cache.Stamp(boardScope(slug), boardsScope)
	bv, err := s.boardPage(c, slug, cur, limit)
	if err != nil {
		return nil, "", err
	}
	data := fiber.Map{"T": s.pages.catalogs[lang], "Lang": lang, "Board": bv.Board, "Threads": bv.Threads,
		"Users": bv.Users, "First": cur == nil, "Next": ""}
	if nc := encodeCursor(bv.Next); nc != nil {
		data["Next"] = "/b/" + bv.Board.Slug + "?cursor=" + *nc
	}
	html, err := s.pages.fragment("threads", data)
	if err != nil {
		return nil, "", err
	}
	s.cache.Put(key, stamp, &boardHTML{view: bv, threads: html}, len(html)+256)
	return bv, html, nil
}

// boardsList returns every board, from the cache when it can; the caller filters by
// permission.
func (s *Server) boardsList(c *fiber.Ctx) ([]*forum.Board, error) {
	const key = "boards"
	if v, ok := s.cache.Get(key); ok {
		return v.([]*forum.Board), nil
	}
	stamp := s.cache.Stamp(boardsScope)
	bs, err := s.Forum.AllBoards(c.UserContext())
	if err != nil {
		return nil, err
	}
	s.cache.Put(key, stamp, bs, 1024*len(bs))
	return bs, nil
}

func encodeCursorString(c *forum.ThreadCursor) string {
	if p := encodeCursor(c); p != nil {
		return *p
	}
	return ""
}
