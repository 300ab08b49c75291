package mongostore

import (
	"context"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
	"go.mongodb.org/mongo-driver/mongo/readconcern"
	"go.mongodb.org/mongo-driver/mongo/writeconcern"
)

// hasTransactions asks the server whether it can run multi-document transactions: a
// replica set member (hello names its set) or a mongos (msg "isdbgrid") can; a
// standalone mongod and FerretDB cannot.
func hasTransactions(ctx context.Context, client *mongo.Client) (bool, error) {
	var hello struct {
		SetName string `bson:"setName"`
		Msg     string `bson:"msg"`
	}
	admin := client.Database("admin")
	if err := admin.RunCommand(ctx, bson.D{{Key: "hello", Value: 1}}).Decode(&hello); err != nil {
		// Servers before 4.4.2 know the same answer as isMaster.
		if err := admin.RunCommand(ctx, bson.D{{Key: "isMaster", Value: 1}}).Decode(&hello); err != nil {
			return false, err
		}
	}
	return hello.SetName != "" || hello.Msg == "isdbgrid", nil
}

// atomically runs fn, a write of several documents, in one transaction when the
// deployment has them, and as the same ordered writes without one otherwise. fn is the
// one body for both: its writes are ordered so that, without a transaction, a crash
// part way leaves only what `jiayuan repair` recomputes (counters, a seq gap, an empty
// thread). With a transaction, fn may run more than once (the driver retries transient
// errors), so it must set its results afresh on every run.
//
// FerretDB, the server in the test binary, has no transactions: the transactional path
// runs in tests only against a real MongoDB replica set, when JIAYUAN_TEST_MONGODB_URI
// names one.
func (s *Store) atomically(ctx context.Context, fn func(ctx context.Context) error) error {
	if !s.txns {
		return fn(ctx)
	}
	sess, err := s.client.StartSession()
	if err != nil {
		return err
	}
	defer sess.EndSession(ctx)
	opts := options.Transaction().SetReadConcern(readconcern.Snapshot()).SetWriteConcern(writeconcern.Majority())
	_, err = sess.WithTransaction(ctx, func(sc mongo.SessionContext) (any, error) { return nil, fn(sc) }, opts)
	return err
}

// Transactions reports whether multi-document writes run in transactions here.
func (s *Store) Transactions() bool { return s.txns }
