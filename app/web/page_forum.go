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
	t, _, err := s.Forum.CreateThread(c.UserContext(), userID(c), c.Params("slug"), title, body)
	if formErr, ok := asFormError(err); ok {
		return s.showBoard(c, statusFor(err), composeForm{Title: title, Body: body, Error: s.message(c, formErr), Field: formErr.Field})
	} else if err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/t/%d", t.ID), fiber.StatusSeeOther)
}

type threadPage struct {
	Thread    *forum.Thread
	Board     *forum.Board
	PostsHTML template.HTML
	Tree      bool
	Next      string
	First     bool
	Form      composeForm
	Mod       modTools
	Reported  bool
}

func (s *Server) pageThread(c *fiber.Ctx) error {
	return s.showThread(c, fiber.StatusOK, composeForm{})
}

// showThread renders a page of a thread: by default the conversation tree (paged by
// path with ?from=), or in time order with ?view=time or ?after=seq.
func (s *Server) showThread(c *fiber.Ctx, status int, form composeForm) error {
	id, err := idParam(c, "thread")
	if err != nil {
		return err
	}
	ctx, uid := c.UserContext(), userID(c)
	q := cursorQuery{tree: c.Query("view") != "time" && c.Query("after") == "", from: c.Query("from"), limit: 50}
	if !q.tree {
		if q.after, err = int64Query(c, "after"); err != nil {
			return err
		}
		q.from = ""
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
		First: c.Query("from") == "" && c.Query("after") == "", Form: form}
	switch {
	case pg.NextPath != "":
		tp.Next = fmt.Sprintf("/t/%d?from=%s", id, url.QueryEscape(pg.NextPath))
	case pg.NextAfter != 0:
		tp.Next = fmt.Sprintf("/t/%d?after=%d", id, pg.NextAfter)
	}
	tp.Form.Action = fmt.Sprintf("/t/%d", id)
	tp.Mod = s.modToolsFor(c, pg.Board)
	tp.Reported = c.Query("reported") != ""
	if rt := c.Query("reply_to"); rt != "" && tp.Form.ReplyTo == nil {
		if n, err := strconv.ParseInt(rt, 10, 64); err == nil {
			if p, err := s.Forum.Post(ctx, uid, n); err == nil && p.ThreadID == id {
				tp.Form.ReplyTo = p
			}
		}
	}
	return s.render(c, status, "thread", pg.Thread.Title, tp)
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
	return c.Redirect(fmt.Sprintf("/t/%d?after=%d#p%d", id, p.Seq-1, p.Seq), fiber.StatusSeeOther)
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
	return s.render(c, fiber.StatusOK, "edit", "", composeForm{Action: c.Path(), Body: p.Body, ReplyTo: p})
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
		return s.render(c, statusFor(err), "edit", "", composeForm{Action: c.Path(), Body: body, ReplyTo: orig, Error: s.message(c, formErr), Field: formErr.Field})
	} else if err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/t/%d?after=%d#p%d", p.ThreadID, p.Seq-1, p.Seq), fiber.StatusSeeOther)
}

func (s *Server) pageDeletePost(c *fiber.Ctx) error {
	p, err := s.postFor(c, "delete")
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "delete", "", p)
}

func (s *Server) formDeletePost(c *fiber.Ctx) error {
	id, err := idParam(c, "post")
	if err != nil {
		return err
	}
	p, err := s.Forum.Post(c.UserContext(), userID(c), id)
	if err != nil {
		return err
	}
	if err := s.Forum.DeletePost(c.UserContext(), userID(c), id); err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/t/%d?after=%d#p%d", p.ThreadID, p.Seq-1, p.Seq), fiber.StatusSeeOther)
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
