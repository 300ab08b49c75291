package mongostore

import (
	"context"
	"strconv"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"jiayuan/app/ratelimit"
)

var _ ratelimit.Store = (*Store)(nil)

// HitCounter adds one to key's count in the window and returns the new count: one
// findOneAndUpdate with $inc and upsert, atomic on the server.
func (s *Store) HitCounter(ctx context.Context, key string, window int64) (int64, error) {
	var doc struct {
		Count int64 `bson:"count"`
	}
	// The filter's equality fields are copied into the document an upsert creates.
	filter := bson.D{{Key: "_id", Value: key + "@" + strconv.FormatInt(window, 10)}, {Key: "key", Value: key}, {Key: "window", Value: window}}
	opts := options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)
	var err error
	// Two first hits of a window can race to insert it; the loser gets a duplicate key
	// and, the document now existing, succeeds on the retry.
	for try := 0; try < 2; try++ {
		err = s.rateCounters.FindOneAndUpdate(ctx, filter, bson.M{"$inc": bson.M{"count": int64(1)}}, opts).Decode(&doc)
		if !mongo.IsDuplicateKeyError(err) {
			break
		}
	}
	return doc.Count, err
}

// PurgeCounters deletes the windows that ended before before.
func (s *Store) PurgeCounters(ctx context.Context, before int64) error {
	_, err := s.rateCounters.DeleteMany(ctx, bson.M{"window": bson.M{"$lt": before}})
	return err
}
