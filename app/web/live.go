package web

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/websocket/v2"

	"jiayuan/app/accounts"
	"jiayuan/app/fault"
	"jiayuan/app/forum"
)

// liveUpgrade admits a websocket handshake: only at /ws, only from our own origin (a
// page elsewhere cannot ride the user's cookie), as the session or token decided.
func (s *Server) liveUpgrade(c *fiber.Ctx) error {
	if s.Live == nil || !websocket.IsWebSocketUpgrade(c) {
		return fiber.ErrUpgradeRequired
	}
	if !s.sameOrigin(c) {
		return fault.Forbidden("拒绝跨站的 websocket 连接 (cross-origin websocket refused)")
	}
	c.Locals("uid", userID(c))
	return c.Next()
}

func (s *Server) liveServe() fiber.Handler {
	return websocket.New(func(conn *websocket.Conn) {
		uid, _ := conn.Locals("uid").(int64)
		s.Live.Serve(conn, uid)
	}, websocket.Config{ReadBufferSize: 512, WriteBufferSize: 1024,
		// Idle sockets hold no write buffer: it is taken from the pool for each write.
		WriteBufferPool: &sync.Pool{}})
}

// LiveBackend is what the realtime server asks of the forum: who may listen where, and
// posts and threads encoded exactly as the API encodes them.
type LiveBackend struct {
	Forum    *forum.Service
	Accounts *accounts.Service
	Policy   Policy
}

// Authorize decides who may listen on which channel: thread and board channels follow
// the board's read permission, user:<id> is for that user alone, feed for signed-in users.
func (s *LiveBackend) Authorize(ctx context.Context, uid int64, channel string) (int64, error) {
	kind, arg, _ := strings.Cut(channel, ":")
	switch kind {
	case "thread":
		id, err := strconv.ParseInt(arg, 10, 64)
		if err != nil || id <= 0 {
			return 0, fault.NotFound("主题 (thread)")
		}
		t, _, err := s.Forum.Thread(ctx, uid, id)
		if err != nil {
			return 0, err
		}
		return t.LastSeq, nil
	case "board":
		_, err := s.Forum.Board(ctx, uid, arg)
		return 0, err
	case "user":
		id, err := strconv.ParseInt(arg, 10, 64)
		if uid == 0 {
			return 0, fault.Unauthorized("请先登录 (please sign in first)")
		}
		if err != nil || id != uid || !s.Policy.Allowed(uid, "user:"+arg, "notifications", "read_own") {
			return 0, fault.Forbidden("只能订阅自己的通知 (you can only listen to your own notifications)")
		}
		return 0, nil
	case "feed":
		if uid == 0 {
			return 0, fault.Unauthorized("请先登录 (please sign in first)")
		}
		if !s.Policy.Allowed(uid, "*", "feed", "read") {
			return 0, fault.Forbidden("你没有权限 (not allowed)")
		}
		return 0, nil
	}
	return 0, fault.Invalid("channel", "未知的频道 (unknown channel: use thread:<id>, board:<slug>, user:<id> or feed)")
}

// PostsAfter returns posts of a thread after a seq, encoded as the API encodes them.
// It checks no permission: the subscription was authorized.
func (s *LiveBackend) PostsAfter(ctx context.Context, threadID, after int64, limit int) ([]json.RawMessage, []int64, error) {
	ps, err := s.Forum.PostsAfter(ctx, threadID, after, limit)
	if err != nil {
		return nil, nil, err
	}
	ids := make([]int64, len(ps))
	for i, p := range ps {
		ids[i] = p.AuthorID
	}
	users, err := s.Accounts.Users(ctx, ids)
	if err != nil {
		return nil, nil, err
	}
	out, seqs := make([]json.RawMessage, len(ps)), make([]int64, len(ps))
	for i, p := range ps {
		out[i], _ = json.Marshal(toPost(p, users))
		seqs[i] = p.Seq
	}
	return out, seqs, nil
}

// Post returns one post encoded as the API encodes it.
func (s *LiveBackend) Post(ctx context.Context, id int64) (json.RawMessage, error) {
	p, err := s.Forum.PostByID(ctx, id)
	if err != nil {
		return nil, err
	}
	users, err := s.Accounts.Users(ctx, []int64{p.AuthorID})
	if err != nil {
		return nil, err
	}
	j := toPost(p, users)
	if p.Held {
		// Pushed to every reader of the thread: a held post shows as gone until approved.
		j.Body, j.HTML, j.Deleted = "", "", true
	}
	return json.Marshal(j)
}

// Thread returns one thread encoded as the API encodes it.
func (s *LiveBackend) Thread(ctx context.Context, id int64) (json.RawMessage, error) {
	t, b, err := s.Forum.ThreadAndBoard(ctx, id)
	if err != nil {
		return nil, err
	}
	users, err := s.Accounts.Users(ctx, []int64{t.AuthorID})
	if err != nil {
		return nil, err
	}
	return json.Marshal(toThread(t, b.Slug, users))
}
