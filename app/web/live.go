package web

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/websocket/v2"

	"jiayuan/app/accounts"
	"jiayuan/app/fault"
	"jiayuan/app/forum"
	"jiayuan/realtime"
)

// liveUpgrade admits a websocket handshake: only at /ws, only from our own origin (a
// page elsewhere cannot ride the user's cookie), as the session or token decided, and
// within the caps on sockets per person and per address.
func (s *Server) liveUpgrade(c *fiber.Ctx) error {
	if s.Live == nil || !websocket.IsWebSocketUpgrade(c) {
		return fiber.ErrUpgradeRequired
	}
	if !s.sameOrigin(c) {
		return fault.Forbidden("err_cross_origin_websocket")
	}
	id := s.liveIdentity(c)
	if !s.Live.Admits(id) {
		return &fault.Error{Kind: fault.KindTooMany, Code: "too_many_sockets", Key: "err_too_many_sockets"}
	}
	c.Locals("live", id)
	return c.Next()
}

// liveIdentity is who the socket is and how to check later that they still are: the
// session or token it was opened with is re-read when the user's access changes.
// Fiber's strings point into the request buffer, so what outlives the handler is cloned.
func (s *Server) liveIdentity(c *fiber.Ctx) realtime.Identity {
	w := caller(c)
	var id realtime.Identity
	l := lang(c)
	id.Say = func(key string, args ...any) string { return s.pages.catalogs.Text(l, key, args...) }
	if s.Config != nil {
		id.MaxPerUser, id.MaxPerAddr = s.Config.WSPerUser, s.Config.WSPerAddress
	}
	if w.user == nil {
		// Guests are capped per address: the address the trusted proxies saw, not the
		// leftmost X-Forwarded-For entry, which the client writes itself.
		id.Addr = s.clientIP(c)
		return id
	}
	// Signed-in sockets are capped per person only, and take no guest's place: a
	// whole office behind one NAT or proxy shares an address.
	id.MaxPerAddr = 0
	uid := w.user.ID
	id.UserID = uid
	if w.session != nil {
		raw := strings.Clone(c.Cookies(sessionCookie))
		id.Expires = w.session.ExpiresAt
		id.Check = func() string {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			u, _, err := s.Accounts.SessionUser(ctx, raw)
			return s.gone(ctx, uid, u, err, "signed out")
		}
		return id
	}
	raw := strings.TrimSpace(strings.TrimPrefix(strings.Clone(c.Get(fiber.HeaderAuthorization)), "Bearer "))
	id.Check = func() string {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		u, err := s.Accounts.TokenUser(ctx, raw)
		return s.gone(ctx, uid, u, err, "token revoked")
	}
	return id
}

// gone says why a socket's credential no longer holds, or "" if it does (or if the
// database did not answer: the next change asks again).
func (s *Server) gone(ctx context.Context, uid int64, u *accounts.User, err error, ended string) string {
	switch {
	case err == nil && u.ID == uid:
		return ""
	case err == nil:
		return ended
	case !errors.Is(err, fault.ErrNotFound) && !errors.Is(err, fault.ErrForbidden):
		return ""
	}
	if u, err := s.Accounts.User(ctx, uid); err == nil && u.Banned {
		return "banned"
	}
	return ended
}

