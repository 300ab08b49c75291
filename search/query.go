package search

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"

	"jiayuan/app/fault"
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
	ErrEmpty      = fault.BadRequest("invalid_query", "err_search_empty")
	ErrTooLong    = fault.BadRequest("invalid_query", "err_search_too_long")
	ErrUnbalanced = fault.BadRequest("invalid_query", "err_search_unbalanced")
	ErrNoTerms    = fault.BadRequest("invalid_query", "err_search_no_terms")
	ErrBadDate    = fault.BadRequest("invalid_query", "err_search_bad_date")
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
func (x *Index) textQuery(s string, c *counts) query.Query {
	var either []query.Query
	for _, field := range []string{"body", "title"} {
		q := x.fieldQuery(s, field, c)
		if q == nil {
			return nil
		}
		either = append(either, q)
	}
	return bleve.NewDisjunctionQuery(either...)
}

func (x *Index) fieldQuery(s, field string, c *counts) query.Query {
	var parts []query.Query
	field += "_bi"
	// A character with no CJK neighbour in the query is looked up alone: every
	// character of a post begins a pair or ends a run, so the terms it begins find
	// every post containing it. Beside a word ("a党") that drops their adjacency, a
	// rare query that may then also match posts with the two apart; recall is never
	// lost.
	uni := (&analyzer{fold: x.fold, kind: Unigrams}).Analyze([]byte(s))
	cjkAt := map[int]bool{}
	for _, t := range uni {
		if t.Type == analysis.Ideographic {
			cjkAt[t.Position] = true
		}
	}
	for _, t := range uni {
		if t.Type == analysis.Ideographic && !cjkAt[t.Position-1] && !cjkAt[t.Position+1] {
			pq := bleve.NewPrefixQuery(string(t.Term))
			pq.SetField(field)
			parts = append(parts, pq)
		}
	}
	// Pairs and words, at their positions; the run-final characters the analyzer
	// also emits are not part of the phrase (in a post, the run may go on).
	var toks []*analysis.Token
	for _, t := range (&analyzer{fold: x.fold, kind: Bigrams}).Analyze([]byte(s)) {
		if t.Type != analysis.Ideographic {
			toks = append(toks, t)
		}
	}
	switch len(toks) {
	case 0:
	case 1:
		tq := bleve.NewTermQuery(string(toks[0].Term))
		tq.SetField(field)
		parts = append(parts, tq)
	default:
		first := toks[0].Position
		terms := make([]string, toks[len(toks)-1].Position-first+1)
		for _, t := range toks {
			terms[t.Position-first] = string(t.Term)
		}
		if c != nil {
			c.thin(terms)
		}
		parts = append(parts, bleve.NewPhraseQuery(terms, field))
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
}

// Result is one page of hits.
type Result struct {
	Hits  []Hit
	Total uint64
	// Exact says whether Total was counted. A query matching a large share of the
	// posts is answered from the newest posts only, and Total is then an estimate.
	Exact bool
}

// exactLimit is how many posts a query may match, at most, and still be read in full:
// the bound is the fewest posts any one of its pairs or words is in. Sorting reads
// each hit's date, so a query that may match more is read newest first instead.
const exactLimit = 256

// Search runs q, returning up to size hits after skipping from (for paging).
//
// Hits come title matches first, then by date, newest first (or all by date with
// sort:date). A query whose rarest pair is in at most exactLimit posts is read in
// full. One that may match more is read over the newest posts first, a window of
// time at a time (see collect), until the page is full: the cost follows the page,
// not the number of matches, and Total is then an estimate from the share of posts
// read.
func (x *Index) Search(q *Query, size, from int) (*Result, error) {
	need := from + size
	p, err := x.compile(q)
	if err != nil || p == nil {
		return &Result{Exact: true}, err
	}
	res := &Result{Exact: true}
	seen := map[int64]bool{}
	if !q.ByDate {
		ids, _, _, err := x.collect(p.titles, p.titleBound, p.titleEst, need)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			seen[id] = true
			res.Hits = append(res.Hits, Hit{PostID: id})
		}
	}
	ids, total, exact, err := x.collect(p.full, p.bound, p.est, need+len(seen))
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if !seen[id] && len(res.Hits) < need {
			seen[id] = true
			res.Hits = append(res.Hits, Hit{PostID: id})
		}
	}
	res.Total, res.Exact = max(total, uint64(len(res.Hits))), exact
	if from >= len(res.Hits) {
		res.Hits = nil
	} else {
		res.Hits = res.Hits[from:]
	}
	return res, nil
}

