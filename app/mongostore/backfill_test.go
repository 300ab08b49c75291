package mongostore_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"jiayuan/app/accounts"
	"jiayuan/app/fault"
	"jiayuan/app/mongostore"
	"jiayuan/app/notify"
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

// TestNotificationDuplicatesRemoved: a database from before the unique index on
// notifications' user, post and kind may hold one twice; the next start keeps the first
// of each and builds the index, which then refuses a third.
func TestNotificationDuplicatesRemoved(t *testing.T) {
	eachServer(t, func(t *testing.T, uri, db string, s *mongostore.Store) {
		ctx := context.Background()
		client, err := mongo.Connect(ctx, options.Client().ApplyURI(uri))
		must(t, err)
		defer client.Disconnect(ctx)
		ns := client.Database(db).Collection("notifications")
		// As a database from before: no unique index (whatever the driver named it).
		specs, err := ns.Indexes().ListSpecifications(ctx)
		must(t, err)
		for _, sp := range specs {
			if sp.Unique != nil && *sp.Unique {
				_, err = ns.Indexes().DropOne(ctx, sp.Name)
				must(t, err)
			}
		}
		for i, d := range []bson.M{
			{"user_id": int64(7), "post_id": int64(40), "kind": "reply"},
			{"user_id": int64(7), "post_id": int64(40), "kind": "reply"},
			{"user_id": int64(7), "post_id": int64(40), "kind": "mention"},
			{"user_id": int64(7), "post_id": int64(40), "kind": "reply"},
			{"user_id": int64(8), "post_id": int64(40), "kind": "reply"},
		} {
			d["_id"], d["read"], d["actor_id"], d["thread_id"] = int64(900+i), false, int64(1), int64(3)
			_, err := ns.InsertOne(ctx, d)
			must(t, err)
		}
		s2, err := mongostore.Open(ctx, uri, db)
		must(t, err)
		defer s2.Close()
		cur, err := ns.Find(ctx, bson.M{}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
		must(t, err)
		var left []struct {
			ID int64 `bson:"_id"`
		}
		must(t, cur.All(ctx, &left))
		var ids []int64
		for _, d := range left {
			ids = append(ids, d.ID)
		}
		if fmt.Sprint(ids) != "[900 902 904]" {
			t.Fatalf("notifications left: %v, want the first of each: [900 902 904]", ids)
		}
		err = s2.CreateNotification(ctx, &notify.Notification{UserID: 7, PostID: 40, Kind: "reply", ActorID: 1, ThreadID: 3, CreatedAt: at(0)})
		if !errors.Is(err, fault.ErrConflict) {
			t.Fatalf("a duplicate after the start: %v, want a conflict", err)
		}
	})
}

// TestBoardTextsMoved: a board stored with a field per language (name, name_hant…)
// reads in every language after the next start, and keeps no old field.
func TestBoardTextsMoved(t *testing.T) {
	eachServer(t, func(t *testing.T, uri, db string, s *mongostore.Store) {
		ctx := context.Background()
		client, err := mongo.Connect(ctx, options.Client().ApplyURI(uri))
		must(t, err)
		defer client.Disconnect(ctx)
		boards := client.Database(db).Collection("boards")
		_, err = boards.InsertOne(ctx, bson.M{"_id": int64(77), "slug": "shijiao", "name": "家·视角", "name_hant": "家·視角",
			"name_en": "Perspectives", "description": "改革热点", "description_hant": "改革熱點", "description_en": "", "position": 1})
		must(t, err)
		s2, err := mongostore.Open(ctx, uri, db)
		must(t, err)
		defer s2.Close()
		b, err := s2.BoardBySlug(ctx, "shijiao")
		must(t, err)
		if b.Name["zh-Hans"] != "家·视角" || b.Name["zh-Hant"] != "家·視角" || b.Name["en"] != "Perspectives" ||
			b.Description["zh-Hans"] != "改革热点" || b.Description["zh-Hant"] != "改革熱點" || b.Description.In("en") != "改革热点" {
			t.Fatalf("after the start: %+v", b)
		}
		if n, err := boards.CountDocuments(ctx, bson.M{"name_en": bson.M{"$exists": true}}); err != nil || n != 0 {
			t.Fatalf("%d boards keep an old field, %v", n, err)
		}
	})
}
