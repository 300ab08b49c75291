package web

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"jiayuan/app/accounts"
	"jiayuan/app/audit"
	"jiayuan/app/fault"
	"jiayuan/app/forum"
	"jiayuan/app/i18n"
	"jiayuan/app/l10n"
	"jiayuan/app/org"
	"jiayuan/app/words"
	"jiayuan/policy"
)

// adminPage is what every admin page gets: its section, a one-off message (a reset
// password, say) and the section's data.
type adminPage struct {
	Section string
	Notice  string
	Error   string
	Data    any
}

func (s *Server) adminRender(c *fiber.Ctx, status int, section string, data any, notice, errMsg string) error {
	T := s.pages.catalogs[lang(c)]
	return s.render(c, status, "admin", T["admin"]+" · "+T["admin_"+section], adminPage{Section: section, Notice: notice, Error: errMsg, Data: data})
}

// adminDone sends the browser back to a section, or shows the error on it.
func (s *Server) adminDone(c *fiber.Ctx, section string, err error) error {
	if fe := (*fault.Error)(nil); errors.As(err, &fe) && fe.Kind != fault.KindInternal {
		return s.showAdmin(c, section, statusFor(err), "", s.message(c, fe))
	} else if err != nil {
		return err
	}
	return c.Redirect("/admin/"+section, fiber.StatusSeeOther)
}

func (s *Server) pageAdmin(c *fiber.Ctx) error {
	section := c.Params("section", "users")
	return s.showAdmin(c, section, fiber.StatusOK, "", "")
}

func (s *Server) showAdmin(c *fiber.Ctx, section string, status int, notice, errMsg string) error {
	ctx, uid := c.UserContext(), userID(c)
	var data any
	var err error
	switch section {
	case "users":
		after, _ := strconv.ParseInt(c.Query("after"), 10, 64)
		var us []*accounts.UserInfo
		if us, err = s.Accounts.ListUsers(ctx, uid, c.Query("q"), after, 50); err == nil {
			data, err = s.usersData(c, us)
		}
	case "boards":
		if err = s.adminAllowed(uid, "boards"); err == nil {
			data, err = s.boardsData(c)
		}
	case "branches":
		data, err = s.Org.Branches(ctx, uid)
	case "words":
		var wl *words.List
		wl, err = s.Words.List(ctx, uid)
		if err == nil {
			var b strings.Builder
			for _, r := range wl.Rules {
				fmt.Fprintf(&b, "%s %s\n", r.Pattern, r.Action)
			}
			text := b.String()
			if t := c.FormValue("rules"); errMsg != "" && t != "" {
				text = strings.Clone(t)
			}
			data = fiber.Map{"Text": text, "Count": len(wl.Rules)}
		}
	case "audit":
		before, _ := strconv.ParseInt(c.Query("before"), 10, 64)
		var es []*audit.Entry
		es, err = s.Audit.List(ctx, uid, c.Query("action"), before, 100)
		var entries []*auditEntry
		if err == nil {
			entries, err = s.auditEntries(c, es)
		}
		if err == nil {
			err = s.sentences(c, entries)
		}
		next := ""
		if len(es) == 100 {
			next = fmt.Sprintf("/admin/audit?before=%d&action=%s", es[99].ID, url.QueryEscape(c.Query("action")))
		}
		T := s.pages.catalogs[lang(c)]
		actions := make([]option, len(auditActions))
		for i, a := range auditActions {
			actions[i] = option{Value: a, Label: T["act_"+strings.ReplaceAll(a, ".", "_")]}
		}
		data = fiber.Map{"Entries": entries, "Next": next, "Action": c.Query("action"), "Actions": actions}
	default:
		return fiber.ErrNotFound
	}
	if err != nil {
		return err
	}
	return s.adminRender(c, status, section, data, notice, errMsg)
}

// option is one choice of a select: the value sent and the label the reader sees.
type option struct{ Value, Label string }

// adminUser is a row of the users page: the roles held in the reader's words.
type adminUser struct {
	*accounts.UserInfo
	RoleNames []string
}

// scopes are what a role or an access level can be held in: the boards and branches.
func (s *Server) scopes(c *fiber.Ctx) ([]*forum.Board, []*org.Branch, error) {
	boards, err := s.boardsList(c)
	if err != nil {
		return nil, nil, err
	}
	branches, err := s.Org.Branches(c.UserContext(), userID(c))
	return boards, branches, err
}

