// Package policy decides who may do what, with Casbin (RBAC with domains). The model and
// the default permissions are embedded files a person can read; role assignments live in
// the store and reach Casbin through a small adapter of our own.
package policy

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	"github.com/casbin/casbin/v2/persist"
	stringadapter "github.com/casbin/casbin/v2/persist/string-adapter"
)

//go:embed model.conf
var modelText string

//go:embed policy.csv
var defaultPolicy string

// Roles are the roles an admin can grant. Guest and employee are held implicitly by
// everyone and everyone signed in; "party" is derived from member and secretary.
var Roles = []string{"activist", "mentor", "member", "secretary", "moderator", "admin"}

// Party is the derived role of whoever is a member or secretary of any branch.
const Party = "party"

// Assignment is one role held by one user in one domain ("*" for site-wide).
type Assignment struct {
	UserID int64  `json:"user_id"`
	Role   string `json:"role"`
	Domain string `json:"domain"`
}

// Store keeps role assignments. Adding one that exists is not an error.
type Store interface {
	AddRole(ctx context.Context, a Assignment) error
	RemoveRole(ctx context.Context, a Assignment) error
	ListRoles(ctx context.Context) ([]Assignment, error)
}

// Enforcer answers authorization questions. It is safe for concurrent use.
type Enforcer struct {
	store Store
	mu    sync.RWMutex // guards e against reloads; Casbin's own enforcer is not
	e     *casbin.Enforcer
	// Casbin evaluates every policy line for each question (about 90 µs here). Its
	// answer for user:<id> in a domain depends only on the roles the user holds in
	// that domain or site-wide (the matcher's two g() terms), so answers are kept per
	// such role signature: every user without a role there shares one set of answers,
	// and a moderator of one board asking about another is an employee there. All is
	// replaced together on every reload.
	grants  map[int64][]string // "role@domain" by user, sorted; "#" for a user named by a rule
	answers *sync.Map
	cached  atomic.Int64
	// decisions counts every question asked, so a test can prove a route asked one.
	decisions atomic.Int64
}

// New loads the embedded model and default policy plus the stored role assignments.
func New(ctx context.Context, store Store) (*Enforcer, error) {
	en := &Enforcer{store: store}
	if err := en.Reload(ctx); err != nil {
		return nil, err
	}
	return en, nil
}

// Reload rebuilds the enforcer from the embedded files and the store, so a role change
// made elsewhere (another node, the command line) takes effect.
func (en *Enforcer) Reload(ctx context.Context) error {
	m, err := model.NewModelFromString(modelText)
	if err != nil {
		return fmt.Errorf("policy model: %w", err)
	}
	e, err := casbin.NewEnforcer(m, &adapter{ctx: ctx, store: en.store})
	if err != nil {
		return fmt.Errorf("policy: %w", err)
	}
	e.EnableAutoSave(false)
	grants := map[int64][]string{}
	rules, _ := e.GetGroupingPolicy()
	slices.SortFunc(rules, func(a, b []string) int { return slices.Compare(a, b) })
	for _, g := range rules {
		if id, ok := strings.CutPrefix(g[0], "user:"); ok {
			n, _ := strconv.ParseInt(id, 10, 64)
			grants[n] = append(grants[n], g[1]+"@"+g[2])
		}
	}
	// A rule naming one user makes that user's answers their own.
	named, _ := e.GetPolicy()
	for _, p := range named {
		if id, ok := strings.CutPrefix(p[0], "user:"); ok {
			n, _ := strconv.ParseInt(id, 10, 64)
			grants[n] = append(grants[n], "#"+id)
		}
	}
	en.mu.Lock()
	en.e, en.grants, en.answers = e, grants, &sync.Map{}
	en.cached.Store(0)
	en.mu.Unlock()
	return nil
}

// maxAnswers bounds the kept answers; past it, questions go to Casbin every time.
const maxAnswers = 200_000

// Subject is how a user appears in policy requests.
func Subject(userID int64) string { return "user:" + strconv.FormatInt(userID, 10) }

func subject(userID int64) string {
	if userID == 0 {
		return "guest"
	}
	return Subject(userID)
}

// Allowed reports whether the user (0 for a guest) may perform action on object in
// domain: one Casbin decision.
func (en *Enforcer) Allowed(userID int64, domain, object, action string) bool {
	en.decisions.Add(1)
	en.mu.RLock()
	defer en.mu.RUnlock()
	var b strings.Builder
	if userID == 0 {
		b.WriteString("guest")
	} else {
		b.WriteString("user;")
		for _, g := range en.grants[userID] {
			role, dom, _ := strings.Cut(g, "@")
			if dom == "*" || dom == domain || role[0] == '#' {
				b.WriteString(g)
				b.WriteByte(';')
			}
		}
	}
	b.WriteByte(0)
	b.WriteString(domain)
	b.WriteByte(0)
	b.WriteString(object)
	b.WriteByte(0)
	b.WriteString(action)
	key := b.String()
	if v, ok := en.answers.Load(key); ok {
		return v.(bool)
	}
	ok, err := en.e.Enforce(subject(userID), domain, object, action)
	ok = err == nil && ok
	if en.cached.Load() < maxAnswers {
		if _, loaded := en.answers.LoadOrStore(key, ok); !loaded {
			en.cached.Add(1)
		}
	}
	return ok
}

