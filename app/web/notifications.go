package web

import (
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"

	"jiayuan/app/accounts"
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
	out := make([]notificationJSON, len(ns))
	for i, n := range ns {
		out[i] = notificationJSON{ID: n.ID, Kind: n.Kind, Actor: toAuthor(n.ActorID, users), ThreadID: n.ThreadID, PostID: n.PostID,
			PostSeq: n.PostSeq, URL: fmt.Sprintf("/t/%d?after=%d#p%d", n.ThreadID, n.PostSeq-1, n.PostSeq), CreatedAt: n.CreatedAt, Read: n.Read}
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
	data := fiber.Map{"Items": ns, "Users": users, "Next": ""}
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
