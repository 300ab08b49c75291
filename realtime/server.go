package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/fasthttp/websocket"

	"jiayuan/app/fault"
)

// Limits of one socket.
const (
	MaxFrameBytes    = 64 * 1024 // larger client frames close the socket (1009)
	MaxSubscriptions = 50
	queueSize        = 128
	backlogBatch     = 200
	maxBacklog       = 2000 // further behind than this, reload the page
	writeWait        = 10 * time.Second
	pongWait         = 60 * time.Second
	pingEvery        = 25 * time.Second
	// A socket may send rateBurst messages at once and rateRefill a second after that;
	// a socket that keeps flooding past floodLimit refusals is closed.
	rateBurst  = 60
	rateRefill = 20
	floodLimit = 100
)

// Backend is what the realtime server asks of the rest of Jiayuan.
type Backend interface {
	// Authorize returns nil if the user (0 for a guest) may read channel, or a
	// *fault.Error saying why not. For a thread channel it also returns the thread's
	// latest seq, where a subscription without `after` starts.
	Authorize(ctx context.Context, userID int64, channel string) (latestSeq int64, err error)
	// PostsAfter returns up to limit posts of a thread with seq > after, encoded as the
	// API encodes them, with their seqs. It checks no permission: Authorize did.
	PostsAfter(ctx context.Context, threadID, after int64, limit int) (posts []json.RawMessage, seqs []int64, err error)
	// Post and Thread return one post or thread encoded as the API encodes it.
	Post(ctx context.Context, id int64) (json.RawMessage, error)
	Thread(ctx context.Context, id int64) (json.RawMessage, error)
}

// Server accepts websocket connections and runs the protocol.
type Server struct {
	hub     *Hub
	backend Backend
	log     *slog.Logger
}

// NewServer returns a realtime server over hub.
func NewServer(hub *Hub, backend Backend, log *slog.Logger) *Server {
	return &Server{hub: hub, backend: backend, log: log}
}

// Conn is the part of a websocket connection the server uses.
type Conn interface {
	ReadMessage() (int, []byte, error)
	WriteMessage(int, []byte) error
	WriteControl(int, []byte, time.Time) error
	SetReadLimit(int64)
	SetReadDeadline(time.Time) error
	SetWriteDeadline(time.Time) error
	SetPongHandler(func(string) error)
	Close() error
}

// Serve runs one connection until it closes: a reader and a writer goroutine sharing
// the client's done channel, so either ending ends both.
func (s *Server) Serve(conn Conn, userID int64) {
	c := newClient(s.hub, userID, queueSize)
	s.hub.add(c)
	defer s.hub.remove(c)
	conn.SetReadLimit(MaxFrameBytes)
	_ = conn.SetReadDeadline(time.Now().Add(pongWait))
	conn.SetPongHandler(func(string) error { return conn.SetReadDeadline(time.Now().Add(pongWait)) })

	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		s.write(conn, c)
	}()
	s.read(conn, c)
	c.drop("") // the reader ended: stop the writer
	<-writerDone
	_ = conn.Close()
}

// write sends queued frames and pings until the client is dropped or a write fails
// (a write deadline bounds a stuck peer). On the way out it says why, if there is a
// reason, and closes the connection, which also ends the reader.
func (s *Server) write(conn Conn, c *Client) {
	ping := time.NewTicker(pingEvery)
	defer ping.Stop()
	defer func() {
		c.drop("")
		c.mu.Lock()
		reason := c.reason
		c.mu.Unlock()
		if reason != "" && reason != "slow consumer" {
			// Say what was already queued (the refusals before a flood close, say).
			flush(conn, c.send)
		}
		if reason != "" {
			code := websocket.ClosePolicyViolation
			if reason == "slow consumer" || reason == "too far behind" {
				code = websocket.CloseTryAgainLater
			}
			_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
		}
		_ = conn.Close()
	}()
	for {
		select {
		case f := <-c.send:
			_ = conn.SetWriteDeadline(time.Now().Add(writeWait))
			if err := conn.WriteMessage(websocket.TextMessage, f.data); err != nil {
				return
			}
		case <-ping.C:
			if err := conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeWait)); err != nil {
				return
			}
		case <-c.done:
			return
		}
	}
}

// flush writes what is queued without waiting for more.
func flush(conn Conn, send chan *frame) {
	for {
		select {
		case f := <-send:
			_ = conn.SetWriteDeadline(time.Now().Add(time.Second))
			if conn.WriteMessage(websocket.TextMessage, f.data) != nil {
				return
			}
		default:
			return
		}
	}
}

