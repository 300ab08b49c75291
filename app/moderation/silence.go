package moderation

import (
	"context"
	"strings"
	"time"

	"jiayuan/app/accounts"
	"jiayuan/app/fault"
	"jiayuan/app/forum"
	"jiayuan/app/records"
)

const kindSilence = "silence"

// MaxSilence is the longest silence a moderator can give.
const MaxSilence = 365 * 24 * time.Hour

// Silence keeps a user from posting in one board ("board:<slug>") or everywhere ("*")
// until a time. A later silence of the same user and domain replaces an earlier one,
// which is how a silence is lifted early (until now).
type Silence struct {
	UserID  int64     `json:"user_id"`
	Domain  string    `json:"domain"`
	Until   time.Time `json:"until"`
	Reason  string    `json:"reason"`
	ActorID int64     `json:"actor_id"`
	At      time.Time `json:"at"`
}

// SilenceByName silences a user given by username: the permission is checked first, so
// nobody learns which usernames exist from the answer.
func (s *Service) SilenceByName(ctx context.Context, actorID int64, username, board string, d time.Duration, reason string) (*Silence, error) {
	if err := s.requireSilence(ctx, actorID, board); err != nil {
		return nil, err
	}
	u, err := s.store.UserByUsername(ctx, strings.ToLower(strings.TrimSpace(username)))
	if err != nil {
		return nil, fault.Invalid("username", "err_no_such_user_named", "username", username)
	}
	return s.SilenceUser(ctx, actorID, u.ID, board, d, reason)
}

func (s *Service) requireSilence(ctx context.Context, actorID int64, board string) error {
	domain := "*"
	if board != "" {
		if _, err := s.forum.Board(ctx, actorID, board); err != nil {
			return err
		}
		domain = forum.BoardDomain(board)
	}
	if s.policy.Allowed(actorID, domain, "user", "silence") {
		return nil
	}
	return fault.Deny(actorID, "err_may_not_silence_users")
}

// SilenceUser silences a user in a board (board not empty) or site-wide (admins only)
// for d; d of 0 lifts the silence.
func (s *Service) SilenceUser(ctx context.Context, actorID, userID int64, board string, d time.Duration, reason string) (*Silence, error) {
	if err := s.requireSilence(ctx, actorID, board); err != nil {
		return nil, err
	}
	domain := "*"
	if board != "" {
		domain = forum.BoardDomain(board)
	}
	if d < 0 || d > MaxSilence {
		return nil, fault.Invalid("hours", "err_silence_lasts_0_8760")
	}
	reason = strings.TrimSpace(reason)
	if len([]rune(reason)) > 500 {
		return nil, fault.Invalid("reason", "err_reason_at_most_500")
	}
	u, err := s.store.UserByID(ctx, userID)
	if err != nil {
		return nil, fault.Invalid("user", "err_no_such_user")
	}
	if u.ID == actorID {
		return nil, fault.Invalid("user", "err_cannot_silence_yourself")
	}
	if err := s.checkOutranked(actorID, u, domain); err != nil {
		return nil, err
	}
	now := s.now()
	si := &Silence{UserID: u.ID, Domain: domain, Until: now.Add(d), Reason: reason, ActorID: actorID, At: now}
	r, err := records.New(kindSilence, "", itoa(u.ID), domain, now, si)
	if err != nil {
		return nil, err
	}
	if err := s.store.InsertRecord(ctx, r); err != nil {
		return nil, fault.Wrap(err, "silence user %v in %s", u.ID, domain)
	}
	s.audit.Audit(ctx, actorID, "user.silence", domain, "user:"+itoa(u.ID), nil, si)
	return si, nil
}

// authorityRoles are the roles that give power over other people or their posts. A
// silence is refused when its target holds one of them that the actor does not: a
// board's moderator may silence a fellow moderator of that board, but not an admin (or
// the committee could be gagged by those it appointed), nor a mentor or a branch's
// secretary. The standings activist and member are no authority.
var authorityRoles = map[string]bool{"admin": true, "moderator": true, "secretary": true, "mentor": true}

// checkOutranked refuses a silence of someone holding an authority role that the actor
// lacks, in that role's domain or site-wide. The target's roles count site-wide, in the
// silence's scope and in every domain that is not a board (a branch's secretary or
// mentor speaks for the branch wherever they post); a role in another board is no
// authority in this one. Admins hold every power and pass.
func (s *Service) checkOutranked(actorID int64, target *accounts.User, domain string) error {
	if s.policy.Holds(actorID, "admin", "*") {
		return nil
	}
	for _, held := range s.policy.RolesOf(target.ID) {
		role, d, ok := strings.Cut(held, "@")
		if !ok {
			d = "*"
		}
		if !authorityRoles[role] || d != "*" && d != domain && strings.HasPrefix(d, "board:") {
			continue
		}
		if s.policy.Holds(actorID, role, "*") || d != "*" && s.policy.Holds(actorID, role, d) {
			continue
		}
		return &fault.Error{Kind: fault.KindForbidden, Code: "silence_outranked", Field: "username",
			Key: "err_silence_outranked", Args: []any{"user", target.Username, "role", role}}
	}
	return nil
}

// CheckSilence refuses a write from a user silenced in the board or everywhere.
func (s *Guard) CheckSilence(ctx context.Context, userID int64, board string) error {
	rs, err := s.store.ListRecords(ctx, kindSilence, records.Filter{K1s: []string{itoa(userID)}}, 0, 100)
	if err != nil {
		return fault.Wrap(err, "list silence records")
	}
	now, seen := s.now(), map[string]bool{}
	for _, r := range rs {
		if seen[r.K2] || (r.K2 != "*" && r.K2 != forum.BoardDomain(board)) {
			continue
		}
		seen[r.K2] = true
		var si Silence
		if err := r.Decode(&si); err != nil {
			return err
		}
		if si.Until.After(now) {
			until := si.Until.In(shanghai).Format("2006-01-02 15:04")
			return fault.Forbidden("err_silenced_until", "until", until)
		}
	}
	return nil
}

var shanghai = func() *time.Location {
	if l, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return l
	}
	return time.FixedZone("CST", 8*3600)
}()
