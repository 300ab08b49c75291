package mongostore

import (
	"context"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"jiayuan/app/fault"
	"jiayuan/app/records"
)

var _ records.Store = (*Store)(nil)

type recordDoc struct {
	ID   int64      `bson:"_id"`
	Kind string     `bson:"kind"`
	Key  string     `bson:"key"`
	K1   string     `bson:"k1"`
	K2   string     `bson:"k2"`
	At   *time.Time `bson:"at"`
	Doc  []byte     `bson:"doc"`
}

// noKey marks a record without a unique key. FerretDB has no partial or sparse
// indexes, so such records get a key of their own that no real key can equal.
const noKey = "\x00id:"

func (d *recordDoc) record() *records.Record {
	r := &records.Record{ID: d.ID, Kind: d.Kind, Key: d.Key, K1: d.K1, K2: d.K2, At: fromTm(d.At), Doc: d.Doc}
	if strings.HasPrefix(r.Key, noKey) {
		r.Key = ""
	}
	return r
}

// InsertRecord stores r and sets its id; a taken key is a conflict.
func (s *Store) InsertRecord(ctx context.Context, r *records.Record) error {
	id, err := s.nextID(ctx, "records")
	if err != nil {
		return err
	}
	key := r.Key
	if key == "" {
		key = noKey + strconv.FormatInt(id, 10)
	}
	_, err = s.records.InsertOne(ctx, recordDoc{ID: id, Kind: r.Kind, Key: key, K1: r.K1, K2: r.K2, At: tm(r.At), Doc: r.Doc})
	if err != nil {
		return conflict(err, r.Kind+"_exists", "err_record_exists", "kind", r.Kind, "key", r.Key)
	}
	r.ID = id
	return nil
}

func (s *Store) oneRecord(ctx context.Context, filter bson.M, kind string) (*records.Record, error) {
	var d recordDoc
	if err := s.records.FindOne(ctx, filter).Decode(&d); err != nil {
		return nil, notFound(err, "record")
	}
	return d.record(), nil
}

// RecordByID returns one record of a kind.
func (s *Store) RecordByID(ctx context.Context, kind string, id int64) (*records.Record, error) {
	return s.oneRecord(ctx, bson.M{"_id": id, "kind": kind}, kind)
}

// RecordByKey returns the record of a kind with a unique key.
func (s *Store) RecordByKey(ctx context.Context, kind, key string) (*records.Record, error) {
	if key == "" {
		return nil, fault.NotFound("record")
	}
	return s.oneRecord(ctx, bson.M{"kind": kind, "key": key}, kind)
}

// UpdateRecord replaces a record's fields if its k2 is still ifK2, in one atomic update.
func (s *Store) UpdateRecord(ctx context.Context, r *records.Record, ifK2 string) error {
	filter := bson.M{"_id": r.ID, "kind": r.Kind}
	if ifK2 != records.Any {
		filter["k2"] = ifK2
	}
	res, err := s.records.UpdateOne(ctx, filter, bson.M{"$set": bson.M{"k1": r.K1, "k2": r.K2, "at": tm(r.At), "doc": r.Doc}})
	if err != nil {
		return err
	}
	if res.MatchedCount == 1 {
		return nil
	}
	if _, err := s.RecordByID(ctx, r.Kind, r.ID); err != nil {
		return err
	}
	return fault.Conflict(r.Kind+"_changed", "err_record_changed", "kind", r.Kind)
}

// ListRecords pages through a kind's records, newest first.
func (s *Store) ListRecords(ctx context.Context, kind string, f records.Filter, before int64, limit int) ([]*records.Record, error) {
	filter := bson.M{"kind": kind}
	if len(f.K1s) > 0 {
		filter["k1"] = bson.M{"$in": f.K1s}
	}
	if f.K2 != "" {
		filter["k2"] = f.K2
	}
	if before > 0 {
		filter["_id"] = bson.M{"$lt": before}
	}
	return find(ctx, s.records, filter, page(limit, bson.E{Key: "_id", Value: -1}), (*recordDoc).record)
}
