package search

import (
	"testing"
	"time"
)

// TestRanking: a title match ranks above body matches, and equal matches newest first.
func TestRanking(t *testing.T) {
	idx, err := Open(t.TempDir()+"/index", testFolder(t))
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	at := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	if err := idx.Put([]Doc{
		{PostID: 1, Body: "周末的志愿者活动", Created: at},
		{PostID: 2, Title: "志愿者招募", Body: "龙华烈士纪念馆", Created: at.Add(time.Hour)},
		{PostID: 3, Body: "周末的志愿者活动", Created: at.Add(2 * time.Hour)},
	}); err != nil {
		t.Fatal(err)
	}
	q, _ := Parse("志愿者")
	res, err := idx.Search(q, 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	var order []int64
	for _, h := range res.Hits {
		order = append(order, h.PostID)
	}
	if len(order) != 3 || order[0] != 2 || order[1] != 3 || order[2] != 1 {
		t.Fatalf("order %v, want [2 3 1]: title first, then newest", order)
	}
	q.ByDate = true
	if res, _ = idx.Search(q, 10, 0); res.Hits[0].PostID != 3 || res.Hits[2].PostID != 1 {
		t.Fatalf("by date: %v", res.Hits)
	}
}
