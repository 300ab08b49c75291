// Package policy decides who may do what, with Casbin (RBAC with domains). The model and
// the default permissions are embedded files a person can read; role assignments live in
// the store and reach Casbin through a small adapter of our own.
package policy

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	"github.com/casbin/casbin/v2/persist"
	stringadapter "github.com/casbin/casbin/v2/persist/string-adapter"
)

//go:embed model.conf
var modelText string

//go:embed policy.csv
var defaultPolicy string

// Known roles. Employee is implicit for every signed-in user; guest for everyone.
var Roles = []string{"guest", "employee", "activist", "mentor", "member", "secretary", "moderator", "admin"}

// Assignment is one role held by one user in one domain ("*" for site-wide).
type Assignment struct {
	UserID int64
	Role   string
	Domain string
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
	en.mu.Lock()
	en.e = e
	en.mu.Unlock()
	return nil
}

// Subject is how a user appears in policy requests.
func Subject(userID int64) string { return "user:" + strconv.FormatInt(userID, 10) }

// Allowed reports whether the user (0 for a guest) may perform action on object in
// domain. A signed-in user holds "employee" and "guest" implicitly, on top of the roles
// assigned to them.
func (en *Enforcer) Allowed(userID int64, domain, object, action string) bool {
	en.mu.RLock()
	defer en.mu.RUnlock()
	subs := []string{"guest"}
	if userID != 0 {
		subs = []string{"employee", "guest", Subject(userID)}
	}
	for _, sub := range subs {
		ok, err := en.e.Enforce(sub, domain, object, action)
		if err == nil && ok {
			return true
		}
	}
	return false
}

// Grant gives a user a role in a domain, stores it, and applies it at once.
func (en *Enforcer) Grant(ctx context.Context, userID int64, role, domain string) error {
	if !knownRole(role) {
		return fmt.Errorf("unknown role %q", role)
	}
	if err := en.store.AddRole(ctx, Assignment{UserID: userID, Role: role, Domain: domain}); err != nil {
		return err
	}
	en.mu.Lock()
	defer en.mu.Unlock()
	_, err := en.e.AddGroupingPolicy(Subject(userID), role, domain)
	return err
}

// RolesOf lists the roles a user holds, as "role" or "role@domain".
func (en *Enforcer) RolesOf(userID int64) []string {
	en.mu.RLock()
	defer en.mu.RUnlock()
	var out []string
	rules, _ := en.e.GetFilteredGroupingPolicy(0, Subject(userID))
	for _, g := range rules {
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

func knownRole(role string) bool {
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
	for _, r := range roles {
		line := strings.Join([]string{"g", Subject(r.UserID), r.Role, r.Domain}, ", ")
		if err := persist.LoadPolicyLine(line, m); err != nil {
			return err
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
