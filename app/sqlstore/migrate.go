package sqlstore

import (
	"context"
	"database/sql"
)

// migrations are applied in order, each once, each in its own transaction. Never edit
// one that has shipped: add a new one.
var migrations = []string{
	// 1: the forum's foundation.
	`CREATE TABLE users (
		id INTEGER PRIMARY KEY,
		username TEXT NOT NULL UNIQUE,
		display_name TEXT NOT NULL,
		password_hash TEXT NOT NULL,
		created_at INTEGER NOT NULL
	);
	CREATE TABLE sessions (
		token_hash TEXT PRIMARY KEY,
		user_id INTEGER NOT NULL REFERENCES users(id),
		csrf_token TEXT NOT NULL,
		created_at INTEGER NOT NULL,
		expires_at INTEGER NOT NULL
	) WITHOUT ROWID;
	CREATE INDEX sessions_user ON sessions(user_id);
	CREATE TABLE tokens (
		id INTEGER PRIMARY KEY,
		user_id INTEGER NOT NULL REFERENCES users(id),
		name TEXT NOT NULL,
		token_hash TEXT NOT NULL UNIQUE,
		created_at INTEGER NOT NULL
	);
	CREATE TABLE roles (
		user_id INTEGER NOT NULL REFERENCES users(id),
		role TEXT NOT NULL,
		domain TEXT NOT NULL,
		PRIMARY KEY (user_id, role, domain)
	) WITHOUT ROWID;
	CREATE TABLE boards (
		id INTEGER PRIMARY KEY,
		slug TEXT NOT NULL UNIQUE,
		name TEXT NOT NULL, name_hant TEXT NOT NULL, name_en TEXT NOT NULL,
		description TEXT NOT NULL, description_hant TEXT NOT NULL, description_en TEXT NOT NULL,
		position INTEGER NOT NULL,
		thread_count INTEGER NOT NULL DEFAULT 0,
		post_count INTEGER NOT NULL DEFAULT 0,
		last_activity_at INTEGER NOT NULL DEFAULT 0,
		created_at INTEGER NOT NULL
	);
	CREATE TABLE threads (
		id INTEGER PRIMARY KEY,
		board_id INTEGER NOT NULL REFERENCES boards(id),
		title TEXT NOT NULL,
		author_id INTEGER NOT NULL REFERENCES users(id),
		reply_count INTEGER NOT NULL DEFAULT 0,
		last_seq INTEGER NOT NULL DEFAULT 0,
		pinned INTEGER NOT NULL DEFAULT 0,
		locked INTEGER NOT NULL DEFAULT 0,
		created_at INTEGER NOT NULL,
		last_activity_at INTEGER NOT NULL
	);
	CREATE INDEX threads_board_order ON threads(board_id, pinned DESC, last_activity_at DESC, id DESC);
	CREATE TABLE posts (
		id INTEGER PRIMARY KEY,
		thread_id INTEGER NOT NULL REFERENCES threads(id),
		seq INTEGER NOT NULL,
		author_id INTEGER NOT NULL REFERENCES users(id),
		body TEXT NOT NULL,
		html TEXT NOT NULL,
		reply_to INTEGER NOT NULL DEFAULT 0,
		reply_to_seq INTEGER NOT NULL DEFAULT 0,
		depth INTEGER NOT NULL DEFAULT 0,
		path TEXT NOT NULL,
		created_at INTEGER NOT NULL,
		edited_at INTEGER NOT NULL DEFAULT 0,
		deleted INTEGER NOT NULL DEFAULT 0,
		deleted_at INTEGER NOT NULL DEFAULT 0,
		UNIQUE (thread_id, seq)
	);
	CREATE INDEX posts_thread_path ON posts(thread_id, path);`,

	// 2: notifications of replies and mentions.
	`CREATE TABLE notifications (
		id INTEGER PRIMARY KEY,
		user_id INTEGER NOT NULL REFERENCES users(id),
		kind TEXT NOT NULL,
		actor_id INTEGER NOT NULL,
		thread_id INTEGER NOT NULL,
		post_id INTEGER NOT NULL,
		post_seq INTEGER NOT NULL,
		created_at INTEGER NOT NULL,
		read INTEGER NOT NULL DEFAULT 0
	);
	CREATE INDEX notifications_user ON notifications(user_id, id DESC);
	CREATE INDEX notifications_unread ON notifications(user_id, read);`,

	// 3: when each post last changed, for the search index to catch up from.
	`ALTER TABLE posts ADD COLUMN changed_at INTEGER NOT NULL DEFAULT 0;
	UPDATE posts SET changed_at = MAX(created_at, edited_at, deleted_at);
	CREATE INDEX posts_changed ON posts(changed_at, id);`,

	// 4: roles and moderation: board access and archiving, held posts, banned users,
	// and the generic records (reports, silences, branches, audit, edit history, words).
	`ALTER TABLE boards ADD COLUMN archived INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE boards ADD COLUMN read_access TEXT NOT NULL DEFAULT 'public';
	ALTER TABLE boards ADD COLUMN post_access TEXT NOT NULL DEFAULT 'staff';
	ALTER TABLE posts ADD COLUMN held INTEGER NOT NULL DEFAULT 0;
	CREATE INDEX posts_held ON posts(id) WHERE held = 1;
	ALTER TABLE users ADD COLUMN banned INTEGER NOT NULL DEFAULT 0;
	CREATE TABLE records (
		id INTEGER PRIMARY KEY,
		kind TEXT NOT NULL,
		key TEXT,
		k1 TEXT NOT NULL,
		k2 TEXT NOT NULL,
		at INTEGER NOT NULL,
		doc BLOB NOT NULL
	);
	CREATE UNIQUE INDEX records_key ON records(kind, key);
	CREATE INDEX records_k1 ON records(kind, k1, id);
	CREATE INDEX records_k2 ON records(kind, k2, id);`,

	// 5: the confusable skeleton of each username (accounts.Skeleton), unique, so that
	// look-alike names cannot both exist; fillSkeletons computes it for existing users.
	// Personal access tokens are listed per user.
	`ALTER TABLE users ADD COLUMN skeleton TEXT;
	CREATE UNIQUE INDEX users_skeleton ON users(skeleton);
	CREATE INDEX tokens_user ON tokens(user_id, id);
	CREATE INDEX sessions_expires ON sessions(expires_at);`,
	// 6: fixed-window rate-limit counts shared by every process on this database; a
	// window is named by the Unix second it ends.
	`CREATE TABLE rate_counters (
		key TEXT NOT NULL,
		"window" INTEGER NOT NULL,
		count INTEGER NOT NULL,
		PRIMARY KEY (key, "window")
	) WITHOUT ROWID;
	CREATE INDEX rate_counters_window ON rate_counters("window");`,
	// 7: each notification is written once (a replay after a crash writes nothing
	// twice), and the notifier's checkpoint: the posts table is its outbox.
	`DELETE FROM notifications WHERE id NOT IN (SELECT MIN(id) FROM notifications GROUP BY user_id, post_id, kind);
	CREATE UNIQUE INDEX notifications_once ON notifications(user_id, post_id, kind);
	CREATE TABLE checkpoints (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
	INSERT INTO checkpoints (name, value) SELECT 'notify', COALESCE(MAX(id), 0) FROM posts;`,
	// 8: a returning socket's catch-up reads what changed in its own thread only.
	`CREATE INDEX posts_thread_changed ON posts(thread_id, changed_at);`,
	// 9: a board's name and its description are one JSON object each, by language
	// (l10n.Text), so that a language is no new column.
	`ALTER TABLE boards ADD COLUMN names TEXT NOT NULL DEFAULT '{}';
	ALTER TABLE boards ADD COLUMN descriptions TEXT NOT NULL DEFAULT '{}';
	UPDATE boards SET names = json_object('zh-Hans', name, 'zh-Hant', name_hant, 'en', name_en),
		descriptions = json_object('zh-Hans', description, 'zh-Hant', description_hant, 'en', description_en);
	ALTER TABLE boards DROP COLUMN name;
	ALTER TABLE boards DROP COLUMN name_hant;
	ALTER TABLE boards DROP COLUMN name_en;
	ALTER TABLE boards DROP COLUMN description;
	ALTER TABLE boards DROP COLUMN description_hant;
	ALTER TABLE boards DROP COLUMN description_en;`,
}

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		return err
	}
	var current int
	if err := s.w.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return err
	}
	for v := current + 1; v <= len(migrations); v++ {
		err := s.tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, migrations[v-1]); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, strftime('%s','now'))`, v)
			return err
		})
		if err != nil {
			return err
		}
	}
	return s.fillSkeletons(ctx)
}
