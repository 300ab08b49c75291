package mongostore

import (
	"context"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"jiayuan/policy"
)

var _ policy.Store = (*Store)(nil)

// roleDoc is one assignment; the unique index on all three fields makes roles a set.
type roleDoc struct {
	UserID int64  `bson:"user_id"`
	Role   string `bson:"role"`
	Domain string `bson:"domain"`
}

func (d *roleDoc) assignment() *policy.Assignment {
	return &policy.Assignment{UserID: d.UserID, Role: d.Role, Domain: d.Domain}
}

// AddRole stores a role assignment; one that exists already is left as it is.
func (s *Store) AddRole(ctx context.Context, a policy.Assignment) error {
	_, err := s.roles.InsertOne(ctx, roleDoc{UserID: a.UserID, Role: a.Role, Domain: a.Domain})
	if mongo.IsDuplicateKeyError(err) {
		return nil // granted before, or by a concurrent identical grant
	}
	return err
}

// RemoveRole deletes a role assignment; removing a missing one is not an error.
func (s *Store) RemoveRole(ctx context.Context, a policy.Assignment) error {
	_, err := s.roles.DeleteOne(ctx, roleDoc{UserID: a.UserID, Role: a.Role, Domain: a.Domain})
	return err
}

// ListRoles returns every role assignment.
func (s *Store) ListRoles(ctx context.Context) ([]policy.Assignment, error) {
	sort := bson.D{{Key: "user_id", Value: 1}, {Key: "role", Value: 1}, {Key: "domain", Value: 1}}
	rs, err := find(ctx, s.roles, bson.M{}, options.Find().SetSort(sort), (*roleDoc).assignment)
	out := make([]policy.Assignment, len(rs))
	for i, r := range rs {
		out[i] = *r
	}
	return out, err
}