// collect returns the ids of the newest want posts matching q, newest first, with
// how many match in all (counted, or estimated when exact is false). bound is an
// upper bound on the matches.
func (x *Index) collect(q query.Query, bound uint64, est float64, want int) (ids []int64, total uint64, exact bool, err error) {
	oldest, newest := x.minAt.Load(), x.maxAt.Load()
	span := newest - oldest
	if bound <= x.exactLimit || span <= 0 {
		ids, total, err := x.run(q, nil, want)
		return ids, total, true, err
	}
	// The first window would hold twice the page were est posts to match, evenly
	// spread in time; the next ones grow by what the hits so far say.
	window := int64(time.Minute)
	if f := float64(span) * 2 * float64(want) / max(est, 1); f > float64(window) {
		window = int64(min(f, float64(span)+1))
	}
	// Window edges fall on multiples of 2^40 ns (about 18 minutes), and the first
	// window has no upper edge nor the last a lower one: a date range is a union of
	// prefix-coded terms, and coarse or missing edges need far fewer of them. Coarse
	// edges also let the count behind an estimate be remembered (see estimate).
	const grain = 1 << 40
	inclusive, exclusive := true, false
	for end := newest; ; {
		start := (end - window) &^ (grain - 1)
		last := start <= oldest
		var within *query.DateRangeQuery
		switch {
		case last && end == newest:
			ids, total, err := x.run(q, nil, want)
			return ids, total, true, err
		case last:
			within = bleve.NewDateRangeInclusiveQuery(time.Time{}, time.Unix(0, end), nil, &inclusive)
		case end == newest:
			within = bleve.NewDateRangeInclusiveQuery(time.Unix(0, start), time.Time{}, &exclusive, nil)
		default:
			within = bleve.NewDateRangeInclusiveQuery(time.Unix(0, start), time.Unix(0, end), &exclusive, &inclusive)
		}
		within.SetField("created")
		got, n, err := x.run(q, within, want-len(ids))
		if err != nil {
			return nil, 0, false, err
		}
		ids, total = append(ids, got...), total+n
		if last {
			return ids, total, true, nil
		}
		if len(ids) >= want {
			// Scaled by the share of the posts read.
			est, err := x.estimate(total, start)
			return ids, est, false, err
		}
		// Grow the window by what the hits so far say is needed, at least twice and
		// at most sixteen times: a phrase of common pairs is often much rarer than
		// its rarest pair.
		read := float64(newest - start)
		grow := 16.0
		if len(ids) > 0 {
			grow = min(16, max(2, 1.5*float64(want-len(ids))*read/float64(len(ids))/float64(window)))
		}
		end, window = start, int64(float64(window)*grow)
	}
}

// estimate scales the hits among the posts created after start to all posts. How
// many posts were created after a window edge is remembered until the index's count
// of posts changes.
func (x *Index) estimate(hits uint64, start int64) (uint64, error) {
	all, err := x.idx.DocCount()
	if err != nil {
		return 0, err
	}
	x.sinceMu.Lock()
	if x.since == nil || x.sinceAll != all {
		x.since, x.sinceAll = map[int64]uint64{}, all
	}
	after, ok := x.since[start]
	x.sinceMu.Unlock()
	if !ok {
		exclusive := false
		within := bleve.NewDateRangeInclusiveQuery(time.Unix(0, start), time.Time{}, &exclusive, nil)
		within.SetField("created")
		req := bleve.NewSearchRequestOptions(within, 0, 0, false)
		req.Score = "none"
		res, err := x.idx.Search(req)
		if err != nil {
			return 0, err
		}
		after = res.Total
		x.sinceMu.Lock()
		if x.sinceAll == all && len(x.since) < 1024 {
			x.since[start] = after
		}
		x.sinceMu.Unlock()
	}
	if after == 0 {
		return hits, nil
	}
	return uint64(float64(hits) * float64(all) / float64(after)), nil
}

