package sqlstore

import (
	"context"
	"strings"

	"jiayuan/app/fault"
	"jiayuan/app/records"
)

var _ records.Store = (*Store)(nil)

const recordCols = `id, kind, COALESCE(key, ''), k1, k2, at, doc`

func scanRecord(row scanner) (*records.Record, error) {
	var r records.Record
	var at int64
	if err := row.Scan(&r.ID, &r.Kind, &r.Key, &r.K1, &r.K2, &at, &r.Doc); err != nil {
		return nil, err
	}
	r.At = fromMS(at)
	return &r, nil
}

// nullKey stores an empty key as NULL, which the unique index lets repeat.
func nullKey(k string) any {
	if k == "" {
		return nil
	}
	return k
}

// InsertRecord stores r and sets its id.
func (s *Store) InsertRecord(ctx context.Context, r *records.Record) error {
	res, err := s.w.ExecContext(ctx, `INSERT INTO records (kind, key, k1, k2, at, doc) VALUES (?, ?, ?, ?, ?, ?)`,
		r.Kind, nullKey(r.Key), r.K1, r.K2, ms(r.At), r.Doc)
	if err != nil {
		return conflict(err, r.Kind+"_exists", "err_record_exists", "kind", r.Kind, "key", r.Key)
	}
	r.ID, err = res.LastInsertId()
	return err
}

// RecordByID returns one record of a kind.
func (s *Store) RecordByID(ctx context.Context, kind string, id int64) (*records.Record, error) {
	r, err := scanRecord(s.queryRow(ctx, `SELECT `+recordCols+` FROM records WHERE id = ? AND kind = ?`, id, kind))
	return r, notFound(err, "record")
}

// RecordByKey returns the record of a kind with a unique key.
func (s *Store) RecordByKey(ctx context.Context, kind, key string) (*records.Record, error) {
	r, err := scanRecord(s.queryRow(ctx, `SELECT `+recordCols+` FROM records WHERE kind = ? AND key = ?`, kind, key))
	return r, notFound(err, "record")
}

// UpdateRecord replaces a record's fields if its k2 is still ifK2.
func (s *Store) UpdateRecord(ctx context.Context, r *records.Record, ifK2 string) error {
	q := `UPDATE records SET k1 = ?, k2 = ?, at = ?, doc = ? WHERE id = ? AND kind = ?`
	args := []any{r.K1, r.K2, ms(r.At), r.Doc, r.ID, r.Kind}
	if ifK2 != records.Any {
		q += ` AND k2 = ?`
		args = append(args, ifK2)
	}
	res, err := s.w.ExecContext(ctx, q, args...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 1 {
		return nil
	}
	if _, err := s.RecordByID(ctx, r.Kind, r.ID); err != nil {
		return err
	}
	return fault.Conflict(r.Kind+"_changed", "err_record_changed", "kind", r.Kind)
}

// ListRecords pages through a kind's records, newest first.
func (s *Store) ListRecords(ctx context.Context, kind string, f records.Filter, before int64, limit int) ([]*records.Record, error) {
	var where strings.Builder
	args := []any{kind}
	where.WriteString(`kind = ?`)
	if len(f.K1s) > 0 {
		where.WriteString(` AND k1 IN (` + placeholders(len(f.K1s)) + `)`)
		for _, k := range f.K1s {
			args = append(args, k)
		}
	}
	if f.K2 != "" {
		where.WriteString(` AND k2 = ?`)
		args = append(args, f.K2)
	}
	if before > 0 {
		where.WriteString(` AND id < ?`)
		args = append(args, before)
	}
	args = append(args, limit)
	return query(ctx, reads{s}, scanRecord, `SELECT `+recordCols+` FROM records WHERE `+where.String()+` ORDER BY id DESC LIMIT ?`, args...)
}
