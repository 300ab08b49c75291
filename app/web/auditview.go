package web

import (
	"context"
	"encoding/json"
	"html/template"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"jiayuan/app/audit"
	"jiayuan/app/forum"
	"jiayuan/app/i18n"
)

// auditActions are the actions the log records, in the order the filter lists them;
// each has its name (act_…) and its sentence (audit_…) in the catalogs.
var auditActions = []string{"role.grant", "role.revoke", "user.ban", "user.unban", "user.reset_password", "user.silence",
	"post.hide", "post.restore", "post.edit", "post.approve", "post.reject", "report.resolve",
	"thread.update", "thread.merge", "thread.split", "board.create", "board.update", "branch.create", "words.update"}

// auditEntry is an entry with the people and things it names, so that neither the page
// nor an API client has to look ids up one by one.
type auditEntry struct {
	*audit.Entry
	ActorUsername     string `json:"actor_username,omitempty"`
	ActorDisplayName  string `json:"actor_display_name,omitempty"`
	TargetUsername    string `json:"target_username,omitempty"`
	TargetDisplayName string `json:"target_display_name,omitempty"`
	ThreadID          int64  `json:"thread_id,omitempty"`
	ThreadTitle       string `json:"thread_title,omitempty"`
	PostSeq           int64  `json:"post_seq,omitempty"`
	URL               string `json:"url,omitempty"` // the target's page, when it has one

	targetKind, targetID string
	post                 *forum.Post
	Sentence             template.HTML `json:"-"`
}

// auditEntries looks up the actors and targets of es. What is gone since (a deleted
// user, a merged thread) is left unnamed: the ids are still there.
func (s *Server) auditEntries(c *fiber.Ctx, es []*audit.Entry) ([]*auditEntry, error) {
	ctx := c.UserContext()
	out := make([]*auditEntry, len(es))
	var userIDs, postIDs []int64
	for i, e := range es {
		a := &auditEntry{Entry: e}
		a.targetKind, a.targetID, _ = strings.Cut(e.Target, ":")
		id, _ := strconv.ParseInt(a.targetID, 10, 64)
		switch a.targetKind {
		case "user":
			userIDs = append(userIDs, id)
		case "post":
			postIDs = append(postIDs, id)
		case "thread":
			a.ThreadID = id
		}
		if e.ActorID != audit.Console {
			userIDs = append(userIDs, e.ActorID)
		}
		out[i] = a
	}
	users, err := s.Accounts.Users(ctx, userIDs)
	if err != nil {
		return nil, err
	}
	posts, err := s.Forum.PostsByIDs(ctx, postIDs)
	if err != nil {
		return nil, err
	}
	for _, a := range out {
		if u := users[a.ActorID]; u != nil && a.ActorID != audit.Console {
			a.ActorUsername, a.ActorDisplayName = u.Username, u.DisplayName
		}
		id, _ := strconv.ParseInt(a.targetID, 10, 64)
		switch a.targetKind {
		case "user":
			if u := users[id]; u != nil {
				a.TargetUsername, a.TargetDisplayName = u.Username, u.DisplayName
				a.URL = "/admin/users?q=" + url.QueryEscape(u.Username)
			}
		case "post":
			if p := posts[id]; p != nil {
				a.post, a.ThreadID, a.PostSeq, a.URL = p, p.ThreadID, p.Seq, backTo(p)
			}
		case "thread":
			a.URL = "/t/" + a.targetID
		case "board":
			a.URL = "/b/" + a.targetID
		case "branch":
			a.URL = "/admin/branches"
		case "report":
			a.URL = "/mod"
		case "wordlist":
			a.URL = "/admin/words"
		}
	}
	threadIDs := make([]int64, len(out))
	for i, a := range out {
		threadIDs[i] = a.ThreadID
	}
	titles := s.threadTitles(ctx, threadIDs)
	for _, a := range out {
		a.ThreadTitle = titles[a.ThreadID]
	}
	return out, nil
}

// threadTitles are the titles of the threads ids, each looked up once; a thread gone
// since (merged, say) has "".
func (s *Server) threadTitles(ctx context.Context, ids []int64) map[int64]string {
	out := map[int64]string{}
	for _, id := range ids {
		if _, seen := out[id]; seen || id == 0 {
			continue
		}
		out[id] = ""
		if t, _, err := s.Forum.ThreadAndBoard(ctx, id); err == nil {
			out[id] = t.Title
		}
	}
	return out
}