// run returns the ids of the first size posts matching q (and within, if set), newest
// first, and how many match in all.
func (x *Index) run(q, within query.Query, size int) ([]int64, uint64, error) {
	if within != nil {
		q = bleve.NewConjunctionQuery(q, within)
	}
	req := bleve.NewSearchRequestOptions(q, size, 0, false)
	req.SortBy([]string{"-at"})
	req.Score = "none"
	res, err := x.idx.Search(req)
	if err != nil {
		return nil, 0, err
	}
	ids := make([]int64, 0, len(res.Hits))
	for _, h := range res.Hits {
		id, _ := strconv.ParseInt(h.ID, 10, 64)
		ids = append(ids, id)
	}
	return ids, res.Total, nil
}

// plan is a compiled query: over title and body, over titles alone, the fewest
// posts any single pair of the terms occurs in (an upper bound on the matches), and
// how many are expected to match (pairs and filters taken as independent).
type plan struct {
	full, titles      query.Query
	bound, titleBound uint64
	est, titleEst     float64
}

// compile builds the plan of q. A term with nothing searchable in it matches
// nothing: the plan is nil.
func (x *Index) compile(q *Query) (*plan, error) {
	var must, mustTitle, filters []query.Query
	p := &plan{bound: ^uint64(0), titleBound: ^uint64(0)}
	r, err := x.reader()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	all, err := r.DocCount()
	if err != nil {
		return nil, err
	}
	c := &counts{x: x, r: r, n: float64(max(all, 1)), m: map[string][2]uint64{}}
	frac, titleFrac := 1.0, 1.0
	for _, t := range q.Terms {
		tq := x.textQuery(t, c)
		if tq == nil {
			return nil, nil
		}
		must = append(must, tq)
		mustTitle = append(mustTitle, x.fieldQuery(t, "title", c))
		b, bt, f, ft, err := c.rarest(t)
		if err != nil {
			return nil, err
		}
		p.bound, p.titleBound = min(p.bound, b), min(p.titleBound, bt)
		frac, titleFrac = frac*f, titleFrac*ft
	}
	sel := func(field string, terms ...string) error {
		var k uint64
		for _, t := range terms {
			n, err := c.count(field, t)
			if err != nil {
				return err
			}
			k += n
		}
		frac, titleFrac = frac*float64(k)/c.n, titleFrac*float64(k)/c.n
		return nil
	}
	if q.Board != "" {
		tq := bleve.NewTermQuery(q.Board)
		tq.SetField("board")
		filters = append(filters, tq)
		if err := sel("board", q.Board); err != nil {
			return nil, err
		}
	}
	if len(q.Within) > 0 {
		var boards []query.Query
		for _, b := range q.Within {
			tq := bleve.NewTermQuery(b)
			tq.SetField("board")
			boards = append(boards, tq)
		}
		filters = append(filters, bleve.NewDisjunctionQuery(boards...))
		if err := sel("board", q.Within...); err != nil {
			return nil, err
		}
	}
	if q.Author != "" {
		tq := bleve.NewTermQuery(q.Author)
		tq.SetField("author")
		filters = append(filters, tq)
		if err := sel("author", q.Author); err != nil {
			return nil, err
		}
	}
	if !q.After.IsZero() || !q.Before.IsZero() {
		dq := bleve.NewDateRangeQuery(q.After, q.Before)
		dq.SetField("created")
		filters = append(filters, dq)
	}
	var exclude []query.Query
	for _, t := range q.Exclude {
		if tq := x.textQuery(t, nil); tq != nil {
			exclude = append(exclude, tq)
		}
	}
	build := func(must []query.Query) query.Query {
		bq := bleve.NewBooleanQuery()
		bq.AddMust(append(must, filters...)...)
		bq.AddMustNot(exclude...)
		return bq
	}
	p.full, p.titles = build(must), build(mustTitle)
	p.est, p.titleEst = c.n*frac, c.n*titleFrac
	return p, nil
}

