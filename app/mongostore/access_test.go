package mongostore_test

import (
	"context"
	"errors"
	"testing"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"jiayuan/app/accounts"
	"jiayuan/app/fault"
	"jiayuan/app/mongostore"
)

// TestSkeletonBackfill: users stored before skeletons were kept get one at the next
// start, two look-alikes among them included, and the unique index then holds.
func TestSkeletonBackfill(t *testing.T) {
	eachServer(t, func(t *testing.T, uri, db string, s *mongostore.Store) {
		ctx := context.Background()
		client, err := mongo.Connect(ctx, options.Client().ApplyURI(uri))
		must(t, err)
		defer client.Disconnect(ctx)
		users := client.Database(db).Collection("users")
		// As a database from before: no skeleton index, no skeleton field.
		_, err = users.Indexes().DropOne(ctx, "skeleton_1")
		must(t, err)
		for _, d := range []bson.M{{"_id": int64(101), "username": "mary"}, {"_id": int64(102), "username": "rnary"}} {
			d["display_name"], d["password_hash"], d["banned"] = "x", "h", false
			_, err := users.InsertOne(ctx, d)
			must(t, err)
		}
		s2, err := mongostore.Open(ctx, uri, db)
		must(t, err)
		defer s2.Close()
		for _, name := range []string{"mary", "rnary"} {
			if _, err := s2.UserByUsername(ctx, name); err != nil {
				t.Fatalf("%s after the backfill: %v", name, err)
			}
		}
		if n, err := users.CountDocuments(ctx, bson.M{"skeleton": bson.M{"$exists": false}}); err != nil || n != 0 {
			t.Fatalf("%d users without a skeleton, %v", n, err)
		}
		err = s2.CreateUser(ctx, &accounts.User{Username: "rnаry", DisplayName: "x", PasswordHash: "h", CreatedAt: at(0)}) // Cyrillic а
		if !errors.Is(err, fault.ErrConflict) {
			t.Fatalf("a third look-alike after the backfill: %v, want a conflict", err)
		}
	})
}
