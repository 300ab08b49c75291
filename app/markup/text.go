package markup

import (
	"html"
	"strings"

	xhtml "golang.org/x/net/html"
)

// blocks end a run of text: their content never joins the next word or phrase.
var blocks = map[string]bool{"p": true, "br": true, "li": true, "h1": true, "h2": true, "h3": true, "h4": true, "h5": true,
	"h6": true, "pre": true, "blockquote": true, "tr": true, "td": true, "th": true, "hr": true, "div": true}

// PlainText returns the text of rendered (sanitized) HTML, for the search index and
// snippets: tags dropped, entities decoded, blocks separated by a line break.
func PlainText(renderedHTML string) string {
	var b strings.Builder
	z := xhtml.NewTokenizer(strings.NewReader(renderedHTML))
	for {
		switch z.Next() {
		case xhtml.ErrorToken:
			return strings.TrimSpace(b.String())
		case xhtml.TextToken:
			b.Write(z.Text())
		case xhtml.StartTagToken, xhtml.EndTagToken, xhtml.SelfClosingTagToken:
			if name, _ := z.TagName(); blocks[string(name)] {
				b.WriteByte('\n')
			}
		}
	}
}

// Highlight escapes text and wraps the byte ranges given (sorted, not overlapping) in
// <mark>. Its output is safe to insert as HTML.
func Highlight(text string, ranges [][2]int) string {
	var b strings.Builder
	at := 0
	for _, r := range ranges {
		if r[0] < at || r[1] > len(text) || r[0] >= r[1] {
			continue
		}
		b.WriteString(html.EscapeString(text[at:r[0]]))
		b.WriteString("<mark>")
		b.WriteString(html.EscapeString(text[r[0]:r[1]]))
		b.WriteString("</mark>")
		at = r[1]
	}
	b.WriteString(html.EscapeString(text[at:]))
	return b.String()
}
