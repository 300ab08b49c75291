package search

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/longbridgeapp/opencc"

	"jiayuan/app/fold"
)

func testFolder(t testing.TB) *fold.Folder {
	f, err := fold.Load()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestRelevance compares every query's hits with a brute-force scan of the folded
// text: a Chinese query must find every post containing it, in either script, and
// no other.
func TestRelevance(t *testing.T) {
	n := 20000
	queries := 300
	if testing.Short() {
		n, queries = 3000, 100
	}
	f := testFolder(t)
	docs, err := GenerateCorpus(7, n)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := Open(t.TempDir()+"/index", f)
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	// Most queries here may match more posts than this: pages are then read a window
	// of time at a time, newest first, and must come out exactly as a full scan would
	// order them.
	idx.exactLimit = 1000
	for i := 0; i < len(docs); i += 1000 {
		if err := idx.Put(docs[i:min(i+1000, len(docs))]); err != nil {
			t.Fatal(err)
		}
	}
	folded := make([][2]string, len(docs))
	for i, d := range docs {
		folded[i] = [2]string{f.String(d.Title), f.String(d.Body)}
	}
	s2t, err := opencc.New("s2t")
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(11, 13))
	estimated := 0
	defer func() {
		if estimated == 0 {
			t.Error("no query was read window by window: the test no longer covers that path")
		}
	}()
	for qi := 0; qi < queries; qi++ {
		// A run of 1–8 CJK characters from a random post, written in either script.
		runs := CJKRuns([]rune(docs[r.IntN(len(docs))].Body))
		if len(runs) == 0 {
			continue
		}
		run := runs[r.IntN(len(runs))]
		l := 1 + r.IntN(min(8, len(run)))
		at := r.IntN(len(run) - l + 1)
		q := string(run[at : at+l])
		if r.IntN(2) == 0 {
			if q, err = s2t.Convert(q); err != nil {
				t.Fatal(err)
			}
		}
		fq := f.String(q)
		want := map[int64]bool{}
		for i, ft := range folded {
			if strings.Contains(ft[0], fq) || strings.Contains(ft[1], fq) {
				want[docs[i].PostID] = true
			}
		}
		pq, err := Parse(`"` + q + `"`)
		if err != nil {
			t.Fatal(err)
		}
		res, err := idx.Search(pq, len(docs), 0)
		if err != nil {
			t.Fatalf("search %q: %v", q, err)
		}
		got := map[int64]bool{}
		for _, h := range res.Hits {
			got[h.PostID] = true
		}
		var missed, extra int
		for id := range want {
			if !got[id] {
				missed++
			}
		}
		for id := range got {
			if !want[id] {
				extra++
			}
		}
		if missed > 0 || extra > 0 || int(res.Total) != len(want) {
			t.Errorf("query %q (folded %q): %d expected, %d found, %d missed (recall < 100%%), %d wrong (precision < 100%%)",
				q, fq, len(want), len(got), missed, extra)
		}
		// The first two pages of 20: title matches first, then newest first, whether
		// the query was counted in full or read era by era.
		var order, rest []int64
		for i := len(docs) - 1; i >= 0; i-- {
			switch {
			case strings.Contains(folded[i][0], fq):
				order = append(order, docs[i].PostID)
			case strings.Contains(folded[i][1], fq):
				rest = append(rest, docs[i].PostID)
			}
		}
		order = append(order, rest...)
		for from := 0; from <= 20; from += 20 {
			page, err := idx.Search(pq, 20, from)
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, h := range page.Hits {
				ids = append(ids, h.PostID)
			}
			if want := order[min(from, len(order)):min(from+20, len(order))]; !slices.Equal(ids, want) {
				t.Errorf("query %q page at %d: %v, want %v", q, from, ids, want)
			}
			if page.Exact && int(page.Total) != len(order) || !page.Exact && (page.Total < uint64(len(order))/2 || page.Total > uint64(len(order))*2) {
				t.Errorf("query %q page at %d: total %d (exact %v), want %d", q, from, page.Total, page.Exact, len(order))
			}
			if !page.Exact {
				estimated++
			}
		}
	}
}