// usersData is the users page: its rows, and the picker's roles and scopes (site-wide,
// a board, a branch), each chosen from a list rather than typed.
func (s *Server) usersData(c *fiber.Ctx, us []*accounts.UserInfo) (fiber.Map, error) {
	l := lang(c)
	T := s.pages.catalogs[l]
	boards, branches, err := s.scopes(c)
	if err != nil {
		return nil, err
	}
	bySlug := make(map[string]*forum.Board, len(boards))
	boardOpts := make([]option, len(boards))
	for i, b := range boards {
		bySlug[b.Slug] = b
		boardOpts[i] = option{Value: "board:" + b.Slug, Label: b.Name.In(l)}
	}
	branchOpts := make([]option, len(branches))
	for i, b := range branches {
		branchOpts[i] = option{Value: "branch:" + b.Name, Label: b.Name}
	}
	rows := make([]adminUser, len(us))
	for i, u := range us {
		rows[i] = adminUser{UserInfo: u}
		for _, r := range u.Roles {
			rows[i].RoleNames = append(rows[i].RoleNames, roleLabel(T, l, bySlug, r))
		}
	}
	roles := make([]option, len(policy.Roles))
	for i, r := range policy.Roles {
		roles[i] = option{Value: r, Label: T["role_"+r]}
	}
	return fiber.Map{"Users": rows, "Q": c.Query("q"), "Roles": roles, "Boards": boardOpts, "Branches": branchOpts}, nil
}

// adminBoard is a board of the boards page with its access in the reader's words.
type adminBoard struct {
	*forum.Board
	ReadLabel, PostLabel string
}

// boardsData is the boards page: the boards, and the access levels to choose from.
func (s *Server) boardsData(c *fiber.Ctx) (fiber.Map, error) {
	T := s.pages.catalogs[lang(c)]
	boards, branches, err := s.scopes(c)
	if err != nil {
		return nil, err
	}
	rows := make([]adminBoard, len(boards))
	for i, b := range boards {
		rows[i] = adminBoard{Board: b, ReadLabel: accessLabel(T, b.ReadAccess), PostLabel: accessLabel(T, b.PostAccess)}
	}
	var levels []option
	for _, a := range []string{forum.AccessPublic, forum.AccessStaff, forum.AccessParty, forum.AccessModerators} {
		levels = append(levels, option{Value: a, Label: accessLabel(T, a)})
	}
	for _, b := range branches {
		levels = append(levels, option{Value: "branch:" + b.Name, Label: accessLabel(T, "branch:"+b.Name)})
	}
	return fiber.Map{"Boards": rows, "Levels": levels}, nil
}

func (s *Server) adminAllowed(uid int64, object string) error {
	if s.Policy.Allowed(uid, "*", object, "manage") {
		return nil
	}
	return fault.Deny(uid, "err_only_admins_may_do")
}

// formAdminUser grants or revokes a role, bans or unbans, or resets a password.
func (s *Server) formAdminUser(c *fiber.Ctx) error {
	ctx, uid := c.UserContext(), userID(c)
	username := strings.Clone(c.Params("username"))
	change := org.RoleChange{Username: username, Role: c.FormValue("role")}
	if scope := strings.TrimSpace(c.FormValue("scope")); scope != "" {
		kind, name, _ := strings.Cut(scope, ":")
		switch kind {
		case "board":
			change.Board = name
		case "branch":
			change.Branch = name
		default:
			return s.adminDone(c, "users", fault.Invalid("scope", "err_scope"))
		}
	}
	op := c.FormValue("op")
	if (op == "ban" || op == "password") && c.FormValue("confirmed") != "1" {
		return s.confirmAdminUser(c, username, op)
	}
	var err error
	switch op {
	case "grant":
		_, err = s.Org.Grant(ctx, uid, change)
	case "revoke":
		err = s.Org.Revoke(ctx, uid, change)
	case "ban", "unban":
		_, err = s.Accounts.SetBanned(ctx, uid, username, c.FormValue("op") == "ban")
	case "password":
		var pw string
		if pw, err = s.Accounts.ResetPassword(ctx, uid, username); err == nil {
			c.Set(fiber.HeaderCacheControl, "no-store")
			T := s.pages.catalogs[lang(c)]
			return s.showAdmin(c, "users", fiber.StatusOK, fmt.Sprintf("%s %s: %s", T["new_password_for"], username, pw), "")
		}
	default:
		err = fault.Invalid("op", "err_unknown_action")
	}
	return s.adminDone(c, "users", err)
}

