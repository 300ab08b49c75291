package sqlstore

import (
	"context"

	"jiayuan/app/fault"
	"jiayuan/policy"
)

var _ policy.Store = (*Store)(nil)

// AddRole stores a role assignment; an existing one is left as it is.
func (s *Store) AddRole(ctx context.Context, a policy.Assignment) error {
	_, err := s.w.ExecContext(ctx, `INSERT OR IGNORE INTO roles (user_id, role, domain) VALUES (?, ?, ?)`, a.UserID, a.Role, a.Domain)
	if err != nil && isForeignKey(err) {
		return fault.NotFound("user")
	}
	return err
}

// RemoveRole deletes a role assignment.
func (s *Store) RemoveRole(ctx context.Context, a policy.Assignment) error {
	_, err := s.w.ExecContext(ctx, `DELETE FROM roles WHERE user_id = ? AND role = ? AND domain = ?`, a.UserID, a.Role, a.Domain)
	return err
}

// ListRoles returns every role assignment.
func (s *Store) ListRoles(ctx context.Context) ([]policy.Assignment, error) {
	return query(ctx, reads{s}, func(row scanner) (a policy.Assignment, err error) {
		return a, row.Scan(&a.UserID, &a.Role, &a.Domain)
	}, `SELECT user_id, role, domain FROM roles ORDER BY user_id, role, domain`)
}