// counts looks up, once per query, how many posts hold a term in titles and in
// bodies.
type counts struct {
	x *Index
	r index.IndexReader
	n float64 // posts in the index
	m map[string][2]uint64
}

// count is how many posts hold term in field.
func (c *counts) count(field, term string) (uint64, error) {
	tfr, err := c.r.TermFieldReader(context.Background(), []byte(term), field, false, false, false)
	if err != nil {
		return 0, err
	}
	defer tfr.Close()
	return tfr.Count(), nil
}

// of is how many posts hold term in titles and in bodies, looked up once.
func (c *counts) of(term string) ([2]uint64, error) {
	if n, ok := c.m[term]; ok {
		return n, nil
	}
	var n [2]uint64
	for i, field := range []string{"title_bi", "body_bi"} {
		k, err := c.count(field, term)
		if err != nil {
			return n, err
		}
		n[i] = k
	}
	c.m[term] = n
	return n, nil
}

// rarest returns how many posts hold the rarest pair or word of term in title or
// body, and in titles (a term of one character has none to count, and is bounded by
// every post); and the share of posts, and of titles, expected to hold all of them.
func (c *counts) rarest(term string) (best, bestTitle uint64, frac, titleFrac float64, err error) {
	best, bestTitle, frac, titleFrac = ^uint64(0), ^uint64(0), 1, 1
	for _, tok := range (&analyzer{fold: c.x.fold, kind: Bigrams}).Analyze([]byte(term)) {
		if tok.Type == analysis.Ideographic {
			continue
		}
		k, err := c.of(string(tok.Term))
		if err != nil {
			return 0, 0, 0, 0, err
		}
		best, bestTitle = min(best, k[0]+k[1]), min(bestTitle, k[0])
		frac, titleFrac = frac*float64(k[0]+k[1])/c.n, titleFrac*float64(k[0])/c.n
	}
	return best, bestTitle, frac, titleFrac, nil
}

// thin drops pairs from a phrase that its other pairs make redundant: a pair whose
// neighbours on both sides stand covers no character they do not. The commonest go
// first and the rarest always stays, since it decides how many posts are walked;
// fewer pairs means fewer lists to step through and fewer positions to check.
func (c *counts) thin(terms []string) {
	pair := func(i int) bool { return i >= 0 && i < len(terms) && utf8.RuneCountInString(terms[i]) == 2 }
	type cand struct {
		i int
		n uint64
	}
	var cands []cand
	rarest, rarestN := -1, ^uint64(0)
	for i := range terms {
		if !pair(i) {
			continue
		}
		n, err := c.of(terms[i])
		if err != nil {
			return // thinning is an optimisation: without counts, keep every pair
		}
		if n[0]+n[1] < rarestN {
			rarest, rarestN = i, n[0]+n[1]
		}
		if pair(i-1) && pair(i+1) {
			cands = append(cands, cand{i, n[0] + n[1]})
		}
	}
	slices.SortFunc(cands, func(a, b cand) int { return cmp.Compare(b.n, a.n) })
	needed := make([]bool, len(terms))
	for _, cd := range cands {
		i := cd.i
		if i == rarest || needed[i] || terms[i-1] == "" || terms[i+1] == "" {
			continue
		}
		terms[i] = ""
		needed[i-1], needed[i+1] = true, true
	}
}
