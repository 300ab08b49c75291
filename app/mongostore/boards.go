package mongostore

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"jiayuan/app/fault"
	"jiayuan/app/forum"
	"jiayuan/app/l10n"
)

var _ forum.BoardStore = (*Store)(nil)

type boardDoc struct {
	ID             int64      `bson:"_id"`
	Slug           string     `bson:"slug"`
	Names          l10n.Text  `bson:"names"`
	Descriptions   l10n.Text  `bson:"descriptions"`
	Position       int        `bson:"position"`
	Archived       bool       `bson:"archived"`
	ReadAccess     string     `bson:"read_access"`
	PostAccess     string     `bson:"post_access"`
	ThreadCount    int64      `bson:"thread_count"`
	PostCount      int64      `bson:"post_count"`
	LastActivityAt *time.Time `bson:"last_activity_at"`
	CreatedAt      *time.Time `bson:"created_at"`
}

func (d *boardDoc) board() *forum.Board {
	b := &forum.Board{ID: d.ID, Slug: d.Slug, Name: d.Names, Description: d.Descriptions, Position: d.Position, Archived: d.Archived, ReadAccess: d.ReadAccess, PostAccess: d.PostAccess,
		ThreadCount: d.ThreadCount, PostCount: d.PostCount, LastActivityAt: fromTm(d.LastActivityAt), CreatedAt: fromTm(d.CreatedAt)}
	forum.DefaultAccess(b) // boards stored before access levels existed
	return b
}

// CreateBoard stores b and sets its id; a taken slug is a conflict.
func (s *Store) CreateBoard(ctx context.Context, b *forum.Board) error {
	forum.DefaultAccess(b)
	id, err := s.nextID(ctx, "boards")
	if err != nil {
		return err
	}
	_, err = s.boards.InsertOne(ctx, boardDoc{ID: id, Slug: b.Slug, Names: b.Name, Descriptions: b.Description, Position: b.Position,
		Archived: b.Archived, ReadAccess: b.ReadAccess, PostAccess: b.PostAccess,
		ThreadCount: b.ThreadCount, PostCount: b.PostCount, LastActivityAt: tm(b.LastActivityAt), CreatedAt: tm(b.CreatedAt)})
	if err != nil {
		return conflict(err, "board_exists", "err_board_exists")
	}
	b.ID = id
	return nil
}

func (s *Store) oneBoard(ctx context.Context, filter bson.M) (*forum.Board, error) {
	var d boardDoc
	if err := s.boards.FindOne(ctx, filter).Decode(&d); err != nil {
		return nil, notFound(err, "board")
	}
	return d.board(), nil
}

// BoardBySlug returns one board.
func (s *Store) BoardBySlug(ctx context.Context, slug string) (*forum.Board, error) {
	return s.oneBoard(ctx, bson.M{"slug": slug})
}

// BoardByID returns one board.
func (s *Store) BoardByID(ctx context.Context, id int64) (*forum.Board, error) {
	return s.oneBoard(ctx, bson.M{"_id": id})
}

// ListBoards returns every board in display order.
func (s *Store) ListBoards(ctx context.Context) ([]*forum.Board, error) {
	sort := bson.D{{Key: "position", Value: 1}, {Key: "_id", Value: 1}}
	return find(ctx, s.boards, bson.M{}, options.Find().SetSort(sort), (*boardDoc).board)
}

// bumpBoards applies changes of boards' counters that the forum decided (see
// forum.BoardDelta), each in one atomic update. Counters are derived facts: when this
// runs after a transaction (or without one), a crash between the inserts and this
// update leaves them behind, and `jiayuan repair` recomputes them.
func (s *Store) bumpBoards(ctx context.Context, ds ...forum.BoardDelta) error {
	for _, d := range ds {
		_, err := s.boards.UpdateOne(ctx, bson.M{"_id": d.BoardID},
			bumpLast(bson.M{"$inc": bson.M{"thread_count": d.Threads, "post_count": d.Posts}}, d.At))
		if err != nil {
			return err
		}
	}
	return nil
}

// UpdateBoard stores a board's editable fields.
func (s *Store) UpdateBoard(ctx context.Context, b *forum.Board) error {
	res, err := s.boards.UpdateOne(ctx, bson.M{"_id": b.ID}, bson.M{"$set": bson.M{
		"names": b.Name, "descriptions": b.Description, "position": b.Position, "archived": b.Archived, "read_access": b.ReadAccess, "post_access": b.PostAccess}})
	if err != nil {
		return err
	}
	if res.MatchedCount == 0 {
		return fault.NotFound("board")
	}
	return nil
}

// localizeBoards gives boards stored with a field per language (name, name_hant,
// name_en, description…) their names and descriptions as one subdocument each, by
// language, as boardDoc reads them.
func (s *Store) localizeBoards(ctx context.Context) error {
	type oldDoc struct {
		ID              int64  `bson:"_id"`
		Name            string `bson:"name"`
		NameHant        string `bson:"name_hant"`
		NameEn          string `bson:"name_en"`
		Description     string `bson:"description"`
		DescriptionHant string `bson:"description_hant"`
		DescriptionEn   string `bson:"description_en"`
	}
	todo, err := find(ctx, s.boards, bson.M{"names": bson.M{"$exists": false}}, nil, func(d *oldDoc) *oldDoc { return d })
	if err != nil {
		return err
	}
	for _, d := range todo {
		_, err := s.boards.UpdateOne(ctx, bson.M{"_id": d.ID}, bson.M{
			"$set": bson.M{
				"names":        l10n.Text{"zh-Hans": d.Name, "zh-Hant": d.NameHant, "en": d.NameEn},
				"descriptions": l10n.Text{"zh-Hans": d.Description, "zh-Hant": d.DescriptionHant, "en": d.DescriptionEn}},
			"$unset": bson.M{"name": "", "name_hant": "", "name_en": "", "description": "", "description_hant": "", "description_en": ""}})
		if err != nil {
			return err
		}
	}
	return nil
}
