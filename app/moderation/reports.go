package moderation

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"jiayuan/app/fault"
	"jiayuan/app/forum"
	"jiayuan/app/records"
)

const kindReport = "report"

// Report statuses: open, then one of the outcomes.
const (
	ReportOpen      = "open"
	ReportHidden    = "hidden"    // the post was hidden
	ReportDismissed = "dismissed" // nothing wrong
	ReportSilenced  = "silenced"  // the post was hidden and its author silenced
)

// Report is an employee's complaint about a post, and what a moderator did about it.
type Report struct {
	ID         int64     `json:"id"`
	PostID     int64     `json:"post_id"`
	ThreadID   int64     `json:"thread_id"`
	Board      string    `json:"board"`
	ReporterID int64     `json:"reporter_id"`
	AuthorID   int64     `json:"author_id"`
	Reason     string    `json:"reason"`
	Excerpt    string    `json:"excerpt"`
	Status     string    `json:"status"`
	ResolverID int64     `json:"resolver_id,omitempty"`
	Note       string    `json:"note,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	ResolvedAt time.Time `json:"resolved_at,omitzero"`
}

// ReportPost files a report about a post the user can read.
func (s *Service) ReportPost(ctx context.Context, userID, postID int64, reason string) (*Report, error) {
	if userID == 0 {
		return nil, fault.Unauthorized("err_sign_in_first")
	}
	p, err := s.forum.Post(ctx, userID, postID)
	if err != nil {
		return nil, err
	}
	_, b, err := s.forum.ThreadAndBoard(ctx, p.ThreadID)
	if err != nil {
		return nil, err
	}
	if !s.policy.Allowed(userID, forum.BoardDomain(b.Slug), "post", "report") {
		return nil, fault.Forbidden("err_may_not_report_posts")
	}
	if p.Deleted {
		return nil, fault.Conflict("post_deleted", "err_report_post_deleted")
	}
	reason = strings.TrimSpace(reason)
	if !utf8.ValidString(reason) {
		return nil, fault.Invalid("reason", "err_reason_not_utf8")
	}
	if n := utf8.RuneCountInString(reason); n == 0 || n > 500 {
		return nil, fault.Invalid("reason", "err_report_reason")
	}
	excerpt := []rune(p.Body)
	if len(excerpt) > 200 {
		excerpt = excerpt[:200]
	}
	rep := &Report{PostID: p.ID, ThreadID: p.ThreadID, Board: b.Slug, ReporterID: userID, AuthorID: p.AuthorID, Reason: reason,
		Excerpt: string(excerpt), Status: ReportOpen, CreatedAt: s.now()}
	// One report per person per post: the key makes a second one a conflict, whether
	// the first is still open or was resolved (as a forum flag works).
	key := fmt.Sprintf("post:%d:by:%d", p.ID, userID)
	r, err := records.New(kindReport, key, b.Slug, ReportOpen, rep.CreatedAt, rep)
	if err != nil {
		return nil, err
	}
	if err := s.store.InsertRecord(ctx, r); err != nil {
		if errors.Is(err, fault.ErrConflict) {
			return nil, fault.Conflict("already_reported", "err_have_already_reported_post")
		}
		return nil, err
	}
	rep.ID = r.ID
	return rep, nil
}

// moderatedBoards lists the slugs of the boards where the user resolves reports.
func (s *Service) moderatedBoards(ctx context.Context, userID int64) ([]string, error) {
	all, err := s.forum.AllBoards(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, b := range all {
		if s.policy.Allowed(userID, forum.BoardDomain(b.Slug), "report", "resolve") {
			out = append(out, b.Slug)
		}
	}
	return out, nil
}

// Reports is the moderation queue: reports in the boards the user moderates, with the
// given status (open by default), newest first.
func (s *Service) Reports(ctx context.Context, userID int64, status string, before int64, limit int) ([]*Report, error) {
	if userID == 0 {
		return nil, fault.Unauthorized("err_sign_in_first")
	}
	boards, err := s.moderatedBoards(ctx, userID)
	if err != nil {
		return nil, err
	}
	if len(boards) == 0 {
		return nil, fault.Forbidden("err_moderate_no_board")
	}
	if status == "" {
		status = ReportOpen
	}
	switch status {
	case ReportOpen, ReportHidden, ReportDismissed, ReportSilenced:
	default:
		return nil, fault.Invalid("status", "err_report_status")
	}
	rs, err := s.store.ListRecords(ctx, kindReport, records.Filter{K1s: boards, K2: status}, before, limit)
	if err != nil {
		return nil, fault.Wrap(err, "list report records")
	}
	out := make([]*Report, 0, len(rs))
	for _, r := range rs {
		rep, err := decodeReport(r)
		if err != nil {
			return nil, err
		}
		// The report stays in the queue of the board it was filed in, but its post may
		// since have moved where this moderator may not read: then no excerpt.
		if _, err := s.forum.Post(ctx, userID, rep.PostID); err != nil {
			switch fault.KindOf(err) {
			case fault.KindNotFound, fault.KindForbidden, fault.KindUnauthorized:
				rep.Excerpt = ""
			default:
				return nil, err
			}
		}
		out = append(out, rep)
	}
	return out, nil
}

func decodeReport(r *records.Record) (*Report, error) {
	var rep Report
	if err := r.Decode(&rep); err != nil {
		return nil, err
	}
	rep.ID = r.ID
	return &rep, nil
}

// Resolution is a moderator's answer to a report.
type Resolution struct {
	Outcome string        // hidden, dismissed or silenced
	Note    string        // shown to the reporter
	Silence time.Duration // for silenced: how long the author is silenced in the board
}

// Resolve answers an open report. Exactly one moderator resolves a report: the second
// of two at once gets a conflict and nothing of theirs is applied.
func (s *Service) Resolve(ctx context.Context, userID, reportID int64, res Resolution) (*Report, error) {
	if userID == 0 {
		return nil, fault.Unauthorized("err_sign_in_first")
	}
	r, err := s.store.RecordByID(ctx, kindReport, reportID)
	if err != nil {
		return nil, fault.NotFound("report")
	}
	rep, err := decodeReport(r)
	if err != nil {
		return nil, err
	}
	if !s.policy.Allowed(userID, forum.BoardDomain(rep.Board), "report", "resolve") {
		return nil, fault.Forbidden("err_only_board_moderators_resolve")
	}
	switch res.Outcome {
	case ReportHidden, ReportDismissed:
	case ReportSilenced:
		if res.Silence <= 0 || res.Silence > MaxSilence {
			return nil, fault.Invalid("silence_hours", "err_silence_for_1_8760")
		}
	default:
		return nil, fault.Invalid("outcome", "err_report_outcome")
	}
	res.Note = strings.TrimSpace(res.Note)
	if !utf8.ValidString(res.Note) || utf8.RuneCountInString(res.Note) > 500 {
		return nil, fault.Invalid("note", "err_note_at_most_500")
	}
	if rep.Status != ReportOpen {
		return nil, fault.Conflict("report_resolved", "err_report_resolved")
	}
	// Claim the report first: the conditional write lets one moderator through.
	before := *rep
	rep.Status, rep.ResolverID, rep.Note, rep.ResolvedAt = res.Outcome, userID, res.Note, s.now()
	nr, err := records.New(kindReport, "", rep.Board, rep.Status, r.At, rep)
	if err != nil {
		return nil, err
	}
	nr.ID = r.ID
	if err := s.store.UpdateRecord(ctx, nr, ReportOpen); err != nil {
		return nil, fault.Wrap(err, "update record")
	}
	if err := s.applyOutcome(ctx, userID, rep, res); err != nil {
		// Give the report back to the queue rather than leave it resolved but not done.
		back, _ := records.New(kindReport, "", before.Board, ReportOpen, r.At, before)
		back.ID = r.ID
		if uerr := s.store.UpdateRecord(ctx, back, rep.Status); uerr != nil {
			s.log.Error("report: reopen after a failed outcome", "report", r.ID, "err", uerr)
		}
		return nil, err
	}
	s.audit.Audit(ctx, userID, "report.resolve", forum.BoardDomain(rep.Board), "report:"+itoa(rep.ID), map[string]string{"status": ReportOpen}, map[string]string{"status": rep.Status, "note": rep.Note})
	if s.notify != nil {
		p, err := s.forum.PostByID(ctx, rep.PostID)
		if err == nil {
			err = s.notify.NotifyUser(ctx, rep.ReporterID, "report_"+rep.Status, userID, p)
		}
		if err != nil {
			s.log.Warn("report: notify reporter", "report", rep.ID, "err", err)
		}
	}
	return rep, nil
}

func (s *Service) applyOutcome(ctx context.Context, userID int64, rep *Report, res Resolution) error {
	if res.Outcome == ReportDismissed {
		return nil
	}
	// The author is told, as for a hide from the post's page: the moderator's note is
	// the reason, or else what the post was reported for.
	p, err := s.forum.PostByID(ctx, rep.PostID)
	if err != nil {
		return err
	}
	reason := strings.TrimSpace(res.Note)
	if reason == "" {
		reason = rep.Reason
	}
	reason = truncateRunes(reason, 500)
	if !p.Deleted {
		if err := s.notify.OweHidden(ctx, userID, p, reason); err != nil {
			return err
		}
	}
	if _, _, err := s.forum.HidePost(ctx, userID, rep.PostID, reason); err != nil {
		return err
	}
	if res.Outcome == ReportSilenced {
		_, err := s.SilenceUser(ctx, userID, rep.AuthorID, rep.Board, res.Silence, "举报 #"+itoa(rep.ID)+": "+rep.Reason)
		return err
	}
	return nil
}

// truncateRunes cuts s to at most n characters.
func truncateRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}
