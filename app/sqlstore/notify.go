package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"jiayuan/app/forum"
	"jiayuan/app/notify"
)

var _ notify.Store = (*Store)(nil)

// CreateNotification stores n and sets its id; a second one of the same user, post and
// kind is a conflict and writes nothing.
func (s *Store) CreateNotification(ctx context.Context, n *notify.Notification) error {
	res, err := s.w.ExecContext(ctx, `INSERT INTO notifications (user_id, kind, actor_id, thread_id, post_id, post_seq, created_at, read) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		n.UserID, n.Kind, n.ActorID, n.ThreadID, n.PostID, n.PostSeq, ms(n.CreatedAt), n.Read)
	if err != nil {
		return conflict(err, "notification_exists", "err_notification_exists")
	}
	n.ID, err = res.LastInsertId()
	return err
}

// ListNotifications returns a user's notifications with id < before, newest first.
func (s *Store) ListNotifications(ctx context.Context, userID, before int64, limit int) ([]*notify.Notification, error) {
	if before <= 0 {
		before = 1<<63 - 1
	}
	return query(ctx, reads{s}, scanNotification, `SELECT id, user_id, kind, actor_id, thread_id, post_id, post_seq, created_at, read
		FROM notifications WHERE user_id = ? AND id < ? ORDER BY id DESC LIMIT ?`, userID, before, limit)
}

func scanNotification(row scanner) (*notify.Notification, error) {
	var n notify.Notification
	var created int64
	if err := row.Scan(&n.ID, &n.UserID, &n.Kind, &n.ActorID, &n.ThreadID, &n.PostID, &n.PostSeq, &created, &n.Read); err != nil {
		return nil, err
	}
	n.CreatedAt = fromMS(created)
	return &n, nil
}

// CountUnread counts a user's unread notifications.
func (s *Store) CountUnread(ctx context.Context, userID int64) (int64, error) {
	var n int64
	err := s.queryRow(ctx, `SELECT COUNT(*) FROM notifications WHERE user_id = ? AND read = 0`, userID).Scan(&n)
	return n, err
}

// MarkRead marks the user's notifications read: the given ones, or all.
func (s *Store) MarkRead(ctx context.Context, userID int64, ids []int64) error {
	if len(ids) == 0 {
		_, err := s.w.ExecContext(ctx, `UPDATE notifications SET read = 1 WHERE user_id = ? AND read = 0`, userID)
		return err
	}
	args := []any{userID}
	for _, id := range ids {
		args = append(args, id)
	}
	_, err := s.w.ExecContext(ctx, `UPDATE notifications SET read = 1 WHERE user_id = ? AND id IN (`+placeholders(len(ids))+`)`, args...)
	return err
}

// NotifyCheckpoint returns the id of the last post the notifier has fully processed.
// The migration that made it set it at the newest post then (history from before is not
// replayed); should the row be missing, it is set so again.
func (s *Store) NotifyCheckpoint(ctx context.Context) (int64, error) {
	const q = `SELECT value FROM checkpoints WHERE name = 'notify'`
	var v int64
	err := s.queryRow(ctx, q).Scan(&v)
	if !errors.Is(err, sql.ErrNoRows) {
		return v, err
	}
	if _, err := s.w.ExecContext(ctx, `INSERT OR IGNORE INTO checkpoints (name, value) SELECT 'notify', COALESCE(MAX(id), 0) FROM posts`); err != nil {
		return 0, err
	}
	err = s.w.QueryRowContext(ctx, q).Scan(&v)
	return v, err
}

// AdvanceNotifyCheckpoint moves the checkpoint from from to to if it is still at from.
func (s *Store) AdvanceNotifyCheckpoint(ctx context.Context, from, to int64) (bool, error) {
	return s.changedOne(ctx, `UPDATE checkpoints SET value = ? WHERE name = 'notify' AND value = ?`, to, from)
}

// PostsAfterID returns posts with id > after in id order, held and deleted ones included.
func (s *Store) PostsAfterID(ctx context.Context, after int64, limit int) ([]*forum.Post, error) {
	return s.posts(ctx, `SELECT `+postCols+` FROM posts WHERE id > ? ORDER BY id LIMIT ?`, after, limit)
}
