// Package mongostore is Jiayuan's production storage engine on MongoDB. It uses only
// what FerretDB v1.24 also supports ($lookup, change streams, partial or TTL indexes,
// projections on findAndModify are out), so the same code runs against FerretDB in
// tests. Writes of several documents run in a transaction where the deployment has
// them (a replica set or a sharded cluster) and as ordered writes otherwise (a
// standalone server, FerretDB): see atomically.
package mongostore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"jiayuan/app/fault"
)

// Store is the MongoDB engine. It is safe for concurrent use.
type Store struct {
	client *mongo.Client
	db     *mongo.Database

	users, sessions, tokens, roles        *mongo.Collection
	boards, threads, posts, notifications *mongo.Collection
	counters, records                     *mongo.Collection
	// rateCounters are the fixed-window rate-limit counts every node shares.
	rateCounters *mongo.Collection

	txns bool // the deployment runs multi-document transactions
}

// Open connects to uri, checks that the server answers, and creates the indexes every
// query needs in database. Against FerretDB the URI must say maxPoolSize=1: FerretDB
// loses concurrent updates made over several connections.
func Open(ctx context.Context, uri, database string) (*Store, error) {
	client, err := mongo.Connect(ctx, options.Client().ApplyURI(uri))
	if err != nil {
		return nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := client.Ping(pctx, nil); err != nil {
		_ = client.Disconnect(context.Background())
		return nil, fmt.Errorf("mongodb ping: %w", err)
	}
	txns, err := hasTransactions(pctx, client)
	if err != nil {
		_ = client.Disconnect(context.Background())
		return nil, fmt.Errorf("mongodb hello: %w", err)
	}
	db := client.Database(database)
	s := &Store{client: client, db: db, txns: txns,
		users: db.Collection("users"), sessions: db.Collection("sessions"), tokens: db.Collection("tokens"),
		roles: db.Collection("roles"), boards: db.Collection("boards"), threads: db.Collection("threads"),
		posts: db.Collection("posts"), notifications: db.Collection("notifications"), counters: db.Collection("counters"),
		records: db.Collection("records")}
	s.rateCounters = db.Collection("rate_counters")
	if err := s.ensureIndexes(ctx); err != nil {
		_ = client.Disconnect(context.Background())
		return nil, fmt.Errorf("mongodb indexes: %w", err)
	}
	if _, err := s.NotifyCheckpoint(ctx); err != nil {
		_ = client.Disconnect(context.Background())
		return nil, fmt.Errorf("mongodb notify checkpoint: %w", err)
	}
	return s, nil
}

// ensureIndexes creates the index behind each query. Creating an index that exists is a
// no-op, so every start runs it.
func (s *Store) ensureIndexes(ctx context.Context) error {
	// Before the unique index on it: users stored without a skeleton would all be null.
	if err := s.fillSkeletons(ctx); err != nil {
		return fmt.Errorf("users: %w", err)
	}
	// Before the unique index on them: a database from before it may hold a
	// notification twice (a replay after a crash), and the index would not build.
	if err := s.dedupeNotifications(ctx); err != nil {
		return fmt.Errorf("notifications: %w", err)
	}
	if err := s.localizeBoards(ctx); err != nil {
		return fmt.Errorf("boards: %w", err)
	}
	type k = bson.E
	unique := options.Index().SetUnique(true)
	idx := []struct {
		c      *mongo.Collection
		models []mongo.IndexModel
	}{
		{s.users, []mongo.IndexModel{{Keys: bson.D{k{Key: "username", Value: 1}}, Options: unique},
			// Its own options: the driver writes the generated name into the options it
			// is given, so a shared one would name this index after the one before.
			{Keys: bson.D{k{Key: "skeleton", Value: 1}}, Options: options.Index().SetUnique(true).SetName("skeleton_1")}}},
		{s.sessions, []mongo.IndexModel{{Keys: bson.D{k{Key: "user_id", Value: 1}}}, {Keys: bson.D{k{Key: "expires_at", Value: 1}}}}},
		{s.tokens, []mongo.IndexModel{{Keys: bson.D{k{Key: "token_hash", Value: 1}}, Options: unique},
			{Keys: bson.D{k{Key: "user_id", Value: 1}, k{Key: "_id", Value: 1}}}}},
		{s.roles, []mongo.IndexModel{{Keys: bson.D{k{Key: "user_id", Value: 1}, k{Key: "role", Value: 1}, k{Key: "domain", Value: 1}}, Options: unique}}},
		{s.boards, []mongo.IndexModel{
			{Keys: bson.D{k{Key: "slug", Value: 1}}, Options: unique},
			{Keys: bson.D{k{Key: "position", Value: 1}, k{Key: "_id", Value: 1}}},
		}},
		{s.threads, []mongo.IndexModel{
			{Keys: bson.D{k{Key: "board_id", Value: 1}, k{Key: "pinned", Value: -1}, k{Key: "last_activity_at", Value: -1}, k{Key: "_id", Value: -1}}},
		}},
		{s.posts, []mongo.IndexModel{
			// Unique: the last line of defence against two posts sharing a seq.
			{Keys: bson.D{k{Key: "thread_id", Value: 1}, k{Key: "seq", Value: 1}}, Options: unique},
			{Keys: bson.D{k{Key: "thread_id", Value: 1}, k{Key: "path", Value: 1}}},
			{Keys: bson.D{k{Key: "changed_at", Value: 1}, k{Key: "_id", Value: 1}}},
			{Keys: bson.D{k{Key: "thread_id", Value: 1}, k{Key: "changed_at", Value: 1}}},
			{Keys: bson.D{k{Key: "held", Value: 1}, k{Key: "_id", Value: 1}}},
		}},
		{s.records, []mongo.IndexModel{
			{Keys: bson.D{k{Key: "kind", Value: 1}, k{Key: "key", Value: 1}}, Options: unique},
			{Keys: bson.D{k{Key: "kind", Value: 1}, k{Key: "k1", Value: 1}, k{Key: "_id", Value: -1}}},
			{Keys: bson.D{k{Key: "kind", Value: 1}, k{Key: "k2", Value: 1}, k{Key: "_id", Value: -1}}},
		}},
		{s.rateCounters, []mongo.IndexModel{{Keys: bson.D{k{Key: "window", Value: 1}}}}},
		{s.notifications, []mongo.IndexModel{
			{Keys: bson.D{k{Key: "user_id", Value: 1}, k{Key: "_id", Value: -1}}},
			{Keys: bson.D{k{Key: "user_id", Value: 1}, k{Key: "read", Value: 1}}},
			// Unique: a replay after a crash writes no notification twice.
			{Keys: bson.D{k{Key: "user_id", Value: 1}, k{Key: "post_id", Value: 1}, k{Key: "kind", Value: 1}}, Options: unique},
		}},
	}
	for _, i := range idx {
		// One index per command: FerretDB v1.24 drops the connection (a slice-bounds
		// panic) when one createIndexes names two indexes that already exist, as every
		// restart does.
		for _, m := range i.models {
			if _, err := i.c.Indexes().CreateOne(ctx, m); err != nil {
				return fmt.Errorf("%s: %w", i.c.Name(), err)
			}
		}
	}
	return nil
}

// dedupeNotifications keeps the first (lowest id) of the notifications sharing a user,
// post and kind and deletes the others, unless the unique index already rules them
// out. It reads the keys in order rather than grouping on the server: FerretDB's
// aggregation lacks most accumulators.
func (s *Store) dedupeNotifications(ctx context.Context) error {
	specs, err := s.notifications.Indexes().ListSpecifications(ctx)
	if err != nil {
		return err
	}
	// By its keys, not its name: the shared options above once named it after the
	// users' index.
	for _, sp := range specs {
		if sp.Unique == nil || !*sp.Unique {
			continue
		}
		var names []string
		if els, err := sp.KeysDocument.Elements(); err == nil {
			for _, e := range els {
				names = append(names, e.Key())
			}
		}
		if strings.Join(names, ",") == "user_id,post_id,kind" {
			return nil
		}
	}
	type key struct {
		ID     int64  `bson:"_id"`
		UserID int64  `bson:"user_id"`
		PostID int64  `bson:"post_id"`
		Kind   string `bson:"kind"`
	}
	cur, err := s.notifications.Find(ctx, bson.M{}, options.Find().
		SetSort(bson.D{{Key: "user_id", Value: 1}, {Key: "post_id", Value: 1}, {Key: "kind", Value: 1}, {Key: "_id", Value: 1}}).
		SetProjection(bson.M{"user_id": 1, "post_id": 1, "kind": 1}))
	if err != nil {
		return err
	}
	defer cur.Close(ctx)
	var prev key
	var dups []int64
	for first := true; cur.Next(ctx); first = false {
		var d key
		if err := cur.Decode(&d); err != nil {
			return err
		}
		if !first && d.UserID == prev.UserID && d.PostID == prev.PostID && d.Kind == prev.Kind {
			dups = append(dups, d.ID)
			continue
		}
		prev = d
	}
	if err := cur.Err(); err != nil {
		return err
	}
	for len(dups) > 0 {
		n := min(len(dups), 1000)
		if _, err := s.notifications.DeleteMany(ctx, bson.M{"_id": bson.M{"$in": dups[:n]}}); err != nil {
			return err
		}
		dups = dups[n:]
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

// nextID allocates the next integer id of a collection.
func (s *Store) nextID(ctx context.Context, name string) (int64, error) {
	return s.nextIDs(ctx, name, 1)
}

// nextIDs allocates n consecutive ids of a collection and returns the last: the block
// is last-n+1 … last. Ids are integers, not ObjectIDs, so that addresses stay short
// (/t/123) and match the embedded engine.
func (s *Store) nextIDs(ctx context.Context, name string, n int64) (int64, error) {
	var doc struct {
		N int64 `bson:"n"`
	}
	opts := options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)
	var err error
	// Two first-ever allocations can race to upsert the counter; the loser gets a
	// duplicate key and, the document now existing, succeeds on the retry.
	for try := 0; try < 2; try++ {
		err = s.counters.FindOneAndUpdate(ctx, bson.M{"_id": name}, bson.M{"$inc": bson.M{"n": n}}, opts).Decode(&doc)
		if !mongo.IsDuplicateKeyError(err) {
			break
		}
	}
	return doc.N, err
}

func notFound(err error, what string) error {
	if errors.Is(err, mongo.ErrNoDocuments) {
		return fault.NotFound(what)
	}
	return err
}

func conflict(err error, code, key string, args ...any) error {
	if mongo.IsDuplicateKeyError(err) {
		return fault.Conflict(code, key, args...)
	}
	return err
}

// tm normalises a time for storage: BSON dates have millisecond precision, and the zero
// time is stored as null so that it reads back as zero.
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

// bumpLast adds to an update the move of last_activity_at to at, forward only:
// concurrent writers can finish out of order. $max is in FerretDB's subset and matches
// the MAX() of the SQLite engine.
func bumpLast(update bson.M, at time.Time) bson.M {
	if t := tm(at); t != nil {
		update["$max"] = bson.M{"last_activity_at": t}
	}
	return update
}

// find runs a query and decodes every document with conv.
func find[D any, T any](ctx context.Context, c *mongo.Collection, filter any, opts *options.FindOptions, conv func(*D) *T) ([]*T, error) {
	cur, err := c.Find(ctx, filter, opts)
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

// byIDs finds the documents among ids and returns them by id.
func byIDs[D any, T any](ctx context.Context, c *mongo.Collection, ids []int64, conv func(*D) *T, id func(*T) int64) (map[int64]*T, error) {
	out := make(map[int64]*T, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	vs, err := find(ctx, c, bson.M{"_id": bson.M{"$in": ids}}, nil, conv)
	for _, v := range vs {
		out[id(v)] = v
	}
	return out, err
}

// page sorts and limits a keyset page. Callers return nothing for a limit below 1, as
// SQL's LIMIT 0 does, since MongoDB reads limit 0 as "no limit".
func page(limit int, sort ...bson.E) *options.FindOptions {
	return options.Find().SetSort(bson.D(sort)).SetLimit(int64(limit))
}
