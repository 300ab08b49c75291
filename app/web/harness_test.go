package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"

	"jiayuan/app/accounts"
	"jiayuan/app/config"
	"jiayuan/app/events"
	"jiayuan/app/forum"
	"jiayuan/app/node"
	"jiayuan/app/org"
	"jiayuan/app/sqlstore"
	"jiayuan/app/testkit"
	"jiayuan/app/web"
	"jiayuan/policy"
	"jiayuan/realtime"
	"jiayuan/search"
)

// cheapArgon keeps tests fast; production uses argon2id's recommended parameters.
var cheapArgon = &argon2id.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// env is one Jiayuan over a fresh SQLite database, driven through app.Test.
type env struct {
	t      *testing.T
	srv    *web.Server
	addr   string
	hub    *realtime.Hub
	search *search.Service
	store  *sqlstore.Store
	forum  *forum.Service
	acc    *accounts.Service
	org    *org.Service
	policy *policy.Enforcer
	mu     sync.Mutex
	events []events.Event

	// followStore is the node's follower of the store, to run at a test's pace.
	followStore func(ctx context.Context, interval time.Duration)
}

func newEnv(t *testing.T, mutate ...func(*config.Config)) *env {
	t.Helper()
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, filepath.Join(t.TempDir(), "jiayuan.db"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{OpenRegistration: true, PageCacheMB: 8, SearchDir: filepath.Join(t.TempDir(), "search.bleve"),
		ShutdownGrace: time.Second}
	for _, m := range mutate {
		m(cfg)
	}
	n, err := node.New(ctx, cfg, node.Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Store: st,
		PasswordParams: cheapArgon, Now: limitClock})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, srv: n.Web, hub: n.Hub, search: n.Search, store: st, forum: n.Forum, acc: n.Accounts, org: n.Org, policy: n.Policy,
		followStore: n.FollowStore}
	n.Bus.Subscribe(func(ev events.Event) { e.mu.Lock(); e.events = append(e.events, ev); e.mu.Unlock() })
	if _, _, err := n.Accounts.EnsureAdmin(ctx, "admin-password"); err != nil {
		n.Close()
		t.Fatal(err)
	}
	e.addr = serveLocally(t, n)
	return e
}

// serveLocally serves n on a random local port until the test ends (then it shuts down
// in order), and returns its address.
func serveLocally(t *testing.T, n *node.Node) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		n.Close()
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- n.Serve(ctx, ln) }()
	t.Cleanup(func() { stop(); <-served })
	return ln.Addr().String()
}

// limitClock stops the rate-limit windows' clock, so that no window edge can fall
// between the attempts of a test.
func limitClock() time.Time { return time.Date(2026, 12, 1, 12, 0, 30, 0, time.UTC) }

// send makes a real HTTP round trip to the server on its local port, so limits that
// the HTTP server enforces (body size) behave as in production. Answers of the API are
// checked against openapi.json.
func (e *env) send(req *http.Request) (*http.Response, error) {
	req.RequestURI = ""
	req.URL.Scheme, req.URL.Host = "http", e.addr
	res, err := noRedirects.Do(req)
	if err == nil {
		checkAnswer(e.t, req, res)
	}
	return res, err
}

var noRedirects = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Timeout:       30 * time.Second,
}

// resp is a finished response with its body read.
type resp struct {
	Status int
	Header http.Header
	Body   string
}

func (r resp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.Body), &m); err != nil {
		t.Fatalf("response is not JSON: %v\n%s", err, r.Body)
	}
	return m
}

// errCode returns error.code of a JSON error response.
func (r resp) errCode(t *testing.T) string {
	t.Helper()
	m := r.json(t)
	e, ok := m["error"].(map[string]any)
	if !ok {
		t.Fatalf("no error object in %s", r.Body)
	}
	if msg, _ := e["message"].(string); msg == "" {
		t.Fatalf("error without a message: %s", r.Body)
	}
	return e["code"].(string)
}

// client is a caller: a guest, a browser with a session cookie and CSRF token, or a
// script with a bearer token.
type client struct {
	e      *env
	cookie string
	csrf   string
	pre    string // the pre-session cookie of the sign-in forms
	bearer string
	header map[string]string
}

func (e *env) guest() *client { return &client{e: e} }

