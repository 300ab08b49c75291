package web

import (
	"errors"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"

	"jiayuan/app/accounts"
	"jiayuan/app/fault"
	"jiayuan/app/forum"
	"jiayuan/app/notify"
)

type notificationJSON struct {
	ID        int64      `json:"id"`
	Kind      string     `json:"kind"`
	Actor     authorJSON `json:"actor"`
	ThreadID  int64      `json:"thread_id"`
	PostID    int64      `json:"post_id"`
	PostSeq   int64      `json:"post_seq"`
	URL       string     `json:"url"`
	CreatedAt time.Time  `json:"created_at"`
	Read      bool       `json:"read"`
	// What it is about, named: empty when the reader may no longer read the thread.
	ThreadTitle string `json:"thread_title"`
	Board       string `json:"board"`
	BoardName   string `json:"board_name"`
	Reason      string `json:"reason,omitempty"` // a moderator's, for a hidden post
}

// notificationItem is a notification with the names of what it is about.
type notificationItem struct {
	*notify.Notification
	Thread *forum.Thread // nil when the reader may no longer read it
	Board  *forum.Board
	Reason string
}

// named looks up the thread and board of each notification (each thread once), as the
// reader may now see them, and the reason of a hidden post.
func (s *Server) named(c *fiber.Ctx, ns []*notify.Notification) ([]notificationItem, error) {
	ctx, uid := c.UserContext(), userID(c)
	type place struct {
		t *forum.Thread
		b *forum.Board
	}
	seen := map[int64]place{}
	out := make([]notificationItem, len(ns))
	for i, n := range ns {
		pl, ok := seen[n.ThreadID]
		if !ok {
			t, b, err := s.Forum.Thread(ctx, uid, n.ThreadID)
			if err != nil && !errors.Is(err, fault.ErrNotFound) && !errors.Is(err, fault.ErrForbidden) && !errors.Is(err, fault.ErrUnauthorized) {
				return nil, err
			}
			pl = place{t, b}
			seen[n.ThreadID] = pl
		}
		out[i] = notificationItem{Notification: n, Thread: pl.t, Board: pl.b}
		if n.Kind == notify.KindHidden {
			r, err := s.Notify.HiddenReason(ctx, n.PostID)
			if err != nil {
				return nil, err
			}
			out[i].Reason = r
		}
	}
	return out, nil
}

func (s *Server) notificationsPage(c *fiber.Ctx) ([]*notify.Notification, int64, map[int64]*accounts.User, int64, error) {
	limit, err := limitQuery(c, 30, 100)
	if err != nil {
		return nil, 0, nil, 0, err
	}
	before, err := int64Query(c, "before")
	if err != nil {
		return nil, 0, nil, 0, err
	}
	ns, unread, err := s.Notify.List(c.UserContext(), userID(c), before, limit)
	if err != nil {
		return nil, 0, nil, 0, err
	}
	ids := make([]int64, len(ns))
	for i, n := range ns {
		ids[i] = n.ActorID
	}
	users, err := s.Accounts.Users(c.UserContext(), ids)
	if err != nil {
		return nil, 0, nil, 0, err
	}
	var next int64
	if len(ns) == limit {
		next = ns[len(ns)-1].ID
	}
	return ns, unread, users, next, nil
}

func (s *Server) apiNotifications(c *fiber.Ctx) error {
	ns, unread, users, next, err := s.notificationsPage(c)
	if err != nil {
		return err
	}
	items, err := s.named(c, ns)
	if err != nil {
		return err
	}
	out := make([]notificationJSON, len(ns))
	for i, n := range items {
		out[i] = notificationJSON{ID: n.ID, Kind: n.Kind, Actor: toAuthor(n.ActorID, users), ThreadID: n.ThreadID, PostID: n.PostID,
			PostSeq: n.PostSeq, URL: fmt.Sprintf("/t/%d?after=%d#p%d", n.ThreadID, n.PostSeq-1, n.PostSeq), CreatedAt: n.CreatedAt, Read: n.Read,
			Reason: n.Reason}
		if n.Thread != nil {
			out[i].ThreadTitle, out[i].Board, out[i].BoardName = n.Thread.Title, n.Board.Slug, n.Board.Name.In(lang(c))
		}
	}
	var nextBefore *int64
	if next != 0 {
		nextBefore = &next
	}
	return c.JSON(fiber.Map{"notifications": out, "unread": unread, "next_before": nextBefore})
}

type markReadRequest struct {
	IDs []int64 `json:"ids"`
}

func (s *Server) apiMarkRead(c *fiber.Ctx) error {
	var req markReadRequest
	if len(c.Body()) > 0 {
		if err := decodeJSON(c, &req); err != nil {
			return err
		}
	}
	if err := s.Notify.MarkRead(c.UserContext(), userID(c), req.IDs); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) pageNotifications(c *fiber.Ctx) error {
	if userID(c) == 0 {
		return c.Redirect("/login?next=/notifications", fiber.StatusSeeOther)
	}
	ns, _, users, next, err := s.notificationsPage(c)
	if err != nil {
		return err
	}
	items, err := s.named(c, ns)
	if err != nil {
		return err
	}
	data := fiber.Map{"Items": items, "Users": users, "Next": ""}
	if next != 0 {
		data["Next"] = fmt.Sprintf("/notifications?before=%d", next)
	}
	return s.render(c, fiber.StatusOK, "notifications", s.pages.catalogs[lang(c)]["notifications"], data)
}

func (s *Server) formMarkRead(c *fiber.Ctx) error {
	if err := s.Notify.MarkRead(c.UserContext(), userID(c), nil); err != nil {
		return err
	}
	return c.Redirect("/notifications", fiber.StatusSeeOther)
}

// pageOpenNotification marks one notification read and goes to what it is about, the
// post in the conversation view. The target comes from numbers only, so this never
// leads off the site.
func (s *Server) pageOpenNotification(c *fiber.Ctx) error {
	if userID(c) == 0 {
		return c.Redirect("/login?next=/notifications", fiber.StatusSeeOther)
	}
	id, err := idParam(c, "notification")
	if err != nil {
		return err
	}
	tid, err := int64Query(c, "thread")
	if err != nil {
		return err
	}
	seq, err := int64Query(c, "seq")
	if err != nil {
		return err
	}
	if err := s.Notify.MarkRead(c.UserContext(), userID(c), []int64{id}); err != nil {
		return err
	}
	if tid == 0 {
		return c.Redirect("/notifications", fiber.StatusSeeOther)
	}
	return c.Redirect(postURL(&forum.Post{ThreadID: tid, Seq: max(seq, 1)}, ""), fiber.StatusSeeOther)
}
