package fold_test

import (
	"testing"

	"jiayuan/app/fold"
)

func TestFold(t *testing.T) {
	f, err := fold.Load()
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"黨員學習":   "党员学习",
		"党员学习":   "党员学习",
		"ＡＢＣ１２３": "abc123",
		"Ｏａ　報告":  "oa 报告",
		"發展頭髮":   "发展头发",
	} {
		if got := f.String(in); got != want {
			t.Errorf("fold(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestLoadOnce: every caller shares one table, so the process builds it once.
func TestLoadOnce(t *testing.T) {
	a, err := fold.Load()
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := fold.Load(); a != b {
		t.Error("a second Load built a second table")
	}
}