// clientMessage is what clients send. After is a pointer: absent means "from now on",
// 0 means "everything".
type clientMessage struct {
	Type    string `json:"type"`
	Channel string `json:"channel"`
	After   *int64 `json:"after"`
}

func (s *Server) read(conn Conn, c *Client) {
	tokens, refused := float64(rateBurst), 0
	last := time.Now()
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			if errors.Is(err, websocket.ErrReadLimit) {
				c.drop("frame larger than 64 KiB")
			}
			return
		}
		_ = conn.SetReadDeadline(time.Now().Add(pongWait))
		now := time.Now()
		tokens = min(rateBurst, tokens+now.Sub(last).Seconds()*rateRefill)
		last = now
		if tokens < 1 {
			if refused++; refused > floodLimit {
				c.drop("too many messages")
				return
			}
			// Said once in a while, not for every message: the answers to a flood must
			// not fill the flooder's own queue.
			if refused%20 == 1 {
				c.reply(errorFrame("", "rate_limited", "消息太频繁 (too many messages: slow down)"))
			}
			continue
		}
		tokens--
		var m clientMessage
		if err := json.Unmarshal(data, &m); err != nil {
			c.reply(errorFrame("", "bad_message", "消息须为 JSON 对象 (a message must be a JSON object with a \"type\")"))
			continue
		}
		switch m.Type {
		case TypePing:
			c.reply(encode(Message{Type: TypePong}))
		case TypeSubscribe:
			// The database reads of a subscription run deep (SQLite is Go code here):
			// on a goroutine of their own, that stack is freed when they finish instead
			// of staying with the socket's reader for its whole life.
			done := make(chan struct{})
			go func() { defer close(done); s.subscribe(c, m) }()
			<-done
		case TypeUnsubscribe:
			if c.unsubscribe(m.Channel) {
				c.reply(encode(Message{Type: TypeUnsubscribed, Channel: m.Channel}))
			} else {
				c.reply(errorFrame(m.Channel, "not_subscribed", "未订阅此频道 (not subscribed to this channel)"))
			}
		default:
			c.reply(errorFrame("", "unknown_type", "未知的消息类型 (unknown message type: use subscribe, unsubscribe or ping)"))
		}
	}
}

func (s *Server) subscribe(c *Client, m clientMessage) {
	ch := m.Channel
	if c.subscriptions() >= MaxSubscriptions {
		c.reply(errorFrame(ch, "too_many_subscriptions", "每个连接最多订阅 50 个频道 (at most 50 subscriptions per socket)"))
		return
	}
	if _, dup := c.channels()[ch]; dup {
		c.reply(errorFrame(ch, "already_subscribed", "已订阅此频道 (already subscribed)"))
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	latest, err := s.backend.Authorize(ctx, c.userID, ch)
	if err != nil {
		var fe *fault.Error
		if errors.As(err, &fe) && fe.Kind != fault.KindInternal {
			c.reply(errorFrame(ch, fe.Code, fe.Message))
		} else {
			s.log.Error("authorize subscription", "channel", ch, "err", err)
			c.reply(errorFrame(ch, "internal", "服务器内部错误 (internal error)"))
		}
		return
	}
	threadID, isThread := ThreadOf(ch)
	if !isThread {
		c.begin(ch, false, 0)
		c.finish(ch)
		return
	}
	after := latest
	if m.After != nil {
		after = *m.After
	}
	if after < 0 || after > latest {
		after = min(max(after, 0), latest)
	}
	if latest-after > maxBacklog {
		c.reply(errorFrame(ch, "too_far_behind", "错过的回复太多，请刷新页面 (too many missed posts: reload the page)"))
		after = latest - maxBacklog
	}
	// Join first, then read the backlog: a post committed after the join arrives live
	// (and waits in pending), one committed before it is in the backlog, and lastSeq
	// drops whatever is in both.
	c.begin(ch, true, after)
	for {
		posts, seqs, err := s.backend.PostsAfter(ctx, threadID, after, backlogBatch)
		if err != nil {
			s.log.Error("backlog", "channel", ch, "err", err)
			c.unsubscribe(ch)
			c.reply(errorFrame(ch, "internal", "服务器内部错误 (internal error)"))
			return
		}
		frames := make([]*frame, len(posts))
		for i, p := range posts {
			frames[i] = encode(Message{Type: TypePostCreated, Channel: ch, Seq: seqs[i], Post: p})
		}
		c.backlog(ch, frames)
		if len(posts) < backlogBatch {
			break
		}
		after = seqs[len(seqs)-1]
	}
	c.finish(ch)
}

// ThreadOf parses "thread:<id>".
func ThreadOf(channel string) (int64, bool) {
	rest, ok := strings.CutPrefix(channel, "thread:")
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	return id, err == nil && id > 0
}
