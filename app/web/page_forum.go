package web

import (
	"errors"
	"fmt"
	"html/template"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"jiayuan/app/fault"
	"jiayuan/app/forum"
)

func (s *Server) pageHome(c *fiber.Ctx) error {
	all, err := s.boardsList(c)
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "home", "", fiber.Map{"Boards": s.Forum.Readable(userID(c), all)})
}

type boardPage struct {
	Board       *forum.Board
	ThreadsHTML template.HTML
	Form        composeForm
}

// composeForm is the state of a thread, reply or edit form, kept across a failed submit
// so the writer never loses their text.
type composeForm struct {
	Action  string
	Title   string
	Body    string
	ReplyTo *forum.Post
	Error   string
	Field   string
	View    string // "time" when the form came from the time-ordered view
}

func (s *Server) pageBoard(c *fiber.Ctx) error {
	return s.showBoard(c, fiber.StatusOK, composeForm{})
}

func (s *Server) showBoard(c *fiber.Ctx, status int, form composeForm) error {
	cur, err := decodeCursor(c.Query("cursor"))
	if err != nil {
		return err
	}
	l := lang(c)
	bv, threads, err := s.boardPageHTML(c, c.Params("slug"), cur, 30, l)
	if err != nil {
		return err
	}
	pg := boardPage{Board: bv.Board, ThreadsHTML: threads, Form: form}
	pg.Form.Action = "/b/" + bv.Board.Slug
	return s.render(c, status, "board", bv.Board.Name.In(l), pg)
}

func (s *Server) formCreateThread(c *fiber.Ctx) error {
	title, body := strings.Clone(c.FormValue("title")), strings.Clone(c.FormValue("body"))
	t, p, err := s.Forum.CreateThread(c.UserContext(), userID(c), c.Params("slug"), title, body)
	if formErr, ok := asFormError(err); ok {
		return s.showBoard(c, statusFor(err), composeForm{Title: title, Body: body, Error: s.message(c, formErr), Field: formErr.Field})
	} else if err != nil {
		return err
	}
	if p.Held {
		return c.Redirect(landing(c, p), fiber.StatusSeeOther)
	}
	return c.Redirect(fmt.Sprintf("/t/%d", t.ID), fiber.StatusSeeOther)
}

type threadPage struct {
	Thread    *forum.Thread
	Board     *forum.Board
	PostsHTML template.HTML
	Tree      bool
	Next      string
	Last      string
	First     bool
	Form      composeForm
	Mod       modTools
	Reported  bool
	Pending   []*forum.Post // the reader's own posts here that wait for review
	Here      url.Values    // this page's place in the thread, for a held reply to come back to
}

func (s *Server) pageThread(c *fiber.Ctx) error {
	return s.showThread(c, fiber.StatusOK, composeForm{})
}

