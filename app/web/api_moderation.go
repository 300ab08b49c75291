package web

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"jiayuan/app/accounts"
	"jiayuan/app/fault"
	"jiayuan/app/forum"
	"jiayuan/app/l10n"
	"jiayuan/app/moderation"
	"jiayuan/app/org"
	"jiayuan/app/words"
)

type threadPatchRequest struct {
	Pinned *bool   `json:"pinned"`
	Locked *bool   `json:"locked"`
	Title  *string `json:"title"`
	Board  *string `json:"board"`
}

func (s *Server) apiPatchThread(c *fiber.Ctx) error {
	var req threadPatchRequest
	id, err := idAndBody(c, "thread", &req)
	if err != nil {
		return err
	}
	t, err := s.Forum.UpdateThread(c.UserContext(), userID(c), id, forum.ThreadChange{Pinned: req.Pinned, Locked: req.Locked, Title: req.Title, Board: req.Board})
	if err != nil {
		return err
	}
	return s.sendThread(c, fiber.StatusOK, t)
}

func (s *Server) sendThread(c *fiber.Ctx, status int, t *forum.Thread) error {
	_, b, err := s.Forum.ThreadAndBoard(c.UserContext(), t.ID)
	if err != nil {
		return err
	}
	users, err := s.Accounts.Users(c.UserContext(), []int64{t.AuthorID})
	if err != nil {
		return err
	}
	return c.Status(status).JSON(fiber.Map{"thread": toThread(t, b.Slug, users)})
}

type mergeRequest struct {
	Into int64 `json:"into"`
}

func (s *Server) apiMergeThread(c *fiber.Ctx) error {
	var req mergeRequest
	id, err := idAndBody(c, "thread", &req)
	if err != nil {
		return err
	}
	t, err := s.Forum.MergeThreads(c.UserContext(), userID(c), id, req.Into)
	if err != nil {
		return err
	}
	return s.sendThread(c, fiber.StatusOK, t)
}

type splitRequest struct {
	PostIDs []int64 `json:"post_ids"`
	Title   string  `json:"title"`
	Board   string  `json:"board"`
}

func (s *Server) apiSplitThread(c *fiber.Ctx) error {
	var req splitRequest
	id, err := idAndBody(c, "thread", &req)
	if err != nil {
		return err
	}
	t, err := s.Forum.SplitThread(c.UserContext(), userID(c), id, req.PostIDs, req.Title, req.Board)
	if err != nil {
		return err
	}
	return s.sendThread(c, fiber.StatusCreated, t)
}

func (s *Server) postJSON(c *fiber.Ctx, p *forum.Post) error {
	users, err := s.Accounts.Users(c.UserContext(), []int64{p.AuthorID})
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"post": toPost(p, users)})
}

func (s *Server) apiRestorePost(c *fiber.Ctx) error {
	id, err := idParam(c, "post")
	if err != nil {
		return err
	}
	p, err := s.Forum.RestorePost(c.UserContext(), userID(c), id)
	if err != nil {
		return err
	}
	return s.postJSON(c, p)
}

type revisionJSON struct {
	Body   string     `json:"body"`
	Editor authorJSON `json:"editor"`
	At     time.Time  `json:"replaced_at"`
}

// idAndBody reads the id of the path and the JSON body into req.
func idAndBody(c *fiber.Ctx, what string, req any) (int64, error) {
	id, err := idParam(c, what)
	if err != nil {
		return 0, err
	}
	return id, decodeJSON(c, req)
}

// history loads a post's edit history and the users it names, for the API and the page.
func (s *Server) history(c *fiber.Ctx) (*forum.Post, []*forum.Revision, map[int64]*accounts.User, error) {
	id, err := idParam(c, "post")
	if err != nil {
		return nil, nil, nil, err
	}
	p, revs, err := s.Forum.History(c.UserContext(), userID(c), id)
	if err != nil {
		return nil, nil, nil, err
	}
	ids := []int64{p.AuthorID}
	for _, r := range revs {
		ids = append(ids, r.EditorID)
	}
	users, err := s.Accounts.Users(c.UserContext(), ids)
	return p, revs, users, err
}

