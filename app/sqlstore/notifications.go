package sqlstore

import (
	"context"

	"jiayuan/app/notify"
)

// CreateNotification stores n and sets its id.
func (s *Store) CreateNotification(ctx context.Context, n *notify.Notification) error {
	res, err := s.w.ExecContext(ctx, `INSERT INTO notifications (user_id, kind, actor_id, thread_id, post_id, post_seq, created_at, read) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		n.UserID, n.Kind, n.ActorID, n.ThreadID, n.PostID, n.PostSeq, ms(n.CreatedAt), n.Read)
	if err != nil {
		return err
	}
	n.ID, err = res.LastInsertId()
	return err
}

// ListNotifications returns a user's notifications with id < before, newest first.
func (s *Store) ListNotifications(ctx context.Context, userID, before int64, limit int) ([]*notify.Notification, error) {
	if before <= 0 {
		before = 1<<63 - 1
	}
	rows, err := s.query(ctx, `SELECT id, user_id, kind, actor_id, thread_id, post_id, post_seq, created_at, read
		FROM notifications WHERE user_id = ? AND id < ? ORDER BY id DESC LIMIT ?`, userID, before, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*notify.Notification
	for rows.Next() {
		var n notify.Notification
		var created int64
		if err := rows.Scan(&n.ID, &n.UserID, &n.Kind, &n.ActorID, &n.ThreadID, &n.PostID, &n.PostSeq, &created, &n.Read); err != nil {
			return nil, err
		}
		n.CreatedAt = fromMS(created)
		out = append(out, &n)
	}
	return out, rows.Err()
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