// showThread renders a page of a thread: by default the conversation tree, or in time
// order with ?view=time or ?after=seq. ?at=seq starts a page at a post in either
// order; the tree's old ?from=path addresses still work.
func (s *Server) showThread(c *fiber.Ctx, status int, form composeForm) error {
	id, err := idParam(c, "thread")
	if err != nil {
		return err
	}
	ctx, uid := c.UserContext(), userID(c)
	q := cursorQuery{tree: c.Query("view") != "time" && c.Query("after") == "", from: c.Query("from"), limit: 50}
	at, err := int64Query(c, "at")
	if err != nil {
		return err
	}
	if !q.tree {
		if q.after, err = int64Query(c, "after"); err != nil {
			return err
		}
		if at > 0 {
			q.after = at - 1
		}
		q.from = ""
	} else if at > 1 {
		// The page that starts at post #at: every path after the one just before its own.
		if ps, err := s.Forum.PostsAfter(ctx, id, at-1, 1); err == nil && len(ps) == 1 {
			q.from = strings.TrimSuffix(ps[0].Path, ".")
		}
	}
	tv, err := s.threadPage(c, id, q, lang(c))
	if errors.Is(err, fault.ErrNotFound) {
		if into, ok := s.Forum.MergedInto(ctx, id); ok {
			return c.Redirect(fmt.Sprintf("/t/%d", into), fiber.StatusMovedPermanently)
		}
	}
	if err != nil {
		return err
	}
	pg := tv.Page
	tp := threadPage{Thread: pg.Thread, Board: pg.Board, PostsHTML: tv.Posts, Tree: q.tree,
		First: q.from == "" && q.after == 0, Form: form}
	switch {
	case pg.NextPath != "":
		tp.Next = fmt.Sprintf("/t/%d?at=%d", id, pg.NextSeq)
		tp.Last = fmt.Sprintf("/t/%d?at=%d", id, pg.LastStart)
	case pg.NextAfter != 0:
		tp.Next = fmt.Sprintf("/t/%d?after=%d", id, pg.NextAfter)
		// The newest posts, as many as a page holds.
		tp.Last = fmt.Sprintf("/t/%d?after=%d", id, max(pg.Thread.LastSeq-int64(q.limit), pg.NextAfter))
	}
	tp.Form.Action = fmt.Sprintf("/t/%d", id)
	tp.Here = place(c.Query)
	tp.Mod = s.modToolsFor(c, pg.Board)
	tp.Reported = c.Query("reported") != ""
	if rt := c.Query("reply_to"); rt != "" && tp.Form.ReplyTo == nil {
		if n, err := strconv.ParseInt(rt, 10, 64); err == nil {
			if p, err := s.Forum.Post(ctx, uid, n); err == nil && p.ThreadID == id {
				tp.Form.ReplyTo = p
			}
		}
	}
	if tp.Pending, err = s.Forum.Pending(ctx, uid, id); err != nil {
		return err
	}
	return s.render(c, status, "thread", pg.Thread.Title, tp)
}

// postURL is the address of post p on the page of the thread that shows it, in the view
// the reader was using (view is "time" or anything else for the tree).
func postURL(p *forum.Post, view string) string {
	if view == "time" {
		return fmt.Sprintf("/t/%d?after=%d#p%d", p.ThreadID, p.Seq-1, p.Seq)
	}
	if p.Seq == 1 {
		return fmt.Sprintf("/t/%d#p1", p.ThreadID)
	}
	return fmt.Sprintf("/t/%d?at=%d#p%d", p.ThreadID, p.Seq, p.Seq)
}

// place is a page's place in a thread (its view and where it starts), read with get
// from the page's address or its form.
func place(get func(string, ...string) string) url.Values {
	q := url.Values{}
	for _, k := range []string{"view", "at", "after", "from"} {
		if v := get(k); v != "" {
			q.Set(k, v)
		}
	}
	return q
}

// landing is where a write leaves its writer: at the post, in the view the form came
// from; a held post has no place in the thread yet, so its writer stays on the page
// they wrote from, with the post shown pending under it.
func landing(c *fiber.Ctx, p *forum.Post) string {
	if p.Held {
		here := place(func(k string, _ ...string) string { return c.FormValue("here_" + k) }).Encode()
		if here != "" {
			here = "?" + here
		}
		return fmt.Sprintf("/t/%d%s#pending", p.ThreadID, here)
	}
	return postURL(p, c.FormValue("view"))
}

func (s *Server) formReply(c *fiber.Ctx) error {
	id, err := idParam(c, "thread")
	if err != nil {
		return err
	}
	body := strings.Clone(c.FormValue("body"))
	replyTo, _ := strconv.ParseInt(c.FormValue("reply_to"), 10, 64)
	p, err := s.Forum.Reply(c.UserContext(), userID(c), id, body, replyTo)
	if formErr, ok := asFormError(err); ok {
		form := composeForm{Body: body, Error: s.message(c, formErr), Field: formErr.Field}
		if replyTo != 0 {
			form.ReplyTo, _ = s.Forum.Post(c.UserContext(), userID(c), replyTo)
		}
		return s.showThread(c, statusFor(err), form)
	} else if err != nil {
		return err
	}
	return c.Redirect(landing(c, p), fiber.StatusSeeOther)
}

// postFor loads the post of the path for a page that changes it, if the user may.
func (s *Server) postFor(c *fiber.Ctx, verb string) (*forum.Post, error) {
	id, err := idParam(c, "post")
	if err != nil {
		return nil, err
	}
	return s.Forum.PostFor(c.UserContext(), userID(c), id, verb)
}

