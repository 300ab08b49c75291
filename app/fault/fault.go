// Package fault defines the errors the domain returns and the safe messages they carry.
//
// Handlers map these to HTTP statuses in one place; anything else is an internal error
// whose text is logged and never shown to the client.
package fault

import (
	"errors"
	"fmt"
)

// Kind classifies a domain error for the transport layer.
type Kind int

const (
	KindInternal Kind = iota
	KindNotFound
	KindForbidden
	KindUnauthorized
	KindConflict
	KindInvalid
	KindLocked
	KindTooMany
	KindBadRequest
	KindUnavailable
)

// Error is a domain error with a message that is safe to show to the user.
type Error struct {
	Kind    Kind
	Code    string // machine-readable, e.g. "not_found", "invalid_title"
	Message string // human-readable, safe to show
	Field   string // the offending input field, if any
	Err     error  // the cause, logged only
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Is lets errors.Is(err, ErrNotFound) match any not-found error, whatever its message.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == "" && t.Kind == e.Kind
}

// Sentinels for errors.Is; they match any *Error of the same kind.
var (
	ErrNotFound     = &Error{Kind: KindNotFound}
	ErrForbidden    = &Error{Kind: KindForbidden}
	ErrUnauthorized = &Error{Kind: KindUnauthorized}
	ErrConflict     = &Error{Kind: KindConflict}
	ErrInvalid      = &Error{Kind: KindInvalid}
	ErrLocked       = &Error{Kind: KindLocked}
)

// NotFound says that the named thing does not exist.
func NotFound(what string) *Error {
	return &Error{Kind: KindNotFound, Code: "not_found", Message: what + " not found"}
}

// Forbidden says the user may not do this.
func Forbidden(msg string) *Error {
	return &Error{Kind: KindForbidden, Code: "forbidden", Message: msg}
}

// Unauthorized says the user must sign in first.
func Unauthorized(msg string) *Error {
	return &Error{Kind: KindUnauthorized, Code: "unauthorized", Message: msg}
}

// Conflict says the request clashes with existing data (a taken username, say).
func Conflict(code, msg string) *Error {
	return &Error{Kind: KindConflict, Code: code, Message: msg}
}

// Invalid says an input field is wrong and how.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Kind: KindInvalid, Code: "invalid_" + field, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Locked says the target refuses changes (a locked thread).
func Locked(msg string) *Error {
	return &Error{Kind: KindLocked, Code: "locked", Message: msg}
}

// TooMany says the caller is rate limited.
func TooMany(msg string) *Error {
	return &Error{Kind: KindTooMany, Code: "rate_limited", Message: msg}
}

// BadRequest says the request itself is malformed (not JSON, not UTF-8).
func BadRequest(code, msg string) *Error {
	return &Error{Kind: KindBadRequest, Code: code, Message: msg}
}

// Unavailable says the service cannot answer just now (an index rebuilding).
func Unavailable(code, msg string) *Error {
	return &Error{Kind: KindUnavailable, Code: code, Message: msg}
}

// KindOf returns the kind of err, KindInternal for anything that is not an *Error.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// Wrap names what failed, and on what, around an error from below (a store's), so the
// log of an unexpected one says where it came from; errors.Is and errors.As still see
// the cause. A domain fault passes as it is: its code and message are the answer.
func Wrap(err error, format string, args ...any) error {
	var f *Error
	if err == nil || errors.As(err, &f) {
		return err
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}
