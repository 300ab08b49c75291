// Package sqlstore is Jiayuan's embedded storage engine: one SQLite file (pure Go, no
// cgo) in WAL mode, with versioned migrations and an index for every query.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"jiayuan/app/fault"
)

// Store is the SQLite engine. All writes go through one connection, so writers queue in
// Go instead of failing with SQLITE_BUSY; reads use a pool that WAL lets run beside it.
type Store struct {
	w     *sql.DB  // exactly one connection: every write and transaction
	r     *sql.DB  // read-only pool
	stmts sync.Map // SQL text → *sql.Stmt on the read pool
}

// Open creates or opens the database file at path and brings its schema up to date.
func Open(ctx context.Context, path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, err
	}
	// synchronous=FULL: a commit is on disk before we answer 201, so an acknowledged
	// write survives even a power cut, not only a process crash.
	pragmas := []string{"journal_mode(WAL)", "synchronous(FULL)", "busy_timeout(10000)", "foreign_keys(ON)", "temp_store(MEMORY)", "cache_size(-4000)"}
	dsn := func(extra ...string) string {
		q := url.Values{}
		for _, p := range append(pragmas, extra...) {
			q.Add("_pragma", p)
		}
		q.Set("_txlock", "immediate")
		return "file:" + path + "?" + q.Encode()
	}
	w, err := sql.Open("sqlite", dsn())
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxLifetime(0)
	r, err := sql.Open("sqlite", dsn("query_only(ON)"))
	if err != nil {
		w.Close()
		return nil, err
	}
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(8)
	s := &Store{w: w, r: r}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("migrate %s: %w", path, err)
	}
	return s, nil
}

// Close closes both pools.
func (s *Store) Close() error {
	s.stmts.Range(func(_, v any) bool { v.(*sql.Stmt).Close(); return true })
	return errors.Join(s.r.Close(), s.w.Close())
}

// prepared returns the read statement for q, prepared once and reused: parsing SQL
// was a tenth of the time of an uncached page.
func (s *Store) prepared(ctx context.Context, q string) (*sql.Stmt, error) {
	if st, ok := s.stmts.Load(q); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := s.r.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	if prev, loaded := s.stmts.LoadOrStore(q, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

// errRow is a row whose statement could not be prepared.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

func (s *Store) queryRow(ctx context.Context, q string, args ...any) scanner {
	st, err := s.prepared(ctx, q)
	if err != nil {
		return errRow{err}
	}
	return st.QueryRowContext(ctx, args...)
}

// scanner is a row to scan: *sql.Row or *sql.Rows.
type scanner interface{ Scan(...any) error }

// querier runs a query: the read pool (see reads), a transaction, or a pool itself.
type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

// reads is the read pool through the statement cache (see prepared).
type reads struct{ s *Store }

func (r reads) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := r.s.prepared(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// each runs q on db and calls fn with every row as scan reads it: the one loop over
// rows of this engine.
func each[T any](ctx context.Context, db querier, scan func(scanner) (T, error), fn func(T) error, q string, args ...any) error {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return err
		}
		if err := fn(v); err != nil {
			return err
		}
	}
	return rows.Err()
}

// scanInt reads a row of one integer.
func scanInt(row scanner) (n int64, err error) { return n, row.Scan(&n) }

// query runs q on db and returns every row as scan reads it.
func query[T any](ctx context.Context, db querier, scan func(scanner) (T, error), q string, args ...any) ([]T, error) {
	var out []T
	err := each(ctx, db, scan, func(v T) error { out = append(out, v); return nil }, q, args...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	return s.queryRow(ctx, "SELECT 1").Scan(&one)
}

// tx runs fn in a write transaction (BEGIN IMMEDIATE, through _txlock).
func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	t, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(t); err != nil {
		_ = t.Rollback()
		return err
	}
	return t.Commit()
}

// changedOne runs a conditional write and says whether it changed the one row it is
// about: the compare-and-set of checkpoints and counters.
func (s *Store) changedOne(ctx context.Context, q string, args ...any) (bool, error) {
	res, err := s.w.ExecContext(ctx, q, args...)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ms and fromMS store times as Unix milliseconds; 0 is the zero time.
func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.UnixMilli(n).UTC()
}

func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fault.NotFound(what)
	}
	return err
}

// conflict turns a UNIQUE violation into the domain's conflict error.
func conflict(err error, code, key string, args ...any) error {
	if err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed") {
		return fault.Conflict(code, key, args...)
	}
	return err
}

// placeholders returns "?,?,…" for n values.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}
