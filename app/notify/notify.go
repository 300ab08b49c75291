// Package notify tells people when someone answers their post or mentions them. It
// follows the event bus: a reply is stored and acknowledged first, and its
// notifications are written right after, so they never slow a reply down.
package notify

import (
	"context"
	"errors"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"jiayuan/app/accounts"
	"jiayuan/app/events"
	"jiayuan/app/fault"
	"jiayuan/app/forum"
)

// Kinds of notification.
const (
	KindReply   = "reply"
	KindMention = "mention"
	// Outcomes of a report, for the reporter.
	KindReportHidden    = "report_hidden"
	KindReportDismissed = "report_dismissed"
	KindReportSilenced  = "report_silenced"
)

// Notification is one thing a user should know about.
type Notification struct {
	ID        int64
	UserID    int64
	Kind      string
	ActorID   int64
	ThreadID  int64
	PostID    int64
	PostSeq   int64
	CreatedAt time.Time
	Read      bool
}

// Store keeps notifications.
type Store interface {
	CreateNotification(ctx context.Context, n *Notification) error
	// ListNotifications returns a user's notifications with id < before (0: from the
	// newest), newest first.
	ListNotifications(ctx context.Context, userID, before int64, limit int) ([]*Notification, error)
	CountUnread(ctx context.Context, userID int64) (int64, error)
	// MarkRead marks the given notifications of the user read, or all when ids is empty.
	MarkRead(ctx context.Context, userID int64, ids []int64) error
}

// Reader is what the notifier reads of the forum and the accounts.
type Reader interface {
	PostByID(ctx context.Context, id int64) (*forum.Post, error)
}

// Users finds the people a post mentions.
type Users interface {
	UserByUsername(ctx context.Context, username string) (*accounts.User, error)
}

// Publisher announces stored notifications (realtime pushes them to user:<id>).
type Publisher interface {
	Publish(e events.Event)
}

// Service creates and lists notifications.
type Service struct {
	store Store
	posts Reader
	users Users
	bus   Publisher
	log   *slog.Logger
	queue chan events.Event
}

// NewService returns a notifier; subscribe Handle to the bus and start Run.
func NewService(store Store, posts Reader, users Users, bus Publisher, log *slog.Logger) *Service {
	return &Service{store: store, posts: posts, users: users, bus: bus, log: log, queue: make(chan events.Event, 16384)}
}

// Handle queues post.created events without blocking the publisher.
func (s *Service) Handle(e events.Event) {
	if e.Type != events.PostCreated || e.Origin != "" {
		return // other nodes notify for their own posts
	}
	select {
	case s.queue <- e:
	default:
		s.log.Warn("notification queue full; dropped", "post", e.PostID)
	}
}

// Run writes notifications for queued events until ctx ends.
func (s *Service) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case e := <-s.queue:
			if err := s.notify(ctx, e); err != nil {
				s.log.Error("notify", "post", e.PostID, "err", err)
			}
		}
	}
}

// mentionRE finds @username; a username is 2–32 letters, digits, _ or -.
var mentionRE = regexp.MustCompile(`(?:^|[^\p{L}\p{N}_@-])@([\p{L}\p{N}_-]{2,32})`)

// Mentions returns the distinct lower-case usernames a text mentions, at most 20.
func Mentions(text string) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range mentionRE.FindAllStringSubmatch(text, -1) {
		name := strings.ToLower(m[1])
		if !seen[name] && len(out) < 20 {
			seen[name] = true
			out = append(out, name)
		}
	}
	return out
}

func (s *Service) notify(ctx context.Context, e events.Event) error {
	p, err := s.posts.PostByID(ctx, e.PostID)
	if err != nil {
		return err
	}
	told := map[int64]bool{p.AuthorID: true} // nobody is told about their own post
	if p.ReplyTo != 0 {
		parent, err := s.posts.PostByID(ctx, p.ReplyTo)
		if err != nil && !errors.Is(err, fault.ErrNotFound) {
			return err
		}
		if parent != nil && !told[parent.AuthorID] {
			told[parent.AuthorID] = true
			if err := s.create(ctx, parent.AuthorID, KindReply, p); err != nil {
				return err
			}
		}
	}
	for _, name := range Mentions(p.Body) {
		u, err := s.users.UserByUsername(ctx, name)
		if errors.Is(err, fault.ErrNotFound) {
			continue
		} else if err != nil {
			return err
		}
		if !told[u.ID] {
			told[u.ID] = true
			if err := s.create(ctx, u.ID, KindMention, p); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Service) create(ctx context.Context, userID int64, kind string, p *forum.Post) error {
	return s.NotifyUser(ctx, userID, kind, p.AuthorID, p)
}

// NotifyUser tells a user that actor did something (kind) about post p, and pushes it.
func (s *Service) NotifyUser(ctx context.Context, userID int64, kind string, actorID int64, p *forum.Post) error {
	n := &Notification{UserID: userID, Kind: kind, ActorID: actorID, ThreadID: p.ThreadID, PostID: p.ID, PostSeq: p.Seq,
		CreatedAt: time.Now().UTC().Truncate(time.Millisecond)}
	if err := s.store.CreateNotification(ctx, n); err != nil {
		return err
	}
	s.bus.Publish(events.Event{Type: events.Notification, UserID: userID, ThreadID: p.ThreadID, PostID: p.ID, Seq: p.Seq, NotificationID: n.ID})
	return nil
}

// List returns a page of the user's notifications and their unread count.
func (s *Service) List(ctx context.Context, userID, before int64, limit int) ([]*Notification, int64, error) {
	if userID == 0 {
		return nil, 0, fault.Unauthorized("请先登录 (please sign in first)")
	}
	ns, err := s.store.ListNotifications(ctx, userID, before, limit)
	if err != nil {
		return nil, 0, err
	}
	n, err := s.store.CountUnread(ctx, userID)
	return ns, n, err
}

// Unread counts the user's unread notifications (0 for a guest).
func (s *Service) Unread(ctx context.Context, userID int64) (int64, error) {
	if userID == 0 {
		return 0, nil
	}
	return s.store.CountUnread(ctx, userID)
}

// MarkRead marks notifications read; no ids means all of them.
func (s *Service) MarkRead(ctx context.Context, userID int64, ids []int64) error {
	if userID == 0 {
		return fault.Unauthorized("请先登录 (please sign in first)")
	}
	if len(ids) > 500 {
		return fault.Invalid("ids", "一次最多 500 条 (at most 500 ids at once)")
	}
	return s.store.MarkRead(ctx, userID, ids)
}
