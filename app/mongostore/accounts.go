package mongostore

import (
	"context"
	"regexp"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo/options"

	"jiayuan/app/accounts"
	"jiayuan/app/fault"
)

var _ accounts.Store = (*Store)(nil)

type userDoc struct {
	ID           int64      `bson:"_id"`
	Username     string     `bson:"username"`
	DisplayName  string     `bson:"display_name"`
	PasswordHash string     `bson:"password_hash"`
	CreatedAt    *time.Time `bson:"created_at"`
	Banned       bool       `bson:"banned"`
	// Skeleton is accounts.Skeleton(Username), unique: look-alike names cannot coexist.
	Skeleton string `bson:"skeleton"`
}

func (d *userDoc) user() *accounts.User {
	return &accounts.User{ID: d.ID, Username: d.Username, DisplayName: d.DisplayName, PasswordHash: d.PasswordHash, CreatedAt: fromTm(d.CreatedAt), Banned: d.Banned}
}

// SetUserBanned bans or unbans a user; a ban also ends their sessions.
func (s *Store) SetUserBanned(ctx context.Context, id int64, banned bool) error {
	return s.setUser(ctx, id, bson.M{"banned": banned}, banned)
}

// SetPasswordHash replaces a user's password and ends their sessions and tokens. There
// is no transaction: a crash after the password changed leaves tokens a retried reset
// ends (the admin sees the reset fail, and a reset is safe to repeat).
func (s *Store) SetPasswordHash(ctx context.Context, id int64, hash string) error {
	if err := s.setUser(ctx, id, bson.M{"password_hash": hash}, true); err != nil {
		return err
	}
	_, err := s.tokens.DeleteMany(ctx, bson.M{"user_id": id})
	return err
}

// setUser updates a user, then (if endSessions) deletes their sessions: in that order, so
// a crash between the two leaves sessions that the banned flag or the new password
// already refuse at their next use (SessionUser checks the flag).
func (s *Store) setUser(ctx context.Context, id int64, set bson.M, endSessions bool) error {
	res, err := s.users.UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$set": set})
	if err != nil {
		return err
	}
	if res.MatchedCount == 0 {
		return fault.NotFound("user")
	}
	if endSessions {
		_, err = s.sessions.DeleteMany(ctx, bson.M{"user_id": id})
	}
	return err
}

// ListUsers pages through users by id whose username or display name starts with
// prefix, matched literally.
func (s *Store) ListUsers(ctx context.Context, prefix string, afterID int64, limit int) ([]*accounts.User, error) {
	filter := bson.M{"_id": bson.M{"$gt": afterID}}
	if prefix != "" {
		re := primitive.Regex{Pattern: "^" + regexp.QuoteMeta(prefix)}
		filter["$or"] = bson.A{bson.M{"username": re}, bson.M{"display_name": re}}
	}
	return find(ctx, s.users, filter, page(limit, bson.E{Key: "_id", Value: 1}), (*userDoc).user)
}

// CreateUser stores u and sets its id.
func (s *Store) CreateUser(ctx context.Context, u *accounts.User) error {
	id, err := s.nextID(ctx, "users")
	if err != nil {
		return err
	}
	_, err = s.users.InsertOne(ctx, userDoc{ID: id, Username: u.Username, DisplayName: u.DisplayName, PasswordHash: u.PasswordHash, CreatedAt: tm(u.CreatedAt),
		Skeleton: accounts.Skeleton(u.Username)})
	if err != nil {
		return conflict(err, "username_taken", "err_username_taken")
	}
	u.ID = id
	return nil
}

func (s *Store) oneUser(ctx context.Context, filter bson.M) (*accounts.User, error) {
	var d userDoc
	if err := s.users.FindOne(ctx, filter).Decode(&d); err != nil {
		return nil, notFound(err, "user")
	}
	return d.user(), nil
}

// UserByID returns one user.
func (s *Store) UserByID(ctx context.Context, id int64) (*accounts.User, error) {
	return s.oneUser(ctx, bson.M{"_id": id})
}

// UserByUsername returns one user by their (lower-case) username.
func (s *Store) UserByUsername(ctx context.Context, username string) (*accounts.User, error) {
	return s.oneUser(ctx, bson.M{"username": username})
}

// UsersByIDs returns the users that exist among ids.
func (s *Store) UsersByIDs(ctx context.Context, ids []int64) (map[int64]*accounts.User, error) {
	return byIDs(ctx, s.users, ids, (*userDoc).user, func(u *accounts.User) int64 { return u.ID })
}

// CountUsers counts all users.
func (s *Store) CountUsers(ctx context.Context) (int64, error) {
	return s.users.CountDocuments(ctx, bson.M{})
}

type sessionDoc struct {
	TokenHash string     `bson:"_id"`
	UserID    int64      `bson:"user_id"`
	CSRFToken string     `bson:"csrf_token"`
	CreatedAt *time.Time `bson:"created_at"`
	ExpiresAt *time.Time `bson:"expires_at"`
}

// CreateSession stores a session.
func (s *Store) CreateSession(ctx context.Context, sess *accounts.Session) error {
	_, err := s.sessions.InsertOne(ctx, sessionDoc{TokenHash: sess.TokenHash, UserID: sess.UserID, CSRFToken: sess.CSRFToken, CreatedAt: tm(sess.CreatedAt), ExpiresAt: tm(sess.ExpiresAt)})
	return err
}

// SessionByHash returns the session with this token hash.
func (s *Store) SessionByHash(ctx context.Context, hash string) (*accounts.Session, error) {
	var d sessionDoc
	if err := s.sessions.FindOne(ctx, bson.M{"_id": hash}).Decode(&d); err != nil {
		return nil, notFound(err, "session")
	}
	return d.session(), nil
}

// DeleteSession removes a session; removing a missing one is not an error.
func (s *Store) DeleteSession(ctx context.Context, hash string) error {
	_, err := s.sessions.DeleteOne(ctx, bson.M{"_id": hash})
	return err
}

type tokenDoc struct {
	ID        int64      `bson:"_id"`
	UserID    int64      `bson:"user_id"`
	Name      string     `bson:"name"`
	TokenHash string     `bson:"token_hash"`
	CreatedAt *time.Time `bson:"created_at"`
}

// CreateToken stores a personal access token and sets its id.
func (s *Store) CreateToken(ctx context.Context, t *accounts.Token) error {
	id, err := s.nextID(ctx, "tokens")
	if err != nil {
		return err
	}
	if _, err := s.tokens.InsertOne(ctx, tokenDoc{ID: id, UserID: t.UserID, Name: t.Name, TokenHash: t.TokenHash, CreatedAt: tm(t.CreatedAt)}); err != nil {
		return conflict(err, "token_exists", "err_token_exists")
	}
	t.ID = id
	return nil
}

// TokenByHash returns the token with this hash.
func (s *Store) TokenByHash(ctx context.Context, hash string) (*accounts.Token, error) {
	var d tokenDoc
	if err := s.tokens.FindOne(ctx, bson.M{"token_hash": hash}).Decode(&d); err != nil {
		return nil, notFound(err, "token")
	}
	return d.token(), nil
}

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
