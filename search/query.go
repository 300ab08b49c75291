package search

import (
	"errors"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/search/query"
)

// MaxQueryRunes bounds a query's length.
const MaxQueryRunes = 200

// Query is a parsed search: terms that must all match (a term with spaces is a quoted
// phrase), terms that must not, and filters.
type Query struct {
	Terms   []string
	Exclude []string
	Board   string
	Author  string
	Within  []string  // when set, only these boards (the ones the reader may read)
	After   time.Time // zero: no bound
	Before  time.Time
	ByDate  bool // newest first instead of by relevance
}

// Parse errors, each with a message a person can act on.
var (
	ErrEmpty      = errors.New("请输入要搜索的内容 (enter something to search for)")
	ErrTooLong    = errors.New("搜索内容最多 200 个字符 (a search is at most 200 characters)")
	ErrUnbalanced = errors.New("引号不成对 (a quote is not closed)")
	ErrNoTerms    = errors.New("请至少输入一个要查找的词 (enter at least one word to find, not only exclusions or filters)")
	ErrBadDate    = errors.New("日期格式应为 2026-01-31 (dates look like 2026-01-31)")
)

// Parse reads a query: words and "quoted phrases" must all appear, -word must not,
// board:slug, author:name, after:2026-01-01 and before:2026-12-31 filter.
func Parse(raw string) (*Query, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" || !utf8.ValidString(raw) {
		return nil, ErrEmpty
	}
	if utf8.RuneCountInString(raw) > MaxQueryRunes {
		return nil, ErrTooLong
	}
	if strings.Count(raw, `"`)%2 != 0 {
		return nil, ErrUnbalanced
	}
	q := &Query{}
	for _, part := range splitQuery(raw) {
		neg := strings.HasPrefix(part, "-")
		if neg {
			part = strings.TrimPrefix(part, "-")
		}
		quoted := strings.HasPrefix(part, `"`)
		part = strings.Trim(part, `"`)
		key, val, hasKey := strings.Cut(part, ":")
		switch {
		case part == "" || strings.Trim(part, "-") == "":
			continue
		case !quoted && hasKey && key == "board" && val != "":
			q.Board = val
		case !quoted && hasKey && key == "author" && val != "":
			q.Author = strings.ToLower(val)
		case !quoted && hasKey && (key == "after" || key == "before"):
			t, err := time.Parse("2006-01-02", val)
			if err != nil {
				return nil, ErrBadDate
			}
			if key == "after" {
				q.After = t
			} else {
				q.Before = t.Add(24 * time.Hour)
			}
		case !quoted && part == "sort:date":
			q.ByDate = true
		case neg:
			q.Exclude = append(q.Exclude, part)
		default:
			q.Terms = append(q.Terms, part)
		}
	}
	if len(q.Terms) == 0 {
		return nil, ErrNoTerms
	}
	return q, nil
}

// splitQuery splits at spaces outside quotes.
func splitQuery(s string) []string {
	var out []string
	var b strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '"':
			in = !in
			b.WriteRune(r)
		case unicode.IsSpace(r) && !in:
			if b.Len() > 0 {
				out = append(out, b.String())
				b.Reset()
			}
		default:
			b.WriteRune(r)
		}
	}
	if b.Len() > 0 {
		out = append(out, b.String())
	}
	return out
}

// textQuery matches posts whose title or body contain s: one character or word is a
// term lookup, anything longer a phrase of character pairs and words placed at their
// character positions, so it matches the string and nothing else.
func (x *Index) textQuery(s string) query.Query {
	var either []query.Query
	for _, field := range []string{"body", "title"} {
		q := x.fieldQuery(s, field)
		if q == nil {
			return nil
		}
		if field == "title" {
			if b, ok := q.(query.BoostableQuery); ok {
				b.SetBoost(3) // a title match ranks above a body match
			}
		}
		either = append(either, q)
	}
	return bleve.NewDisjunctionQuery(either...)
}

