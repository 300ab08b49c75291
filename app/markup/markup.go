// Package markup renders the Markdown users write into HTML that is safe to show. It is
// the only producer of template.HTML in Jiayuan: everything else is escaped by templates.
package markup

import (
	"bytes"
	"html/template"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer/html"
)

// Renderer converts Markdown to sanitized HTML. It is safe for concurrent use.
type Renderer struct {
	md     goldmark.Markdown
	policy *bluemonday.Policy
}

// New returns a Renderer with GitHub-flavoured Markdown and a user-content allowlist.
func New() *Renderer {
	md := goldmark.New(
		goldmark.WithExtensions(extension.GFM),
		// Raw HTML in posts is dropped by goldmark and would be stripped by bluemonday
		// anyway; keeping it off means the sanitizer is a second wall, not the only one.
		goldmark.WithRendererOptions(html.WithHardWraps()),
	)
	p := bluemonday.UGCPolicy()
	p.RequireNoFollowOnLinks(true)
	p.RequireNoReferrerOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	p.AllowAttrs("class").Matching(bluemonday.SpaceSeparatedTokens).OnElements("code")
	return &Renderer{md: md, policy: p}
}

// Render returns the sanitized HTML of src.
func (r *Renderer) Render(src string) string {
	var buf bytes.Buffer
	if err := r.md.Convert([]byte(src), &buf); err != nil {
		// goldmark only fails on writer errors, which a bytes.Buffer never returns;
		// fall back to escaped text rather than losing the post.
		return "<p>" + template.HTMLEscapeString(src) + "</p>"
	}
	return r.policy.Sanitize(buf.String())
}

// Trusted marks HTML produced by Render (and stored) as safe for templates. It must only
// ever be given the output of Render.
func Trusted(renderedHTML string) template.HTML {
	return template.HTML(renderedHTML) //nolint:gosec // produced by Render: sanitized
}
