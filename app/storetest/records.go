package storetest

import (
	"context"
	"errors"
	"testing"

	"jiayuan/app/fault"
	"jiayuan/app/records"
)

// Records checks an engine's records.Store.
func Records(t *testing.T, open func(*testing.T) records.Store) {
	tests[records.Store]{
		{"Records", testRecords},
	}.run(t, open)
}

func testRecords(t *testing.T, s records.Store) {
	ctx := context.Background()
	type doc struct {
		Text string `json:"text"`
		N    int    `json:"n"`
	}
	var ids []int64
	for i, k1 := range []string{"xinyu", "yanglian", "xinyu", "leyou"} {
		r, err := records.New("report", "", k1, "open", at(i), doc{Text: "举报 " + k1, N: i})
		must(t, err)
		must(t, s.InsertRecord(ctx, r))
		ids = append(ids, r.ID)
	}
	got, err := s.RecordByID(ctx, "report", ids[1])
	must(t, err)
	var d doc
	must(t, got.Decode(&d))
	if d.Text != "举报 yanglian" || d.N != 1 || got.K1 != "yanglian" || got.K2 != "open" || !got.At.Equal(at(1)) {
		t.Fatalf("RecordByID = %+v %+v", got, d)
	}
	_, err = s.RecordByID(ctx, "audit", ids[1])
	isNotFound(t, err, "a record asked for as another kind")

	list, err := s.ListRecords(ctx, "report", records.Filter{K1s: []string{"xinyu", "leyou"}, K2: "open"}, 0, 10)
	must(t, err)
	if len(list) != 3 || list[0].ID != ids[3] || list[2].ID != ids[0] {
		t.Fatalf("ListRecords by board: %d", len(list))
	}
	list, err = s.ListRecords(ctx, "report", records.Filter{}, ids[2], 10)
	must(t, err)
	if len(list) != 2 || list[0].ID != ids[1] {
		t.Fatalf("ListRecords before: %d", len(list))
	}

	// Conditional update: the first resolution wins, the second gets a conflict.
	got.K2, got.At = "resolved", at(9)
	must(t, s.UpdateRecord(ctx, got, "open"))
	got.K2 = "dismissed"
	if err := s.UpdateRecord(ctx, got, "open"); !errors.Is(err, fault.ErrConflict) {
		t.Fatalf("second resolution: %v, want a conflict", err)
	}
	if again, _ := s.RecordByID(ctx, "report", got.ID); again.K2 != "resolved" || !again.At.Equal(at(9)) {
		t.Fatalf("after the conflict: %+v", again)
	}
	must(t, s.UpdateRecord(ctx, got, records.Any))
	if list, _ := s.ListRecords(ctx, "report", records.Filter{K2: "open"}, 0, 10); len(list) != 3 {
		t.Fatalf("open reports after one resolved: %d", len(list))
	}
	isNotFound(t, s.UpdateRecord(ctx, &records.Record{ID: 987654, Kind: "report", Doc: []byte("{}")}, records.Any), "UpdateRecord(missing)")

	// Unique keys, and keys that repeat when empty.
	br, _ := records.New("branch", "一支部", "", "", at(0), doc{Text: "一支部"})
	must(t, s.InsertRecord(ctx, br))
	dup, _ := records.New("branch", "一支部", "", "", at(0), doc{})
	if err := s.InsertRecord(ctx, dup); !errors.Is(err, fault.ErrConflict) {
		t.Fatalf("a taken key: %v, want a conflict", err)
	}
	other, _ := records.New("wordlist", "一支部", "", "", at(0), doc{})
	must(t, s.InsertRecord(ctx, other))
	byKey, err := s.RecordByKey(ctx, "branch", "一支部")
	must(t, err)
	if byKey.ID != br.ID {
		t.Fatalf("RecordByKey = %d, want %d", byKey.ID, br.ID)
	}
	_, err = s.RecordByKey(ctx, "branch", "二支部")
	isNotFound(t, err, "RecordByKey(missing)")
}