func (c *client) do(method, path string, body any) resp {
	c.e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, _ := json.Marshal(b)
		rd = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.cookie != "" {
		req.Header.Set("Cookie", "jy_session="+c.cookie)
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	res, err := c.e.send(req)
	if err != nil {
		c.e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return resp{Status: res.StatusCode, Header: res.Header, Body: string(raw)}
}

// form posts an HTML form as a browser without JavaScript would. The sign-in and
// sign-up forms are fetched first, as a browser does, for their pre-session CSRF token.
func (c *client) form(path string, values map[string]string) resp {
	c.e.t.Helper()
	if _, given := values["_csrf"]; !given && (path == "/login" || path == "/register") {
		values = c.withFormToken(path, values)
	}
	var b strings.Builder
	first := true
	for k, v := range values {
		if !first {
			b.WriteByte('&')
		}
		first = false
		b.WriteString(urlEncode(k) + "=" + urlEncode(v))
	}
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(b.String()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "text/html")
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	if c.cookie != "" {
		req.Header.Set("Cookie", "jy_session="+c.cookie)
	}
	if c.pre != "" {
		req.Header.Add("Cookie", "jy_presession="+c.pre)
	}
	res, err := c.e.send(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if ck := sessionFrom(res.Header); ck != "" {
		c.cookie = ck
	}
	return resp{Status: res.StatusCode, Header: res.Header, Body: string(raw)}
}

// withFormToken loads the form page at path, keeps its pre-session cookie, and returns
// values with the form's _csrf field added.
func (c *client) withFormToken(path string, values map[string]string) map[string]string {
	c.e.t.Helper()
	page := c.page(path)
	if v := cookieFrom(page.Header, "jy_presession"); v != "" {
		c.pre = v
	}
	m := regexp.MustCompile(`name="_csrf" value="([^"]*)"`).FindStringSubmatch(page.Body)
	if m == nil {
		c.e.t.Fatalf("no _csrf field in %s: %d\n%s", path, page.Status, page.Body)
	}
	out := map[string]string{"_csrf": m[1]}
	for k, v := range values {
		out[k] = v
	}
	return out
}

func cookieFrom(h http.Header, name string) string {
	for _, sc := range h.Values("Set-Cookie") {
		if v, ok := strings.CutPrefix(sc, name+"="); ok {
			v, _, _ = strings.Cut(v, ";")
			return v
		}
	}
	return ""
}

// user registers and signs in a new browser user.
func (e *env) user(name string) *client {
	e.t.Helper()
	g := e.guest()
	if r := g.do("POST", "/api/v1/auth/register", map[string]string{"username": name, "password": "password-" + name, "display_name": "用户" + name}); r.Status != 201 {
		e.t.Fatalf("register %s: %d %s", name, r.Status, r.Body)
	}
	return e.login(name, "password-"+name)
}

// direct makes a signed-in user through the services, bypassing the HTTP sign-in
// endpoints (and their rate limit).
func (e *env) direct(name string) *client {
	e.t.Helper()
	if _, err := e.acc.Register(e.t.Context(), accounts.RegisterInput{Username: name, Password: "password-" + name}); err != nil {
		e.t.Fatal(err)
	}
	_, sess, raw, err := e.acc.Login(e.t.Context(), name, "password-"+name)
	if err != nil {
		e.t.Fatal(err)
	}
	return &client{e: e, cookie: raw, csrf: sess.CSRFToken}
}

func (e *env) login(name, password string) *client {
	e.t.Helper()
	g := e.guest()
	r := g.do("POST", "/api/v1/auth/login", map[string]string{"username": name, "password": password})
	if r.Status != 200 {
		e.t.Fatalf("login %s: %d %s", name, r.Status, r.Body)
	}
	g.cookie = sessionFrom(r.Header)
	g.csrf = r.json(e.t)["csrf_token"].(string)
	return g
}

func sessionFrom(h http.Header) string {
	for _, sc := range h.Values("Set-Cookie") {
		if v, ok := strings.CutPrefix(sc, "jy_session="); ok {
			v, _, _ = strings.Cut(v, ";")
			return v
		}
	}
	return ""
}

func urlEncode(s string) string { return url.QueryEscape(s) }

// thread creates a thread through the API and returns its id and first post id.
func (c *client) thread(board, title, body string) (threadID, postID int64) {
	c.e.t.Helper()
	r := c.do("POST", "/api/v1/boards/"+board+"/threads", map[string]string{"title": title, "body": body})
	if r.Status != 201 {
		c.e.t.Fatalf("create thread: %d %s", r.Status, r.Body)
	}
	m := r.json(c.e.t)
	return int64(m["thread"].(map[string]any)["id"].(float64)), int64(m["post"].(map[string]any)["id"].(float64))
}

func (c *client) reply(threadID int64, body string, replyTo int64) map[string]any {
	c.e.t.Helper()
	req := map[string]any{"body": body}
	if replyTo != 0 {
		req["reply_to"] = replyTo
	}
	r := c.do("POST", "/api/v1/threads/"+itoa(threadID)+"/posts", req)
	if r.Status != 201 {
		c.e.t.Fatalf("reply: %d %s", r.Status, r.Body)
	}
	return r.json(c.e.t)["post"].(map[string]any)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func (e *env) eventTypes() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]string, len(e.events))
	for i, ev := range e.events {
		out[i] = ev.Type
	}
	return out
}

// grant gives a user a role through the console path (as `jiayuan admin grant` does).
func (e *env) grant(username, role, board, branch string) {
	e.t.Helper()
	if _, err := e.org.GrantFromConsole(e.t.Context(), org.RoleChange{Username: username, Role: role, Board: board, Branch: branch}); err != nil {
		e.t.Fatalf("grant %s %s: %v", username, role, err)
	}
}

// branch creates a party branch.
func (e *env) branch(name string) {
	e.t.Helper()
	if _, err := e.org.CreateBranchFromConsole(e.t.Context(), name, ""); err != nil {
		e.t.Fatal(err)
	}
}

// admin signs in the seeded first admin.
func (e *env) admin() *client { return e.login("admin", "admin-password") }

// session signs in an existing user through the service, for a fresh session.
func (e *env) session(name string) *client {
	e.t.Helper()
	_, sess, raw, err := e.acc.Login(e.t.Context(), name, "password-"+name)
	if err != nil {
		e.t.Fatal(err)
	}
	return &client{e: e, cookie: raw, csrf: sess.CSRFToken}
}

// userID looks up a user's id.
func (e *env) userID(name string) int64 {
	e.t.Helper()
	u, err := e.acc.UserByName(e.t.Context(), name)
	if err != nil {
		e.t.Fatal(err)
	}
	return u.ID
}

// waitFor polls cond for up to five seconds: for what the bus followers do after a write.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	testkit.Eventually(t, 5*time.Second, "the bus followers", cond)
}
