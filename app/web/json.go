package web

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"jiayuan/app/accounts"
	"jiayuan/app/fault"
	"jiayuan/app/forum"
)

// decodeJSON reads the request body into v, a struct of typed fields: user input never
// becomes a map, so nothing a client sends can act as a database operator.
func decodeJSON(c *fiber.Ctx, v any) error {
	body := c.Body()
	if len(bytes.TrimSpace(body)) == 0 {
		return fault.BadRequest("empty_body", "err_empty_body")
	}
	// encoding/json would quietly turn invalid UTF-8 into U+FFFD; refuse it instead.
	if !utf8.Valid(body) {
		return fault.BadRequest("invalid_utf8", "err_body_not_utf8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	err := dec.Decode(v)
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fault.BadRequest("invalid_json", "err_invalid_json_at", "offset", syn.Offset, "why", syn.Error())
	case errors.As(err, &typ):
		if typ.Field == "" {
			return fault.BadRequest("invalid_json", "err_not_json_object")
		}
		return fault.Invalid(typ.Field, "err_field_type", "field", typ.Field, "want", jsonKind(typ.Type.Kind().String()), "got", typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fault.BadRequest("invalid_json", "err_json_ends_too_early")
	case err != nil:
		return fault.BadRequest("invalid_json", "err_invalid_json_why", "why", err.Error())
	}
	if dec.More() {
		return fault.BadRequest("invalid_json", "err_json_trailing_data")
	}
	return nil
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "int64", "int", "float64":
		return "number"
	case "bool":
		return "boolean"
	}
	return goKind
}

// limitQuery reads ?limit= within [1, max], defaulting to def.
func limitQuery(c *fiber.Ctx, def, max int) (int, error) {
	raw := c.Query("limit")
	if raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > max {
		return 0, fault.Invalid("limit", "err_limit_range", "max", max)
	}
	return n, nil
}

// int64Query reads a non-negative integer query parameter, 0 when absent.
func int64Query(c *fiber.Ctx, name string) (int64, error) {
	raw := c.Query(name)
	if raw == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || n < 0 {
		return 0, fault.Invalid(name, "err_non_negative", "name", name)
	}
	return n, nil
}

// idParam reads a positive id from the path; anything else is a 404, as no such thing exists.
func idParam(c *fiber.Ctx, what string) (int64, error) {
	n, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || n <= 0 {
		return 0, fault.NotFound(what)
	}
	return n, nil
}

type cursorJSON struct {
	P bool  `json:"p"`
	T int64 `json:"t"`
	I int64 `json:"i"`
}

func encodeCursor(c *forum.ThreadCursor) *string {
	if c == nil {
		return nil
	}
	b, _ := json.Marshal(cursorJSON{P: c.Pinned, T: c.LastActivityAt.UnixMilli(), I: c.ID})
	s := base64.RawURLEncoding.EncodeToString(b)
	return &s
}

func decodeCursor(raw string) (*forum.ThreadCursor, error) {
	if raw == "" {
		return nil, nil
	}
	var cj cursorJSON
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err == nil {
		err = json.Unmarshal(b, &cj)
	}
	if err != nil || cj.I <= 0 {
		return nil, fault.Invalid("cursor", "err_invalid_cursor_next")
	}
	return &forum.ThreadCursor{Pinned: cj.P, LastActivityAt: time.UnixMilli(cj.T).UTC(), ID: cj.I}, nil
}

// The API's JSON shapes.

type userJSON struct {
	ID          int64     `json:"id"`
	Username    string    `json:"username"`
	DisplayName string    `json:"display_name"`
	CreatedAt   time.Time `json:"created_at"`
}

type authorJSON struct {
	ID          int64  `json:"id"`
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
}

type boardJSON struct {
	Slug           string            `json:"slug"`
	Name           string            `json:"name"`
	Names          map[string]string `json:"names"`
	Description    string            `json:"description"`
	Descriptions   map[string]string `json:"descriptions"`
	Position       int               `json:"position"`
	Archived       bool              `json:"archived"`
	ReadAccess     string            `json:"read_access"`
	PostAccess     string            `json:"post_access"`
	ThreadCount    int64             `json:"thread_count"`
	PostCount      int64             `json:"post_count"`
	LastActivityAt *time.Time        `json:"last_activity_at"`
}

type threadJSON struct {
	ID             int64      `json:"id"`
	Board          string     `json:"board"`
	Title          string     `json:"title"`
	Author         authorJSON `json:"author"`
	ReplyCount     int64      `json:"reply_count"`
	LastSeq        int64      `json:"last_seq"`
	Pinned         bool       `json:"pinned"`
	Locked         bool       `json:"locked"`
	CreatedAt      time.Time  `json:"created_at"`
	LastActivityAt time.Time  `json:"last_activity_at"`
}

type postJSON struct {
	ID         int64      `json:"id"`
	ThreadID   int64      `json:"thread_id"`
	Seq        int64      `json:"seq"`
	Author     authorJSON `json:"author"`
	Body       string     `json:"body"`
	HTML       string     `json:"html"`
	ReplyTo    *int64     `json:"reply_to"`
	ReplyToSeq *int64     `json:"reply_to_seq"`
	Depth      int        `json:"depth"`
	CreatedAt  time.Time  `json:"created_at"`
	EditedAt   *time.Time `json:"edited_at"`
	Deleted    bool       `json:"deleted"`
	Held       bool       `json:"held"`
}

func toUser(u *accounts.User) userJSON {
	return userJSON{ID: u.ID, Username: u.Username, DisplayName: u.DisplayName, CreatedAt: u.CreatedAt}
}

func toAuthor(id int64, users map[int64]*accounts.User) authorJSON {
	if u, ok := users[id]; ok {
		return authorJSON{ID: u.ID, Username: u.Username, DisplayName: u.DisplayName}
	}
	return authorJSON{ID: id}
}

func toBoard(b *forum.Board) boardJSON {
	return boardJSON{Slug: b.Slug, Name: b.Name.String(), Names: b.Name.All(),
		Description: b.Description.String(), Descriptions: b.Description.All(),
		Position: b.Position, Archived: b.Archived, ReadAccess: b.ReadAccess, PostAccess: b.PostAccess,
		ThreadCount: b.ThreadCount, PostCount: b.PostCount, LastActivityAt: optTime(b.LastActivityAt)}
}

func toThread(t *forum.Thread, slug string, users map[int64]*accounts.User) threadJSON {
	return threadJSON{ID: t.ID, Board: slug, Title: t.Title, Author: toAuthor(t.AuthorID, users),
		ReplyCount: t.ReplyCount, LastSeq: t.LastSeq, Pinned: t.Pinned, Locked: t.Locked,
		CreatedAt: t.CreatedAt, LastActivityAt: t.LastActivityAt}
}

// toPost hides the text of deleted posts: they keep their place in the thread.
func toPost(p *forum.Post, users map[int64]*accounts.User) postJSON {
	j := postJSON{ID: p.ID, ThreadID: p.ThreadID, Seq: p.Seq, Author: toAuthor(p.AuthorID, users),
		Body: p.Body, HTML: p.HTML, Depth: p.Depth, CreatedAt: p.CreatedAt, EditedAt: optTime(p.EditedAt), Deleted: p.Deleted, Held: p.Held}
	if p.ReplyTo != 0 {
		j.ReplyTo, j.ReplyToSeq = &p.ReplyTo, &p.ReplyToSeq
	}
	if p.Deleted {
		j.Body, j.HTML = "", ""
	}
	return j
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