func (s *Server) pageEditPost(c *fiber.Ctx) error {
	p, err := s.postFor(c, "edit")
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "edit", "", composeForm{Action: c.Path(), Body: p.Body, ReplyTo: p, View: c.Query("view")})
}

func (s *Server) formEditPost(c *fiber.Ctx) error {
	id, err := idParam(c, "post")
	if err != nil {
		return err
	}
	body := strings.Clone(c.FormValue("body"))
	p, err := s.Forum.EditPost(c.UserContext(), userID(c), id, body)
	if formErr, ok := asFormError(err); ok {
		orig, _ := s.Forum.Post(c.UserContext(), userID(c), id)
		return s.render(c, statusFor(err), "edit", "", composeForm{Action: c.Path(), Body: body, ReplyTo: orig, Error: s.message(c, formErr), Field: formErr.Field,
			View: c.FormValue("view")})
	} else if err != nil {
		return err
	}
	return c.Redirect(landing(c, p), fiber.StatusSeeOther)
}

// deletePage asks before a post goes: its author deletes it; a moderator hides
// someone else's, and says why.
type deletePage struct {
	Post   *forum.Post
	Hide   bool
	View   string
	Reason string
	Error  string
}

func (s *Server) pageDeletePost(c *fiber.Ctx) error {
	p, err := s.postFor(c, "delete")
	if err != nil {
		return err
	}
	return s.showDelete(c, fiber.StatusOK, deletePage{Post: p, View: c.Query("view")})
}

func (s *Server) showDelete(c *fiber.Ctx, status int, pg deletePage) error {
	pg.Hide = pg.Post.AuthorID != userID(c)
	T := s.pages.catalogs[lang(c)]
	title := T["delete"]
	if pg.Hide {
		title = T["hide"]
	}
	return s.render(c, status, "delete", title, pg)
}

func (s *Server) formDeletePost(c *fiber.Ctx) error {
	uid := userID(c)
	p, err := s.postFor(c, "delete")
	if err != nil {
		return err
	}
	reason := strings.Clone(c.FormValue("reason"))
	if p.AuthorID != uid && strings.TrimSpace(reason) == "" {
		err = fault.Invalid("reason", "err_hide_reason")
	} else if q, herr := s.hidePost(c, p, reason); herr != nil {
		err = herr
	} else {
		p = q
	}
	if fe, ok := asFormError(err); ok {
		return s.showDelete(c, statusFor(err), deletePage{Post: p, View: c.FormValue("view"), Reason: reason, Error: s.message(c, fe)})
	} else if err != nil {
		return err
	}
	return c.Redirect(postURL(p, c.FormValue("view")), fiber.StatusSeeOther)
}

// hidePost deletes or hides p (read with PostFor "delete"). What the author of a post
// hidden by a moderator is owed, with the reason, is stored before the hide: the
// notifier writes it after, so a crash in between delays it and loses nothing.
func (s *Server) hidePost(c *fiber.Ctx, p *forum.Post, reason string) (*forum.Post, error) {
	uid := userID(c)
	if !p.Deleted {
		if err := s.Notify.OweHidden(c.UserContext(), uid, p, strings.TrimSpace(reason)); err != nil {
			return nil, err
		}
	}
	p, _, err := s.Forum.HidePost(c.UserContext(), uid, p.ID, reason)
	return p, err
}

// asFormError picks out the errors a form shows next to its fields instead of an error page.
func asFormError(err error) (*fault.Error, bool) {
	var fe *fault.Error
	if !errors.As(err, &fe) || (fe.Kind != fault.KindInvalid && fe.Kind != fault.KindLocked && fe.Kind != fault.KindTooMany) {
		return nil, false
	}
	return fe, true
}

// statusFor is the HTTP status an error is answered with.
func statusFor(err error) int {
	var fe *fault.Error
	var fbe *fiber.Error
	switch {
	case errors.As(err, &fe) && fe.Kind != fault.KindInternal:
		return statusOf[fe.Kind]
	case errors.As(err, &fbe):
		return fbe.Code
	}
	return fiber.StatusInternalServerError
}
