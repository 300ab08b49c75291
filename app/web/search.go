package web

import (
	"errors"
	"html/template"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"jiayuan/app/fault"
	"jiayuan/app/l10n"
	"jiayuan/app/markup"
	"jiayuan/search"
)

// maxSearchOffset bounds paging: past the first thousand hits, refine the query.
const maxSearchOffset = 1000

type hitJSON struct {
	PostID      int64         `json:"post_id"`
	ThreadID    int64         `json:"thread_id"`
	Seq         int64         `json:"seq"`
	Board       string        `json:"board"`
	BoardName   l10n.Text     `json:"-"` // the page shows it in the reader's language
	Title       string        `json:"title"`
	SnippetHTML template.HTML `json:"snippet_html"`
	URL         string        `json:"url"`
	CreatedAt   time.Time     `json:"created_at"`
}

type searchResult struct {
	Hits  []hitJSON
	Total uint64
	Exact bool   // Total was counted, not estimated
	Next  string // the cursor of the next page, "" at the end
}

// runSearch parses the query, keeps it to the boards the reader may read, and cuts a
// highlighted snippet of each hit from the database's text.
func (s *Server) runSearch(c *fiber.Ctx, raw, board, author string, limit int, cursor string) (*searchResult, *search.Query, error) {
	if s.Search == nil {
		return nil, nil, fault.Unavailable("search_off", "err_search_not_enabled")
	}
	q, err := search.Parse(raw)
	if err != nil {
		return nil, nil, err // a fault: invalid_query
	}
	if board != "" {
		q.Board = board
	}
	if author != "" {
		q.Author = strings.ToLower(author)
	}
	offset := 0
	if cursor != "" {
		if offset, err = strconv.Atoi(cursor); err != nil || offset < 0 || offset > maxSearchOffset {
			return nil, nil, fault.Invalid("cursor", "err_invalid_cursor")
		}
	}
	all, err := s.boardsList(c)
	if err != nil {
		return nil, nil, err
	}
	if readable := s.Forum.Readable(userID(c), all); len(readable) < len(all) {
		for _, b := range readable {
			q.Within = append(q.Within, b.Slug)
		}
		if len(q.Within) == 0 {
			return &searchResult{Exact: true}, q, nil
		}
	}
	res, err := s.Search.Find(q, limit, offset)
	if err != nil {
		return nil, nil, err
	}
	ids := make([]int64, len(res.Hits))
	for i, h := range res.Hits {
		ids[i] = h.PostID
	}
	posts, err := s.Forum.PostsByIDs(c.UserContext(), ids)
	if err != nil {
		return nil, nil, err
	}
	out := &searchResult{Total: res.Total, Exact: res.Exact}
	boards := map[int64]string{}
	for _, b := range all {
		boards[b.ID] = b.Slug
	}
	uid, dropped := userID(c), 0
	for _, id := range ids {
		p, ok := posts[id]
		if !ok || p.Deleted {
			dropped++
			continue // deleted since it was indexed: the index catches up
		}
		// The index lags behind the database: a thread moved to a board the reader may
		// not read, or a post held since, is still a hit there for a moment (or longer,
		// if the reindex was lost). The thread's board now is what decides.
		t, b, err := s.Forum.ThreadAndBoard(c.UserContext(), p.ThreadID)
		if err != nil || !s.Forum.MayShow(uid, b, p) {
			dropped++
			continue
		}
		text := markup.PlainText(p.HTML)
		win, ranges, cutBefore, cutAfter := search.Window(text, s.Search.Fold().Matches(text, q.Terms), 120)
		snippet := markup.Highlight(win, ranges)
		if cutBefore {
			snippet = "…" + snippet
		}
		if cutAfter {
			snippet += "…"
		}
		out.Hits = append(out.Hits, hitJSON{PostID: p.ID, ThreadID: p.ThreadID, Seq: p.Seq, Board: b.Slug, BoardName: b.Name, Title: t.Title,
			SnippetHTML: markup.Trusted(snippet), URL: "/t/" + strconv.FormatInt(p.ThreadID, 10) + "?after=" + strconv.FormatInt(p.Seq-1, 10) + "#p" + strconv.FormatInt(p.Seq, 10),
			CreatedAt: p.CreatedAt})
	}
	if next := offset + limit; uint64(next) < res.Total && next <= maxSearchOffset {
		out.Next = strconv.Itoa(next)
	}
	if dropped > 0 {
		// The index counted hits this page left out; other pages may hold more of them,
		// unknown without reading them all. Leave out the ones seen, and say "about".
		out.Total -= min(out.Total, uint64(dropped))
		out.Exact = false
	}
	return out, q, nil
}

func (s *Server) apiSearch(c *fiber.Ctx) error {
	limit, err := limitQuery(c, 20, 100)
	if err != nil {
		return err
	}
	res, _, err := s.runSearch(c, c.Query("q"), c.Query("board"), c.Query("author"), limit, c.Query("cursor"))
	if err != nil {
		return err
	}
	var next *string
	if res.Next != "" {
		next = &res.Next
	}
	hits := res.Hits
	if hits == nil {
		hits = []hitJSON{}
	}
	return c.JSON(fiber.Map{"hits": hits, "total": res.Total, "total_exact": res.Exact, "next_cursor": next})
}

func (s *Server) pageSearch(c *fiber.Ctx) error {
	raw := c.Query("q")
	data := fiber.Map{"Q": raw}
	if strings.TrimSpace(raw) != "" {
		res, _, err := s.runSearch(c, raw, "", "", 20, c.Query("cursor"))
		var fe *fault.Error
		switch {
		case errors.As(err, &fe) && fe.Kind != fault.KindInternal:
			data["Error"] = s.message(c, fe)
		case err != nil:
			return err
		default:
			data["Result"] = res
			if res.Next != "" {
				data["Next"] = "/search?q=" + url.QueryEscape(raw) + "&cursor=" + res.Next
			}
		}
	}
	return s.render(c, fiber.StatusOK, "search", s.pages.catalogs[lang(c)]["search"], data)
}