func (s *Server) liveServe() fiber.Handler {
	return websocket.New(func(conn *websocket.Conn) {
		id, _ := conn.Locals("live").(realtime.Identity)
		s.Live.ServeAs(conn, id)
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
	// Changes lists posts changed since a moment, for a returning socket's catch-up of
	// what changed below its seq (approvals); nil skips that part.
	Changes ChangeLog
}

// ChangeLog is the store's list of a thread's changed posts.
type ChangeLog interface {
	// ThreadPostsChangedSince returns up to limit posts of a thread with seq <= upTo
	// changed after since and after they were written, in the order they changed.
	ThreadPostsChangedSince(ctx context.Context, threadID, upTo int64, since time.Time, limit int) ([]*forum.Post, error)
}

// Authorize decides who may listen on which channel: thread and board channels follow
// the board's read permission, user:<id> is for that user alone, feed for signed-in users.
func (s *LiveBackend) Authorize(ctx context.Context, uid int64, channel string) (int64, error) {
	kind, arg, _ := strings.Cut(channel, ":")
	switch kind {
	case "thread":
		id, err := strconv.ParseInt(arg, 10, 64)
		if err != nil || id <= 0 {
			return 0, fault.NotFound("thread")
		}
		t, _, err := s.Forum.Thread(ctx, uid, id)
		if err != nil {
			return 0, err
		}
		return t.LastSeq, nil
	case "board":
		_, err := s.Forum.Board(ctx, uid, arg)
		return 0, err
	case "user", "feed":
		return 0, s.Visible(uid, channel, "")
	}
	return 0, fault.Invalid("channel", "err_unknown_channel")
}

// Visible answers for one recipient of one message, from the cached boards and policy:
// may uid hear, on channel, of something in board?
func (s *LiveBackend) Visible(uid int64, channel, board string) error {
	kind, arg, _ := strings.Cut(channel, ":")
	switch kind {
	case "user":
		id, err := strconv.ParseInt(arg, 10, 64)
		if uid == 0 {
			return fault.Unauthorized("err_sign_in_first")
		}
		if err != nil || id != uid || !s.Policy.Allowed(uid, "user:"+arg, "notifications", "read_own") {
			return fault.Forbidden("err_can_only_listen_own")
		}
	case "feed":
		if uid == 0 {
			return fault.Unauthorized("err_sign_in_first")
		}
		if !s.Policy.Allowed(uid, "*", "feed", "read") {
			return fault.Forbidden("err_not_allowed")
		}
	case "board":
		board = arg
	}
	if board == "" {
		return nil
	}
	return s.Forum.CanRead(uid, board)
}

// Where returns the board a channel's messages come from now.
func (s *LiveBackend) Where(ctx context.Context, channel string) (string, error) {
	kind, arg, _ := strings.Cut(channel, ":")
	switch kind {
	case "thread":
		id, err := strconv.ParseInt(arg, 10, 64)
		if err != nil {
			return "", fault.NotFound("thread")
		}
		_, b, err := s.Forum.ThreadAndBoard(ctx, id)
		if err != nil {
			return "", err
		}
		return b.Slug, nil
	case "board":
		return arg, nil
	}
	return "", nil
}

// released: held, then approved. Approval sets ChangedAt without an edit; a post
// edited since is released too if its last change came after the edit.
func released(p *forum.Post) bool {
	return !p.Held && !p.Deleted && p.ChangedAt.After(p.CreatedAt) && (p.EditedAt.IsZero() || p.ChangedAt.After(p.EditedAt))
}

// ChangedSince lists the posts of a thread with seq <= upTo changed after since.
func (s *LiveBackend) ChangedSince(ctx context.Context, threadID, upTo int64, since time.Time, limit int) ([]realtime.Change, bool, error) {
	if s.Changes == nil {
		return nil, false, nil
	}
	// This thread's changes only, capped for this thread: what is written elsewhere
	// on the site, however much, neither counts nor is read.
	ps, err := s.Changes.ThreadPostsChangedSince(ctx, threadID, upTo, since, limit+1)
	if err != nil {
		return nil, false, err
	}
	if len(ps) > limit {
		return nil, true, nil
	}
	var mine []*forum.Post
	for _, p := range ps {
		// Left out: held ones (they show as gone until approved).
		if !p.Held && (p.Deleted || released(p) || !p.EditedAt.IsZero()) {
			mine = append(mine, p)
		}
	}
	slices.SortFunc(mine, func(a, b *forum.Post) int { return cmp.Compare(a.Seq, b.Seq) })
	users, err := s.users(ctx, mine)
	if err != nil {
		return nil, false, err
	}
	out := make([]realtime.Change, 0, len(mine))
	for _, p := range mine {
		typ := realtime.TypePostUpdated
		switch {
		case p.Deleted:
			typ = realtime.TypePostDeleted
		case released(p):
			typ = realtime.TypePostCreated
		}
		j, _ := json.Marshal(toPost(p, users))
		out = append(out, realtime.Change{Type: typ, Seq: p.Seq, Post: j})
	}
	return out, false, nil
}

func (s *LiveBackend) users(ctx context.Context, ps []*forum.Post) (map[int64]*accounts.User, error) {
	ids := make([]int64, len(ps))
	for i, p := range ps {
		ids[i] = p.AuthorID
	}
	return s.Accounts.Users(ctx, ids)
}

// PostsAfter returns posts of a thread after a seq, encoded as the API encodes them.
// It checks no permission: the subscription was authorized.
func (s *LiveBackend) PostsAfter(ctx context.Context, threadID, after int64, limit int) ([]json.RawMessage, []int64, error) {
	ps, err := s.Forum.PostsAfter(ctx, threadID, after, limit)
	if err != nil {
		return nil, nil, err
	}
	users, err := s.users(ctx, ps)
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
func (s *LiveBackend) Post(ctx context.Context, id int64) (json.RawMessage, bool, error) {
	p, err := s.Forum.PostByID(ctx, id)
	if err != nil {
		return nil, false, err
	}
	users, err := s.Accounts.Users(ctx, []int64{p.AuthorID})
	if err != nil {
		return nil, false, err
	}
	j := toPost(p, users)
	if p.Held {
		// Pushed to every reader of the thread: a held post shows as gone until approved.
		j.Body, j.HTML, j.Deleted = "", "", true
	}
	b, err := json.Marshal(j)
	return b, released(p), err
}

// Thread returns one thread encoded as the API encodes it.
func (s *LiveBackend) Thread(ctx context.Context, id int64) (json.RawMessage, string, error) {
	t, b, err := s.Forum.ThreadAndBoard(ctx, id)
	if err != nil {
		return nil, "", err
	}
	users, err := s.Accounts.Users(ctx, []int64{t.AuthorID})
	if err != nil {
		return nil, "", err
	}
	j, err := json.Marshal(toThread(t, b.Slug, users))
	return j, b.Slug, err
}