func (s *Server) apiPostHistory(c *fiber.Ctx) error {
	p, revs, users, err := s.history(c)
	if err != nil {
		return err
	}
	out := make([]revisionJSON, len(revs))
	for i, r := range revs {
		out[i] = revisionJSON{Body: r.Body, Editor: toAuthor(r.EditorID, users), At: r.At}
	}
	pj := toPost(p, users)
	pj.Body = p.Body // moderators see what was hidden
	return c.JSON(fiber.Map{"post": pj, "revisions": out})
}

type reviewRequest struct {
	Approve bool `json:"approve"`
}

func (s *Server) apiReviewPost(c *fiber.Ctx) error {
	var req reviewRequest
	id, err := idAndBody(c, "post", &req)
	if err != nil {
		return err
	}
	p, err := s.Forum.Review(c.UserContext(), userID(c), id, req.Approve)
	if err != nil {
		return err
	}
	return s.postJSON(c, p)
}

func (s *Server) apiHeldPosts(c *fiber.Ctx) error {
	if userID(c) == 0 {
		return fault.Unauthorized("err_sign_in_first")
	}
	ps, threads, boards, err := s.Forum.HeldPosts(c.UserContext(), userID(c), 100)
	if err != nil {
		return err
	}
	ids := make([]int64, len(ps))
	for i, p := range ps {
		ids[i] = p.AuthorID
	}
	users, err := s.Accounts.Users(c.UserContext(), ids)
	if err != nil {
		return err
	}
	type heldJSON struct {
		postJSON
		Board string `json:"board"`
		Title string `json:"thread_title"`
	}
	out := make([]heldJSON, len(ps))
	for i, p := range ps {
		t := threads[p.ThreadID]
		out[i] = heldJSON{postJSON: toPost(p, users), Board: boards[t.BoardID].Slug, Title: t.Title}
	}
	return c.JSON(fiber.Map{"posts": out})
}

type reportRequest struct {
	Reason string `json:"reason"`
}

type reportJSON struct {
	ID       int64  `json:"id"`
	PostID   int64  `json:"post_id"`
	ThreadID int64  `json:"thread_id"`
	Board    string `json:"board"`
	// The queue's list names the thread; the answers about one report leave it out.
	ThreadTitle string     `json:"thread_title,omitempty"`
	Reporter    authorJSON `json:"reporter"`
	Author      authorJSON `json:"author"`
	Reason      string     `json:"reason"`
	Excerpt     string     `json:"excerpt"`
	Status      string     `json:"status"`
	Resolver    *int64     `json:"resolver_id"`
	Note        string     `json:"note"`
	CreatedAt   time.Time  `json:"created_at"`
	ResolvedAt  *time.Time `json:"resolved_at"`
}

func toReport(r *moderation.Report, users map[int64]*accounts.User) reportJSON {
	j := reportJSON{ID: r.ID, PostID: r.PostID, ThreadID: r.ThreadID, Board: r.Board, Reporter: toAuthor(r.ReporterID, users),
		Author: toAuthor(r.AuthorID, users), Reason: r.Reason, Excerpt: r.Excerpt, Status: r.Status, Note: r.Note,
		CreatedAt: r.CreatedAt, ResolvedAt: optTime(r.ResolvedAt)}
	if r.ResolverID != 0 {
		j.Resolver = &r.ResolverID
	}
	return j
}

func (s *Server) apiReportPost(c *fiber.Ctx) error {
	var req reportRequest
	id, err := idAndBody(c, "post", &req)
	if err != nil {
		return err
	}
	r, err := s.Moderation.ReportPost(c.UserContext(), userID(c), id, req.Reason)
	if err != nil {
		return err
	}
	users := map[int64]*accounts.User{caller(c).user.ID: caller(c).user}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"report": toReport(r, users)})
}