// confirmAdminUser asks before a ban or a password reset, on a page of its own so that
// it works without JavaScript; its form sends the same action, confirmed.
func (s *Server) confirmAdminUser(c *fiber.Ctx, username, op string) error {
	T := s.pages.catalogs[lang(c)]
	if _, err := s.Accounts.UserByName(c.UserContext(), username); err != nil {
		return s.adminDone(c, "users", fault.NotFound("user"))
	}
	button := map[string]string{"ban": T["ban"], "password": T["reset_password"]}[op]
	return s.render(c, fiber.StatusOK, "confirm", button, confirmPage{Heading: button + " " + username,
		Message: i18n.Fill(T["confirm_"+op], "username", username), Action: c.Path(), Button: button,
		Back: "/admin/users?q=" + url.QueryEscape(username), Fields: map[string]string{"op": op, "confirmed": "1"}})
}

func formText(c *fiber.Ctx, name string) *string {
	if !c.Request().PostArgs().Has(name) {
		return nil
	}
	v := strings.Clone(c.FormValue(name))
	return &v
}

// formTexts reads the languages of a localized text that the form sent, each from its
// field (see l10n.Field).
func formTexts(c *fiber.Ctx, base string) l10n.Text {
	t := l10n.Text{}
	for _, l := range l10n.Languages {
		if v := formText(c, l10n.Field(base, l)); v != nil {
			t[l] = *v
		}
	}
	return t
}

// boardInputFromForm reads a board's fields from the admin form.
func boardInputFromForm(c *fiber.Ctx) (forum.BoardInput, error) {
	in := forum.BoardInput{Slug: strings.Clone(c.FormValue("slug")), Name: formTexts(c, "name"), Description: formTexts(c, "description"),
		ReadAccess: formText(c, "read_access"), PostAccess: formText(c, "post_access")}
	if raw := c.FormValue("position"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil {
			return in, fault.Invalid("position", "err_position_number")
		}
		in.Position = &n
	}
	if c.Request().PostArgs().Has("archived_set") {
		archived := c.FormValue("archived") == "1"
		in.Archived = &archived
	}
	return in, nil
}

func (s *Server) formAdminBoards(c *fiber.Ctx) error {
	in, err := boardInputFromForm(c)
	if err == nil {
		_, err = s.Forum.CreateBoard(c.UserContext(), userID(c), in)
	}
	return s.adminDone(c, "boards", err)
}

func (s *Server) formAdminBoard(c *fiber.Ctx) error {
	in, err := boardInputFromForm(c)
	if err == nil {
		_, err = s.Forum.UpdateBoard(c.UserContext(), userID(c), c.Params("slug"), in)
	}
	return s.adminDone(c, "boards", err)
}

func (s *Server) formAdminBranches(c *fiber.Ctx) error {
	_, err := s.Org.CreateBranch(c.UserContext(), userID(c), strings.Clone(c.FormValue("name")), strings.Clone(c.FormValue("description")))
	return s.adminDone(c, "branches", err)
}

// formAdminWords saves the word list: one rule a line, "pattern action", the action
// block, hold or replace (block when left out).
func (s *Server) formAdminWords(c *fiber.Ctx) error {
	var rules []words.Rule
	for i, line := range strings.Split(strings.ReplaceAll(c.FormValue("rules"), "\r\n", "\n"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		pattern, action := line, string(words.Block)
		if j := strings.LastIndexAny(line, " \t"); j > 0 {
			if a, err := words.ParseAction(strings.TrimSpace(line[j:])); err == nil {
				pattern, action = strings.TrimSpace(line[:j]), string(a)
			}
		}
		if len(rules) >= words.MaxRules {
			return s.adminDone(c, "words", fault.Invalid("rules", "err_word_list_line_too_many", "line", i+1, "max", words.MaxRules))
		}
		rules = append(rules, words.Rule{Pattern: strings.Clone(pattern), Action: words.Action(action)})
	}
	_, err := s.Words.Replace(c.UserContext(), userID(c), rules)
	return s.adminDone(c, "words", err)
}