// sentences writes each entry as a sentence in lang: who did what to what, the target
// a link to its page.
func (s *Server) sentences(c *fiber.Ctx, es []*auditEntry) error {
	l := lang(c)
	T := s.pages.catalogs[l]
	boards, err := s.boardsBySlug(c)
	if err != nil {
		return err
	}
	esc := template.HTMLEscapeString
	for _, a := range es {
		actor := T["audit_console"]
		if a.ActorID != audit.Console {
			actor = a.ActorDisplayName + " (" + a.ActorUsername + ")"
			if a.ActorUsername == "" {
				actor = "#" + strconv.FormatInt(a.ActorID, 10)
			}
		}
		target := a.Target
		switch a.targetKind {
		case "user":
			if a.TargetUsername != "" {
				target = a.TargetDisplayName + " (" + a.TargetUsername + ")"
			}
		case "post":
			if a.ThreadTitle != "" {
				target = i18n.Fill(T["audit_post_in"], "seq", a.PostSeq, "thread", a.ThreadTitle)
			}
		case "thread":
			if a.ThreadTitle != "" {
				target = a.ThreadTitle
			}
		case "board":
			if b := boards[a.targetID]; b != nil {
				target = b.Name.In(l)
			}
		case "branch":
			target = a.targetID
		case "report":
			target = T["report"] + " #" + a.targetID
		case "wordlist":
			target = T["admin_words"]
		}
		target = esc(target)
		if a.URL != "" {
			target = `<a href="` + esc(a.URL) + `">` + target + `</a>`
		}
		key, extra := auditKey(a.Entry)
		args := []any{"actor", esc(actor), "target", target}
		if role := extra["role"]; role != "" {
			args = append(args, "role", esc(roleLabel(T, l, boards, role)))
		}
		if v := extra["value"]; v != "" {
			if b := boards[v]; b != nil && key == "audit_thread_move" {
				v = b.Name.In(l)
			}
			if key == "audit_report_resolve" {
				v = T["status_"+v]
			}
			args = append(args, "value", esc(v))
		}
		text, ok := T[key]
		if !ok {
			text = T["audit_other"]
			args = append(args, "action", esc(a.Action))
		}
		a.Sentence = template.HTML(i18n.Fill(esc(text), args...))
	}
	return nil
}

// auditKey picks the sentence of an entry, and the values it fills in besides the
// actor and the target: a role granted, a thread's new title or board. A thread's
// update says which change it was, read from its before and after.
func auditKey(e *audit.Entry) (string, map[string]string) {
	extra := map[string]string{}
	key := "audit_" + strings.NewReplacer(".", "_").Replace(e.Action)
	switch e.Action {
	case "role.grant", "role.revoke":
		var as struct{ Role, Domain string }
		raw := e.After
		if e.Action == "role.revoke" {
			raw = e.Before
		}
		if json.Unmarshal(raw, &as) == nil && as.Role != "" {
			extra["role"] = as.Role
			if as.Domain != "*" && as.Domain != "" {
				extra["role"] += "@" + as.Domain
			}
		}
	case "report.resolve":
		var after struct{ Status string }
		if json.Unmarshal(e.After, &after) == nil {
			extra["value"] = after.Status
		}
	case "thread.update":
		var before, after map[string]any
		_ = json.Unmarshal(e.Before, &before)
		_ = json.Unmarshal(e.After, &after)
		switch {
		case before["title"] != after["title"]:
			key, extra["value"] = "audit_thread_rename", toString(before["title"]) // the link shows the new
		case before["board"] != after["board"]:
			key, extra["value"] = "audit_thread_move", toString(after["board"])
		case before["pinned"] != after["pinned"]:
			key = map[bool]string{true: "audit_thread_pin", false: "audit_thread_unpin"}[after["pinned"] == true]
		case before["locked"] != after["locked"]:
			key = map[bool]string{true: "audit_thread_lock", false: "audit_thread_unlock"}[after["locked"] == true]
		}
	}
	return key, extra
}

func toString(v any) string {
	s, _ := v.(string)
	return s
}

func (s *Server) boardsBySlug(c *fiber.Ctx) (map[string]*forum.Board, error) {
	all, err := s.boardsList(c)
	if err != nil {
		return nil, err
	}
	m := make(map[string]*forum.Board, len(all))
	for _, b := range all {
		m[b.Slug] = b
	}
	return m, nil
}

// roleLabel is a role as RolesOf gives it ("moderator@board:xinyu") in the reader's
// words: 版主 · 心语.
func roleLabel(T map[string]string, lang string, boards map[string]*forum.Board, role string) string {
	r, domain, _ := strings.Cut(role, "@")
	name := r
	if v, ok := T["role_"+r]; ok {
		name = v
	}
	if domain == "" || domain == "*" {
		return name
	}
	return name + " · " + scopeLabel(T, lang, boards, domain)
}

// scopeLabel names a domain: a board by its name, a branch as such.
func scopeLabel(T map[string]string, lang string, boards map[string]*forum.Board, domain string) string {
	kind, v, _ := strings.Cut(domain, ":")
	switch kind {
	case "board":
		if b := boards[v]; b != nil {
			return b.Name.In(lang)
		}
	case "branch":
		return i18n.Fill(T["in_branch"], "branch", v)
	}
	return v
}

// accessLabel is a board's read or post access in the reader's words.
func accessLabel(T map[string]string, access string) string {
	if name, ok := strings.CutPrefix(access, "branch:"); ok {
		return i18n.Fill(T["in_branch"], "branch", name)
	}
	if v, ok := T["access_"+access]; ok {
		return v
	}
	return access
}
