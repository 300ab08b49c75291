package web

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"jiayuan/app/fault"
	"jiayuan/app/forum"
	"jiayuan/app/moderation"
)

// modTools is what a user may do to a thread from its page; outside the cached posts.
type modTools struct {
	Pin, Lock, Rename, Move, Merge, Split, Hide bool
	Boards                                      []*forum.Board
}

func (m modTools) Any() bool { return m.Pin || m.Lock || m.Rename || m.Move || m.Merge || m.Split }

func (s *Server) modToolsFor(c *fiber.Ctx, b *forum.Board) modTools {
	uid := userID(c)
	if uid == 0 {
		return modTools{}
	}
	may := func(obj, act string) bool { return s.Policy.Allowed(uid, forum.BoardDomain(b.Slug), obj, act) }
	m := modTools{Pin: may("thread", "pin"), Lock: may("thread", "lock"), Rename: may("thread", "rename"), Move: may("thread", "move"),
		Merge: may("thread", "merge"), Split: may("thread", "split"), Hide: may("post", "delete_any")}
	if m.Move {
		if all, err := s.boardsList(c); err == nil {
			for _, o := range all {
				if o.Slug != b.Slug && s.Policy.Allowed(uid, forum.BoardDomain(o.Slug), "thread", "move") {
					m.Boards = append(m.Boards, o)
				}
			}
		}
	}
	return m
}

// formModerate applies one moderation button of the thread page.
func (s *Server) formModerate(c *fiber.Ctx) error {
	id, err := idParam(c, "thread")
	if err != nil {
		return err
	}
	ctx, uid := c.UserContext(), userID(c)
	if _, _, err := s.Forum.Thread(ctx, uid, id); err != nil {
		return err
	}
	yes, no := true, false
	target := id
	switch op := c.FormValue("op"); op {
	case "pin", "unpin":
		_, err = s.Forum.UpdateThread(ctx, uid, id, forum.ThreadChange{Pinned: map[bool]*bool{true: &yes, false: &no}[op == "pin"]})
	case "lock", "unlock":
		_, err = s.Forum.UpdateThread(ctx, uid, id, forum.ThreadChange{Locked: map[bool]*bool{true: &yes, false: &no}[op == "lock"]})
	case "rename":
		title := strings.Clone(c.FormValue("title"))
		_, err = s.Forum.UpdateThread(ctx, uid, id, forum.ThreadChange{Title: &title})
	case "move":
		board := strings.Clone(c.FormValue("board"))
		_, err = s.Forum.UpdateThread(ctx, uid, id, forum.ThreadChange{Board: &board})
	case "merge":
		into, perr := strconv.ParseInt(strings.TrimPrefix(strings.TrimSpace(c.FormValue("into")), "#"), 10, 64)
		if perr != nil || into <= 0 {
			return fault.Invalid("into", "err_merge_into_missing")
		}
		_, err = s.Forum.MergeThreads(ctx, uid, id, into)
		target = into
	case "split":
		var ids []int64
		ids, err = s.seqsToIDs(c, id, c.FormValue("seqs"))
		if err == nil {
			var nt *forum.Thread
			nt, err = s.Forum.SplitThread(ctx, uid, id, ids, strings.Clone(c.FormValue("title")), "")
			if nt != nil {
				target = nt.ID
			}
		}
	default:
		return fault.Invalid("op", "err_unknown_op", "op", op)
	}
	if err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/t/%d", target), fiber.StatusSeeOther)
}

// seqsToIDs reads "3, 5 7" (post numbers of a thread) into post ids.
func (s *Server) seqsToIDs(c *fiber.Ctx, threadID int64, raw string) ([]int64, error) {
	var ids []int64
	for _, f := range strings.FieldsFunc(raw, func(r rune) bool { return r == ',' || r == ' ' || r == '，' || r == '#' }) {
		seq, err := strconv.ParseInt(f, 10, 64)
		if err != nil || seq < 2 {
			return nil, fault.Invalid("seqs", "err_split_seqs_form")
		}
		ps, err := s.Forum.PostsAfter(c.UserContext(), threadID, seq-1, 1)
		if err != nil || len(ps) == 0 || ps[0].Seq != seq {
			return nil, fault.Invalid("seqs", "err_no_such_seq", "seq", seq)
		}
		ids = append(ids, ps[0].ID)
	}
	if len(ids) == 0 {
		return nil, fault.Invalid("seqs", "err_split_seqs_missing")
	}
	return ids, nil
}

type confirmPage struct {
	Heading, Message, Action, Button, Back string
	Fields                                 map[string]string // sent with the confirmation
}

func backTo(p *forum.Post) string {
	return fmt.Sprintf("/t/%d?after=%d#p%d", p.ThreadID, p.Seq-1, p.Seq)
}

func (s *Server) pageRestorePost(c *fiber.Ctx) error {
	id, err := idParam(c, "post")
	if err != nil {
		return err
	}
	p, err := s.Forum.Post(c.UserContext(), userID(c), id)
	if err != nil {
		return err
	}
	T := s.pages.catalogs[lang(c)]
	return s.render(c, fiber.StatusOK, "confirm", T["restore"], confirmPage{Heading: fmt.Sprintf("%s #%d", T["restore"], p.Seq),
		Message: T["confirm_restore"], Action: c.Path(), Button: T["restore"], Back: backTo(p)})
}

func (s *Server) formRestorePost(c *fiber.Ctx) error {
	id, err := idParam(c, "post")
	if err != nil {
		return err
	}
	p, err := s.Forum.RestorePost(c.UserContext(), userID(c), id)
	if err != nil {
		return err
	}
	return c.Redirect(backTo(p), fiber.StatusSeeOther)
}

