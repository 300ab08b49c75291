// Package l10n is text an admin writes once per language, such as a board's name: one
// Text holds it in every language of the site. Adding a language is adding it to
// Languages and its catalog to frontend/i18n; nothing else names a language.
package l10n

import (
	"maps"
	"strings"
	"unicode/utf8"

	"jiayuan/app/fault"
)

// Languages are the site's languages, the first the default: what a Text lacks in one
// language it shows in the default's, and the catalogs of frontend/i18n are these.
var Languages = []string{"zh-Hans", "zh-Hant", "en"}

// Text is one text by language tag. The default language's is always there; the
// others may be missing or empty.
type Text map[string]string

// In is the text in lang, or in the default language when it has none in lang.
func (t Text) In(lang string) string {
	if v := t[lang]; v != "" {
		return v
	}
	return t[Languages[0]]
}

// String is the default language's text: what logs and fmt show.
func (t Text) String() string { return t[Languages[0]] }

// All is t with an entry, maybe empty, for every language: how the API shows it.
func (t Text) All() map[string]string {
	all := make(map[string]string, len(Languages))
	for _, l := range Languages {
		all[l] = t[l]
	}
	return all
}

// Field names a text's language in forms, the API and error codes: base itself in the
// default language, else base, "_" and the language's tag in lower case without the
// default's language when it shares it: name, name_hant, name_en (name_ja, name_pt_br).
func Field(base, lang string) string {
	if lang == Languages[0] {
		return base
	}
	primary, _, _ := strings.Cut(Languages[0], "-")
	tag := strings.TrimPrefix(lang, primary+"-")
	return base + "_" + strings.ToLower(strings.ReplaceAll(tag, "-", "_"))
}

// Rule is what each language's text of a Text must be: at most Max characters, valid
// UTF-8 without NUL or angle brackets, and, when Required, not empty. Field is the base
// of the names errors give (see Field).
type Rule struct {
	Field    string
	Max      int
	Required bool
}

// Set returns old with the texts of given put over it, each trimmed and checked: a
// language given lacks keeps its text in old, and old itself is not changed. The error
// names the first text refused, in the order of Languages.
func (r Rule) Set(old, given Text) (Text, error) {
	out := maps.Clone(old)
	for _, l := range Languages {
		v, ok := given[l]
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		n := utf8.RuneCountInString(v)
		if !utf8.ValidString(v) || n > r.Max || strings.ContainsAny(v, "\x00<>") || (r.Required && n == 0) {
			f := Field(r.Field, l)
			return nil, fault.Invalid(f, "err_field_length", "field", f, "max", r.Max)
		}
		if out == nil {
			out = Text{}
		}
		out[l] = v
	}
	return out, nil
}

// Given collects the texts a request set, one per language in the order of Languages;
// nil ones are left out, so that they stay as they are.
func Given(texts ...*string) Text {
	t := Text{}
	for i, v := range texts {
		if v != nil && i < len(Languages) {
			t[Languages[i]] = *v
		}
	}
	return t
}