// Decisions is how many questions the enforcer has answered since it started.
func (en *Enforcer) Decisions() int64 { return en.decisions.Load() }

// Grant gives a user a role in a domain, stores it, and applies it at once on this
// node (others reload on the event the caller publishes).
func (en *Enforcer) Grant(ctx context.Context, userID int64, role, domain string) error {
	if !KnownRole(role) {
		return fmt.Errorf("unknown role %q", role)
	}
	if err := en.store.AddRole(ctx, Assignment{UserID: userID, Role: role, Domain: domain}); err != nil {
		return err
	}
	return en.Reload(ctx)
}

// Revoke takes a role away and applies it at once on this node.
func (en *Enforcer) Revoke(ctx context.Context, userID int64, role, domain string) error {
	if err := en.store.RemoveRole(ctx, Assignment{UserID: userID, Role: role, Domain: domain}); err != nil {
		return err
	}
	return en.Reload(ctx)
}

// Assignments lists every stored role assignment.
func (en *Enforcer) Assignments(ctx context.Context) ([]Assignment, error) {
	return en.store.ListRoles(ctx)
}

// Loaded lists the stored role assignments the enforcer answers from: what the store
// held at the last Reload (the derived party role left out). Comparing it with the store
// tells whether a change made behind this process's back still has to be applied.
func (en *Enforcer) Loaded() map[Assignment]bool {
	en.mu.RLock()
	defer en.mu.RUnlock()
	rules, _ := en.e.GetGroupingPolicy()
	out := make(map[Assignment]bool, len(rules))
	for _, g := range rules {
		id, ok := strings.CutPrefix(g[0], "user:")
		if !ok || g[1] == Party {
			continue
		}
		n, _ := strconv.ParseInt(id, 10, 64)
		out[Assignment{UserID: n, Role: g[1], Domain: g[2]}] = true
	}
	return out
}

// Holds reports whether the user holds role in exactly domain (a stored assignment, not
// an inherited permission).
func (en *Enforcer) Holds(userID int64, role, domain string) bool {
	en.mu.RLock()
	defer en.mu.RUnlock()
	ok, _ := en.e.HasGroupingPolicy(Subject(userID), role, domain)
	return ok
}

// RolesOf lists the roles a user holds, as "role" or "role@domain".
func (en *Enforcer) RolesOf(userID int64) []string {
	en.mu.RLock()
	defer en.mu.RUnlock()
	var out []string
	rules, _ := en.e.GetFilteredGroupingPolicy(0, Subject(userID))
	for _, g := range rules {
		if g[1] == Party {
			continue
		}
		if g[2] == "*" {
			out = append(out, g[1])
		} else {
			out = append(out, g[1]+"@"+g[2])
		}
	}
	if userID != 0 {
		out = append(out, "employee")
	}
	return out
}

// KnownRole reports whether role can be granted.
func KnownRole(role string) bool {
	for _, r := range Roles {
		if r == role {
			return true
		}
	}
	return false
}

// adapter feeds Casbin the embedded default policy plus the stored assignments. It is
// read-only: writes go through Enforcer.Grant, which stores first and then applies.
type adapter struct {
	ctx   context.Context
	store Store
}

var errReadOnly = errors.New("policy adapter is read-only; use Enforcer.Grant")

func (a *adapter) LoadPolicy(m model.Model) error {
	if err := stringadapter.NewAdapter(stripComments(defaultPolicy)).LoadPolicy(m); err != nil {
		return fmt.Errorf("default policy: %w", err)
	}
	roles, err := a.store.ListRoles(a.ctx)
	if err != nil {
		return err
	}
	party := map[int64]bool{}
	for _, r := range roles {
		line := strings.Join([]string{"g", Subject(r.UserID), r.Role, r.Domain}, ", ")
		if err := persist.LoadPolicyLine(line, m); err != nil {
			return err
		}
		if (r.Role == "member" || r.Role == "secretary") && !party[r.UserID] {
			party[r.UserID] = true
			if err := persist.LoadPolicyLine("g, "+Subject(r.UserID)+", "+Party+", *", m); err != nil {
				return err
			}
		}
	}
	return nil
}

func (a *adapter) SavePolicy(model.Model) error                              { return errReadOnly }
func (a *adapter) AddPolicy(string, string, []string) error                  { return errReadOnly }
func (a *adapter) RemovePolicy(string, string, []string) error               { return errReadOnly }
func (a *adapter) RemoveFilteredPolicy(string, string, int, ...string) error { return errReadOnly }

func stripComments(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "#") {
			b.WriteString(t)
			b.WriteByte('\n')
		}
	}
	return b.String()
}