func (s *Server) pageHistory(c *fiber.Ctx) error {
	p, revs, users, err := s.history(c)
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "history", s.pages.catalogs[lang(c)]["history"], fiber.Map{"Post": p, "Revisions": revs, "Users": users, "Back": backTo(p)})
}

func (s *Server) pageReport(c *fiber.Ctx) error {
	return s.showReport(c, fiber.StatusOK, "", "")
}

func (s *Server) showReport(c *fiber.Ctx, status int, reason, msg string) error {
	id, err := idParam(c, "post")
	if err != nil {
		return err
	}
	if userID(c) == 0 {
		return fault.Unauthorized("err_sign_in_first")
	}
	p, err := s.Forum.Post(c.UserContext(), userID(c), id)
	if err != nil {
		return err
	}
	view := c.Query("view", c.FormValue("view"))
	return s.render(c, status, "report", s.pages.catalogs[lang(c)]["report"], fiber.Map{"Post": p, "Reason": reason, "Error": msg,
		"Back": postURL(p, view), "View": view})
}

func (s *Server) formReport(c *fiber.Ctx) error {
	id, err := idParam(c, "post")
	if err != nil {
		return err
	}
	reason := strings.Clone(c.FormValue("reason"))
	r, err := s.Moderation.ReportPost(c.UserContext(), userID(c), id, reason)
	if fe, ok := asFormError(err); ok {
		return s.showReport(c, statusFor(err), reason, s.message(c, fe))
	} else if err != nil {
		return err
	}
	// Back at the post, in the view the reader was using, with thanks.
	p, err := s.Forum.Post(c.UserContext(), userID(c), id)
	if err != nil {
		return err
	}
	back, anchor, _ := strings.Cut(postURL(p, c.FormValue("view")), "#")
	sep := "?"
	if strings.Contains(back, "?") {
		sep = "&"
	}
	return c.Redirect(fmt.Sprintf("%s%sreported=%d#%s", back, sep, r.ID, anchor), fiber.StatusSeeOther)
}

// queueReport is a report of the queue with its board and thread named.
type queueReport struct {
	*moderation.Report
	BoardName, ThreadTitle string
}

func reportThreads(rs []*moderation.Report) []int64 {
	ids := make([]int64, len(rs))
	for i, r := range rs {
		ids[i] = r.ThreadID
	}
	return ids
}

// queueHeld is a held post of the queue with its thread and board.
type queueHeld struct {
	*forum.Post
	Thread    *forum.Thread
	BoardName string
}

// pageModQueue is the moderators' queue: open reports and held posts of their boards.
func (s *Server) pageModQueue(c *fiber.Ctx) error {
	ctx, uid := c.UserContext(), userID(c)
	status := c.Query("status", moderation.ReportOpen)
	reports, err := s.Moderation.Reports(ctx, uid, status, 0, 100)
	if err != nil {
		return err
	}
	held, threads, heldBoards, err := s.Forum.HeldPosts(ctx, uid, 100)
	if err != nil {
		return err
	}
	l := lang(c)
	boards, err := s.boardsBySlug(c)
	if err != nil {
		return err
	}
	titles := s.threadTitles(ctx, reportThreads(reports))
	rows := make([]queueReport, len(reports))
	for i, r := range reports {
		rows[i] = queueReport{Report: r, BoardName: r.Board, ThreadTitle: titles[r.ThreadID]}
		if b := boards[r.Board]; b != nil {
			rows[i].BoardName = b.Name.In(l)
		}
		if rows[i].ThreadTitle == "" {
			rows[i].ThreadTitle = "#" + strconv.FormatInt(r.ThreadID, 10)
		}
	}
	heldRows := make([]queueHeld, len(held))
	for i, p := range held {
		heldRows[i] = queueHeld{Post: p, Thread: threads[p.ThreadID]}
		if b := heldBoards[heldRows[i].Thread.BoardID]; b != nil {
			heldRows[i].BoardName = b.Name.In(l)
		}
	}
	var ids []int64
	for _, r := range reports {
		ids = append(ids, r.ReporterID, r.AuthorID, r.ResolverID)
	}
	for _, p := range held {
		ids = append(ids, p.AuthorID)
	}
	users, err := s.Accounts.Users(ctx, ids)
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "mod", s.pages.catalogs[lang(c)]["mod_queue"], fiber.Map{
		"Reports": rows, "Held": heldRows, "Users": users, "Status": status,
		"Statuses": []string{moderation.ReportOpen, moderation.ReportHidden, moderation.ReportDismissed, moderation.ReportSilenced}})
}

func (s *Server) formResolve(c *fiber.Ctx) error {
	id, err := idParam(c, "report")
	if err != nil {
		return err
	}
	hours, _ := strconv.Atoi(c.FormValue("silence_hours", "0"))
	_, err = s.Moderation.Resolve(c.UserContext(), userID(c), id, moderation.Resolution{Outcome: c.FormValue("outcome"),
		Note: strings.Clone(c.FormValue("note")), Silence: time.Duration(hours) * time.Hour})
	if err != nil {
		return err
	}
	return c.Redirect("/mod", fiber.StatusSeeOther)
}

func (s *Server) formReview(c *fiber.Ctx) error {
	id, err := idParam(c, "post")
	if err != nil {
		return err
	}
	if _, err := s.Forum.Review(c.UserContext(), userID(c), id, c.FormValue("approve") == "1"); err != nil {
		return err
	}
	return c.Redirect("/mod", fiber.StatusSeeOther)
}