func (x *Index) fieldQuery(s, field string) query.Query {
	var parts []query.Query
	// Characters with no CJK neighbour form no pair: they are looked up alone. Beside
	// a word ("a党") that drops their adjacency, a rare query that may then also match
	// posts with the two apart; recall is never lost.
	uni := (&analyzer{fold: x.fold, kind: Unigrams}).Analyze([]byte(s))
	cjkAt := map[int]bool{}
	for _, t := range uni {
		if t.Type == analysis.Ideographic {
			cjkAt[t.Position] = true
		}
	}
	for _, t := range uni {
		if t.Type == analysis.Ideographic && !cjkAt[t.Position-1] && !cjkAt[t.Position+1] {
			tq := bleve.NewTermQuery(string(t.Term))
			tq.SetField(field + "_uni")
			parts = append(parts, tq)
		}
	}
	toks := (&analyzer{fold: x.fold, kind: Bigrams}).Analyze([]byte(s))
	switch len(toks) {
	case 0:
	case 1:
		tq := bleve.NewTermQuery(string(toks[0].Term))
		tq.SetField(field + "_bi")
		parts = append(parts, tq)
	default:
		first := toks[0].Position
		terms := make([]string, toks[len(toks)-1].Position-first+1)
		for _, t := range toks {
			terms[t.Position-first] = string(t.Term)
		}
		parts = append(parts, bleve.NewPhraseQuery(terms, field+"_bi"))
	}
	switch len(parts) {
	case 0:
		return nil
	case 1:
		return parts[0]
	}
	return bleve.NewConjunctionQuery(parts...)
}

// Hit is one matching post.
type Hit struct {
	PostID int64
	Score  float64
}

// Result is one page of hits.
type Result struct {
	Hits  []Hit
	Total uint64
}

// Search runs q, returning up to size hits after skipping from (for paging).
func (x *Index) Search(q *Query, size, from int) (*Result, error) {
	must := []query.Query{}
	for _, t := range q.Terms {
		tq := x.textQuery(t)
		if tq == nil {
			return &Result{}, nil // nothing searchable in it: nothing matches
		}
		must = append(must, tq)
	}
	if q.Board != "" {
		tq := bleve.NewTermQuery(q.Board)
		tq.SetField("board")
		must = append(must, tq)
	}
	if len(q.Within) > 0 {
		var boards []query.Query
		for _, b := range q.Within {
			tq := bleve.NewTermQuery(b)
			tq.SetField("board")
			boards = append(boards, tq)
		}
		must = append(must, bleve.NewDisjunctionQuery(boards...))
	}
	if q.Author != "" {
		tq := bleve.NewTermQuery(q.Author)
		tq.SetField("author")
		must = append(must, tq)
	}
	if !q.After.IsZero() || !q.Before.IsZero() {
		dq := bleve.NewDateRangeQuery(q.After, q.Before)
		dq.SetField("created")
		must = append(must, dq)
	}
	bq := bleve.NewBooleanQuery()
	bq.AddMust(must...)
	for _, t := range q.Exclude {
		if tq := x.textQuery(t); tq != nil {
			bq.AddMustNot(tq)
		}
	}
	req := bleve.NewSearchRequestOptions(bq, size, from, false)
	if q.ByDate {
		req.SortBy([]string{"-created", "-_id"})
	} else {
		// By score alone: a second sort key makes Bleve read the doc values of every
		// hit, four times the cost for common terms. Ties are broken newest first
		// within the page below (post ids grow with time).
		req.SortBy([]string{"-_score"})
	}
	res, err := x.idx.Search(req)
	if err != nil {
		return nil, err
	}
	out := &Result{Total: res.Total}
	for _, h := range res.Hits {
		id, _ := strconv.ParseInt(h.ID, 10, 64)
		out.Hits = append(out.Hits, Hit{PostID: id, Score: h.Score})
	}
	if !q.ByDate {
		sort.SliceStable(out.Hits, func(i, j int) bool {
			a, b := out.Hits[i], out.Hits[j]
			return a.Score > b.Score || a.Score == b.Score && a.PostID > b.PostID
		})
	}
	return out, nil
}
