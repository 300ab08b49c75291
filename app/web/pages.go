package web

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/url"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
	"golang.org/x/text/language"

	"jiayuan/app/accounts"
	"jiayuan/app/forum"
	"jiayuan/app/i18n"
	"jiayuan/app/l10n"
	"jiayuan/frontend"
)

const langCookie = "jy_lang"

// displayZone is where the community lives; times on pages are shown in it.
var displayZone = mustZone("Asia/Shanghai")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}

type asset struct {
	body, gzip, brotli []byte // compressed once, at start
	ctype              string
	hash               string
}

// staticAssets are the embedded files, hashed and compressed: the same for every
// server in the process, and brotli at its best level is slow, so built once.
var staticAssets = sync.OnceValues(func() (map[string]asset, error) {
	assets := map[string]asset{}
	err := fs.WalkDir(frontend.Static, "static", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(frontend.Static, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		assets[path.Base(name)] = asset{body: body, ctype: mime.TypeByExtension(path.Ext(name)), hash: hex.EncodeToString(sum[:6]),
			gzip:   fasthttp.AppendGzipBytesLevel(nil, body, fasthttp.CompressBestCompression),
			brotli: fasthttp.AppendBrotliBytesLevel(nil, body, fasthttp.CompressBrotliBestCompression)}
		return nil
	})
	return assets, err
})

// pages holds the parsed templates, catalogs and hashed assets, built once at start.
type pages struct {
	tmpl     map[string]*template.Template
	frag     *template.Template // the cacheable fragments: _*.html
	catalogs i18n.Catalogs
	assets   map[string]asset
	deflated *deflatedFragments // the fragments, compressed once (gzip.go)
}

// view is what every page template gets.
type view struct {
	Unread int64
	Lang   string
	T      map[string]string
	User   *accounts.User
	CSRF   string
	Path   string
	Title  string
	Data   any
	// Links to the moderation queue and the admin pages, for those who may use them.
	Mod, Admin bool
	// Nonce lets the page's own inline style past the Content-Security-Policy.
	Nonce string
	// Langs are the language switch's links: this page, its query kept.
	Langs []langLink
}

type langLink struct {
	Lang, Label, Href string
	Current           bool
}

var langLabels = map[string]string{"zh-Hans": "简", "zh-Hant": "繁", "en": "EN"}

// langLinks lead to the page being read in each language, with its query (a search's
// q, a thread's view and page) kept.
func langLinks(c *fiber.Ctx, cur string) []langLink {
	q, _ := url.ParseQuery(string(c.Request().URI().QueryString()))
	out := make([]langLink, 0, len(i18n.Languages))
	for _, l := range i18n.Languages {
		q.Set("lang", l)
		out = append(out, langLink{Lang: l, Label: langLabels[l], Href: c.Path() + "?" + q.Encode(), Current: l == cur})
	}
	return out
}

func newPages() (*pages, error) {
	cats, err := i18n.Load()
	if err != nil {
		return nil, err
	}
	assets, err := staticAssets()
	if err != nil {
		return nil, err
	}
	p := &pages{tmpl: map[string]*template.Template{}, catalogs: cats, assets: assets, deflated: newDeflatedFragments()}
	funcs := template.FuncMap{
		"asset":  p.assetURL,
		"when":   func(t time.Time) string { return t.In(displayZone).Format("2006-01-02 15:04") },
		"iso":    func(t time.Time) string { return t.Format(time.RFC3339) },
		"html":   trustedHTML,
		"indent": func(d int) int { return min(d, forum.MaxDepth) },
		"name":   authorName,
		"uname":  authorUsername,
		"prev":   func(n int64) int64 { return n - 1 },
		"back":   postURL, // a post's address in a view, to go back to
		"split":  strings.Fields,
		"t": func(cat map[string]string, key string) string {
			if v, ok := cat[key]; ok {
				return v
			}
			return key
		},
		// A localized text's fields in forms, one per language, each labelled in its own.
		"langs": func() []string { return l10n.Languages },
		"field": l10n.Field,
		"tin":   func(lang, key string) string { return cats[lang][key] },
	}
	names, err := fs.Glob(frontend.Templates, "templates/*.html")
	if err != nil {
		return nil, err
	}
	if p.frag, err = template.New("fragments").Funcs(funcs).ParseFS(frontend.Templates, "templates/_*.html"); err != nil {
		return nil, fmt.Errorf("fragments: %w", err)
	}
	for _, n := range names {
		base := path.Base(n)
		if base == "layout.html" || strings.HasPrefix(base, "_") {
			continue
		}
		t, err := template.New(base).Funcs(funcs).ParseFS(frontend.Templates, "templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", base, err)
		}
		p.tmpl[strings.TrimSuffix(base, ".html")] = t
	}
	return p, nil
}

