package web

import (
	"github.com/gofiber/fiber/v2"

	"jiayuan/app/accounts"
	"jiayuan/app/fault"
	"jiayuan/app/forum"
)

func (s *Server) apiBoards(c *fiber.Ctx) error {
	all, err := s.boardsList(c)
	if err != nil {
		return err
	}
	bs := s.Forum.Readable(userID(c), all)
	out := make([]boardJSON, len(bs))
	for i, b := range bs {
		out[i] = toBoard(b)
	}
	return c.JSON(fiber.Map{"boards": out})
}

func (s *Server) apiThreads(c *fiber.Ctx) error {
	limit, err := limitQuery(c, 30, 100)
	if err != nil {
		return err
	}
	cur, err := decodeCursor(c.Query("cursor"))
	if err != nil {
		return err
	}
	bv, err := s.boardPage(c, c.Params("slug"), cur, limit)
	if err != nil {
		return err
	}
	out := make([]threadJSON, len(bv.Threads))
	for i, t := range bv.Threads {
		out[i] = toThread(t, bv.Board.Slug, bv.Users)
	}
	return c.JSON(fiber.Map{"board": toBoard(bv.Board), "threads": out, "next_cursor": encodeCursor(bv.Next)})
}

type threadRequest struct {
	Title string `json:"title"`
	Body  string `json:"body"`
}

func (s *Server) apiCreateThread(c *fiber.Ctx) error {
	var req threadRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	t, p, err := s.Forum.CreateThread(c.UserContext(), userID(c), c.Params("slug"), req.Title, req.Body)
	if err != nil {
		return err
	}
	users := map[int64]*accounts.User{caller(c).user.ID: caller(c).user}
	return c.Status(fiber.StatusCreated).JSON(s.heldNote(c, fiber.Map{"thread": toThread(t, c.Params("slug"), users), "post": toPost(p, users)}, p))
}

func (s *Server) apiThread(c *fiber.Ctx) error {
	id, err := idParam(c, "thread")
	if err != nil {
		return err
	}
	after, err := int64Query(c, "after")
	if err != nil {
		return err
	}
	limit, err := limitQuery(c, 50, 100)
	if err != nil {
		return err
	}
	body, err := s.threadJSON(c, id, after, limit)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return s.bodies.send(c, body)
}

// authorsOf loads, in one query, the authors of a page's posts and of its thread.
func (s *Server) authorsOf(c *fiber.Ctx, pg *forum.Page) (map[int64]*accounts.User, error) {
	ids := make([]int64, 0, len(pg.Posts)+1)
	ids = append(ids, pg.Thread.AuthorID)
	for _, p := range pg.Posts {
		ids = append(ids, p.AuthorID)
	}
	return s.Accounts.Users(c.UserContext(), ids)
}

type postRequest struct {
	Body    string `json:"body"`
	ReplyTo int64  `json:"reply_to"`
}

func (s *Server) apiCreatePost(c *fiber.Ctx) error {
	id, err := idParam(c, "thread")
	if err != nil {
		return err
	}
	var req postRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	p, err := s.Forum.Reply(c.UserContext(), userID(c), id, req.Body, req.ReplyTo)
	if err != nil {
		return err
	}
	users := map[int64]*accounts.User{caller(c).user.ID: caller(c).user}
	return c.Status(fiber.StatusCreated).JSON(s.heldNote(c, fiber.Map{"post": toPost(p, users)}, p))
}

// heldNote adds to the answer of a new or edited post whether it waits for review,
// and says so in the caller's language, so a client can tell its writer at once.
func (s *Server) heldNote(c *fiber.Ctx, m fiber.Map, p *forum.Post) fiber.Map {
	m["held"] = p.Held
	if p.Held {
		m["message_key"] = "post_held"
		m["message"] = s.pages.catalogs[lang(c)]["post_held"]
	}
	return m
}

type editRequest struct {
	Body string `json:"body"`
}

func (s *Server) apiEditPost(c *fiber.Ctx) error {
	id, err := idParam(c, "post")
	if err != nil {
		return err
	}
	var req editRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	p, err := s.Forum.EditPost(c.UserContext(), userID(c), id, req.Body)
	if err != nil {
		return err
	}
	users, err := s.Accounts.Users(c.UserContext(), []int64{p.AuthorID})
	if err != nil {
		return err
	}
	return c.JSON(s.heldNote(c, fiber.Map{"post": toPost(p, users)}, p))
}

// hideRequest is the optional body of DELETE /posts/{id}: a moderator's reason, told
// to the author.
type hideRequest struct {
	Reason string `json:"reason"`
}

func (s *Server) apiDeletePost(c *fiber.Ctx) error {
	id, err := idParam(c, "post")
	if err != nil {
		return err
	}
	var req hideRequest
	if len(c.Body()) > 0 {
		if err := decodeJSON(c, &req); err != nil {
			return err
		}
	}
	p, err := s.Forum.PostFor(c.UserContext(), userID(c), id, "delete")
	if err != nil {
		return err
	}
	if _, err := s.hidePost(c, p, req.Reason); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// apiPreview renders Markdown for the editor's preview without storing anything.
func (s *Server) apiPreview(c *fiber.Ctx) error {
	if userID(c) == 0 {
		return fault.Unauthorized("err_sign_in_first")
	}
	if !s.Policy.Allowed(userID(c), "*", "post", "preview") {
		return fault.Forbidden("err_may_not_post")
	}
	var req editRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := forum.CheckBody(req.Body); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"html": s.Markup.Render(req.Body)})
}
