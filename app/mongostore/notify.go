package mongostore

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"

	"jiayuan/app/forum"
	"jiayuan/app/notify"
)

var _ notify.Store = (*Store)(nil)

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

// CreateNotification stores n and sets its id; a second one of the same user, post and
// kind is a conflict (the unique index) and writes nothing.
func (s *Store) CreateNotification(ctx context.Context, n *notify.Notification) error {
	id, err := s.nextID(ctx, "notifications")
	if err != nil {
		return err
	}
	_, err = s.notifications.InsertOne(ctx, notificationDoc{ID: id, UserID: n.UserID, Kind: n.Kind, ActorID: n.ActorID,
		ThreadID: n.ThreadID, PostID: n.PostID, PostSeq: n.PostSeq, CreatedAt: tm(n.CreatedAt), Read: n.Read})
	if err != nil {
		return conflict(err, "notification_exists", "err_notification_exists")
	}
	n.ID = id
	return nil
}

// notifyCheckpoint is the counters document holding the notifier's checkpoint.
const notifyCheckpoint = "notify_checkpoint"

// NotifyCheckpoint returns the id of the last post the notifier has fully processed.
// Open sets it at the newest post when there is none yet: history from before the
// notifier kept a checkpoint is not replayed, and no post made after the store opened
// is taken for history.
func (s *Store) NotifyCheckpoint(ctx context.Context) (int64, error) {
	var doc struct {
		N int64 `bson:"n"`
	}
	err := s.counters.FindOne(ctx, bson.M{"_id": notifyCheckpoint}).Decode(&doc)
	if !errors.Is(err, mongo.ErrNoDocuments) {
		return doc.N, err
	}
	newest, err := find(ctx, s.posts, bson.M{}, page(1, bson.E{Key: "_id", Value: -1}), (*postDoc).post)
	if err != nil {
		return 0, err
	}
	var at int64
	if len(newest) == 1 {
		at = newest[0].ID
	}
	// Two nodes starting at once: the second insert is a duplicate, and both read the first.
	if _, err := s.counters.InsertOne(ctx, bson.M{"_id": notifyCheckpoint, "n": at}); err != nil && !mongo.IsDuplicateKeyError(err) {
		return 0, err
	}
	err = s.counters.FindOne(ctx, bson.M{"_id": notifyCheckpoint}).Decode(&doc)
	return doc.N, err
}

// AdvanceNotifyCheckpoint moves the checkpoint from from to to if it is still at from:
// of two nodes advancing at once, one succeeds.
func (s *Store) AdvanceNotifyCheckpoint(ctx context.Context, from, to int64) (bool, error) {
	res, err := s.counters.UpdateOne(ctx, bson.M{"_id": notifyCheckpoint, "n": from}, bson.M{"$set": bson.M{"n": to}})
	if err != nil {
		return false, err
	}
	return res.MatchedCount == 1, nil
}

// PostsAfterID returns posts with id > after in id order, held and deleted ones included.
func (s *Store) PostsAfterID(ctx context.Context, after int64, limit int) ([]*forum.Post, error) {
	if limit < 1 {
		return nil, nil
	}
	return find(ctx, s.posts, bson.M{"_id": bson.M{"$gt": after}}, page(limit, bson.E{Key: "_id", Value: 1}), (*postDoc).post)
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