func (p *pages) assetURL(name string) string {
	a, ok := p.assets[name]
	if !ok {
		panic("unknown asset " + name) // caught at the first render in tests
	}
	return "/static/" + name + "?v=" + a.hash
}

func authorName(users map[int64]*accounts.User, id int64) string {
	if u, ok := users[id]; ok {
		return u.DisplayName
	}
	return fmt.Sprintf("#%d", id)
}

// authorUsername is shown beside (or on hover over) a display name, which anyone may
// choose, so that two people with one display name can be told apart.
func authorUsername(users map[int64]*accounts.User, id int64) string {
	if u, ok := users[id]; ok {
		return u.Username
	}
	return fmt.Sprintf("#%d", id)
}

// lang picks the UI language: ?lang= (remembered in a cookie), the cookie, then
// Accept-Language, then Simplified Chinese.
func lang(c *fiber.Ctx) string {
	if q := c.Query("lang"); q != "" {
		if _, err := language.Parse(q); err == nil {
			l := i18n.Match(q)
			c.Cookie(&fiber.Cookie{Name: langCookie, Value: l, Path: "/", MaxAge: 365 * 24 * 3600, SameSite: fiber.CookieSameSiteLaxMode})
			return l
		}
	}
	if ck := c.Cookies(langCookie); slices.Contains(i18n.Languages, ck) {
		return ck
	}
	return i18n.Match(c.Get(fiber.HeaderAcceptLanguage))
}

// render executes a page template with the common view data.
func (s *Server) render(c *fiber.Ctx, status int, page, title string, data any) error {
	l := lang(c)
	w := caller(c)
	v := view{Lang: l, T: s.pages.catalogs[l], User: w.user, Path: c.Path(), Title: title, Data: data,
		Nonce: styleNonce(), Langs: langLinks(c, l)}
	if w.session != nil {
		v.CSRF = w.session.CSRFToken
	}
	if w.user != nil {
		n, err := s.Notify.Unread(c.UserContext(), w.user.ID)
		if err != nil {
			return err
		}
		v.Unread = n
		// Which links to show is read from the roles held, not asked of the policy:
		// the pages behind the links decide.
		for _, r := range s.Policy.RolesOf(w.user.ID) {
			v.Admin = v.Admin || r == "admin"
			v.Mod = v.Mod || r == "admin" || strings.HasPrefix(r, "moderator@")
		}
	}
	t, ok := s.pages.tmpl[page]
	if !ok {
		return fmt.Errorf("no template %q", page)
	}
	c.Status(status).Type("html", "utf-8")
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set("Content-Language", l)
	c.Set(fiber.HeaderContentSecurityPolicy, contentPolicy(v.Nonce))
	// Every browser takes gzip, so pages go out as gzip built around their cached
	// fragments, compressed once (gzip.go), even to one that would take brotli.
	c.Vary(fiber.HeaderAcceptEncoding)
	if !c.Request().Header.HasAcceptEncoding("gzip") {
		return t.ExecuteTemplate(c.Response().BodyWriter(), "layout", v)
	}
	g := newGzipPage(s.pages.deflated)
	err := t.ExecuteTemplate(g, "layout", v)
	body, ferr := g.finish()
	if err = cmp.Or(err, ferr); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentEncoding, "gzip")
	c.Response().SetBodyRaw(body)
	return nil
}

// fragment renders a cacheable piece of a page to HTML.
func (p *pages) fragment(name string, data any) (template.HTML, error) {
	var b strings.Builder
	if err := p.frag.ExecuteTemplate(&b, name, data); err != nil {
		return "", err
	}
	p.deflated.remember(b.String())
	return template.HTML(b.String()), nil //nolint:gosec // output of html/template
}

// message is a domain error's message in the reader's language.
func (s *Server) message(c *fiber.Ctx, err error) string {
	return s.pages.catalogs.Message(lang(c), err)
}

func (s *Server) renderError(c *fiber.Ctx, status int, msg string) error {
	return s.render(c, status, "error", s.pages.catalogs[lang(c)]["error"], fiber.Map{"Status": status, "Message": msg})
}

// staticAsset serves embedded assets; a URL carrying the current hash is cached for a year.
func (s *Server) staticAsset(c *fiber.Ctx) error {
	a, ok := s.pages.assets[c.Params("name")]
	if !ok {
		return fiber.ErrNotFound
	}
	if c.Query("v") == a.hash {
		c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		c.Set(fiber.HeaderCacheControl, "no-cache")
	}
	c.Set(fiber.HeaderContentType, a.ctype)
	c.Vary(fiber.HeaderAcceptEncoding)
	h := &c.Request().Header
	switch {
	case h.HasAcceptEncoding("br"):
		c.Set(fiber.HeaderContentEncoding, "br")
		return c.Send(a.brotli)
	case h.HasAcceptEncoding("gzip"):
		c.Set(fiber.HeaderContentEncoding, "gzip")
		return c.Send(a.gzip)
	}
	return c.Send(a.body)
}
