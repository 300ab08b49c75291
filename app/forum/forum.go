// Package forum is the boards, threads and posts of Jiayuan: validation, authorization
// and the events that follow each write.
package forum

import (
	"context"
	"fmt"
	"time"

	"jiayuan/app/l10n"
)

// Board is a themed 家· board. Its name and description come in the site's languages.
type Board struct {
	ID             int64
	Slug           string
	Name           l10n.Text // in every language: CreateBoard fills the ones not given
	Description    l10n.Text
	Position       int
	Archived       bool   // read-only, listed apart; nobody posts in it
	ReadAccess     string // who may read: see Access*
	PostAccess     string // who may open threads and reply: see Access*
	ThreadCount    int64
	PostCount      int64
	LastActivityAt time.Time // zero when the board is empty
	CreatedAt      time.Time
}

// Thread is a conversation in a board; its first post (seq 1) is the opening post.
type Thread struct {
	ID             int64
	BoardID        int64
	Title          string
	AuthorID       int64
	ReplyCount     int64 // posts after the first, deleted ones included
	LastSeq        int64
	Pinned         bool
	Locked         bool
	CreatedAt      time.Time
	LastActivityAt time.Time
}

// Post is one message of a thread. Seq numbers a thread's posts 1, 2, 3… without gaps.
//
// Path orders the conversation as a tree: the path of the post it hangs under followed by
// its own zero-padded seq, so sorting by path walks the tree depth-first and a page of
// the tree is a keyset range, never a load of the whole thread.
type Post struct {
	ID         int64
	ThreadID   int64
	Seq        int64
	AuthorID   int64
	Body       string // Markdown source, as the author wrote it
	HTML       string // sanitized rendering of Body
	ReplyTo    int64  // id of the post answered, 0 for none
	ReplyToSeq int64
	Depth      int
	PathPrefix string // the path of the parent it hangs under; Place appends the seq
	Path       string
	CreatedAt  time.Time
	EditedAt   time.Time // zero if never edited
	Deleted    bool
	DeletedAt  time.Time
	Held       bool      // waiting for a moderator: seen only by its author and moderators
	ChangedAt  time.Time // the last create, edit, delete or restore; set by the store
}

// Board access levels, for reading (ReadAccess) and posting (PostAccess). The policy
// decides what each means (policy/policy.csv): the board asks for "board.<level>".
const (
	AccessPublic     = "public"     // everyone, guests included (reading only)
	AccessStaff      = "staff"      // every signed-in employee
	AccessParty      = "party"      // party members and secretaries of any branch
	AccessModerators = "moderators" // the board's moderators and admins
	// "branch:<name>": members and the secretary of one branch
)

// DefaultAccess fills in empty access levels: public reading, staff posting.
func DefaultAccess(b *Board) {
	if b.ReadAccess == "" {
		b.ReadAccess = AccessPublic
	}
	if b.PostAccess == "" {
		b.PostAccess = AccessStaff
	}
}

// ThreadPatch changes a thread; nil fields stay as they are.
type ThreadPatch struct {
	Pinned  *bool
	Locked  *bool
	BoardID *int64 // move to another board
	Title   *string
	// At is when the change is made. A move sets the changed_at of every post of the
	// thread to it, so the search indexer's catch-up redoes a reindex it lost.
	At time.Time
}

// Relocation gives a post its place in another thread, for merging and splitting.
type Relocation struct {
	PostID     int64
	Seq        int64
	Path       string
	Depth      int
	ReplyTo    int64
	ReplyToSeq int64
}

// PathSegment is the part of a path that a post adds for itself.
func PathSegment(seq int64) string { return fmt.Sprintf("%010d.", seq) }

// ThreadCursor is the position after which a board's next page of threads starts, in
// the order pinned first, then last activity, newest first, then id.
type ThreadCursor struct {
	Pinned         bool
	LastActivityAt time.Time
	ID             int64
}

