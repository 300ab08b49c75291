package mongostore

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"jiayuan/app/forum"
)

var _ forum.RepairStore = (*Store)(nil)

// The reads and conditional writes of `jiayuan repair` (forum.Repair): what recounts
// the counters that a crash between two writes leaves behind where there are no
// transactions.

// EachThread calls fn with every thread, in id order.
func (s *Store) EachThread(ctx context.Context, fn func(*forum.Thread) error) error {
	return each(ctx, s.threads, bson.M{}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}), func(d *threadDoc) error { return fn(d.thread()) })
}

// EachPostSeq calls fn with every post's thread, seq and creation time, in (thread,
// seq) order, from the (thread_id, seq) index.
func (s *Store) EachPostSeq(ctx context.Context, fn func(threadID, seq int64, createdAt time.Time) error) error {
	type seqDoc struct {
		ThreadID  int64      `bson:"thread_id"`
		Seq       int64      `bson:"seq"`
		CreatedAt *time.Time `bson:"created_at"`
	}
	opts := options.Find().SetSort(bson.D{{Key: "thread_id", Value: 1}, {Key: "seq", Value: 1}}).
		SetProjection(bson.M{"thread_id": 1, "seq": 1, "created_at": 1})
	return each(ctx, s.posts, bson.M{}, opts, func(d *seqDoc) error { return fn(d.ThreadID, d.Seq, fromTm(d.CreatedAt)) })
}

// each decodes every document a query finds and calls fn with it, one at a time.
func each[D any](ctx context.Context, c *mongo.Collection, filter any, opts *options.FindOptions, fn func(*D) error) error {
	cur, err := c.Find(ctx, filter, opts)
	if err != nil {
		return err
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var d D
		if err := cur.Decode(&d); err != nil {
			return err
		}
		if err := fn(&d); err != nil {
			return err
		}
	}
	return cur.Err()
}

// SetThreadCounts writes a thread's counters if they still are was.
func (s *Store) SetThreadCounts(ctx context.Context, id int64, was, now forum.ThreadCounts) (bool, error) {
	counts := func(c forum.ThreadCounts) bson.M {
		return bson.M{"reply_count": c.ReplyCount, "last_seq": c.LastSeq, "last_activity_at": tm(c.LastActivityAt)}
	}
	return setIfStill(ctx, s.threads, id, counts(was), counts(now))
}

// SetBoardCounts writes a board's counters if they still are was.
func (s *Store) SetBoardCounts(ctx context.Context, id int64, was, now forum.BoardCounts) (bool, error) {
	counts := func(c forum.BoardCounts) bson.M {
		return bson.M{"thread_count": c.ThreadCount, "post_count": c.PostCount, "last_activity_at": tm(c.LastActivityAt)}
	}
	return setIfStill(ctx, s.boards, id, counts(was), counts(now))
}

// setIfStill sets the fields of document id to now if they still are was, in one
// update, and says whether it did.
func setIfStill(ctx context.Context, c *mongo.Collection, id int64, was, now bson.M) (bool, error) {
	filter := bson.M{"_id": id}
	for k, v := range was {
		filter[k] = v
	}
	res, err := c.UpdateOne(ctx, filter, bson.M{"$set": now})
	if err != nil {
		return false, err
	}
	return res.MatchedCount == 1, nil
}

// DeleteEmptyThread deletes a thread that has no post. The check and the delete are
// two steps: the repair only asks about threads old enough that no opening post is
// still on its way.
func (s *Store) DeleteEmptyThread(ctx context.Context, id int64) (bool, error) {
	n, err := s.posts.CountDocuments(ctx, bson.M{"thread_id": id}, options.Count().SetLimit(1))
	if err != nil || n > 0 {
		return false, err
	}
	res, err := s.threads.DeleteOne(ctx, bson.M{"_id": id})
	if err != nil {
		return false, err
	}
	return res.DeletedCount == 1, nil
}
