package mongostore_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"jiayuan/app/forum"
	"jiayuan/app/l10n"
	"jiayuan/app/mongostore"
)

// TestNoTransactionsOnFerretDB: FerretDB says it is no replica set, so the store keeps
// to ordered writes there (the path the conformance suite then exercises); against a
// real replica set (JIAYUAN_TEST_MONGODB_URI) the same suite runs in transactions.
func TestNoTransactionsOnFerretDB(t *testing.T) {
	if s := open(t, withParam(ferretURI, "maxPoolSize=1")); s.Transactions() {
		t.Fatal("FerretDB reported as able to run transactions")
	}
}

// TestRepairEmptyThread: a thread left without its opening post (a crash between the
// two inserts, without transactions) is deleted by the repair once it is old enough
// not to be a thread still being written; a young one stays.
func TestRepairEmptyThread(t *testing.T) {
	eachServer(t, func(t *testing.T, uri, db string, s *mongostore.Store) {
		ctx := context.Background()
		b := &forum.Board{Slug: "crash", Name: l10n.Text{"zh-Hans": "家·crash"}, CreatedAt: time.Now().UTC()}
		if err := s.CreateBoard(ctx, b); err != nil {
			t.Fatal(err)
		}
		client, err := mongo.Connect(ctx, options.Client().ApplyURI(uri))
		if err != nil {
			t.Fatal(err)
		}
		defer client.Disconnect(ctx)
		now := time.Now().UTC().Truncate(time.Millisecond)
		old, young := now.Add(-time.Hour), now.Add(-time.Second)
		for id, created := range map[int64]time.Time{9001: old, 9002: young} {
			doc := bson.M{"_id": id, "board_id": b.ID, "title": "半截", "author_id": int64(1), "reply_count": int64(0),
				"last_seq": int64(1), "pinned": false, "locked": false, "created_at": created, "last_activity_at": created}
			if _, err := client.Database(db).Collection("threads").InsertOne(ctx, doc); err != nil {
				t.Fatal(err)
			}
		}
		rep, err := forum.Repair(ctx, s, false, now)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(rep.EmptyThreads, []int64{9001}) {
			t.Fatalf("empty threads deleted: %v, want [9001]", rep.EmptyThreads)
		}
		if _, err := s.ThreadByID(ctx, 9001); err == nil {
			t.Fatal("the old empty thread is still there")
		}
		if _, err := s.ThreadByID(ctx, 9002); err != nil {
			t.Fatalf("the young empty thread went: %v", err)
		}
		// The young one is counted on its board; nothing else changes on a second run.
		if got, _ := s.BoardByID(ctx, b.ID); got.ThreadCount != 1 || got.PostCount != 0 {
			t.Fatalf("board counts %d threads, %d posts; want 1 and 0", got.ThreadCount, got.PostCount)
		}
		if rep, err := forum.Repair(ctx, s, false, now); err != nil || rep.Changed() {
			t.Fatalf("second run: %+v %v", rep, err)
		}
	})
}
