package mongostore

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"jiayuan/app/notify"
)

type notificationDoc struct {
	ID        int64      `bson:"_id"`
	UserID    int64      `bson:"user_id"`
	Kind      string     `bson:"kind"`
	ActorID   int64      `bson:"actor_id"`
	ThreadID  int64      `bson:"thread_id"`
	PostID    int64      `bson:"post_id"`
	PostSeq   int64      `bson:"post_seq"`
	CreatedAt *time.Time `bson:"created_at"`
	Read      bool       `bson:"read"`
}

func (d *notificationDoc) notification() *notify.Notification {
	return &notify.Notification{ID: d.ID, UserID: d.UserID, Kind: d.Kind, ActorID: d.ActorID, ThreadID: d.ThreadID,
		PostID: d.PostID, PostSeq: d.PostSeq, CreatedAt: fromTm(d.CreatedAt), Read: d.Read}
}

// CreateNotification stores n and sets its id.
func (s *Store) CreateNotification(ctx context.Context, n *notify.Notification) error {
	id, err := s.nextID(ctx, "notifications")
	if err != nil {
		return err
	}
	_, err = s.notifications.InsertOne(ctx, notificationDoc{ID: id, UserID: n.UserID, Kind: n.Kind, ActorID: n.ActorID,
		ThreadID: n.ThreadID, PostID: n.PostID, PostSeq: n.PostSeq, CreatedAt: tm(n.CreatedAt), Read: n.Read})
	if err == nil {
		n.ID = id
	}
	return err
}

// ListNotifications returns a user's notifications with id < before, newest first.
func (s *Store) ListNotifications(ctx context.Context, userID, before int64, limit int) ([]*notify.Notification, error) {
	if limit < 1 {
		return nil, nil
	}
	filter := bson.M{"user_id": userID}
	if before > 0 {
		filter["_id"] = bson.M{"$lt": before}
	}
	return find(ctx, s.notifications, filter, page(limit, bson.E{Key: "_id", Value: -1}), (*notificationDoc).notification)
}

// CountUnread counts a user's unread notifications.
func (s *Store) CountUnread(ctx context.Context, userID int64) (int64, error) {
	return s.notifications.CountDocuments(ctx, bson.M{"user_id": userID, "read": false})
}

// MarkRead marks the user's notifications read: the given ones, or all.
func (s *Store) MarkRead(ctx context.Context, userID int64, ids []int64) error {
	filter := bson.M{"user_id": userID, "read": false}
	if len(ids) > 0 {
		filter["_id"] = bson.M{"$in": ids}
	}
	_, err := s.notifications.UpdateMany(ctx, filter, bson.M{"$set": bson.M{"read": true}})
	return err
}
