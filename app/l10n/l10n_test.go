package l10n_test

import (
	"errors"
	"testing"

	"jiayuan/app/fault"
	"jiayuan/app/l10n"
)

// TestIn: a language without a text, or with an empty one, shows the default's.
func TestIn(t *testing.T) {
	name := l10n.Text{"zh-Hans": "家·视角", "zh-Hant": "", "en": "Perspectives"}
	for lang, want := range map[string]string{"zh-Hans": "家·视角", "zh-Hant": "家·视角", "en": "Perspectives", "fr": "家·视角"} {
		if got := name.In(lang); got != want {
			t.Errorf("In(%q) = %q, want %q", lang, got, want)
		}
	}
}

// TestField: the form and API names of each language's text are the ones the API has
// always had.
func TestField(t *testing.T) {
	var got []string
	for _, l := range l10n.Languages {
		got = append(got, l10n.Field("name", l), l10n.Field("description", l))
	}
	want := []string{"name", "description", "name_hant", "description_hant", "name_en", "description_en"}
	if len(got) != len(want) {
		t.Fatalf("fields %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("fields %v, want %v", got, want)
		}
	}
	if got := l10n.Field("name", "pt-BR"); got != "name_pt_br" {
		t.Errorf("Field(name, pt-BR) = %q", got)
	}
}

// TestRuleSet: given texts are trimmed and put over the old ones, which stay as they
// were; a refused one names its language's field and changes nothing.
func TestRuleSet(t *testing.T) {
	rule := l10n.Rule{Field: "name", Max: 5, Required: true}
	old := l10n.Text{"zh-Hans": "旧名", "zh-Hant": "舊名", "en": "Old"}
	got, err := rule.Set(old, l10n.Given(nil, nil, ptr("  New ")))
	if err != nil {
		t.Fatal(err)
	}
	if got["zh-Hans"] != "旧名" || got["zh-Hant"] != "舊名" || got["en"] != "New" || old["en"] != "Old" {
		t.Fatalf("Set = %v, old now %v", got, old)
	}
	for _, c := range []struct {
		given l10n.Text
		field string
	}{
		{l10n.Text{"zh-Hant": " "}, "name_hant"},
		{l10n.Text{"en": "<b>"}, "name_en"},
		{l10n.Text{"zh-Hans": "六个字的名字"}, "name"},
		{l10n.Text{"en": "ok", "zh-Hant": "太長太長太長"}, "name_hant"}, // in the order of Languages
	} {
		_, err := rule.Set(old, c.given)
		var fe *fault.Error
		if !errors.As(err, &fe) || fe.Field != c.field || fe.Key != "err_field_length" {
			t.Errorf("Set(%v): %v, want %s refused", c.given, err, c.field)
		}
	}
	if got, err := (l10n.Rule{Field: "description", Max: 5}).Set(nil, l10n.Text{"en": ""}); err != nil || got == nil || got["en"] != "" {
		t.Errorf("an empty text where none is required: %v, %v", got, err)
	}
}

func ptr(s string) *string { return &s }