func (s *Server) apiReports(c *fiber.Ctx) error {
	limit, err := limitQuery(c, 50, 200)
	if err != nil {
		return err
	}
	before, err := int64Query(c, "before")
	if err != nil {
		return err
	}
	rs, err := s.Moderation.Reports(c.UserContext(), userID(c), c.Query("status"), before, limit)
	if err != nil {
		return err
	}
	var ids []int64
	for _, r := range rs {
		ids = append(ids, r.ReporterID, r.AuthorID)
	}
	users, err := s.Accounts.Users(c.UserContext(), ids)
	if err != nil {
		return err
	}
	titles := s.threadTitles(c.UserContext(), reportThreads(rs))
	out := make([]reportJSON, len(rs))
	for i, r := range rs {
		out[i] = toReport(r, users)
		out[i].ThreadTitle = titles[r.ThreadID]
	}
	var next *int64
	if len(rs) == limit {
		next = &rs[len(rs)-1].ID
	}
	return c.JSON(fiber.Map{"reports": out, "next_before": next})
}

type resolveRequest struct {
	Outcome      string `json:"outcome"`
	Note         string `json:"note"`
	SilenceHours int    `json:"silence_hours"`
}

func (s *Server) apiResolveReport(c *fiber.Ctx) error {
	var req resolveRequest
	id, err := idAndBody(c, "report", &req)
	if err != nil {
		return err
	}
	r, err := s.Moderation.Resolve(c.UserContext(), userID(c), id, moderation.Resolution{Outcome: req.Outcome, Note: req.Note,
		Silence: time.Duration(req.SilenceHours) * time.Hour})
	if err != nil {
		return err
	}
	users, err := s.Accounts.Users(c.UserContext(), []int64{r.ReporterID, r.AuthorID})
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"report": toReport(r, users)})
}

type silenceRequest struct {
	Username string `json:"username"`
	Hours    int    `json:"hours"`
	Reason   string `json:"reason"`
}

// apiSilence silences in a board (/boards/:slug/silences) or site-wide (/admin/silences).
func (s *Server) apiSilence(c *fiber.Ctx) error {
	var req silenceRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	si, err := s.Moderation.SilenceByName(c.UserContext(), userID(c), req.Username, c.Params("slug"), time.Duration(req.Hours)*time.Hour, req.Reason)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"silence": si})
}

// Admin.

func (s *Server) apiGrantRole(c *fiber.Ctx) error {
	var req org.RoleChange
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	a, err := s.Org.Grant(c.UserContext(), userID(c), req)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"assignment": a})
}

func (s *Server) apiRevokeRole(c *fiber.Ctx) error {
	var req org.RoleChange
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := s.Org.Revoke(c.UserContext(), userID(c), req); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

type adminUserJSON struct {
	userJSON
	Banned bool     `json:"banned"`
	Roles  []string `json:"roles"`
}

func (s *Server) apiAdminUsers(c *fiber.Ctx) error {
	limit, err := limitQuery(c, 50, 200)
	if err != nil {
		return err
	}
	after, err := int64Query(c, "after")
	if err != nil {
		return err
	}
	us, err := s.Accounts.ListUsers(c.UserContext(), userID(c), c.Query("q"), after, limit)
	if err != nil {
		return err
	}
	out := make([]adminUserJSON, len(us))
	for i, u := range us {
		out[i] = adminUserJSON{userJSON: toUser(u.User), Banned: u.Banned, Roles: u.Roles}
	}
	return c.JSON(fiber.Map{"users": out})
}

type banRequest struct {
	Banned bool `json:"banned"`
}

func (s *Server) apiBanUser(c *fiber.Ctx) error {
	var req banRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	u, err := s.Accounts.SetBanned(c.UserContext(), userID(c), c.Params("username"), req.Banned)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"user": adminUserJSON{userJSON: toUser(u), Banned: u.Banned, Roles: s.Policy.RolesOf(u.ID)}})
}

