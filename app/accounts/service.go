package accounts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/alexedwards/argon2id"

	"jiayuan/app/audit"
	"jiayuan/app/events"
	"jiayuan/app/fault"
	"jiayuan/app/markup"
)

// SessionTTL is how long a browser stays signed in.
const SessionTTL = 30 * 24 * time.Hour

// Roles records and answers roles: the first admin is made through it, and it says
// who may administer users and which roles they hold (the policy).
type Roles interface {
	Grant(ctx context.Context, userID int64, role, domain string) error
	Allowed(userID int64, domain, object, action string) bool
	Holds(userID int64, role, domain string) bool
	RolesOf(userID int64) []string
}

// Service is the account logic over a Store.
type Service struct {
	store  Store
	roles  Roles
	audit  *audit.Log
	params *argon2id.Params
	now    func() time.Time
	names  func(ctx context.Context, field, name string) error // see Config.Names
	bus    Publisher
}

// Publisher receives events after writes have succeeded.
type Publisher interface {
	Publish(e events.Event)
}

// HashPassword hashes a password the way this service checks it.
func (s *Service) HashPassword(password string) (string, error) {
	if err := checkPassword(password); err != nil {
		return "", err
	}
	return argon2id.CreateHash(password, s.params)
}

// errBanned is the answer to a banned user, at sign-in and on every later request.
var errBanned = fault.Forbidden("err_banned")

// Config wires a Service.
type Config struct {
	Store Store
	Roles Roles
	// Audit records what admins do to users (ban, password reset); the admin methods
	// need it.
	Audit *audit.Log
	// Params hash passwords; nil is argon2id's recommended defaults (tests pass cheaper).
	Params *argon2id.Params
	// Names, when set, makes registration refuse names the word list or the reserved
	// names do not allow; field is "username" or "display_name".
	Names func(ctx context.Context, field, name string) error
	// Bus, when set, hears of ended sessions and tokens (AccessChanged), so that open
	// websockets of that person re-check their credential.
	Bus Publisher
}

// NewService returns a Service.
func NewService(c Config) *Service {
	params := c.Params
	if params == nil {
		params = argon2id.DefaultParams
	}
	return &Service{store: c.Store, roles: c.Roles, audit: c.Audit, params: params, names: c.Names, bus: c.Bus,
		now: func() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }}
}

// RegisterInput is what a new user gives.
type RegisterInput struct {
	Username    string
	Password    string
	DisplayName string
	// ByAdmin: an admin is creating the account (the console, the first admin), so the
	// name check (the word list, the reserved role and staff names) is not applied: an
	// admin may name a new secretary "支部书记". The character rules still are.
	ByAdmin bool
}

// Register validates the input and creates the user.
func (s *Service) Register(ctx context.Context, in RegisterInput) (*User, error) {
	username, err := NormalizeUsername(in.Username)
	if err != nil {
		return nil, err
	}
	if err := checkPassword(in.Password); err != nil {
		return nil, err
	}
	display, err := CleanDisplayName(in.DisplayName, username)
	if err != nil {
		return nil, err
	}
	// A taken name says so first, whatever else is wrong with it: ａｄｍｉｎ is admin's.
	if _, err := s.store.UserByUsername(ctx, username); err == nil {
		return nil, errUsernameTaken
	}
	if s.names != nil && !in.ByAdmin {
		if err := s.names(ctx, "username", username); err != nil {
			return nil, err
		}
		if err := s.names(ctx, "display_name", display); err != nil {
			return nil, err
		}
	}
	hash, err := argon2id.CreateHash(in.Password, s.params)
	if err != nil {
		return nil, err
	}
	u := &User{Username: username, DisplayName: display, PasswordHash: hash, CreatedAt: s.now()}
	if err := s.store.CreateUser(ctx, u); err != nil {
		if errors.Is(err, fault.ErrConflict) {
			if _, e := s.store.UserByUsername(ctx, username); e == nil {
				return nil, errUsernameTaken
			}
			// The skeleton index refused it: another name looks the same.
			return nil, fault.Conflict("username_confusable", "err_username_confusable")
		}
		return nil, err
	}
	return u, nil
}

func checkPassword(p string) error {
	if !utf8.ValidString(p) {
		return fault.Invalid("password", "err_password_not_utf8")
	}
	if n := utf8.RuneCountInString(p); n < 8 || len(p) > 256 {
		return fault.Invalid("password", "err_password_length")
	}
	return nil
}

var errUsernameTaken = fault.Conflict("username_taken", "err_username_taken")

// errBadLogin is deliberately the same for an unknown user and a wrong password.
var errBadLogin = fault.Unauthorized("err_bad_login")

