package mongostore

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"jiayuan/app/accounts"
	"jiayuan/app/fault"
)

func (d *sessionDoc) session() *accounts.Session {
	return &accounts.Session{TokenHash: d.TokenHash, UserID: d.UserID, CSRFToken: d.CSRFToken, CreatedAt: fromTm(d.CreatedAt), ExpiresAt: fromTm(d.ExpiresAt)}
}

func (d *tokenDoc) token() *accounts.Token {
	return &accounts.Token{ID: d.ID, UserID: d.UserID, Name: d.Name, TokenHash: d.TokenHash, CreatedAt: fromTm(d.CreatedAt)}
}

// ListSessions returns a user's sessions, newest first.
func (s *Store) ListSessions(ctx context.Context, userID int64) ([]*accounts.Session, error) {
	opts := options.Find().SetSort(bson.D{{Key: "created_at", Value: -1}, {Key: "_id", Value: 1}})
	return find(ctx, s.sessions, bson.M{"user_id": userID}, opts, (*sessionDoc).session)
}

// DeleteExpiredSessions deletes the sessions expired at or before now and returns the
// distinct ids of their users. Sessions made meanwhile expire later, so the find and
// the delete see the same ones.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) ([]int64, error) {
	filter := bson.M{"expires_at": bson.M{"$lte": tm(now)}}
	expired, err := find(ctx, s.sessions, filter, nil, (*sessionDoc).session)
	if err != nil || len(expired) == 0 {
		return nil, err
	}
	if _, err := s.sessions.DeleteMany(ctx, filter); err != nil {
		return nil, err
	}
	var users []int64
	seen := map[int64]bool{}
	for _, e := range expired {
		if !seen[e.UserID] {
			seen[e.UserID] = true
			users = append(users, e.UserID)
		}
	}
	return users, nil
}

// ListTokens returns a user's tokens, oldest first.
func (s *Store) ListTokens(ctx context.Context, userID int64) ([]*accounts.Token, error) {
	return find(ctx, s.tokens, bson.M{"user_id": userID}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}), (*tokenDoc).token)
}

// DeleteToken deletes token id if it is userID's.
func (s *Store) DeleteToken(ctx context.Context, userID, id int64) error {
	res, err := s.tokens.DeleteOne(ctx, bson.M{"_id": id, "user_id": userID})
	if err != nil {
		return err
	}
	if res.DeletedCount == 0 {
		return fault.NotFound("token")
	}
	return nil
}

// fillSkeletons computes the skeleton of users stored before it was kept, before the
// unique index on it is built. Two existing users whose names look alike cannot share
// it: the later one keeps a marked form no new name can produce.
func (s *Store) fillSkeletons(ctx context.Context) error {
	todo, err := find(ctx, s.users, bson.M{"skeleton": bson.M{"$exists": false}}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}), func(d *userDoc) *userDoc { return d })
	if err != nil || len(todo) == 0 {
		return err
	}
	for _, d := range todo {
		sk := accounts.Skeleton(d.Username)
		n, err := s.users.CountDocuments(ctx, bson.M{"skeleton": sk})
		if err != nil {
			return err
		}
		if n > 0 {
			sk = accounts.DuplicateSkeleton(sk, d.ID)
		}
		if _, err := s.users.UpdateOne(ctx, bson.M{"_id": d.ID}, bson.M{"$set": bson.M{"skeleton": sk}}); err != nil {
			return err
		}
	}
	return nil
}