func (s *Server) apiResetPassword(c *fiber.Ctx) error {
	pw, err := s.Accounts.ResetPassword(c.UserContext(), userID(c), c.Params("username"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(fiber.Map{"password": pw})
}

type branchJSON struct {
	ID          int64        `json:"id"`
	Name        string       `json:"name"`
	Description string       `json:"description"`
	Secretary   *authorJSON  `json:"secretary"`
	Members     []authorJSON `json:"members"`
	CreatedAt   time.Time    `json:"created_at"`
}

func toBranch(b *org.Branch) branchJSON {
	j := branchJSON{ID: b.ID, Name: b.Name, Description: b.Description, CreatedAt: b.CreatedAt, Members: []authorJSON{}}
	if b.Secretary != nil {
		j.Secretary = &authorJSON{ID: b.Secretary.ID, Username: b.Secretary.Username, DisplayName: b.Secretary.DisplayName}
	}
	for _, m := range b.Members {
		j.Members = append(j.Members, authorJSON{ID: m.ID, Username: m.Username, DisplayName: m.DisplayName})
	}
	return j
}

func (s *Server) apiBranches(c *fiber.Ctx) error {
	bs, err := s.Org.Branches(c.UserContext(), userID(c))
	if err != nil {
		return err
	}
	out := make([]branchJSON, len(bs))
	for i, b := range bs {
		out[i] = toBranch(b)
	}
	return c.JSON(fiber.Map{"branches": out})
}

type branchRequest struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

func (s *Server) apiCreateBranch(c *fiber.Ctx) error {
	var req branchRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	b, err := s.Org.CreateBranch(c.UserContext(), userID(c), req.Name, req.Description)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"branch": toBranch(b)})
}

// boardRequest has a field per language of each text, as openapi.json documents them
// (named as l10n.Field names them): a new language is a new field in the API too.
type boardRequest struct {
	Slug            string  `json:"slug"`
	Name            *string `json:"name"`
	NameHant        *string `json:"name_hant"`
	NameEn          *string `json:"name_en"`
	Description     *string `json:"description"`
	DescriptionHant *string `json:"description_hant"`
	DescriptionEn   *string `json:"description_en"`
	Position        *int    `json:"position"`
	Archived        *bool   `json:"archived"`
	ReadAccess      *string `json:"read_access"`
	PostAccess      *string `json:"post_access"`
}

func (r *boardRequest) input() forum.BoardInput {
	return forum.BoardInput{Slug: r.Slug, Name: l10n.Given(r.Name, r.NameHant, r.NameEn),
		Description: l10n.Given(r.Description, r.DescriptionHant, r.DescriptionEn), Position: r.Position, Archived: r.Archived,
		ReadAccess: r.ReadAccess, PostAccess: r.PostAccess}
}

func (s *Server) apiCreateBoard(c *fiber.Ctx) error {
	var req boardRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	b, err := s.Forum.CreateBoard(c.UserContext(), userID(c), req.input())
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"board": toBoard(b)})
}

func (s *Server) apiUpdateBoard(c *fiber.Ctx) error {
	var req boardRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.Slug != "" && req.Slug != c.Params("slug") {
		return fault.Invalid("slug", "err_board_slug_fixed")
	}
	b, err := s.Forum.UpdateBoard(c.UserContext(), userID(c), c.Params("slug"), req.input())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"board": toBoard(b)})
}

func (s *Server) apiWords(c *fiber.Ctx) error {
	wl, err := s.Words.List(c.UserContext(), userID(c))
	if err != nil {
		return err
	}
	if wl.Rules == nil {
		wl.Rules = []words.Rule{}
	}
	return c.JSON(fiber.Map{"rules": wl.Rules, "updated_at": optTime(wl.UpdatedAt)})
}

type wordsRequest struct {
	Rules []words.Rule `json:"rules"`
}

func (s *Server) apiSetWords(c *fiber.Ctx) error {
	var req wordsRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.Rules == nil {
		return fault.Invalid("rules", "err_rules_array")
	}
	wl, err := s.Words.Replace(c.UserContext(), userID(c), req.Rules)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"rules": wl.Rules, "updated_at": optTime(wl.UpdatedAt)})
}

func (s *Server) apiAudit(c *fiber.Ctx) error {
	limit, err := limitQuery(c, 50, 200)
	if err != nil {
		return err
	}
	before, err := int64Query(c, "before")
	if err != nil {
		return err
	}
	es, err := s.Audit.List(c.UserContext(), userID(c), c.Query("action"), before, limit)
	if err != nil {
		return err
	}
	var next *int64
	if len(es) == limit {
		next = &es[len(es)-1].ID
	}
	entries, err := s.auditEntries(c, es)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"entries": entries, "next_before": next})
}