// Login checks the password and opens a session. It returns the raw cookie value.
func (s *Service) Login(ctx context.Context, username, password string) (*User, *Session, string, error) {
	u, err := s.store.UserByUsername(ctx, CanonicalUsername(username))
	if errors.Is(err, fault.ErrNotFound) {
		// Hash anyway so that timing does not reveal which usernames exist.
		_, _ = argon2id.CreateHash(password, s.params)
		return nil, nil, "", errBadLogin
	}
	if err != nil {
		return nil, nil, "", err
	}
	ok, err := argon2id.ComparePasswordAndHash(password, u.PasswordHash)
	if err != nil || !ok {
		return nil, nil, "", errBadLogin
	}
	if u.Banned {
		return nil, nil, "", errBanned
	}
	raw := randomToken()
	now := s.now()
	sess := &Session{TokenHash: HashToken(raw), UserID: u.ID, CSRFToken: randomToken(), CreatedAt: now, ExpiresAt: now.Add(SessionTTL)}
	if err := s.store.CreateSession(ctx, sess); err != nil {
		return nil, nil, "", fault.Wrap(err, "create session")
	}
	return u, sess, raw, nil
}

// Logout ends the session behind the raw cookie value.
func (s *Service) Logout(ctx context.Context, raw string) error {
	sess, err := s.store.SessionByHash(ctx, HashToken(raw))
	if errors.Is(err, fault.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	if err := s.store.DeleteSession(ctx, sess.TokenHash); err != nil {
		return fault.Wrap(err, "delete session")
	}
	s.accessChanged(sess.UserID)
	return nil
}

// SessionUser resolves a raw cookie value to its live session and user.
func (s *Service) SessionUser(ctx context.Context, raw string) (*User, *Session, error) {
	sess, err := s.store.SessionByHash(ctx, HashToken(raw))
	if err != nil {
		return nil, nil, fault.Wrap(err, "read session")
	}
	if !s.now().Before(sess.ExpiresAt) {
		_ = s.store.DeleteSession(ctx, sess.TokenHash)
		return nil, nil, fault.ErrNotFound
	}
	u, err := s.store.UserByID(ctx, sess.UserID)
	if err != nil {
		return nil, nil, fault.Wrap(err, "read user %v", sess.UserID)
	}
	if u.Banned {
		return nil, nil, fault.ErrNotFound
	}
	return u, sess, nil
}

// CreateToken makes a personal access token; the raw value is returned once.
func (s *Service) CreateToken(ctx context.Context, userID int64, name string) (string, *Token, error) {
	if !utf8.ValidString(name) {
		return "", nil, errTokenName
	}
	name = strings.TrimSpace(markup.StripControls(name))
	if name == "" || utf8.RuneCountInString(name) > 100 {
		return "", nil, errTokenName
	}
	// Counted before the insert, so two racing requests may both pass at MaxTokens-1:
	// the cap bounds what a person piles up, it is not a security boundary.
	have, err := s.store.ListTokens(ctx, userID)
	if err != nil {
		return "", nil, fault.Wrap(err, "list tokens of user %v", userID)
	}
	if len(have) >= MaxTokens {
		return "", nil, errTooManyTokens
	}
	raw := "jy_" + randomToken()
	t := &Token{UserID: userID, Name: name, TokenHash: HashToken(raw), CreatedAt: s.now()}
	if err := s.store.CreateToken(ctx, t); err != nil {
		return "", nil, fault.Wrap(err, "create token")
	}
	return raw, t, nil
}

// TokenUser resolves a raw bearer token to its user.
func (s *Service) TokenUser(ctx context.Context, raw string) (*User, error) {
	t, err := s.store.TokenByHash(ctx, HashToken(raw))
	if err != nil {
		return nil, fault.Wrap(err, "read token")
	}
	u, err := s.store.UserByID(ctx, t.UserID)
	if err != nil {
		return nil, fault.Wrap(err, "read user %v", t.UserID)
	}
	if u.Banned {
		return nil, errBanned
	}
	return u, nil
}

// EnsureAdmin creates the user "admin" with the admin role when there are no users yet.
// An empty password is replaced by a generated one, returned so it can be printed once.
func (s *Service) EnsureAdmin(ctx context.Context, password string) (created bool, pw string, err error) {
	n, err := s.store.CountUsers(ctx)
	if err != nil || n > 0 {
		return false, "", err
	}
	if password == "" {
		password = randomToken()[:20]
	}
	u, err := s.Register(ctx, RegisterInput{Username: "admin", Password: password, DisplayName: "管理员", ByAdmin: true})
	if err != nil {
		return false, "", err
	}
	if err := s.roles.Grant(ctx, u.ID, "admin", "*"); err != nil {
		return false, "", err
	}
	return true, password, nil
}

// HashToken is how session and access tokens are stored.
func HashToken(raw string) string {
	sum := sha256.Sum256([]byte(raw))
	return hex.EncodeToString(sum[:])
}

// RandomPassword makes a password for an admin's reset, shown once.
func RandomPassword() string { return randomToken()[:20] }

func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on Linux; if it does, nothing is safe
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// Users returns the users with the given ids; missing ones are left out.
func (s *Service) Users(ctx context.Context, ids []int64) (map[int64]*User, error) {
	return s.store.UsersByIDs(ctx, ids)
}

// User returns one user by id.
func (s *Service) User(ctx context.Context, id int64) (*User, error) {
	return s.store.UserByID(ctx, id)
}

// UserByName returns one user by username, case-insensitively.
func (s *Service) UserByName(ctx context.Context, username string) (*User, error) {
	return s.store.UserByUsername(ctx, CanonicalUsername(username))
}