// Store keeps boards, threads and posts. Missing rows are fault.ErrNotFound; a taken
// board slug is fault.ErrConflict. Counters and places are decided in this package
// (see writes.go): the engines store them.
type Store interface {
	BoardStore
	ThreadStore
	PostStore
}

// BoardStore keeps the boards.
type BoardStore interface {
	CreateBoard(ctx context.Context, b *Board) error
	BoardBySlug(ctx context.Context, slug string) (*Board, error)
	BoardByID(ctx context.Context, id int64) (*Board, error)
	ListBoards(ctx context.Context) ([]*Board, error)
	// UpdateBoard stores a board's names, descriptions, position, archive flag and access.
	UpdateBoard(ctx context.Context, b *Board) error
}

// ThreadStore keeps the threads, and moves posts between them.
type ThreadStore interface {
	// CreateThread stores t and its opening post p (seq 1) and bumps the board's
	// counters; it fills in the ids, seq and path.
	CreateThread(ctx context.Context, t *Thread, p *Post) error
	ThreadByID(ctx context.Context, id int64) (*Thread, error)
	// ListThreads returns a board's threads after the cursor (nil: from the start).
	ListThreads(ctx context.Context, boardID int64, after *ThreadCursor, limit int) ([]*Thread, error)
	// UpdateThread applies patch atomically and returns the thread as it now is. A move
	// carries the thread's counts from one board to the other.
	UpdateThread(ctx context.Context, id int64, patch ThreadPatch) (*Thread, error)
	// RelocatePosts moves posts into the thread target at the places given, in one
	// step. A target with ID 0 is created (the relocation with Seq 1 is its opening
	// post). Both threads' counters and their boards' post counts follow, every moved
	// post counts as changed, and a source thread left with no posts is deleted.
	RelocatePosts(ctx context.Context, target *Thread, from int64, moves []Relocation, at time.Time) error
}

// PostStore keeps the posts.
type PostStore interface {
	// CreatePost appends p to its thread: it allocates the next seq, sets the path,
	// and bumps the thread's and board's counters. Concurrent calls never share a seq.
	CreatePost(ctx context.Context, p *Post) error
	PostByID(ctx context.Context, id int64) (*Post, error)
	// ListPosts returns a thread's posts with seq > afterSeq in seq order.
	ListPosts(ctx context.Context, threadID, afterSeq int64, limit int) ([]*Post, error)
	// ListPostsByPath returns a thread's posts with path > afterPath in path (tree) order.
	ListPostsByPath(ctx context.Context, threadID int64, afterPath string, limit int) ([]*Post, error)
	// LastPostsByPath returns a thread's last limit posts in path (tree) order: its
	// last page in the conversation view.
	LastPostsByPath(ctx context.Context, threadID int64, limit int) ([]*Post, error)
	UpdatePostBody(ctx context.Context, id int64, body, html string, editedAt time.Time) error
	SetPostDeleted(ctx context.Context, id int64, deleted bool, at time.Time) error
	// PostsChangedSince returns posts changed after (since, afterID) in the order
	// (ChangedAt, ID), deleted ones included: how derived views (the search index)
	// catch up with the database.
	PostsChangedSince(ctx context.Context, since time.Time, afterID int64, limit int) ([]*Post, error)
	// PostsByIDs returns the posts that exist among ids.
	PostsByIDs(ctx context.Context, ids []int64) (map[int64]*Post, error)
	// SetPostHeld holds a post for review or releases it.
	SetPostHeld(ctx context.Context, id int64, held bool, at time.Time) error
	// HeldPosts returns posts waiting for review, oldest first.
	HeldPosts(ctx context.Context, limit int) ([]*Post, error)
	// HeldPostsBy returns one author's posts waiting for review in one thread, oldest first.
	HeldPostsBy(ctx context.Context, threadID, authorID int64) ([]*Post, error)
}
