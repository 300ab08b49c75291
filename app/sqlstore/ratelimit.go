package sqlstore

import (
	"context"
	"database/sql/driver"
	"errors"

	"jiayuan/app/ratelimit"
)

var _ ratelimit.Store = (*Store)(nil)

// HitCounter adds one to key's count in the window and returns the new count, in one
// upsert on the single write connection, so concurrent hits never lose a count.
//
// A count is worth nothing after a crash, so its commit skips the fsync that every
// other write waits for (synchronous=FULL): the connection is held for the three
// statements, so no other write can commit in between with the weaker setting.
func (s *Store) HitCounter(ctx context.Context, key string, window int64) (n int64, err error) {
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return 0, err
	}
	defer func() {
		// Back to FULL whatever happened; a connection that cannot be is thrown away.
		if _, rerr := conn.ExecContext(context.Background(), "PRAGMA synchronous = FULL"); rerr != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
			err = errors.Join(err, rerr)
		}
		_ = conn.Close()
	}()
	if _, err := conn.ExecContext(ctx, "PRAGMA synchronous = OFF"); err != nil {
		return 0, err
	}
	err = conn.QueryRowContext(ctx, `INSERT INTO rate_counters (key, "window", count) VALUES (?, ?, 1)
		ON CONFLICT (key, "window") DO UPDATE SET count = count + 1 RETURNING count`, key, window).Scan(&n)
	return n, err
}

// PurgeCounters deletes the windows that ended before before.
func (s *Store) PurgeCounters(ctx context.Context, before int64) error {
	_, err := s.w.ExecContext(ctx, `DELETE FROM rate_counters WHERE "window" < ?`, before)
	return err
}
