// Package i18n reads the catalogs of frontend/i18n and puts message keys, a page's or
// a domain error's, into the reader's language. The domain writes keys and arguments,
// never prose; only the edges (web, realtime) translate.
package i18n

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"golang.org/x/text/language"

	"jiayuan/app/fault"
	"jiayuan/app/l10n"
	"jiayuan/frontend"
)

// Languages are the catalogs' languages, the first the default: the site's, kept in
// l10n so that the domain's texts and the catalogs name the same ones.
var Languages = l10n.Languages

var matcher = func() language.Matcher {
	tags := make([]language.Tag, len(Languages))
	for i, l := range Languages {
		tags[i] = language.MustParse(l)
	}
	return language.NewMatcher(tags)
}()

// Match picks the catalog language nearest to pref: an Accept-Language value
// ("en-GB,en;q=0.8"), a tag ("zh-TW") or a POSIX locale ("zh_TW.UTF-8"). Nothing
// near, or nothing given, is the default.
func Match(pref string) string {
	if strings.Contains(pref, "_") { // a locale: drop the charset and modifier
		pref = strings.ReplaceAll(strings.FieldsFunc(pref, func(r rune) bool { return r == '.' || r == '@' })[0], "_", "-")
	}
	tags, _, err := language.ParseAcceptLanguage(pref)
	if err != nil || len(tags) == 0 {
		return Languages[0]
	}
	_, i, _ := matcher.Match(tags...)
	return Languages[i]
}

// Catalogs maps a language to its texts by key.
type Catalogs map[string]map[string]string

// Load reads the embedded catalogs.
func Load() (Catalogs, error) {
	c := Catalogs{}
	for _, l := range Languages {
		raw, err := fs.ReadFile(frontend.Catalogs, "i18n/"+l+".json")
		if err != nil {
			return nil, err
		}
		cat := map[string]string{}
		if err := json.Unmarshal(raw, &cat); err != nil {
			return nil, fmt.Errorf("catalog %s: %w", l, err)
		}
		c[l] = cat
	}
	return c, nil
}

// Text is key's text in lang with its {name} placeholders filled from args, given as
// name, value pairs; a value that is an l10n.Text (a board's name) is given in lang too.
// A key missing in lang falls back to the default language, then to the key itself, so
// a gap shows as something a person can report.
func (c Catalogs) Text(lang, key string, args ...any) string {
	text, ok := c[lang][key]
	if !ok {
		if text, ok = c[Languages[0]][key]; !ok {
			text = key
		}
	}
	vals := make([]any, len(args)) // args may be an error's, which others read too
	for i, a := range args {
		if t, ok := a.(l10n.Text); ok {
			a = t.In(lang)
		}
		vals[i] = a
	}
	return Fill(text, vals...)
}

// Message is a domain error's message in lang; anything that is not a fault reads
// as the internal error.
func (c Catalogs) Message(lang string, err error) string {
	var fe *fault.Error
	if !errors.As(err, &fe) {
		return c.Text(lang, "err_internal")
	}
	return c.Text(lang, fe.Key, fe.Args...)
}

// Fill replaces each {name} in text with its value from the name, value pairs.
func Fill(text string, args ...any) string {
	if len(args) < 2 {
		return text
	}
	pairs := make([]string, 0, len(args))
	for i := 0; i+1 < len(args); i += 2 {
		pairs = append(pairs, "{"+fmt.Sprint(args[i])+"}", fmt.Sprint(args[i+1]))
	}
	return strings.NewReplacer(pairs...).Replace(text)
}
