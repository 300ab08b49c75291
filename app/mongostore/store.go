// Package mongostore is Jiayuan's production storage engine on MongoDB. It uses only
// what FerretDB also supports (no transactions, $lookup, change streams or partial
// indexes), so the same code runs against FerretDB in tests.
package mongostore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"jiayuan/app/fault"
)

// Store is the MongoDB engine.
type Store struct {
	client                                                                          *mongo.Client
	db                                                                              *mongo.Database
	users, sessions, tokens, roles, boards, threads, posts, counters, notifications *mongo.Collection
}

// Open connects to uri, checks the server answers, and creates the indexes every query
// needs.
func Open(ctx context.Context, uri, database string) (*Store, error) {
	opts := options.Client().ApplyURI(uri).SetBSONOptions(&options.BSONOptions{UseLocalTimeZone: false})
	client, err := mongo.Connect(ctx, opts)
	if err != nil {
		return nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := client.Ping(pctx, nil); err != nil {
		_ = client.Disconnect(context.Background())
		return nil, fmt.Errorf("mongodb ping: %w", err)
	}
	db := client.Database(database)
	s := &Store{client: client, db: db,
		users: db.Collection("users"), sessions: db.Collection("sessions"), tokens: db.Collection("tokens"),
		roles: db.Collection("roles"), boards: db.Collection("boards"), threads: db.Collection("threads"),
		posts: db.Collection("posts"), counters: db.Collection("counters"), notifications: db.Collection("notifications")}
	if err := s.ensureIndexes(ctx); err != nil {
		_ = client.Disconnect(context.Background())
		return nil, fmt.Errorf("mongodb indexes: %w", err)
	}
	return s, nil
}

func (s *Store) ensureIndexes(ctx context.Context) error {
	idx := []struct {
		c      *mongo.Collection
		keys   bson.D
		unique bool
	}{
		{s.users, bson.D{{Key: "username", Value: 1}}, true},
		{s.sessions, bson.D{{Key: "user_id", Value: 1}}, false},
		{s.tokens, bson.D{{Key: "token_hash", Value: 1}}, true},
		{s.roles, bson.D{{Key: "user_id", Value: 1}, {Key: "role", Value: 1}, {Key: "domain", Value: 1}}, true},
		{s.boards, bson.D{{Key: "slug", Value: 1}}, true},
		{s.boards, bson.D{{Key: "position", Value: 1}, {Key: "_id", Value: 1}}, false},
		{s.threads, bson.D{{Key: "board_id", Value: 1}, {Key: "pinned", Value: -1}, {Key: "last_activity_at", Value: -1}, {Key: "_id", Value: -1}}, false},
		{s.posts, bson.D{{Key: "thread_id", Value: 1}, {Key: "seq", Value: 1}}, true},
		{s.posts, bson.D{{Key: "thread_id", Value: 1}, {Key: "path", Value: 1}}, false},
		{s.posts, bson.D{{Key: "changed_at", Value: 1}, {Key: "_id", Value: 1}}, false},
		{s.notifications, bson.D{{Key: "user_id", Value: 1}, {Key: "_id", Value: -1}}, false},
		{s.notifications, bson.D{{Key: "user_id", Value: 1}, {Key: "read", Value: 1}}, false},
	}
	for _, i := range idx {
		m := mongo.IndexModel{Keys: i.keys}
		if i.unique {
			m.Options = options.Index().SetUnique(true)
		}
		if _, err := i.c.Indexes().CreateOne(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

// Close disconnects from the server.
func (s *Store) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return s.client.Disconnect(ctx)
}

// Ping checks that the server answers.
func (s *Store) Ping(ctx context.Context) error { return s.client.Ping(ctx, nil) }

// Drop deletes the whole database (tests).
func (s *Store) Drop(ctx context.Context) error { return s.db.Drop(ctx) }

// nextID allocates the next integer id of a collection. Ids are integers, not
// ObjectIDs, so that addresses stay short (/t/123) and match the embedded engine.
func (s *Store) nextID(ctx context.Context, name string) (int64, error) {
	var doc struct {
		N int64 `bson:"n"`
	}
	err := s.counters.FindOneAndUpdate(ctx, bson.M{"_id": name}, bson.M{"$inc": bson.M{"n": int64(1)}},
		options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)).Decode(&doc)
	return doc.N, err
}

func notFound(err error, what string) error {
	if errors.Is(err, mongo.ErrNoDocuments) {
		return fault.NotFound(what)
	}
	return err
}

func conflict(err error, code, msg string) error {
	if mongo.IsDuplicateKeyError(err) {
		return fault.Conflict(code, msg)
	}
	return err
}

// tm normalises a time for storage: BSON dates have millisecond precision, and the zero
// time is stored as null so it reads back as zero.
func tm(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC().Truncate(time.Millisecond)
	return &u
}

func fromTm(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// all decodes every document of a cursor with conv.
func all[D any, T any](ctx context.Context, cur *mongo.Cursor, err error, conv func(*D) *T) ([]*T, error) {
	if err != nil {
		return nil, err
	}
	defer cur.Close(ctx)
	var out []*T
	for cur.Next(ctx) {
		var d D
		if err := cur.Decode(&d); err != nil {
			return nil, err
		}
		out = append(out, conv(&d))
	}
	return out, cur.Err()
}
